//! Events with owned data, and the integer kinds they carry (states, message types).

use std::ffi::CStr;
use std::fmt;
use std::time::Duration;

use crate::error::{Error, Status, static_str};
use crate::sys;

/// A connection state, as the specification names them.
///
/// An integer with named constants, so a state added by a newer library still round-trips.
///
/// ```
/// use tether::State;
/// assert_eq!(State::AUTHENTICATED.name(), "authenticated");
/// assert_eq!(State::from_name("reconnecting"), Some(State::RECONNECTING));
/// assert!(State::AUTHENTICATED.is_ready());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State(pub i32);

impl State {
    /// Not connected.
    pub const DISCONNECTED: State = State(sys::TETHER_STATE_DISCONNECTED);
    /// TCP, TLS and WebSocket handshakes in progress.
    pub const CONNECTING: State = State(sys::TETHER_STATE_CONNECTING);
    /// WebSocket open, not yet ready.
    pub const CONNECTED: State = State(sys::TETHER_STATE_CONNECTED);
    /// The first-message auth was sent; awaiting the reply.
    pub const AUTHENTICATING: State = State(sys::TETHER_STATE_AUTHENTICATING);
    /// Ready to use (every auth method ends here, `none` included).
    pub const AUTHENTICATED: State = State(sys::TETHER_STATE_AUTHENTICATED);
    /// Waiting for the next reconnect attempt.
    pub const RECONNECTING: State = State(sys::TETHER_STATE_RECONNECTING);
    /// Failed for good: no reconnect will follow.
    pub const ERROR: State = State(sys::TETHER_STATE_ERROR);

    const KNOWN: [State; 7] = [
        State::DISCONNECTED,
        State::CONNECTING,
        State::CONNECTED,
        State::AUTHENTICATING,
        State::AUTHENTICATED,
        State::RECONNECTING,
        State::ERROR,
    ];

    /// The specification's name, e.g. `"authenticated"`.
    ///
    /// ```
    /// assert_eq!(tether::State::DISCONNECTED.name(), "disconnected");
    /// ```
    pub fn name(self) -> &'static str {
        // SAFETY: tether_state_str accepts any value and returns static text.
        static_str(unsafe { sys::tether_state_str(self.0) })
    }

    /// The state with that name (as [`name`](State::name) spells it), if it is one this crate
    /// knows.
    ///
    /// ```
    /// assert_eq!(tether::State::from_name("error"), Some(tether::State::ERROR));
    /// assert_eq!(tether::State::from_name("bogus"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<State> {
        State::KNOWN.into_iter().find(|state| state.name() == name)
    }

    /// `true` when the client is ready to exchange messages ([`State::AUTHENTICATED`]).
    ///
    /// ```
    /// assert!(!tether::State::CONNECTED.is_ready());
    /// ```
    pub fn is_ready(self) -> bool {
        self == State::AUTHENTICATED
    }
}

impl fmt::Debug for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "State({} {})", self.0, self.name())
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The frame type of a message: an integer with named constants.
///
/// ```
/// use tether::MessageType;
/// assert_eq!(MessageType::TEXT, MessageType(1));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MessageType(pub i32);

impl MessageType {
    /// For sending: text or binary as the `messageFormat` option says.
    pub const DEFAULT: MessageType = MessageType(sys::TETHER_MESSAGE_DEFAULT);
    /// A text frame (UTF-8).
    pub const TEXT: MessageType = MessageType(sys::TETHER_MESSAGE_TEXT);
    /// A binary frame.
    pub const BINARY: MessageType = MessageType(sys::TETHER_MESSAGE_BINARY);
}

/// The type of an [`Event`] as the C API numbers it: an integer with named constants.
///
/// ```
/// use tether::EventType;
/// assert_eq!(EventType::MESSAGE.name(), "message");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EventType(pub i32);

impl EventType {
    /// Poll mode only: the queue became non-empty.
    pub const READY: EventType = EventType(sys::TETHER_EVENT_READY);
    /// Ready to use.
    pub const OPEN: EventType = EventType(sys::TETHER_EVENT_OPEN);
    /// A message.
    pub const MESSAGE: EventType = EventType(sys::TETHER_EVENT_MESSAGE);
    /// The connection closed.
    pub const CLOSE: EventType = EventType(sys::TETHER_EVENT_CLOSE);
    /// A failure.
    pub const ERROR: EventType = EventType(sys::TETHER_EVENT_ERROR);
    /// The state changed.
    pub const STATE: EventType = EventType(sys::TETHER_EVENT_STATE);
    /// A reconnect is scheduled.
    pub const RECONNECT: EventType = EventType(sys::TETHER_EVENT_RECONNECT);
    /// A message with an id was written.
    pub const SENT: EventType = EventType(sys::TETHER_EVENT_SENT);
    /// A queued message with an id will never be sent.
    pub const SEND_FAILED: EventType = EventType(sys::TETHER_EVENT_SEND_FAILED);
    /// The outgoing queue emptied after backpressure.
    pub const DRAINED: EventType = EventType(sys::TETHER_EVENT_DRAINED);
    /// A message on a subscribed channel.
    pub const CHANNEL_MESSAGE: EventType = EventType(sys::TETHER_EVENT_CHANNEL_MESSAGE);
    /// The outcome of a request.
    pub const RESPONSE: EventType = EventType(sys::TETHER_EVENT_RESPONSE);
    /// The server confirmed a subscription.
    pub const SUBSCRIBED: EventType = EventType(sys::TETHER_EVENT_SUBSCRIBED);
    /// The server refused a subscription.
    pub const SUBSCRIBE_FAILED: EventType = EventType(sys::TETHER_EVENT_SUBSCRIBE_FAILED);

    /// The library's name for the type, e.g. `"reconnect"`.
    ///
    /// ```
    /// assert_eq!(tether::EventType::RECONNECT.name(), "reconnect");
    /// ```
    pub fn name(self) -> &'static str {
        // SAFETY: tether_event_type_str accepts any value and returns static text.
        static_str(unsafe { sys::tether_event_type_str(self.0) })
    }
}

impl fmt::Debug for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventType({} {})", self.0, self.name())
    }
}

/// The id of a channel subscription, from [`Client::subscribe`](crate::Client::subscribe); it
/// comes back in [`Event::ChannelMessage`], [`Event::Subscribed`] and [`Event::SubscribeFailed`],
/// and ends the subscription with [`Client::unsubscribe`](crate::Client::unsubscribe).
///
/// Never 0. Each call of `subscribe` gets its own id, even for a channel already subscribed.
///
/// ```
/// let subscription = tether::Subscription(7);
/// assert_eq!(subscription.to_string(), "subscription 7");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subscription(pub u64);

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "subscription {}", self.0)
    }
}

/// A received message: its frame type and its bytes (text may contain U+0000).
///
/// ```
/// let message = tether::Message { kind: tether::MessageType::TEXT, data: b"hi".to_vec() };
/// assert_eq!(message.text(), Some("hi"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Message {
    /// [`MessageType::TEXT`] or [`MessageType::BINARY`].
    pub kind: MessageType,
    /// The payload.
    pub data: Vec<u8>,
}

impl Message {
    /// The payload as text, for text messages (the library checks they are UTF-8).
    ///
    /// ```
    /// let binary = tether::Message { kind: tether::MessageType::BINARY, data: vec![0xff] };
    /// assert_eq!(binary.text(), None);
    /// ```
    pub fn text(&self) -> Option<&str> {
        if self.is_text() { std::str::from_utf8(&self.data).ok() } else { None }
    }

    /// `true` for a text frame.
    ///
    /// ```
    /// assert!(tether::Message { kind: tether::MessageType::TEXT, data: vec![] }.is_text());
    /// ```
    pub fn is_text(&self) -> bool {
        self.kind == MessageType::TEXT
    }

    /// `true` for a binary frame.
    ///
    /// ```
    /// assert!(tether::Message { kind: tether::MessageType::BINARY, data: vec![] }.is_binary());
    /// ```
    pub fn is_binary(&self) -> bool {
        self.kind == MessageType::BINARY
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            Some(text) => f.debug_struct("Message").field("text", &text).finish(),
            None => {
                f.debug_struct("Message").field("kind", &self.kind).field("len", &self.data.len()).finish()
            }
        }
    }
}

/// Something that happened to a client. Owns its data: keep it as long as you like.
///
/// ```
/// fn describe(event: &tether::Event) -> String {
///     match event {
///         tether::Event::Open { .. } => "connected".into(),
///         tether::Event::Message(message) => format!("{} bytes", message.data.len()),
///         tether::Event::Close { code, .. } => format!("closed {code}"),
///         tether::Event::Reconnect { attempt, .. } => format!("reconnecting, attempt {attempt}"),
///         other => format!("{:?}", other.event_type()),
///     }
/// }
/// assert_eq!(describe(&tether::Event::Drained), "EventType(9 drained)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Poll mode: the queue became non-empty. Only the library's READY callback sees it; this
    /// crate uses it to wake [`Client::next_event`](crate::Client::next_event).
    Ready,
    /// Ready to use (authenticated); queued messages are being flushed.
    Open {
        /// The negotiated subprotocol, `""` when none.
        subprotocol: String,
    },
    /// A message arrived.
    Message(Message),
    /// The connection closed; a [`Event::State`] with the state it leads to follows.
    Close {
        /// The close code (1006 when no close frame arrived).
        code: u16,
        /// The close reason.
        reason: String,
        /// `true` after a complete closing handshake.
        was_clean: bool,
        /// The failure behind the close, or [`Status::OK`] for a close frame.
        status: Status,
    },
    /// A failure (the connection may be retried; the state says).
    Error(Error),
    /// The state changed.
    State {
        /// The new state.
        state: State,
        /// The state before.
        previous: State,
    },
    /// A reconnect is scheduled: the moment to call [`Client::set_token`](crate::Client::set_token).
    Reconnect {
        /// 1 for the first attempt after a loss, then 2, 3...
        attempt: u32,
        /// How long until the attempt.
        delay: Duration,
    },
    /// A message sent with a non-zero id was written to the socket.
    Sent {
        /// The id given to [`Client::send_message`](crate::Client::send_message).
        id: u64,
    },
    /// A queued message with a non-zero id will never be sent.
    SendFailed {
        /// The id given to [`Client::send_message`](crate::Client::send_message).
        id: u64,
        /// Why.
        error: Error,
    },
    /// The outgoing queue emptied after it had reached half of a limit or refused a message.
    Drained,
    /// A message on a subscribed channel. One event per live subscription of the channel,
    /// each with its own id.
    ///
    /// ```
    /// fn on_event(event: tether::Event) {
    ///     if let tether::Event::ChannelMessage { channel, event, data, .. } = event {
    ///         // Socket.IO: channel "chat", event Some("chat"), data the argument(s) as JSON
    ///         println!("{channel} {}: {data}", event.as_deref().unwrap_or("-"));
    ///     }
    /// }
    /// ```
    ChannelMessage {
        /// The subscription it is delivered to.
        subscription: Subscription,
        /// The channel, as given to [`Client::subscribe`](crate::Client::subscribe).
        channel: String,
        /// The payload as JSON text.
        data: String,
        /// The protocol's name for the message where it has one: the event of Socket.IO,
        /// Phoenix, Pusher and Binance, the client method of SignalR, the `event` field of
        /// aws-apigateway. `None` for protocols without (json, GraphQL, Action Cable).
        event: Option<String>,
    },
    /// The outcome of [`Client::request`](crate::Client::request): exactly one per request.
    Response {
        /// The id given to `request`.
        id: u64,
        /// The result as JSON text, or why there is none: [`Status::REMOTE`] (the server
        /// answered with an error; see `error_json`), [`Status::TIMEOUT`] or [`Status::CLOSED`]
        /// (the connection was lost with the request on the wire, or the client closed).
        result: Result<String, Error>,
        /// With [`Status::REMOTE`]: the server's error as JSON, e.g.
        /// `{"code":400,"message":"..."}`; otherwise `None`.
        error_json: Option<String>,
    },
    /// The server confirmed a subscription (again after every reconnect).
    Subscribed {
        /// The subscription.
        subscription: Subscription,
        /// Its channel.
        channel: String,
    },
    /// A subscription is over and removed (its id is no longer live): the server refused it,
    /// failed it, or ended it.
    ///
    /// ```
    /// fn on_event(event: tether::Event) {
    ///     if let tether::Event::SubscribeFailed { channel, error, error_json, .. } = event {
    ///         match error.status {
    ///             tether::Status::CLOSED => println!("{channel}: ended by the server"),
    ///             _ => println!("{channel}: {error} {}", error_json.unwrap_or_default()),
    ///         }
    ///     }
    /// }
    /// ```
    SubscribeFailed {
        /// The subscription.
        subscription: Subscription,
        /// Its channel.
        channel: String,
        /// Why: [`Status::REMOTE`] when the server refused or failed it (the message says
        /// what it said), [`Status::CLOSED`] when the server ended it (a GraphQL `complete`).
        error: Error,
        /// What the server sent with it, as JSON: its error, e.g. Pusher's
        /// `{"type":"AuthError","error":"...","status":401}` or GraphQL's `errors` array, or
        /// the payload of the frame that ended it (Phoenix's `phx_close`). `None` when it sent
        /// nothing (or `null`).
        error_json: Option<String>,
    },
    /// An event type this crate does not know (from a newer library).
    Unknown {
        /// Its type.
        event_type: EventType,
    },
}

impl Event {
    /// The C API's type number of this event.
    ///
    /// ```
    /// assert_eq!(tether::Event::Ready.event_type(), tether::EventType::READY);
    /// ```
    pub fn event_type(&self) -> EventType {
        match self {
            Event::Ready => EventType::READY,
            Event::Open { .. } => EventType::OPEN,
            Event::Message(_) => EventType::MESSAGE,
            Event::Close { .. } => EventType::CLOSE,
            Event::Error(_) => EventType::ERROR,
            Event::State { .. } => EventType::STATE,
            Event::Reconnect { .. } => EventType::RECONNECT,
            Event::Sent { .. } => EventType::SENT,
            Event::SendFailed { .. } => EventType::SEND_FAILED,
            Event::Drained => EventType::DRAINED,
            Event::ChannelMessage { .. } => EventType::CHANNEL_MESSAGE,
            Event::Response { .. } => EventType::RESPONSE,
            Event::Subscribed { .. } => EventType::SUBSCRIBED,
            Event::SubscribeFailed { .. } => EventType::SUBSCRIBE_FAILED,
            Event::Unknown { event_type } => *event_type,
        }
    }

    /// Copies a library event into an owned one.
    ///
    /// # Safety
    /// `ev` is a valid event (borrowed in a callback or polled and not yet destroyed).
    pub(crate) unsafe fn from_raw(ev: *const sys::tether_event) -> Event {
        // SAFETY: for every call below, `ev` is valid per this function's contract; the getters only
        // read it, and the text they return lives as long as the event, which outlives the copy.
        unsafe {
            let text = || CStr::from_ptr(sys::tether_event_text(ev)).to_string_lossy().into_owned();
            let error = || Error::new(Status(sys::tether_event_status(ev)), text());
            let data = || {
                let mut size = 0usize;
                let data = sys::tether_event_data(ev, &mut size);
                if data.is_null() || size == 0 {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(data, size).to_vec()
                }
            };
            // JSON text from the library (validated UTF-8 on its side).
            let json = || {
                String::from_utf8(data())
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
            };
            let channel = || CStr::from_ptr(sys::tether_event_channel(ev)).to_string_lossy().into_owned();
            let subscription = || Subscription(sys::tether_event_id(ev));
            match sys::tether_event_type(ev) {
                sys::TETHER_EVENT_READY => Event::Ready,
                sys::TETHER_EVENT_OPEN => Event::Open { subprotocol: text() },
                sys::TETHER_EVENT_MESSAGE => Event::Message(Message {
                    kind: MessageType(sys::tether_event_message_type(ev)),
                    data: data(),
                }),
                sys::TETHER_EVENT_CLOSE => Event::Close {
                    code: u16::try_from(sys::tether_event_code(ev)).unwrap_or(1006),
                    reason: text(),
                    was_clean: sys::tether_event_was_clean(ev) != 0,
                    status: Status(sys::tether_event_status(ev)),
                },
                sys::TETHER_EVENT_ERROR => Event::Error(error()),
                sys::TETHER_EVENT_STATE => Event::State {
                    state: State(sys::tether_event_state(ev)),
                    previous: State(sys::tether_event_previous_state(ev)),
                },
                sys::TETHER_EVENT_RECONNECT => Event::Reconnect {
                    attempt: u32::try_from(sys::tether_event_attempt(ev)).unwrap_or(0),
                    delay: Duration::from_millis(u64::try_from(sys::tether_event_delay_ms(ev)).unwrap_or(0)),
                },
                sys::TETHER_EVENT_SENT => Event::Sent { id: sys::tether_event_id(ev) },
                sys::TETHER_EVENT_SEND_FAILED => {
                    Event::SendFailed { id: sys::tether_event_id(ev), error: error() }
                }
                sys::TETHER_EVENT_DRAINED => Event::Drained,
                sys::TETHER_EVENT_CHANNEL_MESSAGE => Event::ChannelMessage {
                    subscription: subscription(),
                    channel: channel(),
                    data: json(),
                    event: non_empty(text()),
                },
                sys::TETHER_EVENT_RESPONSE => {
                    let id = sys::tether_event_id(ev);
                    let status = Status(sys::tether_event_status(ev));
                    if status.is_ok() {
                        Event::Response { id, result: Ok(json()), error_json: None }
                    } else {
                        let error_json = if status == Status::REMOTE { Some(json()) } else { None };
                        Event::Response { id, result: Err(error()), error_json }
                    }
                }
                sys::TETHER_EVENT_SUBSCRIBED => {
                    Event::Subscribed { subscription: subscription(), channel: channel() }
                }
                sys::TETHER_EVENT_SUBSCRIBE_FAILED => Event::SubscribeFailed {
                    subscription: subscription(),
                    channel: channel(),
                    error: error(),
                    error_json: non_empty(json()).filter(|json| json != "null"),
                },
                other => Event::Unknown { event_type: EventType(other) },
            }
        }
    }
}

/// `None` for the library's "" (no value).
fn non_empty(text: String) -> Option<String> {
    if text.is_empty() { None } else { Some(text) }
}
