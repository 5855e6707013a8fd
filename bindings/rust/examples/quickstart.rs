//! Quick start: connect, send a JSON message, print the echo, close.
//!
//! Run: cargo run --example quickstart -- ws://127.0.0.1:PORT/echo
use std::time::Duration;

use tether::{Client, Event, MessageFormat, Options, State};

fn main() -> tether::Result<()> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "ws://127.0.0.1:8080/echo".to_owned());
    run(&url)
}

/// Connects to `url`, sends one message and returns once the connection is closed.
pub fn run(url: &str) -> tether::Result<()> {
    let mut options = Options::new();
    options
        .url(url)?
        .message_format(MessageFormat::Json)?
        .reconnect_delay(Duration::from_millis(500))?
        .max_reconnect_attempts(3)?;
    let client = Client::new(&options)?;
    client.connect()?; // returns at once; events report the progress
    client.send(r#"{"type":"chat","message":"Hello!"}"#)?; // queued until ready

    for event in client.events() {
        match event {
            Event::Open { .. } => println!("Connected!"),
            Event::Message(message) => {
                println!("Received: {}", message.text().unwrap_or("<binary>"));
                client.close(1000, "User logged out")?;
            }
            Event::Close { code, reason, .. } => println!("Closed: {code} {reason}"),
            Event::Error(error) => println!("Error: {error}"),
            Event::Reconnect { attempt, delay } => println!("Reconnecting... attempt {attempt} in {delay:?}"),
            Event::State { state: State::DISCONNECTED | State::ERROR, .. } => break,
            _ => {}
        }
    }
    Ok(())
}
