//! Raw declarations mirroring `tether.h` one to one: every function, type and constant, with the
//! header's names.
//!
//! Everything here is `unsafe` to call and follows the C contract documented in `tether.h`
//! (threading, ownership, `tether_free` for library-allocated memory). Prefer the safe layer at
//! the crate root; this module is for what it does not cover yet.
//!
//! ```
//! use std::ffi::CStr;
//! // SAFETY: tether_version takes no arguments and returns static text.
//! let version = unsafe { CStr::from_ptr(tether::sys::tether_version()) };
//! assert!(version.to_str().unwrap().starts_with("0."));
//! ```
#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_int, c_void};

// ---- version -----------------------------------------------------------------------------------

/// Compile-time major version of the header this module mirrors.
pub const TETHER_VERSION_MAJOR: c_int = 0;
/// Compile-time minor version of the header this module mirrors.
pub const TETHER_VERSION_MINOR: c_int = 1;
/// Compile-time patch version of the header this module mirrors.
pub const TETHER_VERSION_PATCH: c_int = 0;
/// `MAJOR * 10000 + MINOR * 100 + PATCH`.
pub const TETHER_VERSION_NUMBER: c_int =
    TETHER_VERSION_MAJOR * 10000 + TETHER_VERSION_MINOR * 100 + TETHER_VERSION_PATCH;

// ---- status codes ------------------------------------------------------------------------------

/// `tether_status`: `TETHER_OK` (0) or a negative, permanent error code.
pub type tether_status = i32;

/// Success.
pub const TETHER_OK: tether_status = 0;
/// A NULL pointer, bad length or out-of-range number.
pub const TETHER_E_INVALID_ARGUMENT: tether_status = -1;
/// No option has that key.
pub const TETHER_E_UNKNOWN_OPTION: tether_status = -2;
/// The value does not fit the option's type or range.
pub const TETHER_E_BAD_OPTION_VALUE: tether_status = -3;
/// The URL is malformed or not ws:// / wss://.
pub const TETHER_E_BAD_URL: tether_status = -4;
/// An allocation failed.
pub const TETHER_E_NO_MEMORY: tether_status = -5;
/// The call does not fit the client's state.
pub const TETHER_E_BAD_STATE: tether_status = -6;
/// The outgoing queue is at its message or byte limit.
pub const TETHER_E_QUEUE_FULL: tether_status = -7;
/// Not ready and queueing while offline is off.
pub const TETHER_E_NOT_CONNECTED: tether_status = -8;
/// A wait, connect, handshake or auth timed out.
pub const TETHER_E_TIMEOUT: tether_status = -9;
/// A blocking call was made on a library I/O thread.
pub const TETHER_E_WOULD_DEADLOCK: tether_status = -10;
/// Text that must be JSON is not.
pub const TETHER_E_INVALID_JSON: tether_status = -11;
/// Text that must be UTF-8 is not.
pub const TETHER_E_INVALID_UTF8: tether_status = -12;
/// The host name could not be resolved.
pub const TETHER_E_DNS: tether_status = -13;
/// The TCP connection failed (refused, unreachable).
pub const TETHER_E_CONNECT: tether_status = -14;
/// TLS failed: certificate, host name or handshake.
pub const TETHER_E_TLS: tether_status = -15;
/// The HTTP upgrade was refused or malformed.
pub const TETHER_E_HANDSHAKE: tether_status = -16;
/// The server refused the credentials.
pub const TETHER_E_AUTH: tether_status = -17;
/// The HTTP CONNECT proxy refused or failed.
pub const TETHER_E_PROXY: tether_status = -18;
/// The peer broke the WebSocket protocol.
pub const TETHER_E_PROTOCOL: tether_status = -19;
/// A message exceeded maxMessageSize.
pub const TETHER_E_MESSAGE_TOO_BIG: tether_status = -20;
/// The connection or client is closed.
pub const TETHER_E_CLOSED: tether_status = -21;
/// No pong within pongTimeout: the peer is dead.
pub const TETHER_E_PONG_TIMEOUT: tether_status = -22;
/// A socket read or write failed.
pub const TETHER_E_IO: tether_status = -23;
/// The operation is not supported here.
pub const TETHER_E_NOT_SUPPORTED: tether_status = -24;
/// A bug in tether; the message says where.
pub const TETHER_E_INTERNAL: tether_status = -25;
/// The operation was cancelled by close or destroy.
pub const TETHER_E_CANCELLED: tether_status = -26;
/// The server answered a request or subscription with an error (the text says what it said).
pub const TETHER_E_REMOTE: tether_status = -27;

// ---- opaque handles ----------------------------------------------------------------------------

/// Opaque runtime (owns the I/O threads).
#[repr(C)]
pub struct tether_runtime {
    _private: [u8; 0],
}

/// Opaque, unsynchronised options object.
#[repr(C)]
pub struct tether_options {
    _private: [u8; 0],
}

/// Opaque event, borrowed in a callback or owned after `tether_client_poll`.
#[repr(C)]
pub struct tether_event {
    _private: [u8; 0],
}

/// Opaque client.
#[repr(C)]
pub struct tether_client {
    _private: [u8; 0],
}

// ---- event types, states, message types, modes --------------------------------------------------

/// POLL mode only: the queue became non-empty.
pub const TETHER_EVENT_READY: i32 = 0;
/// Ready to use (authenticated). text = subprotocol.
pub const TETHER_EVENT_OPEN: i32 = 1;
/// A message. data/size, message_type.
pub const TETHER_EVENT_MESSAGE: i32 = 2;
/// The connection closed. code, text = reason, was_clean.
pub const TETHER_EVENT_CLOSE: i32 = 3;
/// A failure. status, text = message.
pub const TETHER_EVENT_ERROR: i32 = 4;
/// The state changed. state, previous_state.
pub const TETHER_EVENT_STATE: i32 = 5;
/// A reconnect is scheduled. attempt, delay_ms.
pub const TETHER_EVENT_RECONNECT: i32 = 6;
/// A message with a non-zero id was written. id.
pub const TETHER_EVENT_SENT: i32 = 7;
/// A queued message will never be sent. id, status, text.
pub const TETHER_EVENT_SEND_FAILED: i32 = 8;
/// The outgoing queue became empty after backpressure.
pub const TETHER_EVENT_DRAINED: i32 = 9;
/// A message on a subscribed channel: id = subscription, channel, data = payload JSON.
pub const TETHER_EVENT_CHANNEL_MESSAGE: i32 = 10;
/// The outcome of `tether_client_request`: id = the caller's, data = result JSON (status OK), or
/// status `TETHER_E_REMOTE` (data = the error JSON), `_TIMEOUT` or `_CLOSED` with text.
pub const TETHER_EVENT_RESPONSE: i32 = 11;
/// The server confirmed a subscription: id, channel.
pub const TETHER_EVENT_SUBSCRIBED: i32 = 12;
/// The server refused a subscription, which is removed: id, channel, status, text.
pub const TETHER_EVENT_SUBSCRIBE_FAILED: i32 = 13;

/// Not connected.
pub const TETHER_STATE_DISCONNECTED: i32 = 0;
/// TCP, TLS and WebSocket handshakes in progress.
pub const TETHER_STATE_CONNECTING: i32 = 1;
/// WebSocket open, not yet ready.
pub const TETHER_STATE_CONNECTED: i32 = 2;
/// The first-message auth was sent; awaiting the reply.
pub const TETHER_STATE_AUTHENTICATING: i32 = 3;
/// Ready to use.
pub const TETHER_STATE_AUTHENTICATED: i32 = 4;
/// Waiting for the next reconnect attempt.
pub const TETHER_STATE_RECONNECTING: i32 = 5;
/// Failed for good (no reconnect will follow).
pub const TETHER_STATE_ERROR: i32 = 6;

/// For send: text or binary as messageFormat says.
pub const TETHER_MESSAGE_DEFAULT: i32 = 0;
/// A text message.
pub const TETHER_MESSAGE_TEXT: i32 = 1;
/// A binary message.
pub const TETHER_MESSAGE_BINARY: i32 = 2;

/// Events go to the callback.
pub const TETHER_MODE_CALLBACK: i32 = 0;
/// Events go to a queue drained with `tether_client_poll`.
pub const TETHER_MODE_POLL: i32 = 1;

/// Receives events (CALLBACK mode) or the READY signal (POLL mode), on a library I/O thread.
pub type tether_event_cb = Option<unsafe extern "C" fn(ev: *const tether_event, user_data: *mut c_void)>;

/// Runs exactly once, after the last callback of a destroyed client.
pub type tether_release_cb = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

unsafe extern "C" {
    // ---- version, status, memory -----------------------------------------------------------

    /// The run-time version, "MAJOR.MINOR.PATCH". Static, never NULL.
    pub fn tether_version() -> *const c_char;
    /// Static English text for a status. Never NULL.
    pub fn tether_status_str(status: tether_status) -> *const c_char;
    /// The symbolic name of a status ("TETHER_E_QUEUE_FULL"). Never NULL.
    pub fn tether_status_name(status: tether_status) -> *const c_char;
    /// Thread-local detail about the last failed call on this thread; never NULL.
    pub fn tether_last_error_message() -> *const c_char;
    /// Releases memory the library allocated for the caller. NULL is fine.
    pub fn tether_free(ptr: *mut c_void);

    // ---- runtime ---------------------------------------------------------------------------

    /// Creates a runtime with `threads` (1 to 64) I/O threads.
    pub fn tether_runtime_new(out: *mut *mut tether_runtime, threads: i32) -> tether_status;
    /// Drops the caller's reference to a runtime. Never blocks. NULL is fine.
    pub fn tether_runtime_destroy(runtime: *mut tether_runtime);

    // ---- options ---------------------------------------------------------------------------

    /// Creates an options object holding every default.
    pub fn tether_options_new(out: *mut *mut tether_options) -> tether_status;
    /// Destroys an options object. NULL is fine.
    pub fn tether_options_destroy(options: *mut tether_options);
    /// Sets one option from its text form.
    pub fn tether_options_set(
        options: *mut tether_options,
        key: *const c_char,
        value: *const c_char,
    ) -> tether_status;
    /// Sets many options from one JSON object; all or nothing.
    pub fn tether_options_set_json(options: *mut tether_options, json: *const c_char) -> tether_status;
    /// Reads one option's value as text, to release with `tether_free`.
    pub fn tether_options_get(
        out_value: *mut *mut c_char,
        options: *const tether_options,
        key: *const c_char,
    ) -> tether_status;
    /// Describes every option as a JSON array. Static, never NULL.
    pub fn tether_options_schema_json() -> *const c_char;

    // ---- events ----------------------------------------------------------------------------

    /// The event's type, a `TETHER_EVENT_*` value.
    pub fn tether_event_type(ev: *const tether_event) -> i32;
    /// The payload of a MESSAGE, CHANNEL_MESSAGE or RESPONSE event (owned by the event), else
    /// NULL with `*size = 0`.
    pub fn tether_event_data(ev: *const tether_event, size: *mut usize) -> *const u8;
    /// `TETHER_MESSAGE_TEXT` or `TETHER_MESSAGE_BINARY` for events with data, else 0.
    pub fn tether_event_message_type(ev: *const tether_event) -> i32;
    /// Subprotocol (OPEN), reason (CLOSE), message (ERROR, SEND_FAILED); "" when none.
    pub fn tether_event_text(ev: *const tether_event) -> *const c_char;
    /// The close code of a CLOSE event, else 0.
    pub fn tether_event_code(ev: *const tether_event) -> i32;
    /// 1 when a CLOSE event followed a complete closing handshake, else 0.
    pub fn tether_event_was_clean(ev: *const tether_event) -> i32;
    /// The status of an ERROR, SEND_FAILED or CLOSE event, else `TETHER_OK`.
    pub fn tether_event_status(ev: *const tether_event) -> tether_status;
    /// The new state of a STATE event, else the state when the event was made.
    pub fn tether_event_state(ev: *const tether_event) -> i32;
    /// The previous state of a STATE event, else the same as `tether_event_state`.
    pub fn tether_event_previous_state(ev: *const tether_event) -> i32;
    /// The attempt number of a RECONNECT event, else 0.
    pub fn tether_event_attempt(ev: *const tether_event) -> i32;
    /// The delay of a RECONNECT event in milliseconds, else 0.
    pub fn tether_event_delay_ms(ev: *const tether_event) -> i64;
    /// The caller-chosen id of a SENT, SEND_FAILED or RESPONSE event, or the subscription of a
    /// CHANNEL_MESSAGE, SUBSCRIBED or SUBSCRIBE_FAILED event; else 0.
    pub fn tether_event_id(ev: *const tether_event) -> u64;
    /// The channel of a CHANNEL_MESSAGE, SUBSCRIBED or SUBSCRIBE_FAILED event (owned by the
    /// event); "" for other events.
    pub fn tether_event_channel(ev: *const tether_event) -> *const c_char;
    /// Releases a polled event. NULL is fine; never pass a borrowed event.
    pub fn tether_event_destroy(ev: *mut tether_event);
    /// Static name of an event type ("message"), never NULL.
    pub fn tether_event_type_str(event_type: i32) -> *const c_char;
    /// Static name of a state ("authenticated"), never NULL.
    pub fn tether_state_str(state: i32) -> *const c_char;

    // ---- client ----------------------------------------------------------------------------

    /// Creates a client; it does not connect until `tether_client_connect`.
    pub fn tether_client_new(
        out: *mut *mut tether_client,
        runtime: *mut tether_runtime,
        options: *const tether_options,
        mode: i32,
        on_event: tether_event_cb,
        release_user_data: tether_release_cb,
        user_data: *mut c_void,
    ) -> tether_status;
    /// Destroys a client. Never blocks; any thread, including inside its own callback.
    pub fn tether_client_destroy(client: *mut tether_client);
    /// Starts connecting. Returns at once.
    pub fn tether_client_connect(client: *mut tether_client) -> tether_status;
    /// Queues one message. Never blocks.
    pub fn tether_client_send(
        client: *mut tether_client,
        message_type: i32,
        data: *const c_void,
        size: usize,
        id: u64,
    ) -> tether_status;
    /// Closes gracefully; a CLOSE event follows within closeTimeout.
    pub fn tether_client_close(client: *mut tether_client, code: i32, reason: *const c_char)
    -> tether_status;
    /// Takes the next event from a POLL-mode client (owned: `tether_event_destroy`).
    pub fn tether_client_poll(
        client: *mut tether_client,
        timeout_ms: i32,
        out_event: *mut *mut tether_event,
    ) -> tether_status;
    /// Takes the first event like `tether_client_poll`, then those queued behind it, up to
    /// `max_events` in all, into `out_events[0 .. *out_count]` (each owned: `tether_event_destroy`).
    pub fn tether_client_poll_many(
        client: *mut tether_client,
        timeout_ms: i32,
        out_events: *mut *mut tether_event,
        max_events: usize,
        out_count: *mut usize,
    ) -> tether_status;
    /// Replaces the token used by the next (re)connect. NULL or "" clears it.
    pub fn tether_client_set_token(client: *mut tether_client, token: *const c_char) -> tether_status;
    /// The current state, a `TETHER_STATE_*` value.
    pub fn tether_client_state(out_state: *mut i32, client: *const tether_client) -> tether_status;
    /// Messages and bytes waiting in the outgoing queue.
    pub fn tether_client_buffered(
        out_messages: *mut u64,
        out_bytes: *mut u64,
        client: *const tether_client,
    ) -> tether_status;
    /// A statistics snapshot as JSON, to release with `tether_free`.
    pub fn tether_client_stats_json(
        out_json: *mut *mut c_char,
        client: *const tether_client,
    ) -> tether_status;

    // ---- connection manager: channels and requests -------------------------------------------

    /// Subscribes to a channel (protocol json); the id (never 0) goes to `*out_subscription`.
    /// `params_json` is NULL or JSON sent along with the subscription.
    pub fn tether_client_subscribe(
        out_subscription: *mut u64,
        client: *mut tether_client,
        channel: *const c_char,
        params_json: *const c_char,
    ) -> tether_status;
    /// Ends a subscription; `TETHER_E_INVALID_ARGUMENT` when no live one has that id.
    pub fn tether_client_unsubscribe(client: *mut tether_client, subscription: u64) -> tether_status;
    /// Publishes JSON to a channel, queued in order with sends; `id` as with `tether_client_send`.
    pub fn tether_client_publish(
        client: *mut tether_client,
        channel: *const c_char,
        payload_json: *const c_char,
        id: u64,
    ) -> tether_status;
    /// Sends a request; exactly one RESPONSE event with `id` follows. `timeout_ms` 0 = none.
    pub fn tether_client_request(
        client: *mut tether_client,
        method: *const c_char,
        params_json: *const c_char,
        timeout_ms: i32,
        id: u64,
    ) -> tether_status;

    // ---- message utilities -----------------------------------------------------------------

    /// Builds `{"type","payload","id","timestamp"}`, to release with `tether_free`.
    pub fn tether_message_create(
        out_json: *mut *mut c_char,
        message_type: *const c_char,
        payload_json: *const c_char,
        id: *const c_char,
    ) -> tether_status;
    /// Parses a received message into the envelope, to release with `tether_free`.
    pub fn tether_message_parse(
        out_json: *mut *mut c_char,
        data: *const c_void,
        size: usize,
    ) -> tether_status;
    /// The meaning of a WebSocket close code. Static, never NULL.
    pub fn tether_close_code_str(code: i32) -> *const c_char;
}
