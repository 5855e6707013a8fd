// The hook through which a layer above the session (impl/manager) takes part in a connection's
// life without the session knowing about channels, requests or provider protocols. Every method
// runs on the session's strand. From inside them the interceptor may call the session's
// strand-only methods (send_early, handshake_done, end_connection) but must hold no lock of its
// own while it does: end_connection calls back into on_connection_lost.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tether.h"

namespace tether::session {

// How a connection opens when the interceptor speaks a protocol with a handshake.
struct OpeningPlan {
    std::vector<std::string> frames;  // written at once, ahead of everything
    bool wait_for_ready = false;      // the session stays authenticating until handshake_done()
};

// The interceptor's reading of how a connection ended; `table` leaves it to the reconnect table.
struct CloseVerdict {
    enum class Decision { table, reconnect, stop } decision = Decision::table;
    int64_t delay_ms = -1;             // reconnect: a fixed delay instead of the backoff's
    tether_status status = TETHER_OK;  // stop: reported in an ERROR event when not OK
    std::string why;
};

class Interceptor {
public:
    virtual ~Interceptor() = default;
    // The socket is open. token: the current auth token; auth_message: the rendered
    // authMessageTemplate when authMethod is first-message and a template is set, else "".
    // Returning wait_for_ready takes first-message auth over from the session.
    virtual OpeningPlan on_open(const std::string &token, const std::string &auth_message) = 0;
    // The client just became ready (authenticated): frames to send before anything queued.
    virtual std::vector<std::string> on_ready() = 0;
    // A received message. Returns true when it was the interceptor's own (nothing else to do).
    virtual bool on_message(const std::string &data, bool binary) = 0;
    // A queued frame that carried this tag was written to the socket.
    virtual void on_written(uint64_t tag) = 0;
    // The connection ended; final when no reconnect follows.
    virtual void on_connection_lost(bool final) = 0;
    // The meaning of a close frame (code, reason) in the interceptor's protocol.
    virtual CloseVerdict on_close_frame(int32_t code, const std::string &reason) = 0;
    // Extra fields for the stats object, each as ,"name":value.
    virtual std::string stats_fields() const = 0;
};

}  // namespace tether::session
