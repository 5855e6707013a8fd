//! Client options: typed setters for every key, plus `set(key, value)` and JSON.

use std::ffi::c_char;
use std::fmt;
use std::path::Path;
use std::ptr;
use std::time::Duration;

use crate::error::{Result, check, static_str};
use crate::sys;
use crate::text::{json_string_object, take_library_string, to_cstring};

/// How the client authenticates (the `authMethod` option).
///
/// ```
/// assert_eq!(tether::AuthMethod::QueryParam.as_str(), "query-param");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// No authentication (the default).
    None,
    /// The token goes in a query parameter of the URL (`tokenParamName`).
    QueryParam,
    /// The first message carries the token (`authMessageTemplate`), optionally confirmed by a
    /// reply whose `type` is `authSuccessType`.
    FirstMessage,
    /// The token is offered as a `Sec-WebSocket-Protocol` value.
    Subprotocol,
}

impl AuthMethod {
    /// The option's text value.
    ///
    /// ```
    /// assert_eq!(tether::AuthMethod::FirstMessage.as_str(), "first-message");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::QueryParam => "query-param",
            AuthMethod::FirstMessage => "first-message",
            AuthMethod::Subprotocol => "subprotocol",
        }
    }
}

/// What [`MessageType::DEFAULT`](crate::MessageType::DEFAULT) sends mean (the `messageFormat`
/// option).
///
/// ```
/// assert_eq!(tether::MessageFormat::Json.as_str(), "json");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageFormat {
    /// Text frames that must hold JSON; validated on send (the default).
    Json,
    /// Text frames (UTF-8).
    Text,
    /// Binary frames.
    Binary,
}

impl MessageFormat {
    /// The option's text value.
    ///
    /// ```
    /// assert_eq!(tether::MessageFormat::Binary.as_str(), "binary");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MessageFormat::Json => "json",
            MessageFormat::Text => "text",
            MessageFormat::Binary => "binary",
        }
    }
}

/// The wire protocol of the connection manager (the `protocol` option): what
/// [`Client::subscribe`](crate::Client::subscribe), [`publish`](crate::Client::publish) and
/// [`request`](crate::Client::request) speak.
///
/// Usually set through a [`Provider`] preset, which also sets the authentication, query
/// parameters and subprotocols the provider's own clients use. An operation a protocol does not
/// have (publish in GraphQL, request in Pusher) fails with
/// [`Status::NOT_SUPPORTED`](crate::Status::NOT_SUPPORTED), and the message names the protocol
/// and the operation.
///
/// ```
/// use tether::Protocol;
/// assert_eq!(Protocol::Json.as_str(), "json");
/// assert_eq!(Protocol::GraphqlTransportWs.to_string(), "graphql-transport-ws");
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Protocol {
    /// No protocol (the default): messages go out and come in as they are; the connection
    /// manager's calls fail with [`Status::NOT_SUPPORTED`](crate::Status::NOT_SUPPORTED).
    #[default]
    Raw,
    /// The specification's JSON envelope `{type, channel, payload, id, timestamp}`: channels,
    /// publish and request/response.
    Json,
    /// Socket.IO 5 over Engine.IO 4 (`socketio`): a channel is an event name, publish emits
    /// an event, a request is an event with an acknowledgement. See [`Options::namespace`].
    SocketIo,
    /// GraphQL over WebSocket, the `graphql-ws` library's protocol (`graphql-transport-ws`):
    /// a channel is a subscription document, a request a query or mutation; no publish.
    GraphqlTransportWs,
    /// Apollo's legacy `subscriptions-transport-ws` protocol (`graphql-ws`): as
    /// [`GraphqlTransportWs`](Protocol::GraphqlTransportWs).
    GraphqlWs,
    /// ASP.NET Core SignalR's JSON hub protocol (`signalr`): a channel is a client method the
    /// hub calls, publish a non-blocking invocation, a request an invocation answered by its
    /// completion.
    SignalR,
    /// Phoenix Channels v2 (`phoenix`): a channel is a topic joined with `phx_join`; publish
    /// and request push `{"event","payload"}` to it (a request waits for the `phx_reply`).
    Phoenix,
    /// Pusher Channels protocol 7 (`pusher`): channels, and publish sends client events;
    /// no request.
    Pusher,
    /// Rails Action Cable (`actioncable`): a channel is a channel class (or its identifier
    /// object); publish performs an action; no request.
    ActionCable,
    /// Binance market streams (`binance`): a channel is a stream name, a request a method
    /// such as `LIST_SUBSCRIPTIONS`; no publish (the streams are read-only).
    Binance,
    /// AWS API Gateway WebSocket APIs (`aws-apigateway`): messages are routed by their
    /// `action` field (the channel), requests matched by a `requestId`.
    AwsApiGateway,
}

impl Protocol {
    /// Every protocol, in the order of the option schema's allowed values.
    ///
    /// ```
    /// assert!(tether::Protocol::ALL.contains(&tether::Protocol::SocketIo));
    /// ```
    pub const ALL: &[Protocol] = &[
        Protocol::Raw,
        Protocol::Json,
        Protocol::SocketIo,
        Protocol::GraphqlTransportWs,
        Protocol::GraphqlWs,
        Protocol::SignalR,
        Protocol::Phoenix,
        Protocol::Pusher,
        Protocol::ActionCable,
        Protocol::Binance,
        Protocol::AwsApiGateway,
    ];

    /// The option's text value, e.g. `"socketio"`.
    ///
    /// ```
    /// assert_eq!(tether::Protocol::Raw.as_str(), "raw");
    /// assert_eq!(tether::Protocol::AwsApiGateway.as_str(), "aws-apigateway");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Raw => "raw",
            Protocol::Json => "json",
            Protocol::SocketIo => "socketio",
            Protocol::GraphqlTransportWs => "graphql-transport-ws",
            Protocol::GraphqlWs => "graphql-ws",
            Protocol::SignalR => "signalr",
            Protocol::Phoenix => "phoenix",
            Protocol::Pusher => "pusher",
            Protocol::ActionCable => "actioncable",
            Protocol::Binance => "binance",
            Protocol::AwsApiGateway => "aws-apigateway",
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A provider preset (the `provider` option): sets `protocol`, `authMethod`,
/// `tokenParamName`, `subprotocols` and `queryParams` the way that provider's own client
/// library does.
///
/// A key the application sets itself, before or after the provider, keeps the application's
/// value; choosing another provider (or [`Provider::None`]) puts the previous preset's other
/// keys back to their defaults.
///
/// ```
/// use tether::{Options, Provider};
///
/// let mut options = Options::new();
/// options.provider(Provider::SocketIo)?;
/// assert_eq!(options.get("protocol")?, "socketio");
/// assert_eq!(options.get("authMethod")?, "first-message"); // the token goes in the CONNECT packet
/// options.provider(Provider::None)?;
/// assert_eq!(options.get("protocol")?, "raw");
/// # Ok::<(), tether::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// No preset (the default).
    #[default]
    None,
    /// Socket.IO: [`Protocol::SocketIo`], the token in the CONNECT packet's `auth`, `EIO=4` and
    /// `transport=websocket` in the URL.
    SocketIo,
    /// Pusher Channels: [`Protocol::Pusher`], `protocol=7` and the client's name in the URL.
    Pusher,
    /// Ably: protocol raw, the key in the `key` query parameter, `format=json`.
    Ably,
    /// Phoenix Channels: [`Protocol::Phoenix`], the token in `token`, `vsn=2.0.0`.
    Phoenix,
    /// Action Cable: [`Protocol::ActionCable`], the token in `token`, its subprotocols.
    ActionCable,
    /// SignalR: [`Protocol::SignalR`], the token in `access_token`.
    SignalR,
    /// GraphQL over WebSocket (`graphql-ws` library): [`Protocol::GraphqlTransportWs`], the
    /// token in `connection_init`.
    Graphql,
    /// Apollo's legacy subscriptions: [`Protocol::GraphqlWs`], the token in `connection_init`.
    Apollo,
    /// AWS API Gateway: [`Protocol::AwsApiGateway`], the token in `Authorization`.
    AwsApiGateway,
    /// Binance streams: [`Protocol::Binance`], no authentication.
    Binance,
    /// A plain echo server: protocol raw, no authentication.
    Echo,
}

impl Provider {
    /// Every provider, in the order of the option schema's allowed values.
    ///
    /// ```
    /// assert_eq!(tether::Provider::ALL[0], tether::Provider::None);
    /// ```
    pub const ALL: &[Provider] = &[
        Provider::None,
        Provider::SocketIo,
        Provider::Pusher,
        Provider::Ably,
        Provider::Phoenix,
        Provider::ActionCable,
        Provider::SignalR,
        Provider::Graphql,
        Provider::Apollo,
        Provider::AwsApiGateway,
        Provider::Binance,
        Provider::Echo,
    ];

    /// The option's text value, e.g. `"socketio"`.
    ///
    /// ```
    /// assert_eq!(tether::Provider::Graphql.as_str(), "graphql");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::None => "none",
            Provider::SocketIo => "socketio",
            Provider::Pusher => "pusher",
            Provider::Ably => "ably",
            Provider::Phoenix => "phoenix",
            Provider::ActionCable => "actioncable",
            Provider::SignalR => "signalr",
            Provider::Graphql => "graphql",
            Provider::Apollo => "apollo",
            Provider::AwsApiGateway => "aws-apigateway",
            Provider::Binance => "binance",
            Provider::Echo => "echo",
        }
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The options of a client, validated as they are set.
///
/// Every setter checks its value at once and returns `Err` naming the key when it does not
/// fit; on failure nothing changes. Setters return `&mut Self`, so they chain with `?`. A client
/// copies the options when it is created: later changes do not affect it.
///
/// ```
/// use std::time::Duration;
/// use tether::{AuthMethod, MessageFormat, Options};
///
/// # fn main() -> tether::Result<()> {
/// let mut options = Options::new();
/// options
///     .url("wss://example.com/socket")?
///     .message_format(MessageFormat::Text)?
///     .auth_method(AuthMethod::QueryParam)?
///     .auth_token("s3cret")?
///     .ping_interval(Duration::from_secs(15))?;
/// assert_eq!(options.get("pingInterval")?, "15000");
/// assert_eq!(options.get("authToken")?, "***"); // secrets never read back
/// # Ok(())
/// # }
/// ```
///
/// `Options` is [`Send`] but not [`Sync`]: the C object is not synchronised.
pub struct Options {
    raw: *mut sys::tether_options,
}

// SAFETY: a tether_options is plain data owned by this value; tether.h only asks that it be used
// from one thread at a time, which `&mut self` on every setter and the absence of `Sync` ensure.
unsafe impl Send for Options {}

impl Options {
    /// Options holding every default (no `url` yet: set one before creating a client).
    ///
    /// # Panics
    /// If the library cannot allocate the object, like any allocation failure in Rust.
    ///
    /// ```
    /// let options = tether::Options::new();
    /// assert_eq!(options.get("messageFormat").unwrap(), "json");
    /// ```
    pub fn new() -> Options {
        let mut raw = ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer.
        let status = unsafe { sys::tether_options_new(&mut raw) };
        if let Err(err) = check(status) {
            panic!("tether_options_new failed: {err}");
        }
        Options { raw }
    }

    /// Options from one JSON object, e.g. `{"url":"ws://...","pingInterval":30000}`.
    ///
    /// All keys are checked first: on failure the error names the first bad key.
    ///
    /// ```
    /// let options = tether::Options::from_json(r#"{"url":"ws://127.0.0.1:9/x","autoReconnect":false}"#)?;
    /// assert_eq!(options.get("autoReconnect")?, "false");
    /// assert!(tether::Options::from_json("{oops").is_err());
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn from_json(json: &str) -> Result<Options> {
        let mut options = Options::new();
        options.set_json(json)?;
        Ok(options)
    }

    /// Sets many options from one JSON object; all or nothing.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.set_json(r#"{"pingInterval":"1000","pongTimeout":500}"#)?;
    /// assert_eq!(options.get("pongTimeout")?, "500");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn set_json(&mut self, json: &str) -> Result<&mut Self> {
        let json = to_cstring("options JSON", json)?;
        // SAFETY: `self.raw` is live and used only through `&mut self`; the text is copied.
        check(unsafe { sys::tether_options_set_json(self.raw, json.as_ptr()) })?;
        Ok(self)
    }

    /// Sets one option by its key (the specification's camelCase name) from its text form:
    /// booleans `true`/`false`, decimal integers (milliseconds for durations), `headers` as a
    /// JSON object, everything else as text.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.set("maxQueuedMessages", "5000")?;
    /// let err = options.set("pingIntervall", "5").unwrap_err();
    /// assert_eq!(err.status, tether::Status::UNKNOWN_OPTION);
    /// assert!(err.message.contains("pingIntervall"));
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn set(&mut self, key: &str, value: &str) -> Result<&mut Self> {
        let key_c = to_cstring("option key", key)?;
        let value_c = to_cstring(&format!("value of option {key}"), value)?;
        // SAFETY: `self.raw` is live and used only through `&mut self`; both strings are copied.
        check(unsafe { sys::tether_options_set(self.raw, key_c.as_ptr(), value_c.as_ptr()) })?;
        Ok(self)
    }

    /// Reads one option's current value in its text form. Secret values (`authToken`) read as
    /// `"***"` when set and `""` when not.
    ///
    /// ```
    /// assert_eq!(tether::Options::new().get("reconnectDelay")?, "1000");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn get(&self, key: &str) -> Result<String> {
        let key = to_cstring("option key", key)?;
        let mut value: *mut c_char = ptr::null_mut();
        // SAFETY: valid out-pointer and key; `self.raw` is live.
        check(unsafe { sys::tether_options_get(&mut value, self.raw, key.as_ptr()) })?;
        // SAFETY: on success `value` is library-allocated text that we now own.
        Ok(unsafe { take_library_string(value) })
    }

    /// A JSON array describing every option: name, type, default, required, secret, allowed
    /// values, range and documentation; for rendering a settings form.
    ///
    /// ```
    /// assert!(tether::Options::schema_json().contains("\"pingInterval\""));
    /// ```
    pub fn schema_json() -> &'static str {
        // SAFETY: no arguments; returns static text.
        static_str(unsafe { sys::tether_options_schema_json() })
    }

    /// The raw handle, for calls through [`sys`](crate::sys). It stays owned by `self`.
    ///
    /// ```
    /// let options = tether::Options::new();
    /// assert!(!options.as_raw().is_null());
    /// ```
    pub fn as_raw(&self) -> *mut sys::tether_options {
        self.raw
    }

    fn set_duration(&mut self, key: &str, value: Duration) -> Result<&mut Self> {
        // Round up: a sub-millisecond duration must not become 0, which means "off" for some keys.
        self.set(key, &value.as_nanos().div_ceil(1_000_000).to_string())
    }

    fn set_bool(&mut self, key: &str, value: bool) -> Result<&mut Self> {
        self.set(key, if value { "true" } else { "false" })
    }

    fn set_path(&mut self, key: &str, value: &Path) -> Result<&mut Self> {
        self.set(key, &value.to_string_lossy())
    }
}

/// Typed setters, one per option key, in the order of the README's table.
impl Options {
    /// `url`: the `ws://` or `wss://` endpoint (required). IPv4, `[IPv6]` and DNS hosts; path
    /// and query are kept.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.url("ws://127.0.0.1:8080/echo")?;
    /// let err = options.url("http://example.com").unwrap_err();
    /// assert_eq!(err.status, tether::Status::BAD_URL);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn url(&mut self, url: &str) -> Result<&mut Self> {
        self.set("url", url)
    }

    /// `authMethod` (default [`AuthMethod::None`]).
    ///
    /// ```
    /// tether::Options::new().auth_method(tether::AuthMethod::Subprotocol)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_method(&mut self, method: AuthMethod) -> Result<&mut Self> {
        self.set("authMethod", method.as_str())
    }

    /// `messageFormat` (default [`MessageFormat::Json`]).
    ///
    /// ```
    /// tether::Options::new().message_format(tether::MessageFormat::Text)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn message_format(&mut self, format: MessageFormat) -> Result<&mut Self> {
        self.set("messageFormat", format.as_str())
    }

    /// `protocol`: the wire protocol of the connection manager (default [`Protocol::Raw`]).
    /// Set one other than raw to use [`Client::subscribe`](crate::Client::subscribe),
    /// [`publish`](crate::Client::publish) and [`request`](crate::Client::request). A
    /// [`provider`](Options::provider) preset sets it too; this setting wins over the preset.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.protocol(tether::Protocol::Json)?;
    /// assert_eq!(options.get("protocol")?, "json");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn protocol(&mut self, protocol: Protocol) -> Result<&mut Self> {
        self.set("protocol", protocol.as_str())
    }

    /// `provider`: a preset that sets `protocol`, `authMethod`, `tokenParamName`,
    /// `subprotocols` and `queryParams` as that provider's own clients do (default
    /// [`Provider::None`]). Keys you set yourself, before or after, keep your values.
    ///
    /// ```
    /// use tether::{AuthMethod, Options, Provider};
    ///
    /// let mut options = Options::new();
    /// options.auth_method(AuthMethod::QueryParam)?.provider(Provider::Graphql)?;
    /// assert_eq!(options.get("provider")?, "graphql");
    /// assert_eq!(options.get("protocol")?, "graphql-transport-ws"); // from the preset
    /// assert_eq!(options.get("subprotocols")?, "graphql-transport-ws");
    /// assert_eq!(options.get("authMethod")?, "query-param"); // set by the application: kept
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn provider(&mut self, provider: Provider) -> Result<&mut Self> {
        self.set("provider", provider.as_str())
    }

    /// `authToken`: secret; never shown in errors, events, stats or logs. Replace it on a live
    /// client with [`Client::set_token`](crate::Client::set_token).
    ///
    /// ```
    /// tether::Options::new().auth_token("s3cret")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_token(&mut self, token: &str) -> Result<&mut Self> {
        self.set("authToken", token)
    }

    /// `tokenParamName`: the query parameter of `query-param` auth (default `token`).
    ///
    /// ```
    /// tether::Options::new().token_param_name("access_token")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn token_param_name(&mut self, name: &str) -> Result<&mut Self> {
        self.set("tokenParamName", name)
    }

    /// `authMessageType`: `{{type}}` in the auth template (default `authenticate`).
    ///
    /// ```
    /// tether::Options::new().auth_message_type("auth")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_message_type(&mut self, message_type: &str) -> Result<&mut Self> {
        self.set("authMessageType", message_type)
    }

    /// `authMessageTemplate`: the first message of `first-message` auth, with `{{type}}` and
    /// `{{token}}` replaced (JSON-escaped). Default `{"type":"{{type}}","token":"{{token}}"}`.
    ///
    /// ```
    /// tether::Options::new().auth_message_template(r#"{"op":"login","key":"{{token}}"}"#)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_message_template(&mut self, template: &str) -> Result<&mut Self> {
        self.set("authMessageTemplate", template)
    }

    /// `authSuccessType`: the reply `type` that confirms `first-message` auth; empty (the
    /// default) means ready as soon as the auth message is written.
    ///
    /// ```
    /// tether::Options::new().auth_success_type("auth_ok")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_success_type(&mut self, reply_type: &str) -> Result<&mut Self> {
        self.set("authSuccessType", reply_type)
    }

    /// `authTimeout`: how long to wait for the `authSuccessType` reply (default 10 s).
    ///
    /// ```
    /// tether::Options::new().auth_timeout(std::time::Duration::from_secs(3))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auth_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.set_duration("authTimeout", timeout)
    }

    /// `subprotocols`: offered in `Sec-WebSocket-Protocol`; the negotiated one arrives with
    /// [`Event::Open`](crate::Event::Open).
    ///
    /// ```
    /// tether::Options::new().subprotocols(["graphql-transport-ws", "graphql-ws"])?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn subprotocols<I, S>(&mut self, protocols: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = protocols.into_iter().map(|p| p.as_ref().to_owned()).collect();
        self.set("subprotocols", &joined.join(","))
    }

    /// `pingInterval`: WebSocket ping interval (default 30 s); zero turns keep-alive off.
    ///
    /// ```
    /// tether::Options::new().ping_interval(std::time::Duration::ZERO)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn ping_interval(&mut self, interval: Duration) -> Result<&mut Self> {
        self.set_duration("pingInterval", interval)
    }

    /// `pongTimeout`: no pong within it means the peer is dead and the reconnect policy applies
    /// (default 5 s).
    ///
    /// ```
    /// tether::Options::new().pong_timeout(std::time::Duration::from_secs(2))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn pong_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.set_duration("pongTimeout", timeout)
    }

    /// `autoReconnect` (default `true`).
    ///
    /// ```
    /// tether::Options::new().auto_reconnect(false)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn auto_reconnect(&mut self, enabled: bool) -> Result<&mut Self> {
        self.set_bool("autoReconnect", enabled)
    }

    /// `maxReconnectAttempts`: consecutive failed attempts before giving up (default 10);
    /// `0` means unlimited. A successful open resets the count.
    ///
    /// ```
    /// tether::Options::new().max_reconnect_attempts(0)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_reconnect_attempts(&mut self, attempts: u32) -> Result<&mut Self> {
        self.set("maxReconnectAttempts", &attempts.to_string())
    }

    /// `reconnectDelay`: base of the exponential backoff with full jitter (default 1 s).
    ///
    /// ```
    /// tether::Options::new().reconnect_delay(std::time::Duration::from_millis(250))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn reconnect_delay(&mut self, delay: Duration) -> Result<&mut Self> {
        self.set_duration("reconnectDelay", delay)
    }

    /// `maxReconnectDelay`: cap of the backoff (default 30 s).
    ///
    /// ```
    /// tether::Options::new().max_reconnect_delay(std::time::Duration::from_secs(10))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_reconnect_delay(&mut self, delay: Duration) -> Result<&mut Self> {
        self.set_duration("maxReconnectDelay", delay)
    }

    /// `connectTimeout`: DNS + TCP (+ proxy) (default 10 s).
    ///
    /// ```
    /// tether::Options::new().connect_timeout(std::time::Duration::from_secs(3))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn connect_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.set_duration("connectTimeout", timeout)
    }

    /// `handshakeTimeout`: TLS + WebSocket handshake (default 10 s).
    ///
    /// ```
    /// tether::Options::new().handshake_timeout(std::time::Duration::from_secs(3))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn handshake_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.set_duration("handshakeTimeout", timeout)
    }

    /// `closeTimeout`: a close always ends within it, whatever the peer does (default 5 s).
    ///
    /// ```
    /// tether::Options::new().close_timeout(std::time::Duration::from_secs(1))?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn close_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        self.set_duration("closeTimeout", timeout)
    }

    /// `maxMessageSize` in bytes (default 16 MiB): a larger incoming message closes with 1009,
    /// a larger outgoing one is refused.
    ///
    /// ```
    /// tether::Options::new().max_message_size(1 << 20)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_message_size(&mut self, bytes: u64) -> Result<&mut Self> {
        self.set("maxMessageSize", &bytes.to_string())
    }

    /// `queueWhileOffline` (default `true`): queue sends made while not ready; when `false`
    /// such sends fail with [`Status::NOT_CONNECTED`](crate::Status::NOT_CONNECTED).
    ///
    /// ```
    /// tether::Options::new().queue_while_offline(false)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn queue_while_offline(&mut self, enabled: bool) -> Result<&mut Self> {
        self.set_bool("queueWhileOffline", enabled)
    }

    /// `maxQueuedMessages`: message bound of the outgoing queue (default 1000).
    ///
    /// ```
    /// tether::Options::new().max_queued_messages(10_000)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_queued_messages(&mut self, messages: u64) -> Result<&mut Self> {
        self.set("maxQueuedMessages", &messages.to_string())
    }

    /// `maxQueuedBytes`: byte bound of the outgoing queue (default 16 MiB).
    ///
    /// ```
    /// tether::Options::new().max_queued_bytes(64 << 20)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_queued_bytes(&mut self, bytes: u64) -> Result<&mut Self> {
        self.set("maxQueuedBytes", &bytes.to_string())
    }

    /// `maxPollQueue`: in poll mode, reading pauses while this many events wait (default 10000).
    ///
    /// ```
    /// tether::Options::new().max_poll_queue(100)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn max_poll_queue(&mut self, events: u64) -> Result<&mut Self> {
        self.set("maxPollQueue", &events.to_string())
    }

    /// `headers`: extra headers of the upgrade request. Replaces earlier headers.
    ///
    /// ```
    /// tether::Options::new().headers([("Origin", "https://example.com"), ("X-Team", "blue")])?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn headers<I, K, V>(&mut self, headers: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.set("headers", &json_string_object(headers))
    }

    /// `userAgent` (default `tether/<version>`).
    ///
    /// ```
    /// tether::Options::new().user_agent("my-app/1.0")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn user_agent(&mut self, user_agent: &str) -> Result<&mut Self> {
        self.set("userAgent", user_agent)
    }

    /// `perMessageDeflate`: offer permessage-deflate, RFC 7692 (default `false`).
    ///
    /// ```
    /// tether::Options::new().per_message_deflate(true)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn per_message_deflate(&mut self, enabled: bool) -> Result<&mut Self> {
        self.set_bool("perMessageDeflate", enabled)
    }

    /// `proxy`: an HTTP CONNECT proxy, `http://[user:password@]host[:port]`.
    ///
    /// ```
    /// tether::Options::new().proxy("http://127.0.0.1:3128")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn proxy(&mut self, proxy_url: &str) -> Result<&mut Self> {
        self.set("proxy", proxy_url)
    }

    /// `caFile`: PEM CAs to trust instead of the system store.
    ///
    /// ```
    /// tether::Options::new().ca_file("/etc/my-app/ca.pem")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn ca_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        self.set_path("caFile", path.as_ref())
    }

    /// `clientCertFile`: client certificate (PEM) for mutual TLS.
    ///
    /// ```
    /// tether::Options::new().client_cert_file("client.pem")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn client_cert_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        self.set_path("clientCertFile", path.as_ref())
    }

    /// `clientKeyFile`: the key (PEM) of the client certificate.
    ///
    /// ```
    /// tether::Options::new().client_key_file("client.key")?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn client_key_file(&mut self, path: impl AsRef<Path>) -> Result<&mut Self> {
        self.set_path("clientKeyFile", path.as_ref())
    }

    /// `insecureSkipTlsVerify`: DANGEROUS, no certificate or host-name check (default `false`).
    ///
    /// ```
    /// tether::Options::new().insecure_skip_tls_verify(false)?;
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn insecure_skip_tls_verify(&mut self, skip: bool) -> Result<&mut Self> {
        self.set_bool("insecureSkipTlsVerify", skip)
    }

    /// `namespace`: the Socket.IO namespace to join, `/` (the default) or `/name`; only
    /// [`Protocol::SocketIo`] uses it. A namespace the server does not have is refused like
    /// bad credentials: an [`Event::Error`](crate::Event::Error) with
    /// [`Status::AUTH`](crate::Status::AUTH) and no reconnect.
    ///
    /// ```
    /// use tether::{Options, Provider};
    ///
    /// let mut options = Options::new();
    /// options.url("ws://127.0.0.1:3000/socket.io/")?.provider(Provider::SocketIo)?.namespace("/admin")?;
    /// assert_eq!(options.get("namespace")?, "/admin");
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn namespace(&mut self, namespace: &str) -> Result<&mut Self> {
        self.set("namespace", namespace)
    }

    /// `queryParams`: query parameters added to the URL at connect (default none). A
    /// parameter the URL already has keeps the URL's value. Replaces earlier query parameters,
    /// the ones a [`provider`](Options::provider) preset sets included (Socket.IO's `EIO=4`,
    /// Pusher's `protocol=7`...): repeat those you still need.
    ///
    /// ```
    /// let mut options = tether::Options::new();
    /// options.url("wss://example.com/stream")?.query_params([("format", "json"), ("v", "1.2")])?;
    /// assert_eq!(options.get("queryParams")?, r#"{"format":"json","v":"1.2"}"#);
    /// # Ok::<(), tether::Error>(())
    /// ```
    pub fn query_params<I, K, V>(&mut self, params: I) -> Result<&mut Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.set("queryParams", &json_string_object(params))
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new()
    }
}

impl Drop for Options {
    fn drop(&mut self) {
        // SAFETY: `self.raw` came from tether_options_new and is destroyed once, here.
        unsafe { sys::tether_options_destroy(self.raw) };
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // No values: a URL may carry credentials, and `get` reads any key on demand.
        f.debug_struct("Options").finish_non_exhaustive()
    }
}
