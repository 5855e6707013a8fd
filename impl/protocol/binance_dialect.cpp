// The binance protocol: Binance market data streams on the combined-stream endpoint
// (wss://stream.binance.com:9443/stream). A channel is a stream name ("btcusdt@trade").
//   subscribe:   {"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":17}
//                -> {"result":null,"id":17} (subscribed)
//                or {"error":{"code":2,"msg":"Invalid request: ..."},"id":17} (subscribe_error)
//   unsubscribe: {"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":18} (its answer is ignored)
//   request:     {"method":<method>,"params":[...],"id":19} -> {"result":<payload>,"id":19}, or an
//                error as above (e.g. LIST_SUBSCRIPTIONS, GET_PROPERTY ["combined"])
//   messages:    {"stream":"btcusdt@trade","data":{"e":"trade",...}} (channel_message; the event
//                is data.e); raw-stream payloads (the /ws endpoint) stay plain messages
//   keep-alive:  the server pings every 20 s and drops a connection that has not answered within
//                a minute; WebSocket pongs answer it (the transport's job)
//   close:       {"e":"serverShutdown"} (or the combined "!serverShutdown" stream) asks for a new
//                connection: tether reconnects at once. A connection lasts at most 24 hours; the
//                close that ends it reconnects by the general table.
//   publish:     the streams are read-only
// Subscription params are ignored: a stream name says everything.
#include <set>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

// Binance's params are always an array: a single value becomes its only element, none (or
// null) an empty one.
std::string params_array(const std::string &params_json) {
    const json::value v = parse_or_null(params_json);
    if (v.is_null()) return "[]";  // "" and null; the C ABI has checked the JSON already
    return v.is_array() ? json::serialize(v) : "[" + json::serialize(v) + "]";
}

// "Invalid request: ... (code 2)" from Binance's {"code":2,"msg":"..."}.
std::string error_text(const json::value &error) {
    std::string msg, code;
    if (const json::object *e = error.if_object()) {
        if (const json::value *m = e->if_contains("msg"); m && m->is_string()) msg = m->get_string();
        if (const json::value *c = e->if_contains("code"); c && (c->is_int64() || c->is_uint64())) {
            code = json::serialize(*c);
        }
    }
    if (!msg.empty()) return code.empty() ? msg : msg + " (code " + code + ")";
    if (!code.empty()) return "code " + code;
    return json::serialize(error);
}

bool is_server_shutdown(const json::object *event) {
    return event && string_field(*event, "e") == "serverShutdown";
}

class BinanceDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "binance"; }

    Opening open(const std::string &, const std::string &) override {
        // Answers to the last connection's subscribes will never come.
        subscribing_.clear();
        unsubscribing_.clear();
        return {};
    }

    Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                    const std::string &) override {
        if (channel.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "binance: the stream name must not be empty");
        // Binance's id is a number, and the manager's wire ids are decimal: written as they are.
        out = R"({"method":"SUBSCRIBE","params":[)" + json_quote(channel) + R"(],"id":)" + wire_id + "}";
        subscribing_.insert(wire_id);
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &wire_id,
                      const std::string &channel) override {
        out = R"({"method":"UNSUBSCRIBE","params":[)" + json_quote(channel) + R"(],"id":)" + wire_id + "}";
        unsubscribing_.insert(wire_id);
        return ok();
    }

    Error publish(std::string &, const std::string &, const std::string &) override {
        return unsupported("binance", "publish");
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        if (method.empty()) return make_error(TETHER_E_INVALID_ARGUMENT, "binance: the method must not be empty");
        out = R"({"method":)" + json_quote(method) + R"(,"params":)" + params_array(params_json) + R"(,"id":)" +
              wire_id + "}";
        return ok();
    }

    Incoming decode(std::string_view data, bool binary) override {
        return decode_json_object(data, binary, [this](const json::object &o) { return decode_one(o); });
    }

private:
    Decoded decode_one(const json::object &o) {
        Decoded d;
        const json::value *payload = o.if_contains("data");
        if (is_server_shutdown(&o) || is_server_shutdown(payload ? payload->if_object() : nullptr)) {
            d.kind = Decoded::Kind::server_close;
            d.reconnect = true;
            d.error_message = "serverShutdown: the server is about to shut down";
            return d;
        }
        const json::value *stream = o.if_contains("stream");
        if (stream && stream->is_string() && payload) {
            d.kind = Decoded::Kind::channel_message;
            d.channel = stream->get_string();
            if (const json::object *event = payload->if_object()) d.event = string_field(*event, "e");
            d.payload = json::serialize(*payload);
            return d;
        }
        const json::value *result = o.if_contains("result");
        const json::value *error = o.if_contains("error");
        const std::string id = id_text(o.if_contains("id"));  // "" when none we could have sent
        if (id.empty() || (result == nullptr && error == nullptr)) return d;
        const bool failed = error && !error->is_null();
        if (subscribing_.erase(id)) {
            d.kind = failed ? Decoded::Kind::subscribe_error : Decoded::Kind::subscribed;
        } else if (unsubscribing_.erase(id)) {
            d.kind = Decoded::Kind::ignore;  // the manager forgot the channel when it unsubscribed
            return d;
        } else {
            d.kind = Decoded::Kind::response;
        }
        d.wire_id = id;
        if (failed) {
            d.is_error = true;
            d.error_message = error_text(*error);
            d.payload = json::serialize(*error);
        } else if (result) {
            d.payload = json::serialize(*result);
        }
        return d;
    }

    // Ids of SUBSCRIBE / UNSUBSCRIBE frames of this connection whose answer has not come yet:
    // an answer carries only the id, and a request's answer looks the same.
    std::set<std::string> subscribing_;
    std::set<std::string> unsubscribing_;
};

}  // namespace

std::unique_ptr<Dialect> make_binance_dialect(const config::Options &) { return std::make_unique<BinanceDialect>(); }

}  // namespace tether::protocol
