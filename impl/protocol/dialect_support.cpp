// What every dialect shares: the factory by protocol, and small helpers for building frames and
// reading what a server sent.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "impl/common/text.hpp"
#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

std::unique_ptr<Dialect> make_dialect(const config::Options &options) {
    switch (options.protocol) {
    case config::Protocol::raw: return nullptr;
    case config::Protocol::json: return make_json_dialect(options);
    case config::Protocol::socketio: return make_socketio_dialect(options);
    case config::Protocol::graphql_transport_ws: return make_graphql_transport_ws_dialect(options);
    case config::Protocol::graphql_ws: return make_graphql_ws_dialect(options);
    case config::Protocol::signalr: return make_signalr_dialect(options);
    case config::Protocol::phoenix: return make_phoenix_dialect(options);
    case config::Protocol::pusher: return make_pusher_dialect(options);
    case config::Protocol::actioncable: return make_actioncable_dialect(options);
    case config::Protocol::binance: return make_binance_dialect(options);
    case config::Protocol::aws_apigateway: return make_aws_apigateway_dialect(options);
    }
    return nullptr;
}

std::string json_quote(std::string_view text) { return "\"" + json_escape(text) + "\""; }

Error unsupported(const char *protocol, const char *operation) {
    return make_error(TETHER_E_NOT_SUPPORTED,
                      std::string(operation) + " is not supported by protocol " + protocol);
}

std::string argument_list(const std::string &json_value) {
    if (json_value.empty()) return {};
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(json_value, ec);
    if (ec) return json_value;  // checked before; keep it whole rather than lose it
    if (!v.is_array()) return boost::json::serialize(v);
    std::string out;
    for (const boost::json::value &item : v.as_array()) {
        if (!out.empty()) out += ',';
        out += boost::json::serialize(item);
    }
    return out;
}

Error object_params(boost::json::object &params, const std::string &params_json, const std::string &refusal) {
    params.clear();
    if (params_json.empty()) return ok();
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(params_json, ec);
    if (ec || !(v.is_object() || v.is_null())) return make_error(TETHER_E_INVALID_ARGUMENT, refusal);
    if (v.is_object()) params = std::move(v.get_object());
    return ok();
}

boost::json::value parse_or_null(std::string_view text) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec) return nullptr;
    return v;
}

Incoming decode_json_object(std::string_view data, bool binary,
                            const std::function<Decoded(const boost::json::object &)> &decode_object) {
    Incoming in;
    const boost::json::value v = binary ? boost::json::value() : parse_or_null(data);
    in.messages.push_back(v.is_object() ? decode_object(v.get_object()) : Decoded());
    return in;
}

std::string string_field(const boost::json::object &o, std::string_view key) {
    const boost::json::value *v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string value_text(const boost::json::value *v) { return v ? boost::json::serialize(*v) : std::string("null"); }

std::string id_text(const boost::json::value *v) {
    if (v == nullptr) return {};
    if (v->is_string()) return std::string(v->get_string());
    if (v->is_int64()) return std::to_string(v->get_int64());
    if (v->is_uint64()) return std::to_string(v->get_uint64());
    return {};
}

std::string error_message_of(const boost::json::value *error) {
    if (error == nullptr) return "error";
    if (error->is_string()) return std::string(error->get_string());
    if (error->is_object()) {
        const std::string message = string_field(error->get_object(), "message");
        if (!message.empty()) return message;
    }
    return boost::json::serialize(*error);
}

}  // namespace tether::protocol
