// impl/manager: the specification's WebSocketConnectionManager over one session: channels
// (subscribe / unsubscribe / publish), request/response correlation with timeouts, and their
// stats. It speaks through a protocol::Dialect and plugs into the session as its Interceptor.
//
// Threading: the public methods are safe from any thread (one mutex); the Interceptor methods
// and the request timers run on the session's strand. Events are emitted on the strand only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "impl/common/error.hpp"
#include "impl/protocol/dialect.hpp"
#include "impl/session/interceptor.hpp"
#include "impl/session/session.hpp"

namespace tether::manager {

class Manager final : public session::Interceptor {
public:
    // The session owns the manager (as its interceptor) and outlives it.
    Manager(session::Session &session, std::unique_ptr<protocol::Dialect> dialect);

    Error subscribe(uint64_t &out_subscription, const std::string &channel, const std::string &params_json);
    Error unsubscribe(uint64_t subscription);
    Error publish(const std::string &channel, const std::string &payload_json, uint64_t send_id);
    Error request(const std::string &method, const std::string &params_json, int32_t timeout_ms, uint64_t id);

    std::vector<std::string> on_ready() override;
    bool on_message(const std::string &data, bool binary) override;
    void on_written(uint64_t tag) override;
    void on_connection_lost(bool final) override;
    std::string stats_fields() const override;

private:
    struct Channel {
        std::string wire_id;           // of the subscribe frame on the current connection
        std::string params_json;       // from the first subscription
        std::vector<uint64_t> subscriptions;
        bool confirmed = false;        // the server answered `subscribed` on this connection
    };
    struct Pending {
        uint64_t id = 0;               // the caller's
        bool written = false;          // on the wire: a lost connection fails it
        std::shared_ptr<boost::asio::steady_timer> timer;
    };

    std::string next_wire_id(char kind);
    void start_timer(const std::string &wire_id, int32_t timeout_ms);
    void respond(uint64_t id, tether_status status, std::string data, std::string text);
    void confirm_later(uint64_t subscription, const std::string &channel);

    session::Session &session_;
    const std::unique_ptr<protocol::Dialect> dialect_;

    mutable std::mutex mutex_;
    bool ready_ = false;
    uint64_t next_subscription_ = 1;
    uint64_t next_wire_ = 1;
    std::map<std::string, Channel> channels_;             // by channel name
    std::map<uint64_t, std::string> subscription_channel_; // subscription id -> channel
    std::map<std::string, Pending> pending_;               // by wire id
};

}  // namespace tether::manager
