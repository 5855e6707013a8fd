// Text helpers shared by every layer: strict UTF-8 checks, JSON validation and escaping, the
// first-message auth template, and safe excerpts of untrusted text for error messages.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "impl/common/error.hpp"

namespace tether {

// True when s is well-formed UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) noexcept;

// TETHER_OK when s is exactly one JSON value (surrounding whitespace allowed); otherwise
// TETHER_E_INVALID_JSON with Boost.JSON's reason and the byte offset of the problem.
Error validate_json(std::string_view s);

// The contents of a JSON string literal for s, without the quotes: '"' and '\' escaped, control
// characters as short escapes (\n, \t, ...) or \u00XX. Bytes that are not UTF-8 become U+FFFD,
// so the result is always valid JSON string content.
std::string json_escape(std::string_view s);

// Replaces every {{type}} and {{token}} (spaces inside the braces allowed) with the JSON-escaped
// value. An empty tmpl means the default {"type":"{{type}}","token":"{{token}}"}. Other {{...}}
// are left as they are. The template need not be JSON (Socket.IO's 42["auth",{...}] is not).
std::string render_auth_template(std::string_view tmpl, std::string_view type,
                                 std::string_view token);

// --- additions used by url.cpp, config and other layers ---

// True when s is a non-empty HTTP token (RFC 9110 tchar): header names, subprotocols.
bool is_http_token(std::string_view s) noexcept;

// s made safe to show inside an error message: control characters, DEL and bytes that are not
// UTF-8 become \xNN, and text longer than max_bytes is cut with "...". Never pass a secret.
std::string printable_excerpt(std::string_view s, std::size_t max_bytes = 120);

}  // namespace tether
