// The hook through which a layer above the session (impl/manager) takes part in a connection's
// life without the session knowing about channels or requests. Every method runs on the
// session's strand.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tether::session {

class Interceptor {
public:
    virtual ~Interceptor() = default;
    // The client just became ready (authenticated): frames to send before anything queued.
    virtual std::vector<std::string> on_ready() = 0;
    // A received message. Returns true when it was the interceptor's own (nothing else to do).
    virtual bool on_message(const std::string &data, bool binary) = 0;
    // A queued frame that carried this tag was written to the socket.
    virtual void on_written(uint64_t tag) = 0;
    // The connection ended; final when no reconnect follows.
    virtual void on_connection_lost(bool final) = 0;
    // Extra fields for the stats object, each as ,"name":value.
    virtual std::string stats_fields() const = 0;
};

}  // namespace tether::session
