// The json protocol: the specification's message envelope {type, payload, id, timestamp}, with
// `channel` for channel operations and `method` for requests.
//   out: subscribe / unsubscribe {channel, id, payload?}, publish {channel, payload},
//        request {method, payload, id}
//   in:  message {channel, payload}, response {id, payload | error}, subscribed {id},
//        error {id, payload.message} (a refused subscription when the id is one of ours)
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/common/message.hpp"
#include "impl/common/text.hpp"
#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

std::string quoted(std::string_view s) { return "\"" + json_escape(s) + "\""; }

std::string string_field(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::string value_text(const json::object &o, std::string_view key) {
    const json::value *v = o.if_contains(key);
    return v ? json::serialize(*v) : std::string("null");
}

std::string error_message_of(const json::value *error) {
    if (error == nullptr) return "error";
    if (error->is_string()) return std::string(error->as_string());
    if (error->is_object()) {
        const std::string m = string_field(error->as_object(), "message");
        if (!m.empty()) return m;
    }
    return json::serialize(*error);
}

class JsonDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "json"; }

    std::string subscribe(std::string_view wire_id, std::string_view channel,
                          std::string_view params_json) const override {
        std::string out = R"({"type":"subscribe","channel":)" + quoted(channel) + R"(,"id":)" + quoted(wire_id);
        if (!params_json.empty()) out += R"(,"payload":)" + std::string(params_json);
        return out + R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
    }

    std::string unsubscribe(std::string_view wire_id, std::string_view channel) const override {
        return R"({"type":"unsubscribe","channel":)" + quoted(channel) + R"(,"id":)" + quoted(wire_id) +
               R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
    }

    std::string publish(std::string_view channel, std::string_view payload_json) const override {
        return R"({"type":"publish","channel":)" + quoted(channel) + R"(,"payload":)" +
               std::string(payload_json.empty() ? "null" : payload_json) + R"(,"timestamp":)" +
               std::to_string(now_ms()) + "}";
    }

    std::string request(std::string_view wire_id, std::string_view method,
                        std::string_view params_json) const override {
        return R"({"type":"request","method":)" + quoted(method) + R"(,"payload":)" +
               std::string(params_json.empty() ? "null" : params_json) + R"(,"id":)" + quoted(wire_id) +
               R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
    }

    Decoded decode(std::string_view data, bool binary) const override {
        Decoded d;
        if (binary) return d;
        boost::system::error_code ec;
        const json::value v = json::parse(data, ec);
        if (ec || !v.is_object()) return d;
        const json::object &o = v.as_object();
        const std::string type = string_field(o, "type");
        d.wire_id = string_field(o, "id");
        d.channel = string_field(o, "channel");
        if (type == "message" && !d.channel.empty()) {
            d.kind = Decoded::Kind::channel_message;
            d.payload = value_text(o, "payload");
        } else if (type == "response" && !d.wire_id.empty()) {
            d.kind = Decoded::Kind::response;
            if (const json::value *error = o.if_contains("error"); error && !error->is_null()) {
                d.is_error = true;
                d.error_message = error_message_of(error);
            }
            d.payload = value_text(o, d.is_error ? "error" : "payload");
        } else if (type == "subscribed" && !d.wire_id.empty()) {
            d.kind = Decoded::Kind::subscribed;
        } else if (type == "error" && !d.wire_id.empty()) {
            d.kind = Decoded::Kind::subscribe_error;
            const json::value *payload = o.if_contains("payload");
            d.error_message = error_message_of(payload);
        } else if ((type == "unsubscribed" || type == "published" || type == "pong") && !d.wire_id.empty()) {
            d.kind = Decoded::Kind::ignore;
        }
        return d;
    }
};

}  // namespace

std::unique_ptr<Dialect> make_dialect(config::Protocol protocol) {
    switch (protocol) {
    case config::Protocol::json: return std::make_unique<JsonDialect>();
    case config::Protocol::raw: return nullptr;
    }
    return nullptr;
}

}  // namespace tether::protocol
