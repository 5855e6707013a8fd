#include "impl/config/presets.hpp"

namespace tether::config {

// Each row follows the provider's own client library: how it presents a token, which
// subprotocol it offers, what it adds to the URL and which protocol the manager speaks.
const std::vector<Preset> &presets() {
    static const std::vector<Preset> table = {
        {"socketio", "Socket.IO",
         {{"protocol", "socketio"},
          {"authMethod", "first-message"},  // the token travels in the CONNECT packet's auth
          {"queryParams", R"({"EIO":"4","transport":"websocket"})"}}},
        {"pusher", "Pusher",
         {{"protocol", "pusher"},
          {"authMethod", "first-message"},
          {"queryParams", R"({"protocol":"7","client":"tether","version":"0.1.0"})"}}},
        {"ably", "Ably",
         {{"protocol", "raw"},
          {"authMethod", "query-param"},
          {"tokenParamName", "key"},
          {"queryParams", R"({"format":"json"})"}}},
        {"phoenix", "Phoenix Channels",
         {{"protocol", "phoenix"},
          {"authMethod", "query-param"},
          {"tokenParamName", "token"},
          {"queryParams", R"({"vsn":"2.0.0"})"}}},
        {"actioncable", "Action Cable",
         {{"protocol", "actioncable"},
          {"authMethod", "query-param"},
          {"tokenParamName", "token"},
          {"subprotocols", "actioncable-v1-json,actioncable-unsupported"}}},
        {"signalr", "SignalR",
         {{"protocol", "signalr"}, {"authMethod", "query-param"}, {"tokenParamName", "access_token"}}},
        {"graphql", "GraphQL WS",
         {{"protocol", "graphql-transport-ws"},
          {"authMethod", "first-message"},  // the token travels in connection_init's payload
          {"subprotocols", "graphql-transport-ws"}}},
        {"apollo", "Apollo Legacy",
         {{"protocol", "graphql-ws"}, {"authMethod", "first-message"}, {"subprotocols", "graphql-ws"}}},
        {"aws-apigateway", "AWS API Gateway",
         {{"protocol", "aws-apigateway"},
          {"authMethod", "query-param"},
          {"tokenParamName", "Authorization"}}},
        {"binance", "Binance Streams", {{"protocol", "binance"}, {"authMethod", "none"}}},
        {"echo", "Echo Server", {{"protocol", "raw"}, {"authMethod", "none"}}},
    };
    return table;
}

const Preset *find_preset(std::string_view name) {
    for (const Preset &p : presets()) {
        if (p.name == name) return &p;
    }
    return nullptr;
}

}  // namespace tether::config
