//! The specification's message utilities: `createMessage`, `parseMessage`, `getCloseReason`.

use std::ffi::c_char;
use std::ptr;

use crate::error::{Result, check, static_str};
use crate::sys;
use crate::text::{take_library_string, to_cstring};

/// Builds the envelope `{"type":…,"payload":…,"id":…,"timestamp":<ms since epoch>}` as JSON.
///
/// `payload_json` is JSON text (validated) or `None` for `null`; `id` is omitted when `None`.
///
/// ```
/// let json = tether::create_message("chat", Some(r#"{"text":"hi"}"#), Some("42"))?;
/// assert!(json.starts_with(r#"{"type":"chat","payload":{"text":"hi"},"id":"42","timestamp":"#));
/// let err = tether::create_message("chat", Some("{oops"), None).unwrap_err();
/// assert_eq!(err.status, tether::Status::INVALID_JSON);
/// # Ok::<(), tether::Error>(())
/// ```
pub fn create_message(message_type: &str, payload_json: Option<&str>, id: Option<&str>) -> Result<String> {
    let message_type = to_cstring("message type", message_type)?;
    let payload = payload_json.map(|p| to_cstring("payload", p)).transpose()?;
    let id = id.map(|i| to_cstring("message id", i)).transpose()?;
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: valid out-pointer; every string is NUL-terminated or NULL where the header allows.
    check(unsafe {
        sys::tether_message_create(
            &mut out,
            message_type.as_ptr(),
            payload.as_ref().map_or(ptr::null(), |p| p.as_ptr()),
            id.as_ref().map_or(ptr::null(), |i| i.as_ptr()),
        )
    })?;
    // SAFETY: on success `out` is library-allocated text that we now own.
    Ok(unsafe { take_library_string(out) })
}

/// Parses a received message into the envelope `{"type","payload","id","timestamp"}` (JSON).
///
/// JSON objects keep their fields (missing ones are `null`; `payload` is the whole object when
/// it has no `payload` field); other JSON values and plain text become the payload.
///
/// ```
/// let envelope = tether::parse_message(br#"{"type":"chat","payload":1}"#)?;
/// assert_eq!(envelope, r#"{"type":"chat","payload":1,"id":null,"timestamp":null}"#);
/// let plain = tether::parse_message(b"hello")?;
/// assert!(plain.contains(r#""payload":"hello""#));
/// # Ok::<(), tether::Error>(())
/// ```
pub fn parse_message(data: &[u8]) -> Result<String> {
    let mut out: *mut c_char = ptr::null_mut();
    // SAFETY: valid out-pointer; `data` is valid for `data.len()` bytes and copied.
    check(unsafe { sys::tether_message_parse(&mut out, data.as_ptr().cast(), data.len()) })?;
    // SAFETY: on success `out` is library-allocated text that we now own.
    Ok(unsafe { take_library_string(out) })
}

/// The meaning of a WebSocket close code as the specification's table gives it.
///
/// ```
/// assert_eq!(tether::close_code_str(1000), "Normal closure");
/// assert_eq!(tether::close_code_str(4001), "Application-defined");
/// ```
pub fn close_code_str(code: u16) -> &'static str {
    // SAFETY: any code is accepted; the text is static.
    static_str(unsafe { sys::tether_close_code_str(i32::from(code)) })
}

/// The run-time version of the library, `"MAJOR.MINOR.PATCH"`.
///
/// ```
/// assert!(tether::version().starts_with("0."));
/// ```
pub fn version() -> &'static str {
    // SAFETY: no arguments; static text.
    static_str(unsafe { sys::tether_version() })
}
