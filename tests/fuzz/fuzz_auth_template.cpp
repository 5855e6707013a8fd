// The first-message auth template: any template, any token, and the result checked as JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/common/text.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    const auto split = text.find('\n');
    const std::string tmpl = text.substr(0, split);
    const std::string token = split == std::string::npos ? std::string() : text.substr(split + 1);
    const std::string rendered = tether::render_auth_template(tmpl, "authenticate", token);
    (void)tether::validate_json(rendered);
    (void)tether::is_valid_utf8(rendered);
    (void)tether::json_escape(token);
    return 0;
}
