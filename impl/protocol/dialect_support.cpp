// What every dialect shares: the factory by protocol, and small helpers for building frames.
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

}  // namespace tether::protocol
