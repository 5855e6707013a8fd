// The reconnect policy: which endings reconnect (one table, mirrored in the README), and the
// backoff delay (full jitter over an exponential ceiling, capped).
#pragma once

#include <cstdint>
#include <functional>

#include "impl/transport/connection.hpp"

namespace tether::session {

struct ReconnectDecision {
    bool reconnect;
    const char *why;  // for the final ERROR/CLOSE text when not reconnecting
};

// The table. `failure` is how the connection (or the attempt) ended; a close by the application
// never reaches it.
ReconnectDecision decide_reconnect(const transport::Failure &failure) noexcept;

// Full jitter: attempt n (1-based) waits a uniform time in [0, min(cap, base * 2^(n-1))].
// The random source returns a double in [0, 1); it is injected so tests can pin it.
class Backoff {
public:
    Backoff(int64_t base_ms, int64_t cap_ms, std::function<double()> uniform01);
    int64_t ceiling_ms(int32_t attempt) const noexcept;
    int64_t delay_ms(int32_t attempt) const;

private:
    int64_t base_ms_;
    int64_t cap_ms_;
    std::function<double()> uniform01_;
};

// A thread-safe uniform [0, 1) source seeded from std::random_device, one for the process.
std::function<double()> system_uniform01();

}  // namespace tether::session
