// FaultProxy: a TCP proxy on 127.0.0.1 between a tether client and tether-test-server that the
// fault tests drive. It forwards bytes both ways and, on command, breaks the path the way networks
// and servers do: close both sides, reset, stop forwarding without closing, delay, throttle, cut
// a stream after some bytes (mid-frame), refuse new connections.
//
// It runs its own Asio thread. Every public method may be called from any thread and returns
// once the change is in effect. Faults are set per direction; `set_live` changes the connections
// open now, `set_new` the connections accepted from then on (each connection copies the new-
// connection faults when it is accepted).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace faults {

enum class Direction { client_to_server, server_to_client };

struct Fault {
    bool blackhole = false;        // read and discard: nothing is forwarded, nothing is closed
    int delay_ms = 0;              // each chunk waits this long before it is forwarded
    int64_t bytes_per_second = 0;  // throttle; 0 = unlimited
    int64_t cut_after_bytes = -1;  // forward this many more bytes, then close both sides; -1 = never
};

class FaultProxy {
public:
    // Listens on an ephemeral port of 127.0.0.1 and forwards to 127.0.0.1:target_port.
    explicit FaultProxy(uint16_t target_port);
    ~FaultProxy();
    FaultProxy(const FaultProxy &) = delete;
    FaultProxy &operator=(const FaultProxy &) = delete;

    uint16_t port() const;
    std::string ws_url(const std::string &path_and_query) const;  // "ws://127.0.0.1:PORT/path"

    void set_live(Direction dir, const Fault &fault);  // the connections open now
    void set_new(Direction dir, const Fault &fault);   // connections accepted from now on
    void clear();                                      // no faults, live or new

    void drop_all();   // close both sides of every open connection (FIN)
    void reset_all();  // abort both sides of every open connection (RST)

    // true: stop listening, so that connects are refused (ECONNREFUSED); false: listen again on
    // the same port. Open connections are not touched.
    void refuse(bool on);

    int live_connections() const;  // open client connections
    int accepted() const;          // client connections accepted since the start
    int64_t forwarded_bytes() const;

    // Waits until accepted() >= n; false after timeout_ms.
    bool wait_accepted(int n, int timeout_ms) const;

private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

// A port whose listen queue is full and never accepted from: a TCP connect to it gets no answer
// (the kernel drops the SYN), as a host that does not reply. For connectTimeout.
class StalledPort {
public:
    StalledPort();
    ~StalledPort();
    StalledPort(const StalledPort &) = delete;
    StalledPort &operator=(const StalledPort &) = delete;
    uint16_t port() const { return port_; }

private:
    int listener_ = -1;
    int fillers_[4] = {-1, -1, -1, -1};
    uint16_t port_ = 0;
};

}  // namespace faults
