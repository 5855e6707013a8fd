// The json protocol's decoder on whatever a server sends.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "impl/protocol/dialect.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const auto dialect = tether::protocol::make_dialect(tether::config::Protocol::json);
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    (void)dialect->decode(text, false);
    (void)dialect->decode(text, true);
    return 0;
}
