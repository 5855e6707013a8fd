// The spec's parseMessage on received bytes, and createMessage with them as payload and id.
#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/common/message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    std::string out;
    (void)tether::parse_message(out, text);
    (void)tether::create_message(out, "chat", text.c_str(), text.c_str(), 0);
    (void)tether::close_code_str(static_cast<int32_t>(size));
    return 0;
}
