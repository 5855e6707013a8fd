// WebSocket and proxy URLs: parsing with messages that name the problem, the Host header, the
// token query parameter, and redaction of secrets before a URL is shown anywhere.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "impl/common/error.hpp"

namespace tether {

struct WsUrl {
    bool secure = false;        // wss://
    std::string host;           // lower case; an IPv6 literal without brackets
    std::uint16_t port = 0;     // 80 / 443 when the URL has none
    std::string target;         // path + optional ?query, at least "/"; no fragment
    bool ipv6_literal = false;
};

// Parses a ws:// or wss:// URL (scheme case-insensitive). Path and query are kept; bytes that may
// not appear in a request target (non-ASCII, "<>\^`{|}[]) are percent-encoded; the fragment is
// dropped. Fails with TETHER_E_BAD_URL naming the problem and showing the URL with every query
// value, user info and fragment replaced by "***". out is unchanged on failure.
Error parse_ws_url(std::string_view text, WsUrl &out);

struct ProxyUrl {
    std::string host;           // an IPv6 literal without brackets
    std::uint16_t port = 0;     // 80 when the URL has none
    std::string username, password;  // percent-decoded
};

// Parses http://[user:pass@]host[:port][/]. Other schemes, paths and queries fail with
// TETHER_E_BAD_URL; messages never contain the password. out is unchanged on failure.
Error parse_proxy_url(std::string_view text, ProxyUrl &out);

// "host", or "host:port" when the port is not the scheme's default; IPv6 in brackets.
std::string host_header(const WsUrl &u);

// Appends ?name=value (or &name=value when target has a query) before any fragment,
// percent-encoding name and value (RFC 3986 unreserved characters kept).
std::string with_query_param(std::string_view target, std::string_view name,
                             std::string_view value);

// True when target's query has a parameter with this name (compared after percent-decoding).
bool has_query_param(std::string_view target, std::string_view name);

// Replaces the value of every query parameter named secret_param (compared after
// percent-decoding; nothing when secret_param is empty) and any user-info password with "***".
// Works on full URLs and on bare targets ("/path?x=1"); text it cannot parse is kept as is.
std::string redact_url(std::string_view url, std::string_view secret_param);

// Decodes %XX sequences; a '%' not followed by two hex digits is kept. '+' stays '+'.
std::string percent_decode(std::string_view s);

// --- addition ---
// Percent-encodes every byte except the RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string percent_encode(std::string_view s);

}  // namespace tether
