#include "impl/manager/manager.hpp"

#include <algorithm>
#include <chrono>

#include <boost/asio/post.hpp>

namespace tether::manager {

namespace net = boost::asio;
using protocol::Decoded;

Manager::Manager(session::Session &session, std::unique_ptr<protocol::Dialect> dialect)
    : session_(session), dialect_(std::move(dialect)) {}

std::string Manager::next_wire_id() { return std::to_string(next_wire_++); }

// ---- the application's calls, any thread -----------------------------------------------------

Error Manager::subscribe(uint64_t &out_subscription, const std::string &channel, const std::string &params_json) {
    std::vector<uint64_t> confirm;
    std::string frame;
    const char *fn = "tether_client_subscribe: ";
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool first = channels_.count(channel) == 0;
        std::string wire_id;
        if (first) {
            // Encoded now even offline, so that what the protocol cannot carry fails here, at
            // the call; offline, on_ready encodes it again for the connection.
            wire_id = next_wire_id();
            if (Error e = dialect_->subscribe(frame, wire_id, channel, params_json)) {
                e.message = fn + e.message;
                return e;
            }
        }
        const uint64_t id = next_subscription_++;
        Channel &c = channels_[channel];
        c.subscriptions.push_back(id);
        subscription_channel_[id] = channel;
        out_subscription = id;
        if (first) {
            c.params_json = params_json;
            if (!ready_) return ok();  // sent by on_ready
            c.wire_id = wire_id;
            if (!dialect_->confirms_subscriptions()) {
                c.confirmed = true;
                confirm.push_back(id);
            }
        } else if (c.confirmed) {
            // The channel is live on the wire already: this subscription is confirmed as it is.
            confirm.push_back(id);
        }
    }
    if (!frame.empty()) session_.send_control_frame(std::move(frame));
    for (uint64_t id : confirm) confirm_later(id, channel);
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
    std::string frame;
    {
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
        if (!c.subscriptions.empty()) return ok();
        // The last subscription of the channel: the server can stop sending it. A protocol that
        // cannot say so (an error here) just stops delivering it.
        if (ready_ && !c.wire_id.empty()) {
            if (dialect_->unsubscribe(frame, c.wire_id, next_wire_id(), channel)) frame.clear();
        }
        channels_.erase(channel);
    }
    if (!frame.empty()) session_.send_control_frame(std::move(frame));
    return ok();
}

Error Manager::publish(const std::string &channel, const std::string &payload_json, uint64_t send_id) {
    std::string frame;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (Error e = dialect_->publish(frame, channel, payload_json)) {
            e.message = "tether_client_publish: " + e.message;
            return e;
        }
    }
    return session_.queue_frame(std::move(frame), send_id, 0);
}

Error Manager::request(const std::string &method, const std::string &params_json, int32_t timeout_ms, uint64_t id) {
    std::string wire_id;
    std::string frame;
    uint64_t tag = 0;  // the wire id as a number: on_written finds the request by it
    {
        std::lock_guard<std::mutex> lock(mutex_);
        for (const auto &p : pending_) {
            if (p.second.id == id) {
                return make_error(TETHER_E_INVALID_ARGUMENT,
                                  "tether_client_request: request id " + std::to_string(id) + " is already pending");
            }
        }
        tag = next_wire_;
        wire_id = next_wire_id();
        if (Error e = dialect_->request(frame, wire_id, method, params_json)) {
            e.message = "tether_client_request: " + e.message;
            return e;
        }
        pending_[wire_id].id = id;
    }
    if (Error e = session_.queue_frame(std::move(frame), 0, tag)) {
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

session::OpeningPlan Manager::on_open(const std::string &token, const std::string &auth_message) {
    std::lock_guard<std::mutex> lock(mutex_);
    protocol::Opening opening = dialect_->open(token, auth_message);
    session::OpeningPlan plan;
    plan.frames = std::move(opening.frames);
    plan.wait_for_ready = opening.wait_for_ready;  // the session also waits when there are frames
    return plan;
}

std::vector<std::string> Manager::on_ready() {
    std::vector<std::string> frames;
    std::vector<std::pair<uint64_t, std::string>> confirm;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_ = true;
        const bool confirms = dialect_->confirms_subscriptions();
        for (auto it = channels_.begin(); it != channels_.end();) {
            Channel &channel = it->second;
            channel.wire_id = next_wire_id();
            channel.confirmed = !confirms;
            std::string frame;
            if (dialect_->subscribe(frame, channel.wire_id, it->first, channel.params_json)) {
                // Accepted when it was made, so this cannot happen; drop it rather than loop.
                for (uint64_t id : channel.subscriptions) subscription_channel_.erase(id);
                it = channels_.erase(it);
                continue;
            }
            if (!frame.empty()) frames.push_back(std::move(frame));
            if (!confirms) {
                for (uint64_t id : channel.subscriptions) confirm.emplace_back(id, it->first);
            }
            ++it;
        }
    }
    for (const auto &[id, channel] : confirm) confirm_later(id, channel);
    schedule_heartbeat();
    return frames;
}

void Manager::schedule_heartbeat() {
    int64_t interval = 0;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        interval = dialect_->heartbeat_interval_ms();
    }
    if (interval <= 0) return;
    if (!heartbeat_) heartbeat_ = std::make_shared<net::steady_timer>(session_.strand());
    heartbeat_->expires_after(std::chrono::milliseconds(interval));
    const uint64_t generation = heartbeat_generation_;
    heartbeat_->async_wait([self = session_.shared_from_this(), this, generation](const boost::system::error_code &ec) {
        if (ec || generation != heartbeat_generation_) return;
        std::string frame;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!ready_) return;
            frame = dialect_->heartbeat(next_wire_id());
        }
        if (!frame.empty()) session_.send_control_frame(std::move(frame));
        schedule_heartbeat();
    });
}

bool Manager::on_message(const std::string &data, bool binary) {
    protocol::Incoming incoming;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        incoming = dialect_->decode(data, binary);
    }
    for (std::string &reply : incoming.replies) session_.send_early(std::move(reply));
    bool consumed = !incoming.replies.empty();
    for (Decoded &d : incoming.messages) {
        if (d.kind == Decoded::Kind::other) continue;
        consumed = true;
        const bool ends = d.kind == Decoded::Kind::refused || d.kind == Decoded::Kind::server_close;
        handle(d);
        if (ends) break;  // the connection is gone: the rest of the frame is moot
    }
    return consumed;
}

void Manager::handle(Decoded &d) {
    switch (d.kind) {
    case Decoded::Kind::other:
    case Decoded::Kind::ignore: return;
    case Decoded::Kind::ready: session_.handshake_done(); return;
    case Decoded::Kind::refused: {
        transport::Failure f;
        f.error = make_error(TETHER_E_AUTH, std::string("the server refused the ") + dialect_->name() +
                                                " connection: " + d.error_message);
        session::CloseVerdict verdict;
        verdict.decision = session::CloseVerdict::Decision::stop;
        verdict.why = "the server refused the credentials";
        session_.end_connection(std::move(f), std::move(verdict));
        return;
    }
    case Decoded::Kind::server_close: {
        transport::Failure f;
        f.close_code = 1000;
        f.close_reason = d.error_message;
        session::CloseVerdict verdict;
        verdict.decision = d.reconnect ? session::CloseVerdict::Decision::reconnect : session::CloseVerdict::Decision::stop;
        verdict.why = std::string("the server ended the ") + dialect_->name() + " session" +
                      (d.error_message.empty() ? std::string() : ": " + d.error_message);
        session_.end_connection(std::move(f), std::move(verdict));
        return;
    }
    case Decoded::Kind::channel_message: deliver(d); return;
    case Decoded::Kind::item: {
        bool is_request = false;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            is_request = pending_.count(d.wire_id) != 0;
        }
        if (is_request) {
            answer(d);
        } else {
            deliver(d);
        }
        return;
    }
    case Decoded::Kind::response: answer(d); return;
    case Decoded::Kind::subscribed:
    case Decoded::Kind::subscribe_error:
    case Decoded::Kind::subscription_ended: settle_subscription(d); return;
    }
}

std::map<std::string, Manager::Channel>::iterator Manager::find_channel_locked(const Decoded &d) {
    if (d.wire_id.empty()) return channels_.find(d.channel);
    for (auto it = channels_.begin(); it != channels_.end(); ++it) {
        if (it->second.wire_id == d.wire_id) return it;
    }
    return channels_.end();
}

void Manager::deliver(const Decoded &d) {
    std::string channel;
    std::vector<uint64_t> subscriptions;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = find_channel_locked(d);
        if (it == channels_.end()) return;  // unsubscribed meanwhile: not for anyone
        channel = it->first;
        subscriptions = it->second.subscriptions;
    }
    for (uint64_t id : subscriptions) {
        auto ev = session_.new_event(TETHER_EVENT_CHANNEL_MESSAGE);
        ev->id = id;
        ev->channel = channel;
        ev->message_type = TETHER_MESSAGE_TEXT;
        ev->data = d.payload;
        ev->text = d.event;
        session_.emit_event(std::move(ev));
    }
}

void Manager::answer(Decoded &d) {
    Pending pending;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = pending_.find(d.wire_id);
        if (it == pending_.end()) return;  // timed out before, or a heartbeat's reply
        pending = std::move(it->second);
        pending_.erase(it);
    }
    if (pending.timer) pending.timer->cancel();
    if (d.is_error) {
        respond(pending.id, TETHER_E_REMOTE, std::move(d.payload), "the server answered with an error: " + d.error_message);
    } else {
        respond(pending.id, TETHER_OK, std::move(d.payload), "");
    }
}

void Manager::settle_subscription(const Decoded &d) {
    std::string channel;
    std::vector<uint64_t> subscriptions;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto it = find_channel_locked(d);
        if (it == channels_.end()) return;  // not one of ours, or gone meanwhile
        channel = it->first;
        subscriptions = it->second.subscriptions;
        if (d.kind == Decoded::Kind::subscribed) {
            it->second.confirmed = true;
        } else {
            for (uint64_t id : subscriptions) subscription_channel_.erase(id);
            channels_.erase(it);
        }
    }
    for (uint64_t id : subscriptions) {
        const bool subscribed = d.kind == Decoded::Kind::subscribed;
        auto ev = session_.new_event(subscribed ? TETHER_EVENT_SUBSCRIBED : TETHER_EVENT_SUBSCRIBE_FAILED);
        ev->id = id;
        ev->channel = channel;
        if (d.kind == Decoded::Kind::subscribe_error) {
            ev->status = TETHER_E_REMOTE;
            ev->text = "the server refused the subscription to '" + channel + "': " + d.error_message;
            ev->data = d.payload;
        } else if (d.kind == Decoded::Kind::subscription_ended) {
            ev->status = d.is_error ? TETHER_E_REMOTE : TETHER_E_CLOSED;
            ev->text = "the server ended the subscription to '" + channel + "'" +
                       (d.error_message.empty() ? std::string() : ": " + d.error_message);
            ev->data = d.payload;
        }
        session_.emit_event(std::move(ev));
    }
}

void Manager::on_written(uint64_t tag) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = pending_.find(std::to_string(tag));
    if (it != pending_.end()) it->second.written = true;
}

void Manager::on_connection_lost(bool final) {
    ++heartbeat_generation_;
    if (heartbeat_) heartbeat_->cancel();
    std::vector<uint64_t> failed;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        ready_ = false;
        for (auto &entry : channels_) {
            entry.second.confirmed = false;
            entry.second.wire_id.clear();
        }
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

session::CloseVerdict Manager::on_close_frame(int32_t code, const std::string &reason) {
    protocol::ClosePolicy policy;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        policy = dialect_->on_close(code, reason);
    }
    session::CloseVerdict verdict;
    switch (policy.decision) {
    case protocol::ClosePolicy::Decision::table: verdict.decision = session::CloseVerdict::Decision::table; break;
    case protocol::ClosePolicy::Decision::reconnect: verdict.decision = session::CloseVerdict::Decision::reconnect; break;
    case protocol::ClosePolicy::Decision::stop: verdict.decision = session::CloseVerdict::Decision::stop; break;
    }
    verdict.delay_ms = policy.delay_ms;
    verdict.status = policy.status;
    verdict.why = std::move(policy.why);
    return verdict;
}

std::string Manager::stats_fields() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ",\"activeSubscriptions\":" + std::to_string(subscription_channel_.size()) +
           ",\"pendingRequests\":" + std::to_string(pending_.size()) + ",\"protocol\":\"" + dialect_->name() + "\"";
}

}  // namespace tether::manager
