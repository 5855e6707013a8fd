// Every protocol's decoder on whatever a server sends. The first byte picks the protocol; the
// dialect is opened first (so the handshake state is live) and then fed the rest as a text and
// as a binary message, and finally asked for its close policy and heartbeat.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "impl/protocol/dialect.hpp"

using tether::config::Protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const Protocol protocols[] = {
        Protocol::json,    Protocol::socketio, Protocol::graphql_transport_ws, Protocol::graphql_ws,
        Protocol::signalr, Protocol::phoenix,  Protocol::pusher,               Protocol::actioncable,
        Protocol::binance, Protocol::aws_apigateway};
    if (size == 0) return 0;
    tether::config::Options options;
    options.protocol = protocols[data[0] % (sizeof protocols / sizeof protocols[0])];
    auto dialect = tether::protocol::make_dialect(options);
    if (!dialect) return 0;
    const std::string_view text(reinterpret_cast<const char *>(data + 1), size - 1);
    (void)dialect->open("token", "");
    std::string frame;
    (void)dialect->subscribe(frame, "1", "1", "");  // so that frames naming channel "1" or id 1 match
    (void)dialect->decode(text, false);
    (void)dialect->decode(text, true);
    (void)dialect->request(frame, "2", "method", "");
    (void)dialect->on_close(static_cast<int32_t>(size), std::string(text));
    (void)dialect->heartbeat("3");
    return 0;
}
