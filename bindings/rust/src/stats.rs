//! A client's statistics snapshot.

use std::collections::HashMap;
use std::time::Duration;

use crate::error::{Error, Result, Status};
use crate::event::State;
use crate::text::{Scalar, parse_flat_object};

/// A snapshot of a client's counters, from [`Client::stats`](crate::Client::stats).
///
/// ```
/// let json = r#"{"state":"authenticated","messagesSent":3,"messagesReceived":2,"bytesSent":30,
///   "bytesReceived":20,"reconnects":1,"latencyMs":-1,"queuedMessages":0,"queuedBytes":0,
///   "url":"ws://127.0.0.1:8080/echo?token=***"}"#;
/// let stats = tether::Stats::from_json(json)?;
/// assert_eq!(stats.state, tether::State::AUTHENTICATED);
/// assert_eq!(stats.messages_sent, 3);
/// assert_eq!(stats.latency, None); // no pong yet
/// assert_eq!(stats.active_subscriptions, None); // protocol raw: no connection manager
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// The state when the snapshot was taken.
    pub state: State,
    /// Messages written to the socket.
    pub messages_sent: u64,
    /// Messages received.
    pub messages_received: u64,
    /// Payload bytes written.
    pub bytes_sent: u64,
    /// Payload bytes received.
    pub bytes_received: u64,
    /// Reconnects so far.
    pub reconnects: u64,
    /// The last ping round trip; `None` before the first pong.
    pub latency: Option<Duration>,
    /// Messages waiting in the outgoing queue.
    pub queued_messages: u64,
    /// Bytes waiting in the outgoing queue.
    pub queued_bytes: u64,
    /// The URL with any token replaced by `***`.
    pub url: String,
    /// Live channel subscriptions; `None` under protocol raw (no connection manager).
    ///
    /// ```
    /// let json = r#"{"state":"disconnected","messagesSent":0,"messagesReceived":0,"bytesSent":0,
    ///   "bytesReceived":0,"reconnects":0,"latencyMs":-1,"queuedMessages":0,"queuedBytes":0,
    ///   "url":"ws://h/json","activeSubscriptions":2,"pendingRequests":1,"protocol":"json"}"#;
    /// let stats = tether::Stats::from_json(json)?;
    /// assert_eq!(stats.active_subscriptions, Some(2));
    /// assert_eq!(stats.pending_requests, Some(1));
    /// assert_eq!(stats.protocol.as_deref(), Some("json"));
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub active_subscriptions: Option<u64>,
    /// Requests awaiting their response; `None` under protocol raw.
    pub pending_requests: Option<u64>,
    /// The `protocol` option's value (e.g. `"json"`); `None` under protocol raw.
    pub protocol: Option<String>,
}

impl Stats {
    /// Reads the library's statistics JSON (a flat object; unknown fields are ignored).
    ///
    /// ```
    /// let err = tether::Stats::from_json(r#"{"state":"authenticated"}"#).unwrap_err();
    /// assert!(err.message.contains("messagesSent"));
    /// ```
    pub fn from_json(json: &str) -> Result<Stats> {
        let fields = parse_flat_object(json)?;
        let state_name = string(&fields, "state")?;
        let state = State::from_name(&state_name)
            .ok_or_else(|| invalid(format!("stats: unknown state \"{state_name}\"")))?;
        Ok(Stats {
            state,
            messages_sent: number(&fields, "messagesSent")?,
            messages_received: number(&fields, "messagesReceived")?,
            bytes_sent: number(&fields, "bytesSent")?,
            bytes_received: number(&fields, "bytesReceived")?,
            reconnects: number(&fields, "reconnects")?,
            latency: u64::try_from(number::<i64>(&fields, "latencyMs")?).ok().map(Duration::from_millis),
            queued_messages: number(&fields, "queuedMessages")?,
            queued_bytes: number(&fields, "queuedBytes")?,
            url: string(&fields, "url")?,
            active_subscriptions: optional(&fields, "activeSubscriptions", number)?,
            pending_requests: optional(&fields, "pendingRequests", number)?,
            protocol: optional(&fields, "protocol", string)?,
        })
    }
}

/// `None` when the field is absent (or null), else what `read` makes of it.
fn optional<T>(
    fields: &HashMap<String, Scalar>,
    key: &str,
    read: fn(&HashMap<String, Scalar>, &str) -> Result<T>,
) -> Result<Option<T>> {
    match fields.get(key) {
        None | Some(Scalar::Null) => Ok(None),
        Some(_) => read(fields, key).map(Some),
    }
}

fn invalid(message: String) -> Error {
    Error::new(Status::INVALID_JSON, message)
}

fn string(fields: &HashMap<String, Scalar>, key: &str) -> Result<String> {
    match fields.get(key) {
        Some(Scalar::Str(s)) => Ok(s.clone()),
        _ => Err(invalid(format!("stats: \"{key}\" is missing or not a string"))),
    }
}

fn number<T: std::str::FromStr>(fields: &HashMap<String, Scalar>, key: &str) -> Result<T> {
    match fields.get(key) {
        Some(Scalar::Num(n)) => {
            n.parse().map_err(|_| invalid(format!("stats: \"{key}\" is out of range: {n}")))
        }
        _ => Err(invalid(format!("stats: \"{key}\" is missing or not a number"))),
    }
}
