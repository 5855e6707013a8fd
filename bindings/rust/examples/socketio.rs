//! Providers quick start: a Socket.IO server's events as channels, its acks as requests.
//!
//! Run: cargo run --example socketio -- ws://127.0.0.1:PORT/socket.io/
use std::time::Duration;

use tether::{Client, Error, Event, Options, Provider, Status};

fn main() -> tether::Result<()> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "ws://127.0.0.1:3000/socket.io/".to_owned());
    run(&url)
}

/// Listens for `chat` events, emits one, and asks the server to add two numbers.
pub fn run(url: &str) -> tether::Result<()> {
    let mut options = Options::new();
    options.url(url)?.provider(Provider::SocketIo)?; // protocol socketio, EIO=4, WebSocket transport
    let client = Client::new(&options)?;
    let chat = client.subscribe("chat", None)?; // socket.on("chat", ...), sent once connected
    client.connect()?;
    client.publish("chat", r#"{"text":"Hello!"}"#, 0)?; // socket.emit("chat", {text: "Hello!"})
    client.request("add", Some("[2,40]"), Some(Duration::from_secs(5)), 1)?; // emit("add", 2, 40, ack)

    let (mut heard, mut answered) = (false, false);
    while let Some(event) = client.recv_timeout(Duration::from_secs(10))? {
        match event {
            Event::ChannelMessage { subscription, event, data, .. } if subscription == chat => {
                println!("{}: {data}", event.unwrap_or_default()); // chat: {"text":"Hello!"}
                heard = true;
            }
            Event::Response { id: 1, result, .. } => {
                println!("2 + 40 = {}", result?); // the server's ack: 42
                answered = true;
            }
            Event::Error(error) => println!("Error: {error}"),
            _ => {}
        }
        if heard && answered {
            return client.close(1000, "done");
        }
    }
    Err(Error::new(Status::TIMEOUT, "no chat event or no answer within 10 s"))
}
