#include "impl/common/text.hpp"

#include <cstdint>

#include <boost/json/basic_parser_impl.hpp>

#include "impl/common/json_detail.hpp"

namespace tether {

namespace {

// Decodes the UTF-8 sequence at s[i]. Returns its length and sets cp, or 0 when it is not a
// well-formed sequence (truncated, overlong, surrogate, above U+10FFFF, stray continuation).
std::size_t decode_utf8(std::string_view s, std::size_t i, std::uint32_t &cp) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        cp = c;
        return 1;
    }
    std::size_t len = 0;
    std::uint32_t min = 0;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        cp = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        cp = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (s.size() - i < len) return 0;
    for (std::size_t k = 1; k < len; ++k) {
        const auto cc = static_cast<unsigned char>(s[i + k]);
        if ((cc & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

const char kHex[] = "0123456789abcdef";

void append_hex_escape(std::string &out, const char *prefix, unsigned char c) {
    out += prefix;
    out += kHex[c >> 4];
    out += kHex[c & 0x0F];
}

// A handler for boost::json::basic_parser that builds nothing: validation without a DOM.
struct NullHandler {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    using error_code = boost::json::error_code;
    using string_view = boost::json::string_view;

    bool on_document_begin(error_code &) { return true; }
    bool on_document_end(error_code &) { return true; }
    bool on_array_begin(error_code &) { return true; }
    bool on_array_end(std::size_t, error_code &) { return true; }
    bool on_object_begin(error_code &) { return true; }
    bool on_object_end(std::size_t, error_code &) { return true; }
    bool on_string_part(string_view, std::size_t, error_code &) { return true; }
    bool on_string(string_view, std::size_t, error_code &) { return true; }
    bool on_key_part(string_view, std::size_t, error_code &) { return true; }
    bool on_key(string_view, std::size_t, error_code &) { return true; }
    bool on_number_part(string_view, error_code &) { return true; }
    bool on_int64(std::int64_t, string_view, error_code &) { return true; }
    bool on_uint64(std::uint64_t, string_view, error_code &) { return true; }
    bool on_double(double, string_view, error_code &) { return true; }
    bool on_bool(bool, error_code &) { return true; }
    bool on_null(error_code &) { return true; }
    bool on_comment_part(string_view, error_code &) { return true; }
    bool on_comment(string_view, error_code &) { return true; }
};

bool is_tchar(unsigned char c) noexcept {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

// Finds "{{ name }}" at s[i] (s[i] == '{'). Returns the placeholder's length, 0 if none.
std::size_t match_placeholder(std::string_view s, std::size_t i, std::string_view name) {
    if (s.compare(i, 2, "{{") != 0) return 0;
    std::size_t j = i + 2;
    while (j < s.size() && s[j] == ' ') ++j;
    if (s.compare(j, name.size(), name) != 0) return 0;
    j += name.size();
    while (j < s.size() && s[j] == ' ') ++j;
    if (s.compare(j, 2, "}}") != 0) return 0;
    return j + 2 - i;
}

}  // namespace

bool is_valid_utf8(std::string_view s) noexcept {
    std::size_t i = 0;
    while (i < s.size()) {
        if (static_cast<unsigned char>(s[i]) < 0x80) {
            ++i;
            continue;
        }
        std::uint32_t cp = 0;
        const std::size_t len = decode_utf8(s, i, cp);
        if (len == 0) return false;
        i += len;
    }
    return true;
}

std::size_t detail::json_error_offset(std::string_view s, boost::json::error_code &ec) {
    boost::json::parse_options opts;
    opts.max_depth = kMaxJsonDepth;
    boost::json::basic_parser<NullHandler> parser(opts);
    const std::size_t n = parser.write_some(false, s.data(), s.size(), ec);
    if (!ec && n < s.size()) ec = boost::json::error::extra_data;
    return n;
}

Error validate_json(std::string_view s) {
    boost::json::error_code ec;
    const std::size_t offset = detail::json_error_offset(s, ec);
    if (!ec) return ok();
    return make_error(TETHER_E_INVALID_JSON,
                      "invalid JSON at offset " + std::to_string(offset) + ": " + ec.message());
}

std::string json_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size() + s.size() / 8 + 2);
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::uint32_t cp = 0;
            const std::size_t len = decode_utf8(s, i, cp);
            if (len == 0) {
                out += "\xEF\xBF\xBD";  // U+FFFD for a byte that is not UTF-8
                ++i;
            } else {
                out.append(s.data() + i, len);
                i += len;
            }
            continue;
        }
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                append_hex_escape(out, "\\u00", c);
            } else {
                out += static_cast<char>(c);
            }
        }
        ++i;
    }
    return out;
}

std::string render_auth_template(std::string_view tmpl, std::string_view type,
                                 std::string_view token) {
    if (tmpl.empty()) tmpl = R"({"type":"{{type}}","token":"{{token}}"})";
    const std::string type_text = json_escape(type);
    const std::string token_text = json_escape(token);
    std::string out;
    out.reserve(tmpl.size() + type_text.size() + token_text.size());
    std::size_t i = 0;
    while (i < tmpl.size()) {
        if (tmpl[i] == '{') {
            if (const std::size_t n = match_placeholder(tmpl, i, "type")) {
                out += type_text;
                i += n;
                continue;
            }
            if (const std::size_t n = match_placeholder(tmpl, i, "token")) {
                out += token_text;
                i += n;
                continue;
            }
        }
        out += tmpl[i++];
    }
    return out;
}

bool is_http_token(std::string_view s) noexcept {
    if (s.empty()) return false;
    for (const char c : s) {
        if (!is_tchar(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

std::string printable_excerpt(std::string_view s, std::size_t max_bytes) {
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (out.size() >= max_bytes) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x80) {
            std::uint32_t cp = 0;
            const std::size_t len = decode_utf8(s, i, cp);
            if (len == 0) {
                append_hex_escape(out, "\\x", c);
                ++i;
            } else {
                out.append(s.data() + i, len);
                i += len;
            }
        } else if (c < 0x20 || c == 0x7F) {
            append_hex_escape(out, "\\x", c);
            ++i;
        } else {
            out += static_cast<char>(c);
            ++i;
        }
    }
    return out;
}

}  // namespace tether
