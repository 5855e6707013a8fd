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

    session::OpeningPlan on_open(const std::string &token, const std::string &auth_message) override;
    std::vector<std::string> on_ready() override;
    bool on_message(const std::string &data, bool binary) override;
    void on_written(uint64_t tag) override;
    void on_connection_lost(bool final) override;
    session::CloseVerdict on_close_frame(int32_t code, const std::string &reason) override;
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

    std::string next_wire_id();
    void start_timer(const std::string &wire_id, int32_t timeout_ms);
    void respond(uint64_t id, tether_status status, std::string data, std::string text);
    void confirm_later(uint64_t subscription, const std::string &channel);
    void handle(protocol::Decoded &d);
    void deliver(const protocol::Decoded &d);
    void answer(protocol::Decoded &d);
    void settle_subscription(const protocol::Decoded &d);
    void schedule_heartbeat();
    // The channel a decoded message names: by wire id when it has one, else by name.
    std::map<std::string, Channel>::iterator find_channel_locked(const protocol::Decoded &d);

    session::Session &session_;
    const std::unique_ptr<protocol::Dialect> dialect_;

    mutable std::mutex mutex_;
    bool ready_ = false;
    uint64_t next_subscription_ = 1;
    uint64_t next_wire_ = 1;
    uint64_t heartbeat_generation_ = 0;                    // strand only: bumped to stop a heartbeat
    std::shared_ptr<boost::asio::steady_timer> heartbeat_; // strand only
    std::map<std::string, Channel> channels_;             // by channel name
    std::map<uint64_t, std::string> subscription_channel_; // subscription id -> channel
    std::map<std::string, Pending> pending_;               // by wire id
};

}  // namespace tether::manager
