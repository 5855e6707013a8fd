//! Strings across the boundary, and the little JSON this crate reads and writes itself.
//!
//! The JSON reader handles exactly one flat object whose values are strings, numbers, booleans
//! or null (the shape of the library's statistics). Anything else is refused.

use std::collections::HashMap;
use std::ffi::{CStr, CString, c_char};

use crate::error::{Error, Result, Status};
use crate::sys;

/// Copies `value` into a NUL-terminated string; `what` names it in the error.
pub(crate) fn to_cstring(what: &str, value: &str) -> Result<CString> {
    CString::new(value)
        .map_err(|_| Error::new(Status::INVALID_ARGUMENT, format!("{what} must not contain a NUL byte")))
}

/// Takes ownership of text the library allocated: copies it and releases it with `tether_free`.
///
/// # Safety
/// `ptr` is NULL or a NUL-terminated string allocated by the library for the caller, not used
/// afterwards.
pub(crate) unsafe fn take_library_string(ptr: *mut c_char) -> String {
    if ptr.is_null() {
        return String::new();
    }
    // SAFETY: the caller passes a valid NUL-terminated string that it owns.
    let text = unsafe { CStr::from_ptr(ptr) }.to_string_lossy().into_owned();
    // SAFETY: the library allocated it for us; it is released once, here.
    unsafe { sys::tether_free(ptr.cast()) };
    text
}

/// Appends `value` as a JSON string literal (with quotes).
pub(crate) fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object of string values, e.g. `{"Origin":"https://example.com"}`, in the given order.
pub(crate) fn json_string_object<I, K, V>(pairs: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut json = String::from("{");
    for (i, (name, value)) in pairs.into_iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        push_json_string(&mut json, name.as_ref());
        json.push(':');
        push_json_string(&mut json, value.as_ref());
    }
    json.push('}');
    json
}

/// A scalar value of a flat JSON object.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    /// The number's text, parsed by the reader of the field into the type it needs.
    Num(String),
    Bool(bool),
    Null,
}

/// Parses one flat JSON object (`{"k": scalar, ...}`) into its fields.
pub(crate) fn parse_flat_object(text: &str) -> Result<HashMap<String, Scalar>> {
    let mut reader = Reader { bytes: text.as_bytes(), pos: 0 };
    let fields = reader.object()?;
    reader.skip_ws();
    if reader.pos != reader.bytes.len() {
        return Err(reader.error("text after the object"));
    }
    Ok(fields)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn error(&self, what: &str) -> Error {
        Error::new(Status::INVALID_JSON, format!("flat JSON object: {what} at byte {}", self.pos))
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes.get(self.pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", byte as char)))
        }
    }

    fn object(&mut self) -> Result<HashMap<String, Scalar>> {
        let mut fields = HashMap::new();
        self.expect(b'{')?;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(fields);
        }
        loop {
            self.skip_ws();
            let key = self.string()?;
            self.expect(b':')?;
            let value = self.scalar()?;
            fields.insert(key, value);
            self.skip_ws();
            match self.bytes.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(fields);
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn scalar(&mut self) -> Result<Scalar> {
        self.skip_ws();
        let rest = &self.bytes[self.pos..];
        for (word, value) in
            [("true", Scalar::Bool(true)), ("false", Scalar::Bool(false)), ("null", Scalar::Null)]
        {
            if rest.starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok(value);
            }
        }
        match rest.first() {
            Some(b'"') => Ok(Scalar::Str(self.string()?)),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                while matches!(self.bytes.get(self.pos), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                {
                    self.pos += 1;
                }
                let number = std::str::from_utf8(&self.bytes[start..self.pos]).unwrap_or_default();
                Ok(Scalar::Num(number.to_owned()))
            }
            _ => Err(self.error("expected a string, number, boolean or null")),
        }
    }

    fn string(&mut self) -> Result<String> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return Err(self.error("expected a string"));
        }
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(self.error("unterminated string"));
            };
            self.pos += 1;
            match byte {
                b'"' => break,
                b'\\' => {
                    let Some(&escape) = self.bytes.get(self.pos) else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += 1;
                    let simple = match escape {
                        b'"' => Some('"'),
                        b'\\' => Some('\\'),
                        b'/' => Some('/'),
                        b'b' => Some('\u{8}'),
                        b'f' => Some('\u{c}'),
                        b'n' => Some('\n'),
                        b'r' => Some('\r'),
                        b't' => Some('\t'),
                        b'u' => None,
                        _ => return Err(self.error("bad escape")),
                    };
                    let c = match simple {
                        Some(c) => c,
                        None => self.unicode_escape()?,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => out.push(byte),
            }
        }
        String::from_utf8(out).map_err(|_| self.error("string is not UTF-8"))
    }

    /// After `\u`: one code unit, or a surrogate pair written as two escapes.
    fn unicode_escape(&mut self) -> Result<char> {
        let high = self.hex4()?;
        if (0xD800..0xDC00).contains(&high) {
            if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                return Err(self.error("lone surrogate"));
            }
            self.pos += 2;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return Err(self.error("bad surrogate pair"));
            }
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            return char::from_u32(code).ok_or_else(|| self.error("bad code point"));
        }
        char::from_u32(high).ok_or_else(|| self.error("lone surrogate"))
    }

    fn hex4(&mut self) -> Result<u32> {
        let digits = self.bytes.get(self.pos..self.pos + 4).ok_or_else(|| self.error("short \\u"))?;
        let text = std::str::from_utf8(digits).map_err(|_| self.error("bad \\u"))?;
        let value = u32::from_str_radix(text, 16).map_err(|_| self.error("bad \\u"))?;
        self.pos += 4;
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_flat_object() {
        let fields =
            parse_flat_object(r#" {"a":"x\"\u00e9\ud83d\ude00","n":-12,"b":true,"z":null,"f":1.5e3} "#)
                .unwrap();
        assert_eq!(fields["a"], Scalar::Str("x\"é😀".into()));
        assert_eq!(fields["n"], Scalar::Num("-12".into()));
        assert_eq!(fields["b"], Scalar::Bool(true));
        assert_eq!(fields["z"], Scalar::Null);
        assert_eq!(fields["f"], Scalar::Num("1.5e3".into()));
        assert!(parse_flat_object("{}").unwrap().is_empty());
    }

    #[test]
    fn refuses_what_is_not_a_flat_object() {
        for bad in ["", "[]", "{\"a\":{}}", "{\"a\":1", "{\"a\":1} x", "{a:1}", "{\"a\":\"\\q\"}"] {
            let err = parse_flat_object(bad).unwrap_err();
            assert_eq!(err.status, Status::INVALID_JSON, "{bad}");
        }
    }

    #[test]
    fn escapes_json_strings() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\nd\u{1}é");
        assert_eq!(out, r#""a\"b\\c\nd\u0001é""#);
    }
}
