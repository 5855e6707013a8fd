#include "impl/session/reconnect.hpp"

#include <algorithm>
#include <mutex>
#include <random>

namespace tether::session {

ReconnectDecision decide_reconnect(const transport::Failure &f) noexcept {
    switch (f.error.status) {
    case TETHER_OK:  // the peer sent a close frame: its code decides
        switch (f.close_code) {
        case 1002: return {false, "the peer reported a protocol error (1002)"};
        case 1003: return {false, "the peer refused the data type (1003)"};
        case 1007: return {false, "the peer refused invalid data (1007)"};
        case 1008: return {false, "the peer closed for a policy violation (1008)"};
        case 1009: return {false, "the peer found a message too big (1009)"};
        case 1010: return {false, "a required extension is missing (1010)"};
        case 1015: return {false, "TLS failure (1015)"};
        default: return {true, "the peer closed the connection"};
        }
    case TETHER_E_AUTH: return {false, "the server refused the credentials"};
    case TETHER_E_TLS: return {false, "TLS failed"};
    case TETHER_E_BAD_URL:
    case TETHER_E_BAD_OPTION_VALUE: return {false, "the configuration is invalid"};
    case TETHER_E_PROTOCOL: return {false, "the peer broke the WebSocket protocol"};
    case TETHER_E_MESSAGE_TOO_BIG: return {false, "a message exceeded maxMessageSize"};
    case TETHER_E_HANDSHAKE:
        // 4xx means "this request will never work"; 408 and 429 are the exceptions that invite
        // a retry. 5xx and broken handshakes are worth retrying.
        if (f.http_status >= 400 && f.http_status < 500 && f.http_status != 408 && f.http_status != 429) {
            return {false, "the server refused the upgrade"};
        }
        return {true, "the handshake failed"};
    case TETHER_E_PROXY:
        if (f.http_status == 407 || f.http_status == 401) return {false, "the proxy refused the credentials"};
        return {true, "the proxy failed"};
    default:  // DNS, connect, timeouts, I/O errors, pong timeout: the network may come back
        return {true, "the connection was lost"};
    }
}

Backoff::Backoff(int64_t base_ms, int64_t cap_ms, std::function<double()> uniform01)
    : base_ms_(std::max<int64_t>(1, base_ms)),
      cap_ms_(std::max<int64_t>(1, cap_ms)),
      uniform01_(std::move(uniform01)) {}

int64_t Backoff::ceiling_ms(int32_t attempt) const noexcept {
    int64_t ceiling = base_ms_;
    for (int32_t i = 1; i < attempt && ceiling < cap_ms_; ++i) ceiling *= 2;
    return std::min(ceiling, cap_ms_);
}

int64_t Backoff::delay_ms(int32_t attempt) const {
    const double r = std::clamp(uniform01_(), 0.0, 1.0);
    return static_cast<int64_t>(r * static_cast<double>(ceiling_ms(attempt)));
}

std::function<double()> system_uniform01() {
    struct Source {
        std::mutex mutex;
        std::mt19937_64 engine{std::random_device{}()};
        std::uniform_real_distribution<double> dist{0.0, 1.0};
    };
    // One for the process: a Mersenne Twister's state is 2.5 KiB, too much to keep per client.
    // Never destroyed, so that a client still backing off while the process exits finds it.
    static Source *const source = new Source();
    return [] {
        std::lock_guard<std::mutex> lock(source->mutex);
        return source->dist(source->engine);
    };
}

}  // namespace tether::session
