// The phoenix protocol: Phoenix Channels with the V2 JSON serializer (vsn=2.0.0), where every
// message is the array [join_ref, ref, topic, event, payload]. The connection needs no handshake:
// a refused connect/3 is the upgrade's HTTP 403, so the client is ready as soon as it opens.
//   subscribe(topic, params)        [join_ref, wire, topic, "phx_join", params | {}]
//       [join_ref, wire, topic, "phx_reply", {status:"ok"}]   -> subscribed
//       [_, wire, topic, "phx_reply", {status:"error", response:{reason}}] -> subscribe_error
//   unsubscribe(topic)              [join_ref, wire, topic, "phx_leave", {}]; its reply and
//                                   the phx_close that follows are ignored
//   publish(topic, {event,payload}) [join_ref | null, null, topic, event, payload]: no ref, so
//                                   a reply the channel may send is not waited for
//   request(topic, {event,payload}) [join_ref | null, wire, topic, event, payload]
//       [_, wire, _, "phx_reply", {status:"ok", response}] -> response = response
//       status "error" (or anything else)               -> is_error, reason as its text
//   server push / broadcast         [join_ref | null, null, topic, event, payload]
//                                   -> channel_message(topic, event, payload)
//   [join_ref, _, topic, "phx_error" | "phx_close", _] -> subscription_ended (is_error for
//                                   phx_error). phoenix.js rejoins an errored channel on its
//                                   own timer; tether reports the end instead and leaves the
//                                   choice to subscribe again to the application.
//   keep-alive                      [null, wire, "phoenix", "heartbeat", {}] every 30 s (the
//                                   interval of phoenix.js; the server's idle timeout is 60 s);
//                                   its reply is ignored
//   auth                            the preset's query parameter ?token=...; a refusal is the
//                                   upgrade's 403, which stops the client (TETHER_E_AUTH)
//   close codes                     no meaning of their own: the general reconnect table
// join_ref is the wire id of the subscription's first join, kept for its rejoins after a
// reconnect: Phoenix (1.7+) drops a push whose join_ref is not the topic's current one, and a
// publish encoded before a reconnect (queued while offline) must still be accepted after it.
// Binary frames (the V2 serializer's binary pushes) are not decoded: they arrive as MESSAGE.
#include <map>
#include <set>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

constexpr int64_t kHeartbeatIntervalMs = 30000;
constexpr const char *kEventShape = R"({"event": "<name>", "payload": <any>})";

std::string ref_json(const std::string &ref) { return ref.empty() ? std::string("null") : json_quote(ref); }

// The reason a phx_reply with an error status gives: response.reason when it is text, else the
// response itself (or the status, when there is no response).
std::string reason_of(const json::value *response, const std::string &status) {
    if (response) {
        if (const json::object *o = response->if_object()) {
            if (const json::value *reason = o->if_contains("reason"); reason && reason->is_string()) {
                return std::string(reason->get_string());
            }
        }
        if (!response->is_null()) return json::serialize(*response);
    }
    return status.empty() ? std::string("error") : status;
}

class PhoenixDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "phoenix"; }

    Opening open(const std::string &, const std::string &) override {
        // Refs belong to one connection: what was pending on the last one is gone. The join_refs
        // stay, for the rejoins that on_ready sends.
        pending_joins_.clear();
        pending_leaves_.clear();
        for (auto &entry : joins_) entry.second.wire_id.clear();
        return {};
    }

    Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                    const std::string &params_json) override {
        json::object params;
        if (Error e = object_params(params, params_json,
                                    "params: a Phoenix join takes a JSON object (or none), not " + params_json)) {
            return e;
        }
        Join &join = joins_[channel];
        if (join.join_ref.empty()) join.join_ref = wire_id;
        join.wire_id = wire_id;
        pending_joins_[wire_id] = channel;
        out = "[" + json_quote(join.join_ref) + "," + json_quote(wire_id) + "," + json_quote(channel) +
              ",\"phx_join\"," + json::serialize(params) + "]";
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &subscribe_wire_id, const std::string &wire_id,
                      const std::string &channel) override {
        std::string join_ref = subscribe_wire_id;
        if (const auto join = joins_.find(channel); join != joins_.end()) {
            join_ref = join->second.join_ref;
            joins_.erase(join);
        }
        pending_joins_.erase(subscribe_wire_id);
        pending_leaves_.insert(wire_id);
        out = "[" + ref_json(join_ref) + "," + json_quote(wire_id) + "," + json_quote(channel) + ",\"phx_leave\",{}]";
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        std::string event, payload;
        if (Error e = event_and_payload("payload", payload_json, event, payload)) return e;
        out = push(channel, "", event, payload);
        return ok();
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        std::string event, payload;
        if (Error e = event_and_payload("params", params_json, event, payload)) return e;
        out = push(method, wire_id, event, payload);
        return ok();
    }

    Incoming decode(std::string_view data, bool binary) override {
        Incoming in;
        in.messages.push_back(decode_one(data, binary));
        return in;
    }

    int64_t heartbeat_interval_ms() const noexcept override { return kHeartbeatIntervalMs; }

    std::string heartbeat(const std::string &wire_id) override {
        return "[null," + json_quote(wire_id) + ",\"phoenix\",\"heartbeat\",{}]";
    }

private:
    struct Join {
        std::string join_ref;  // the same for every rejoin of the subscription
        std::string wire_id;   // the ref of its join on this connection ("" before it is sent)
    };

    // publish and request carry {"event": name, "payload": any}: Phoenix pushes are named events
    // on a topic, and the phx_ names are the protocol's own.
    static Error event_and_payload(const char *argument, const std::string &text, std::string &event,
                                   std::string &payload) {
        const json::value v = parse_or_null(text);
        const json::object *o = v.if_object();
        const json::value *name = o ? o->if_contains("event") : nullptr;
        if (!name || !name->is_string() || name->get_string().empty()) {
            return make_error(TETHER_E_INVALID_ARGUMENT, std::string(argument) + ": Phoenix pushes take " +
                                                             kEventShape + " with a non-empty event name");
        }
        event = std::string(name->get_string());
        if (event.rfind("phx_", 0) == 0) {
            return make_error(TETHER_E_INVALID_ARGUMENT,
                              std::string(argument) + ": the event name '" + event +
                                  "' is reserved by the Phoenix protocol (subscribe and unsubscribe join and leave)");
        }
        const json::value *p = o->if_contains("payload");
        payload = p ? json::serialize(*p) : std::string("{}");
        return ok();
    }

    std::string push(const std::string &topic, const std::string &ref, const std::string &event,
                     const std::string &payload) const {
        const auto join = joins_.find(topic);
        const std::string join_ref = join == joins_.end() ? std::string() : join->second.join_ref;
        return "[" + ref_json(join_ref) + "," + ref_json(ref) + "," + json_quote(topic) + "," + json_quote(event) +
               "," + payload + "]";
    }

    Decoded decode_one(std::string_view data, bool binary) {
        Decoded d;
        if (binary) return d;
        const json::value v = parse_or_null(data);
        const json::array *a = v.if_array();
        if (!a || a->size() != 5 || !(*a)[2].is_string() || !(*a)[3].is_string()) return d;
        // join_ref and ref: strings, or numbers some servers echo back; "" for null and the rest.
        const std::string join_ref = id_text(&(*a)[0]);
        const std::string ref = id_text(&(*a)[1]);
        const std::string topic((*a)[2].get_string());
        const std::string event((*a)[3].get_string());
        const json::value &payload = (*a)[4];
        if (event == "phx_reply") return decode_reply(ref, topic, payload);

        const auto join = joins_.find(topic);
        // A join_ref that is not the topic's current one belongs to an earlier join: what it
        // says (a push, its channel's end) is about nothing live. phoenix.js drops those too.
        const bool stale = !join_ref.empty() && (join == joins_.end() || join->second.join_ref != join_ref);
        if (event == "phx_error" || event == "phx_close") {
            d.kind = Decoded::Kind::ignore;
            if (join_ref.empty() || stale || join->second.wire_id.empty()) return d;
            d.kind = Decoded::Kind::subscription_ended;
            d.wire_id = join->second.wire_id;
            d.is_error = event == "phx_error";
            d.error_message = d.is_error ? "the channel crashed on the server (phx_error)"
                                         : "the server closed the channel (phx_close)";
            d.payload = json::serialize(payload);
            pending_joins_.erase(join->second.wire_id);
            joins_.erase(join);
            return d;
        }
        if (stale) {
            d.kind = Decoded::Kind::ignore;
            return d;
        }
        // A push to this client carries its join_ref; a broadcast carries null.
        d.kind = Decoded::Kind::channel_message;
        d.channel = topic;
        d.event = event;
        d.payload = json::serialize(payload);
        return d;
    }

    Decoded decode_reply(const std::string &ref, const std::string &topic, const json::value &payload) {
        Decoded d;
        d.kind = Decoded::Kind::ignore;
        if (ref.empty()) return d;  // the answer to a push that asked for none (a publish)
        std::string status;
        const json::value *response = nullptr;
        if (const json::object *o = payload.if_object()) {
            status = string_field(*o, "status");
            response = o->if_contains("response");
        }
        const bool good = status == "ok";
        d.payload = value_text(response);
        if (pending_leaves_.erase(ref) != 0) return d;
        if (const auto pending = pending_joins_.find(ref); pending != pending_joins_.end()) {
            const auto join = joins_.find(pending->second);
            pending_joins_.erase(pending);
            d.wire_id = ref;
            if (good) {
                d.kind = Decoded::Kind::subscribed;
            } else {
                if (join != joins_.end() && join->second.wire_id == ref) joins_.erase(join);
                d.kind = Decoded::Kind::subscribe_error;
                d.error_message = reason_of(response, status);
            }
            return d;
        }
        if (topic == "phoenix") return d;  // a heartbeat's answer
        d.kind = Decoded::Kind::response;
        d.wire_id = ref;
        if (!good) {
            d.is_error = true;
            d.error_message = reason_of(response, status);
        }
        return d;
    }

    std::map<std::string, Join> joins_;                 // topic -> its subscription's join
    std::map<std::string, std::string> pending_joins_;  // join's wire id -> topic, until answered
    std::set<std::string> pending_leaves_;              // leaves' wire ids, whose answers are ignored
};

}  // namespace

std::unique_ptr<Dialect> make_phoenix_dialect(const config::Options &) { return std::make_unique<PhoenixDialect>(); }

}  // namespace tether::protocol
