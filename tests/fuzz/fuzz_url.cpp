// URL parsing, proxy URLs, redaction and query building: what a user or a config file passes in.
#include <cstddef>
#include <cstdint>
#include <string>

#include "impl/common/url.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    tether::WsUrl url;
    if (!tether::parse_ws_url(text, url)) {
        (void)tether::host_header(url);
        (void)tether::with_query_param(url.target, "token", text);
    }
    tether::ProxyUrl proxy;
    (void)tether::parse_proxy_url(text, proxy);
    (void)tether::redact_url(text, "token");
    (void)tether::percent_decode(text);
    return 0;
}
