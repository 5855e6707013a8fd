//! Safe Rust bindings to **tether**, a resilient WebSocket client: reconnect with exponential
//! backoff and full jitter, dead-peer detection with ping/pong, a bounded queue that holds
//! messages while offline, four ways to authenticate, token refresh and TLS that verifies by
//! default. The work happens in `libtether` (C++ behind a C ABI) on background I/O threads;
//! this crate adds no dependencies of its own.
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::{Client, Event, MessageFormat, Options};
//!
//! fn main() -> tether::Result<()> {
//!     let mut options = Options::new();
//!     options.url("ws://127.0.0.1:8080/echo")?.message_format(MessageFormat::Json)?;
//!     let client = Client::new(&options)?;
//!     client.connect()?;
//!     client.send(r#"{"type":"chat","message":"Hello!"}"#)?; // queued until ready
//!     while let Some(event) = client.recv_timeout(Duration::from_secs(5))? {
//!         match event {
//!             Event::Open { .. } => println!("Connected!"),
//!             Event::Message(message) => {
//!                 println!("Received: {}", message.text().unwrap_or("<binary>"));
//!                 break;
//!             }
//!             Event::Reconnect { attempt, .. } => println!("Reconnecting... {attempt}"),
//!             _ => {}
//!         }
//!     }
//!     client.close(1000, "User logged out")?;
//!     Ok(())
//! }
//! ```
//!
//! # Receiving events
//! - **Poll mode** ([`Client::new`]): [`Client::recv`], [`Client::recv_timeout`],
//!   [`Client::try_recv`], the blocking iterator [`Client::events`], or
//!   `async` [`Client::next_event`], which works under any executor.
//! - **Callback mode** ([`ClientBuilder::on_event`]): a `FnMut(Event) + Send + 'static` runs on
//!   a library I/O thread for every event, in order, one at a time.
//!
//! # Channels and requests
//! With [`Options::protocol`]`(`[`Protocol::Json`]`)` the client adds the specification's
//! connection manager: [`Client::subscribe`] (messages arrive as [`Event::ChannelMessage`] with
//! the [`Subscription`] id, and the client re-subscribes after every reconnect),
//! [`Client::unsubscribe`], [`Client::publish`], and [`Client::request`], answered by exactly
//! one [`Event::Response`]. Callback-mode clients also have the blocking
//! [`Client::request_wait`].
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::{Client, Event, Options, Protocol};
//!
//! # fn main() -> tether::Result<()> {
//! let mut options = Options::new();
//! options.url("ws://127.0.0.1:8080/json")?.protocol(Protocol::Json)?;
//! let client = Client::new(&options)?;
//! let news = client.subscribe("news", None)?;
//! client.connect()?;
//! client.request("echo", Some(r#"{"n":1}"#), Some(Duration::from_secs(5)), 7)?;
//! for event in client.events() {
//!     match event {
//!         Event::ChannelMessage { subscription, data, .. } if subscription == news => println!("{data}"),
//!         Event::Response { id: 7, result, .. } => {
//!             println!("{}", result?);
//!             break;
//!         }
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same calls speak providers' own protocols: [`Options::provider`] picks a [`Provider`]
//! preset (Socket.IO, GraphQL over WebSocket, SignalR, Phoenix, Pusher, Action Cable, Binance,
//! AWS API Gateway...) that sets the [`Protocol`] and authentication its own clients use. An
//! operation a protocol does not have fails with [`Status::NOT_SUPPORTED`].
//!
//! ```no_run
//! use std::time::Duration;
//! use tether::{Client, Event, Options, Provider};
//!
//! # fn main() -> tether::Result<()> {
//! let mut options = Options::new();
//! options.url("ws://127.0.0.1:3000/socket.io/")?.provider(Provider::SocketIo)?;
//! let client = Client::builder(&options)
//!     .on_event(|event| {
//!         if let Event::ChannelMessage { event, data, .. } = event {
//!             println!("{}: {data}", event.unwrap_or_default()); // chat: {"text":"Hello!"}
//!         }
//!     })
//!     .build()?;
//! client.subscribe("chat", None)?; // listen for the server's "chat" events
//! client.connect()?;
//! client.publish("chat", r#"{"text":"Hello!"}"#, 0)?; // socket.emit("chat", {text: "Hello!"})
//! let sum = client.request_wait("add", Some("[2,40]"), Duration::from_secs(5))?; // an ack
//! assert_eq!(sum, "42");
//! # Ok(())
//! # }
//! ```
//!
//! # Threads and lifetimes
//! [`Client`] is `Send + Sync`: every method may be called from any thread, including from its
//! own event handler (dropping the client there is fine too). Dropping a client never blocks.
//! The handler is released exactly once, after its last call.
//!
//! # Errors
//! Every fallible call returns [`Error`]: a [`Status`] and the library's message, which names
//! the option key, the part of the URL or the state at fault.
//!
//! # Linking
//! `build.rs` finds `libtether` through `TETHER_LIB_DIR` (and optionally `TETHER_INCLUDE_DIR`) or
//! `pkg-config --libs --cflags tether`.

#![warn(missing_docs, rustdoc::broken_intra_doc_links)]

mod client;
mod error;
mod event;
mod message;
mod options;
mod runtime;
mod stats;
pub mod sys;
mod text;

pub use client::{Buffered, Client, ClientBuilder, Events};
pub use error::{Error, Result, Status};
pub use event::{Event, EventType, Message, MessageType, State, Subscription};
pub use message::{close_code_str, create_message, parse_message, version};
pub use options::{AuthMethod, MessageFormat, Options, Protocol, Provider};
pub use runtime::Runtime;
pub use stats::Stats;

/// The README's Rust examples, compiled as doc tests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
