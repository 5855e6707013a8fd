#include "impl/manager/manager.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>

namespace tether::manager {

namespace net = boost::asio;
using protocol::Decoded;

Manager::Manager(session::Session &session, std::unique_ptr<protocol::Dialect> dialect)
    : session_(session), dialect_(std::move(dialect)) {}

std::string Manager::next_wire_id(char kind) { return std::string(1, kind) + std::to_string(next_wire_++); }

// ---- the application's calls, any thread -----------------------------------------------------

Error Manager::subscribe(uint64_t &out_subscription, const std::string &channel, const std::string &params_json) {
    std::lock_guard<std::mutex> lock(mutex_);
    const uint64_t id = next_subscription_++;
    auto [it, first] = channels_.try_emplace(channel);
    Channel &c = it->second;
    c.subscriptions.push_back(id);
    subscription_channel_[id] = channel;
    if (first) {
        c.params_json = params_json;
        // Offline, the subscription waits for on_ready, which subscribes every live channel.
        if (ready_) {
            c.wire_id = next_wire_id('s');
            session_.send_control_frame(dialect_->subscribe(c.wire_id, channel, c.params_json));
        }
    } else if (c.confirmed) {
        // The channel is live on the wire already: this subscription is confirmed as it is.
        confirm_later(id, channel);
    }
    out_subscription = id;
    return ok();
}

void Manager::confirm_later(uint64_t subscription, const std::string &channel) {
    net::post(session_.strand(), [self = session_.shared_from_this(), this, subscription, channel] {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (subscription_channel_.count(subscription) == 0) return;  // gone meanwhile
        }
        auto ev = session_.new_event(TETHER_EVENT_SUBSCRIBED);
        ev->id = subscription;
        ev->channel = channel;
        session_.emit_event(std::move(ev));
    });
}

Error Manager::unsubscribe(uint64_t subscription) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto found = subscription_channel_.find(subscription);
    if (found == subscription_channel_.end()) {
        return make_error(TETHER_E_INVALID_ARGUMENT,
                          "tether_client_unsubscribe: no live subscription " + std::to_string(subscription));
    }
    const std::string channel = found->second;
    subscription_channel_.erase(found);
    Channel &c = channels_[channel];
    c.subscriptions.erase(std::remove(c.subscriptions.begin(), c.subscriptions.end(), subscription),
                          c.subscriptions.end());
    if (c.subscriptions.empty()) {
        // The last subscription of the channel: the server can stop sending it.
        if (ready_) session_.send_control_frame(dialect_->unsubscribe(next_wire_id('u'), channel));
        channels_.erase(channel);
    }
    return ok();
}

Error Manager::publish(const std::string &channel, const std::string &payload_json, uint64_t send_id) {
    return session_.queue_frame(dialect_->publish(channel, payload_json), send_id, 0);
}

Error Manager::request(const std::string &method, const std::string &params_json, int32_t timeout_ms, uint64_t id) {
    std::string wire_id;
    uint64_t tag = 0;  // the number in the wire id: on_written finds the request by it
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto &p : pending_) {
            if (p.second.id == id) {
                return make_error(TETHER_E_INVALID_ARGUMENT,
                                  "tether_client_request: request id " + std::to_string(id) + " is already pending");
            }
        }
        tag = next_wire_;
        wire_id = next_wire_id('q');
        pending_[wire_id].id = id;
    }
    if (Error e = session_.queue_frame(dialect_->request(wire_id, method, params_json), 0, tag)) {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.erase(wire_id);
        e.message = "tether_client_request: " + e.message;
        return e;
    }
    if (timeout_ms > 0) {
        net::post(session_.strand(), [self = session_.shared_from_this(), this, wire_id, timeout_ms] {
            start_timer(wire_id, timeout_ms);
        });
    }
    return ok();
}

// ---- on the strand ---------------------------------------------------------------------------

void Manager::start_timer(const std::string &wire_id, int32_t timeout_ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = pending_.find(wire_id);
    if (it == pending_.end()) return;  // answered or failed already
    auto timer = std::make_shared<net::steady_timer>(session_.strand());
    timer->expires_after(std::chrono::milliseconds(timeout_ms));
    timer->async_wait([self = session_.shared_from_this(), this, wire_id, timeout_ms](const boost::system::error_code &ec) {
        if (ec) return;
        uint64_t id = 0;
        {
            std::lock_guard<std::mutex> inner(mutex_);
            const auto p = pending_.find(wire_id);
            if (p == pending_.end()) return;
            id = p->second.id;
            pending_.erase(p);
        }
        respond(id, TETHER_E_TIMEOUT, "null", "no response within " + std::to_string(timeout_ms) + " ms");
    });
    it->second.timer = std::move(timer);
}

void Manager::respond(uint64_t id, tether_status status, std::string data, std::string text) {
    auto ev = session_.new_event(TETHER_EVENT_RESPONSE);
    ev->id = id;
    ev->status = status;
    ev->data = std::move(data);
    ev->message_type = TETHER_MESSAGE_TEXT;
    ev->text = std::move(text);
    session_.emit_event(std::move(ev));
}

std::vector<std::string> Manager::on_ready() {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_ = true;
    std::vector<std::string> frames;
    for (auto &[name, channel] : channels_) {
        channel.wire_id = next_wire_id('s');
        channel.confirmed = false;
        frames.push_back(dialect_->subscribe(channel.wire_id, name, channel.params_json));
    }
    return frames;
}

bool Manager::on_message(const std::string &data, bool binary) {
    Decoded d = dialect_->decode(data, binary);
    switch (d.kind) {
    case Decoded::Kind::other: return false;
    case Decoded::Kind::ignore: return true;
    case Decoded::Kind::channel_message: {
        std::vector<uint64_t> subscriptions;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto it = channels_.find(d.channel);
            if (it == channels_.end()) return true;  // unsubscribed meanwhile: not for anyone
            subscriptions = it->second.subscriptions;
        }
        for (uint64_t id : subscriptions) {
            auto ev = session_.new_event(TETHER_EVENT_CHANNEL_MESSAGE);
            ev->id = id;
            ev->channel = d.channel;
            ev->message_type = TETHER_MESSAGE_TEXT;
            ev->data = d.payload;
            session_.emit_event(std::move(ev));
        }
        return true;
    }
    case Decoded::Kind::response: {
        Pending pending;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            const auto it = pending_.find(d.wire_id);
            if (it == pending_.end()) return true;  // timed out before: delivered once, already
            pending = std::move(it->second);
            pending_.erase(it);
        }
        if (pending.timer) pending.timer->cancel();
        if (d.is_error) {
            respond(pending.id, TETHER_E_REMOTE, std::move(d.payload), "the server answered with an error: " + d.error_message);
        } else {
            respond(pending.id, TETHER_OK, std::move(d.payload), "");
        }
        return true;
    }
    case Decoded::Kind::subscribed:
    case Decoded::Kind::subscribe_error: {
        std::string channel;
        std::vector<uint64_t> subscriptions;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            for (auto it = channels_.begin(); it != channels_.end(); ++it) {
                if (it->second.wire_id != d.wire_id) continue;
                channel = it->first;
                subscriptions = it->second.subscriptions;
                it->second.confirmed = d.kind == Decoded::Kind::subscribed;
                if (d.kind == Decoded::Kind::subscribe_error) {
                    for (uint64_t id : subscriptions) subscription_channel_.erase(id);
                    channels_.erase(it);
                }
                break;
            }
        }
        if (channel.empty()) return d.kind == Decoded::Kind::subscribed;  // not one of ours
        for (uint64_t id : subscriptions) {
            const bool ok_ = d.kind == Decoded::Kind::subscribed;
            auto ev = session_.new_event(ok_ ? TETHER_EVENT_SUBSCRIBED : TETHER_EVENT_SUBSCRIBE_FAILED);
            ev->id = id;
            ev->channel = channel;
            if (!ok_) {
                ev->status = TETHER_E_REMOTE;
                ev->text = "the server refused the subscription to '" + channel + "': " + d.error_message;
            }
            session_.emit_event(std::move(ev));
        }
        return true;
    }
    }
    return false;
}

void Manager::on_written(uint64_t tag) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = pending_.find("q" + std::to_string(tag));
    if (it != pending_.end()) it->second.written = true;
}

void Manager::on_connection_lost(bool final) {
    std::vector<uint64_t> failed;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_ = false;
        for (auto &entry : channels_) entry.second.confirmed = false;
        for (auto it = pending_.begin(); it != pending_.end();) {
            // A request still queued is sent after the reconnect; one on the wire is lost.
            if (final || it->second.written) {
                if (it->second.timer) it->second.timer->cancel();
                failed.push_back(it->second.id);
                it = pending_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (uint64_t id : failed) {
        respond(id, TETHER_E_CLOSED, "null",
                final ? "the connection closed before the response arrived"
                      : "the connection was lost after the request was sent; it may or may not have been handled");
    }
}

std::string Manager::stats_fields() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ",\"activeSubscriptions\":" + std::to_string(subscription_channel_.size()) +
           ",\"pendingRequests\":" + std::to_string(pending_.size()) + ",\"protocol\":\"" + dialect_->name() + "\"";
}

}  // namespace tether::manager
