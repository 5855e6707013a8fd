#include "impl/common/message.hpp"

#include <chrono>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "impl/common/json_detail.hpp"
#include "impl/common/text.hpp"

namespace tether {

namespace {

// The helpers below walk text that validate_json has accepted, so they need no error checks.
// Working on the text (rather than a Boost.JSON DOM) keeps numbers exactly as the peer wrote
// them: a DOM would turn 1.10 into 1.1E0 and 123456789012345678901 into a double.

bool is_json_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && is_json_ws(s[i])) ++i;
    return i;
}

// s[i] is the opening quote; returns the index after the closing quote.
std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
    ++i;
    while (i < s.size()) {
        if (s[i] == '\\') {
            i += 2;
        } else if (s[i] == '"') {
            return i + 1;
        } else {
            ++i;
        }
    }
    return s.size();
}

// Returns the index after the value that starts at s[i].
std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        std::size_t depth = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (c == '"') {
                i = skip_string(s, i);
                continue;
            }
            if (c == '{' || c == '[') {
                ++depth;
            } else if (c == '}' || c == ']') {
                if (--depth == 0) return i + 1;
            }
            ++i;
        }
        return s.size();
    }
    while (i < s.size() && !is_json_ws(s[i]) && s[i] != ',' && s[i] != '}' && s[i] != ']') ++i;
    return i;
}

// Valid JSON without the whitespace between tokens.
std::string minify(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        if (s[i] == '"') {
            const std::size_t end = skip_string(s, i);
            out.append(s.substr(i, end - i));
            i = end;
        } else {
            if (!is_json_ws(s[i])) out += s[i];
            ++i;
        }
    }
    return out;
}

// The text of a JSON string token (with its quotes), escapes decoded.
std::string decode_key(std::string_view token) {
    if (token.find('\\') == std::string_view::npos) {
        return std::string(token.substr(1, token.size() - 2));
    }
    boost::json::error_code ec;
    const boost::json::value v = boost::json::parse(token, ec);
    if (ec || !v.is_string()) return {};
    return std::string(v.get_string());
}

Error check_utf8(std::string_view s, const char *what) {
    if (is_valid_utf8(s)) return ok();
    return make_error(TETHER_E_INVALID_UTF8, std::string(what) + " is not valid UTF-8");
}

}  // namespace

Error create_message(std::string &out, std::string_view type, const char *payload_json,
                     const char *id, std::int64_t timestamp_ms) {
    if (type.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "the message type is empty");
    if (Error e = check_utf8(type, "the message type")) return e;
    std::string payload = "null";
    if (payload_json != nullptr) {
        const std::string_view text(payload_json);
        if (Error e = check_utf8(text, "the payload")) return e;
        if (Error e = validate_json(text)) {
            e.message = "payload: " + e.message;
            return e;
        }
        payload = minify(text);
    }
    std::string id_text;
    if (id != nullptr) {
        if (Error e = check_utf8(id, "the message id")) return e;
        id_text = json_escape(id);
    }
    std::string msg;
    msg.reserve(type.size() + payload.size() + id_text.size() + 64);
    msg += "{\"type\":\"";
    msg += json_escape(type);
    msg += "\",\"payload\":";
    msg += payload;
    if (id != nullptr) {
        msg += ",\"id\":\"";
        msg += id_text;
        msg += '"';
    }
    msg += ",\"timestamp\":";
    msg += std::to_string(timestamp_ms);
    msg += '}';
    out = std::move(msg);
    return ok();
}

Error parse_message(std::string &out, std::string_view data) {
    if (Error e = check_utf8(data, "the message")) return e;
    std::string_view type = "null", id = "null", timestamp = "null", payload;
    std::string text_payload;
    boost::json::error_code ec;
    detail::json_error_offset(data, ec);
    if (ec) {
        text_payload = "\"" + json_escape(data) + "\"";
        payload = text_payload;
    } else {
        const std::size_t begin = skip_ws(data, 0);
        const std::size_t end = skip_value(data, begin);
        const std::string_view whole = data.substr(begin, end - begin);
        if (data[begin] != '{') {
            payload = whole;
        } else {
            bool has_payload = false;
            std::size_t i = skip_ws(data, begin + 1);
            while (i < end && data[i] == '"') {
                const std::size_t key_end = skip_string(data, i);
                const std::string key = decode_key(data.substr(i, key_end - i));
                const std::size_t value_begin = skip_ws(data, skip_ws(data, key_end) + 1);
                const std::size_t value_end = skip_value(data, value_begin);
                const std::string_view value = data.substr(value_begin, value_end - value_begin);
                if (key == "type") {
                    type = value;
                } else if (key == "id") {
                    id = value;
                } else if (key == "timestamp") {
                    timestamp = value;
                } else if (key == "payload") {
                    payload = value;
                    has_payload = true;
                }
                i = skip_ws(data, value_end);
                if (i < end && data[i] == ',') i = skip_ws(data, i + 1);
            }
            if (!has_payload) payload = whole;
        }
    }
    std::string msg;
    msg.reserve(data.size() + 64);
    msg += "{\"type\":";
    msg += minify(type);
    msg += ",\"payload\":";
    msg += minify(payload);
    msg += ",\"id\":";
    msg += minify(id);
    msg += ",\"timestamp\":";
    msg += minify(timestamp);
    msg += '}';
    out = std::move(msg);
    return ok();
}

const char *close_code_str(std::int32_t code) noexcept {
    switch (code) {
    case 1000: return "Normal closure";
    case 1001: return "Going away";
    case 1002: return "Protocol error";
    case 1003: return "Unsupported data";
    case 1005: return "No status received";
    case 1006: return "Abnormal closure (no close frame)";
    case 1007: return "Invalid frame payload data";
    case 1008: return "Policy violation";
    case 1009: return "Message too big";
    case 1010: return "Mandatory extension";
    case 1011: return "Server error";
    case 1012: return "Service restart";
    case 1013: return "Try again later";
    case 1014: return "Bad gateway";
    case 1015: return "TLS handshake failure";
    default: break;
    }
    if (code >= 3000 && code <= 3999) return "Registered (library/framework)";
    if (code >= 4000 && code <= 4999) return "Application-defined";
    return "Unknown close code";
}

std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace tether
