// impl/protocol: how the connection manager's operations look on the wire. A dialect only
// encodes and decodes text; it never touches sockets, timers or state.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "impl/config/options.hpp"

namespace tether::protocol {

// What one received message means to the manager.
struct Decoded {
    enum class Kind {
        other,            // not the manager's: delivered as a plain MESSAGE
        channel_message,  // channel + payload
        response,         // wire_id + payload, or is_error + error_message
        subscribed,       // wire_id (+ channel)
        subscribe_error,  // wire_id (+ channel), error_message
        ignore,           // protocol housekeeping with nothing to report (acks, pongs)
    };
    Kind kind = Kind::other;
    std::string wire_id;
    std::string channel;
    std::string payload;  // JSON text; "null" when absent
    bool is_error = false;
    std::string error_message;
};

class Dialect {
public:
    virtual ~Dialect() = default;
    virtual const char *name() const noexcept = 0;
    // Frames for the manager's operations. JSON arguments are valid JSON text (checked before).
    virtual std::string subscribe(std::string_view wire_id, std::string_view channel,
                                  std::string_view params_json) const = 0;
    virtual std::string unsubscribe(std::string_view wire_id, std::string_view channel) const = 0;
    virtual std::string publish(std::string_view channel, std::string_view payload_json) const = 0;
    virtual std::string request(std::string_view wire_id, std::string_view method,
                                std::string_view params_json) const = 0;
    virtual Decoded decode(std::string_view data, bool binary) const = 0;
};

// The dialect of a protocol; nullptr for raw, which has none.
std::unique_ptr<Dialect> make_dialect(config::Protocol protocol);

}  // namespace tether::protocol
