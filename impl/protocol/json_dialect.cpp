// The json protocol: the specification's message envelope {type, payload, id, timestamp}, with
// `channel` for channel operations and `method` for requests.
//   out: subscribe / unsubscribe {channel, id, payload?}, publish {channel, payload},
//        request {method, payload, id}
//   in:  message {channel, payload}, response {id, payload | error}, subscribed {id},
//        error {id, payload.message} (a refused subscription when the id is one of ours)
#include <boost/json/value.hpp>

#include "impl/common/message.hpp"
#include "impl/common/text.hpp"
#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

namespace json = boost::json;

namespace {

class JsonDialect final : public Dialect {
public:
    const char *name() const noexcept override { return "json"; }

    Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                    const std::string &params_json) override {
        out = R"({"type":"subscribe","channel":)" + json_quote(channel) + R"(,"id":)" + json_quote(wire_id);
        if (!params_json.empty()) out += R"(,"payload":)" + params_json;
        out += R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
        return ok();
    }

    Error unsubscribe(std::string &out, const std::string &, const std::string &wire_id,
                      const std::string &channel) override {
        out = R"({"type":"unsubscribe","channel":)" + json_quote(channel) + R"(,"id":)" + json_quote(wire_id) +
              R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
        return ok();
    }

    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override {
        out = R"({"type":"publish","channel":)" + json_quote(channel) + R"(,"payload":)" +
              (payload_json.empty() ? std::string("null") : payload_json) + R"(,"timestamp":)" +
              std::to_string(now_ms()) + "}";
        return ok();
    }

    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override {
        out = R"({"type":"request","method":)" + json_quote(method) + R"(,"payload":)" +
              (params_json.empty() ? std::string("null") : params_json) + R"(,"id":)" + json_quote(wire_id) +
              R"(,"timestamp":)" + std::to_string(now_ms()) + "}";
        return ok();
    }

    Incoming decode(std::string_view data, bool binary) override {
        return decode_json_object(data, binary, decode_one);
    }

private:
    static Decoded decode_one(const json::object &o) {
        Decoded d;
        const std::string type = string_field(o, "type");
        const std::string id = string_field(o, "id");
        const std::string channel = string_field(o, "channel");
        if (type == "message" && !channel.empty()) {
            d.kind = Decoded::Kind::channel_message;
            d.channel = channel;
            d.payload = value_text(o.if_contains("payload"));
        } else if (type == "response" && !id.empty()) {
            d.kind = Decoded::Kind::response;
            d.wire_id = id;
            if (const json::value *error = o.if_contains("error"); error && !error->is_null()) {
                d.is_error = true;
                d.error_message = error_message_of(error);
            }
            d.payload = value_text(o.if_contains(d.is_error ? "error" : "payload"));
        } else if (type == "subscribed" && !id.empty()) {
            d.kind = Decoded::Kind::subscribed;
            d.wire_id = id;
        } else if (type == "error" && !id.empty()) {
            d.kind = Decoded::Kind::subscribe_error;
            d.wire_id = id;
            d.error_message = error_message_of(o.if_contains("payload"));
            d.payload = value_text(o.if_contains("payload"));
        } else if ((type == "unsubscribed" || type == "published" || type == "pong") && !id.empty()) {
            d.kind = Decoded::Kind::ignore;
        }
        return d;
    }
};

}  // namespace

std::unique_ptr<Dialect> make_json_dialect(const config::Options &) { return std::make_unique<JsonDialect>(); }

}  // namespace tether::protocol
