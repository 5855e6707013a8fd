// Options from one JSON document, and single key/value pairs split at the first '='.
#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/config/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    tether::config::Options o;
    (void)tether::config::set_options_json(o, text);
    const auto eq = text.find('=');
    if (eq != std::string::npos) {
        (void)tether::config::set_option(o, text.substr(0, eq), text.substr(eq + 1));
    }
    std::string out;
    (void)tether::config::get_option(o, "headers", out);
    (void)tether::config::check_ready_to_connect(o);
    return 0;
}
