//! Status codes and the crate's error type.

use std::ffi::{CStr, c_char};
use std::fmt;

use crate::sys;

/// A `tether_status`: 0 for success or a negative, permanent code.
///
/// Kept as an integer with named constants (not a Rust enum) so that codes added by a newer
/// library still round-trip.
///
/// ```
/// use tether::Status;
/// assert_eq!(Status::QUEUE_FULL.name(), "TETHER_E_QUEUE_FULL");
/// assert_eq!(Status(-7), Status::QUEUE_FULL);
/// assert!(Status::OK.is_ok());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Status(pub i32);

impl Status {
    /// Success.
    pub const OK: Status = Status(sys::TETHER_OK);
    /// A NULL pointer, bad length or out-of-range number.
    pub const INVALID_ARGUMENT: Status = Status(sys::TETHER_E_INVALID_ARGUMENT);
    /// No option has that key.
    pub const UNKNOWN_OPTION: Status = Status(sys::TETHER_E_UNKNOWN_OPTION);
    /// The value does not fit the option's type or range.
    pub const BAD_OPTION_VALUE: Status = Status(sys::TETHER_E_BAD_OPTION_VALUE);
    /// The URL is malformed or not ws:// / wss://.
    pub const BAD_URL: Status = Status(sys::TETHER_E_BAD_URL);
    /// An allocation failed.
    pub const NO_MEMORY: Status = Status(sys::TETHER_E_NO_MEMORY);
    /// The call does not fit the client's state.
    pub const BAD_STATE: Status = Status(sys::TETHER_E_BAD_STATE);
    /// The outgoing queue is at its message or byte limit.
    pub const QUEUE_FULL: Status = Status(sys::TETHER_E_QUEUE_FULL);
    /// Not ready and queueing while offline is off.
    pub const NOT_CONNECTED: Status = Status(sys::TETHER_E_NOT_CONNECTED);
    /// A wait, connect, handshake or auth timed out.
    pub const TIMEOUT: Status = Status(sys::TETHER_E_TIMEOUT);
    /// A blocking call was made on a library I/O thread.
    pub const WOULD_DEADLOCK: Status = Status(sys::TETHER_E_WOULD_DEADLOCK);
    /// Text that must be JSON is not.
    pub const INVALID_JSON: Status = Status(sys::TETHER_E_INVALID_JSON);
    /// Text that must be UTF-8 is not.
    pub const INVALID_UTF8: Status = Status(sys::TETHER_E_INVALID_UTF8);
    /// The host name could not be resolved.
    pub const DNS: Status = Status(sys::TETHER_E_DNS);
    /// The TCP connection failed (refused, unreachable).
    pub const CONNECT: Status = Status(sys::TETHER_E_CONNECT);
    /// TLS failed: certificate, host name or handshake.
    pub const TLS: Status = Status(sys::TETHER_E_TLS);
    /// The HTTP upgrade was refused or malformed.
    pub const HANDSHAKE: Status = Status(sys::TETHER_E_HANDSHAKE);
    /// The server refused the credentials.
    pub const AUTH: Status = Status(sys::TETHER_E_AUTH);
    /// The HTTP CONNECT proxy refused or failed.
    pub const PROXY: Status = Status(sys::TETHER_E_PROXY);
    /// The peer broke the WebSocket protocol.
    pub const PROTOCOL: Status = Status(sys::TETHER_E_PROTOCOL);
    /// A message exceeded maxMessageSize.
    pub const MESSAGE_TOO_BIG: Status = Status(sys::TETHER_E_MESSAGE_TOO_BIG);
    /// The connection or client is closed.
    pub const CLOSED: Status = Status(sys::TETHER_E_CLOSED);
    /// No pong within pongTimeout: the peer is dead.
    pub const PONG_TIMEOUT: Status = Status(sys::TETHER_E_PONG_TIMEOUT);
    /// A socket read or write failed.
    pub const IO: Status = Status(sys::TETHER_E_IO);
    /// The operation is not supported here.
    pub const NOT_SUPPORTED: Status = Status(sys::TETHER_E_NOT_SUPPORTED);
    /// A bug in tether; the message says where.
    pub const INTERNAL: Status = Status(sys::TETHER_E_INTERNAL);
    /// The operation was cancelled by close or destroy.
    pub const CANCELLED: Status = Status(sys::TETHER_E_CANCELLED);
    /// The server answered a request or subscription with an error (the message says what it
    /// said).
    pub const REMOTE: Status = Status(sys::TETHER_E_REMOTE);

    /// `true` for [`Status::OK`].
    ///
    /// ```
    /// assert!(!tether::Status::TIMEOUT.is_ok());
    /// ```
    pub fn is_ok(self) -> bool {
        self == Status::OK
    }

    /// The symbolic name, e.g. `"TETHER_E_BAD_URL"`; `"TETHER_E_UNKNOWN"` for unknown codes.
    ///
    /// ```
    /// assert_eq!(tether::Status::BAD_URL.name(), "TETHER_E_BAD_URL");
    /// ```
    pub fn name(self) -> &'static str {
        // SAFETY: tether_status_name accepts any code and returns static text.
        static_str(unsafe { sys::tether_status_name(self.0) })
    }

    /// Static English text, e.g. `"queue full"`; `"unknown status"` for unknown codes.
    ///
    /// ```
    /// assert!(!tether::Status::QUEUE_FULL.description().is_empty());
    /// ```
    pub fn description(self) -> &'static str {
        // SAFETY: tether_status_str accepts any code and returns static text.
        static_str(unsafe { sys::tether_status_str(self.0) })
    }
}

impl fmt::Debug for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A failed tether call: its [`Status`] and the library's detail message.
///
/// `Display` shows both, e.g. `TETHER_E_UNKNOWN_OPTION: unknown option "pingIntervall"`.
///
/// ```
/// let err = tether::Options::new().set("noSuchKey", "1").unwrap_err();
/// assert_eq!(err.status, tether::Status::UNKNOWN_OPTION);
/// assert!(err.to_string().starts_with("TETHER_E_UNKNOWN_OPTION: "));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub status: Status,
    /// The library's detail: names the option key, the part of the URL, the state...
    pub message: String,
}

impl Error {
    /// An error with a status and a message of your own (for code that wraps this crate).
    ///
    /// ```
    /// let err = tether::Error::new(tether::Status::TIMEOUT, "no reply in 5 s");
    /// assert_eq!(err.to_string(), "TETHER_E_TIMEOUT: no reply in 5 s");
    /// ```
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    /// The error for a failed call on this thread: `status` plus `tether_last_error_message()`.
    /// Call it right after the failing call, before any other tether call on this thread.
    pub(crate) fn last(status: i32) -> Error {
        // SAFETY: never NULL; valid until the next tether call on this thread, and copied now.
        let detail = unsafe { CStr::from_ptr(sys::tether_last_error_message()) };
        let mut message = detail.to_string_lossy().into_owned();
        if message.is_empty() {
            message = Status(status).description().to_owned();
        }
        Error { status: Status(status), message }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
///
/// ```
/// fn connect() -> tether::Result<tether::Options> {
///     let mut options = tether::Options::new();
///     options.url("ws://127.0.0.1:8080/echo")?;
///     Ok(options)
/// }
/// assert!(connect().is_ok());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns a status into `Ok(())` or the [`Error`] of the calling thread's last failure.
pub(crate) fn check(status: i32) -> Result<()> {
    if status == sys::TETHER_OK { Ok(()) } else { Err(Error::last(status)) }
}

/// Borrows static text from the library (status names, state names, close code meanings).
pub(crate) fn static_str(ptr: *const c_char) -> &'static str {
    if ptr.is_null() {
        return "";
    }
    // SAFETY: the callers only pass pointers the header documents as static, NUL-terminated text.
    unsafe { CStr::from_ptr(ptr) }.to_str().unwrap_or("")
}
