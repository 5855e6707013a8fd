#include "impl/common/url.hpp"

#include <charconv>

#include "impl/common/text.hpp"

namespace tether {

namespace {

constexpr auto npos = std::string_view::npos;

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) noexcept {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int hex_value(char c) noexcept {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return c - 'A' + 10;
}
char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

bool is_unreserved(char c) noexcept {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

bool is_sub_delim(char c) noexcept {
    switch (c) {
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',':
    case ';': case '=':
        return true;
    default:
        return false;
    }
}

// Characters that stay as they are in a request target ('%' is checked separately).
bool kept_in_target(char c) noexcept {
    return is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/' || c == '?';
}

void append_percent(std::string &out, unsigned char c) {
    static const char hex[] = "0123456789ABCDEF";
    out += '%';
    out += hex[c >> 4];
    out += hex[c & 0x0F];
}

// The length of "scheme" when url starts with "scheme://", else npos.
std::size_t scheme_length(std::string_view url) noexcept {
    if (url.empty() || !is_alpha(url[0])) return npos;
    std::size_t i = 1;
    while (i < url.size() &&
           (is_alpha(url[i]) || is_digit(url[i]) || url[i] == '+' || url[i] == '-' || url[i] == '.'))
        ++i;
    if (url.compare(i, 3, "://") != 0) return npos;
    return i;
}

// The one redaction routine. everything = true is for error messages about URLs that may hold
// secrets we cannot name: every query value, all user info and the fragment become "***".
std::string redact(std::string_view url, std::string_view param, bool everything) {
    std::string out;
    out.reserve(url.size() + 8);
    std::size_t pos = 0;
    const std::size_t scheme = scheme_length(url);
    std::size_t auth_begin = npos;
    if (scheme != npos) {
        auth_begin = scheme + 3;
    } else if (everything) {
        auth_begin = 0;  // "user:pass@host" without a scheme: still hide the user info
    }
    if (auth_begin != npos) {
        std::size_t auth_end = url.find_first_of("/?#", auth_begin);
        if (auth_end == npos) auth_end = url.size();
        const std::string_view authority = url.substr(auth_begin, auth_end - auth_begin);
        out.append(url.substr(0, auth_begin));
        const std::size_t at = authority.rfind('@');
        if (at != npos) {
            const std::string_view userinfo = authority.substr(0, at);
            const std::size_t colon = userinfo.find(':');
            if (everything) {
                out += "***";
            } else if (colon != npos && colon + 1 < userinfo.size()) {
                out.append(userinfo.substr(0, colon + 1));
                out += "***";
            } else {
                out.append(userinfo);
            }
            out += '@';
            out.append(authority.substr(at + 1));
        } else {
            out.append(authority);
        }
        pos = auth_end;
    }
    std::size_t mark = url.find_first_of("?#", pos);
    out.append(url.substr(pos, mark == npos ? npos : mark - pos));
    if (mark == npos) return out;
    if (url[mark] == '?') {
        const std::size_t hash = url.find('#', mark);
        const std::string_view query =
            url.substr(mark + 1, (hash == npos ? url.size() : hash) - mark - 1);
        out += '?';
        std::size_t start = 0;
        while (true) {
            const std::size_t amp = query.find('&', start);
            const std::string_view pair =
                query.substr(start, amp == npos ? npos : amp - start);
            const std::size_t eq = pair.find('=');
            const bool secret =
                eq != npos && eq + 1 < pair.size() &&
                (everything || (!param.empty() && percent_decode(pair.substr(0, eq)) == param));
            if (secret) {
                out.append(pair.substr(0, eq + 1));
                out += "***";
            } else {
                out.append(pair);
            }
            if (amp == npos) break;
            out += '&';
            start = amp + 1;
        }
        mark = hash;
        if (mark == npos) return out;
    }
    if (everything) {
        out += mark + 1 < url.size() ? "#***" : "#";
    } else {
        out.append(url.substr(mark));
    }
    return out;
}

// A URL as error messages show it: no secrets, no control characters, bounded length.
std::string display_url(std::string_view url) { return printable_excerpt(redact(url, {}, true), 200); }

bool is_ipv4_address(std::string_view s) noexcept {
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        std::size_t j = i;
        while (j < s.size() && is_digit(s[j])) ++j;
        const std::size_t len = j - i;
        if (len == 0 || len > 3 || (len > 1 && s[i] == '0')) return false;
        int value = 0;
        for (std::size_t k = i; k < j; ++k) value = value * 10 + (s[k] - '0');
        if (value > 255) return false;
        ++parts;
        if (j == s.size()) break;
        if (s[j] != '.' || parts == 4) return false;
        i = j + 1;
    }
    return parts == 4;
}

bool is_ipv6_address(std::string_view s) noexcept {
    if (s.empty()) return false;
    int groups = 0;
    bool compressed = false;
    std::size_t i = 0;
    if (s.compare(0, 2, "::") == 0) {
        compressed = true;
        i = 2;
    } else if (s[0] == ':') {
        return false;
    }
    while (i < s.size()) {
        std::size_t j = i;
        while (j < s.size() && is_hex_digit(s[j]) && j - i < 5) ++j;
        if (j < s.size() && s[j] == '.') {  // an embedded IPv4 address ends the text
            if (!is_ipv4_address(s.substr(i))) return false;
            groups += 2;
            break;
        }
        if (j == i || j - i > 4) return false;
        ++groups;
        i = j;
        if (i == s.size()) break;
        if (s[i] != ':') return false;
        ++i;
        if (i < s.size() && s[i] == ':') {
            if (compressed) return false;
            compressed = true;
            ++i;
        } else if (i == s.size()) {
            return false;  // a single trailing ':'
        }
    }
    return compressed ? groups <= 7 : groups == 8;
}

// Checks a DNS name or IPv4 address (not bracketed); returns the problem or "".
std::string check_reg_name(std::string_view host) {
    for (const char c : host) {
        if (static_cast<unsigned char>(c) >= 0x80)
            return "non-ASCII host names are not supported: use the punycode (xn--) form";
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_')) {
            if (c == '[' || c == ']') return "an IPv6 address needs both brackets: [::1]";
            if (c == '%') return "percent-encoded host names are not supported";
            return std::string("invalid character '") + c + "' in host";
        }
    }
    std::string_view name = host;
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // a fully qualified name
    if (name.empty()) return "missing host";
    if (name.size() > 253) return "host name longer than 253 characters";
    std::size_t start = 0;
    std::string_view last_label;
    while (true) {
        const std::size_t dot = name.find('.', start);
        const std::string_view label = name.substr(start, dot == npos ? npos : dot - start);
        if (label.empty()) return "empty label in host name '" + std::string(host) + "'";
        if (label.size() > 63) return "a label of the host name is longer than 63 characters";
        last_label = label;
        if (dot == npos) break;
        start = dot + 1;
    }
    bool numeric = true;
    for (const char c : last_label) numeric = numeric && is_digit(c);
    if (numeric && !is_ipv4_address(name))
        return "invalid IPv4 address '" + std::string(host) + "'";
    return {};
}

// Parses "host[:port]" or "[v6][:port]"; returns the problem or "" with host (lower case, no
// brackets), port and ipv6 set.
std::string parse_host_port(std::string_view authority, std::uint16_t default_port,
                            std::string &host, std::uint16_t &port, bool &ipv6) {
    std::string_view host_text;
    std::string_view rest;
    ipv6 = false;
    if (!authority.empty() && authority[0] == '[') {
        const std::size_t close = authority.find(']');
        if (close == npos) return "missing ']' after the IPv6 address";
        host_text = authority.substr(1, close - 1);
        rest = authority.substr(close + 1);
        if (host_text.find('%') != npos) return "IPv6 zone identifiers are not supported";
        if (!is_ipv6_address(host_text))
            return "invalid IPv6 address '" + printable_excerpt(host_text, 60) + "'";
        if (!rest.empty() && rest[0] != ':')
            return "unexpected text after the IPv6 address: '" + printable_excerpt(rest, 60) + "'";
        ipv6 = true;
    } else {
        const std::size_t colon = authority.find(':');
        if (colon != npos && authority.find(':', colon + 1) != npos)
            return "more than one ':' in the host and port: an IPv6 address must be in brackets, "
                   "as in ws://[::1]:8080/";
        host_text = authority.substr(0, colon);
        rest = colon == npos ? std::string_view() : authority.substr(colon);
        if (host_text.empty()) return "missing host";
        std::string problem = check_reg_name(host_text);
        if (!problem.empty()) return problem;
    }
    std::uint16_t parsed_port = default_port;
    if (!rest.empty()) {
        const std::string_view digits = rest.substr(1);  // after ':'
        if (digits.empty()) return "missing port number after ':'";
        for (const char c : digits) {
            if (!is_digit(c)) return "invalid port '" + printable_excerpt(digits, 20) + "'";
        }
        unsigned long value = 0;
        const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (res.ec != std::errc() || value > 65535)
            return "port " + printable_excerpt(digits, 20) + " is out of range (1-65535)";
        if (value == 0) return "port 0 is not allowed";
        parsed_port = static_cast<std::uint16_t>(value);
    }
    host.clear();
    for (const char c : host_text) host += to_lower(c);
    port = parsed_port;
    return {};
}

// The first space or control character, as a problem text, or "".
std::string find_forbidden_byte(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == ' ') return "the URL contains a space at offset " + std::to_string(i);
        if (c < 0x20 || c == 0x7F) {
            static const char hex[] = "0123456789ABCDEF";
            return std::string("the URL contains a control character (0x") + hex[c >> 4] +
                   hex[c & 0x0F] + ") at offset " + std::to_string(i);
        }
    }
    return {};
}

}  // namespace

Error parse_ws_url(std::string_view text, WsUrl &out) {
    const auto fail = [&](const std::string &problem) {
        return make_error(TETHER_E_BAD_URL, problem + " (URL: '" + display_url(text) + "')");
    };
    if (text.empty())
        return make_error(TETHER_E_BAD_URL, "the URL is empty: expected ws://host[:port]/path "
                                            "or wss://host[:port]/path");
    if (std::string problem = find_forbidden_byte(text); !problem.empty()) return fail(problem);

    const std::size_t scheme_len = scheme_length(text);
    if (scheme_len == npos) {
        const std::size_t colon = text.find(':');
        const std::string_view before = text.substr(0, colon);
        if (colon != npos && (iequals(before, "ws") || iequals(before, "wss")))
            return fail("expected '//' after '" + std::string(before) + ":'");
        return fail("missing scheme: the URL must start with ws:// or wss://");
    }
    const std::string_view scheme = text.substr(0, scheme_len);
    const bool secure = iequals(scheme, "wss");
    if (!secure && !iequals(scheme, "ws")) {
        return fail("unsupported scheme '" + printable_excerpt(scheme, 20) +
                    "': use ws:// or wss://");
    }

    const std::size_t auth_begin = scheme_len + 3;
    std::size_t auth_end = text.find_first_of("/?#", auth_begin);
    if (auth_end == npos) auth_end = text.size();
    const std::string_view authority = text.substr(auth_begin, auth_end - auth_begin);
    if (authority.empty()) return fail("missing host");
    if (authority.find('@') != npos)
        return fail("user name or password in the URL is not supported: "
                    "pass the token with authToken or a header");

    WsUrl parsed;
    parsed.secure = secure;
    std::string problem =
        parse_host_port(authority, secure ? 443 : 80, parsed.host, parsed.port, parsed.ipv6_literal);
    if (!problem.empty()) return fail(problem);

    std::string_view rest = text.substr(auth_end);
    if (const std::size_t hash = rest.find('#'); hash != npos) rest = rest.substr(0, hash);
    if (rest.empty() || rest[0] == '?') parsed.target = "/";
    parsed.target.reserve(parsed.target.size() + rest.size());
    for (std::size_t i = 0; i < rest.size(); ++i) {
        const char c = rest[i];
        if (c == '%') {
            if (i + 2 >= rest.size() || !is_hex_digit(rest[i + 1]) || !is_hex_digit(rest[i + 2]))
                return fail("invalid percent-encoding in the path or query at offset " +
                            std::to_string(auth_end + i) + ": '%' must be followed by two hex digits");
            parsed.target.append(rest.substr(i, 3));
            i += 2;
        } else if (kept_in_target(c)) {
            parsed.target += c;
        } else {
            append_percent(parsed.target, static_cast<unsigned char>(c));
        }
    }
    out = std::move(parsed);
    return ok();
}

Error parse_proxy_url(std::string_view text, ProxyUrl &out) {
    const auto fail = [&](const std::string &problem) {
        return make_error(TETHER_E_BAD_URL,
                          "proxy: " + problem + " (URL: '" + display_url(text) + "')");
    };
    if (text.empty()) return make_error(TETHER_E_BAD_URL, "proxy: the URL is empty: expected "
                                                          "http://[user:password@]host[:port]");
    if (std::string problem = find_forbidden_byte(text); !problem.empty()) return fail(problem);
    const std::size_t scheme_len = scheme_length(text);
    if (scheme_len == npos) return fail("missing scheme: use http://[user:password@]host[:port]");
    const std::string_view scheme = text.substr(0, scheme_len);
    if (!iequals(scheme, "http")) {
        return fail("unsupported proxy scheme '" + printable_excerpt(scheme, 20) +
                    "': only HTTP CONNECT proxies are supported, use http://host:port");
    }
    const std::size_t auth_begin = scheme_len + 3;
    std::size_t auth_end = text.find_first_of("/?#", auth_begin);
    if (auth_end == npos) auth_end = text.size();
    std::string_view authority = text.substr(auth_begin, auth_end - auth_begin);
    const std::string_view rest = text.substr(auth_end);
    if (!rest.empty() && rest != "/") return fail("a proxy URL has no path, query or fragment");

    ProxyUrl parsed;
    if (const std::size_t at = authority.rfind('@'); at != npos) {
        const std::string_view userinfo = authority.substr(0, at);
        const std::size_t colon = userinfo.find(':');
        parsed.username = percent_decode(userinfo.substr(0, colon));
        if (colon != npos) parsed.password = percent_decode(userinfo.substr(colon + 1));
        authority = authority.substr(at + 1);
        if (parsed.username.empty()) return fail("empty user name before '@'");
    }
    if (authority.empty()) return fail("missing host");
    bool ipv6 = false;
    std::string problem = parse_host_port(authority, 80, parsed.host, parsed.port, ipv6);
    if (!problem.empty()) return fail(problem);
    out = std::move(parsed);
    return ok();
}

std::string host_header(const WsUrl &u) {
    std::string out = u.ipv6_literal ? "[" + u.host + "]" : u.host;
    if (u.port != (u.secure ? 443 : 80)) out += ":" + std::to_string(u.port);
    return out;
}

std::string with_query_param(std::string_view target, std::string_view name,
                             std::string_view value) {
    const std::size_t hash = target.find('#');
    const std::string_view base = target.substr(0, hash);
    std::string out(base.empty() ? std::string_view("/") : base);
    const std::size_t q = out.find('?');
    if (q == std::string::npos) {
        out += '?';
    } else if (out.back() != '?' && out.back() != '&') {
        out += '&';
    }
    out += percent_encode(name);
    out += '=';
    out += percent_encode(value);
    if (hash != npos) out.append(target.substr(hash));
    return out;
}

bool has_query_param(std::string_view target, std::string_view name) {
    const std::size_t hash = target.find('#');
    const std::string_view base = target.substr(0, hash);
    const std::size_t q = base.find('?');
    if (q == std::string_view::npos) return false;
    std::string_view query = base.substr(q + 1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::string_view key = pair.substr(0, pair.find('='));
        if (percent_decode(key) == name) return true;
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return false;
}

std::string redact_url(std::string_view url, std::string_view secret_param) {
    return redact(url, secret_param, false);
}

std::string percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && is_hex_digit(s[i + 1]) && is_hex_digit(s[i + 2])) {
            out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string percent_encode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        if (is_unreserved(c)) {
            out += c;
        } else {
            append_percent(out, static_cast<unsigned char>(c));
        }
    }
    return out;
}

}  // namespace tether
