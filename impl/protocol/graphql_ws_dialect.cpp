// graphql-ws: Apollo's legacy subscriptions-transport-ws protocol (subprotocol "graphql-ws";
// preset "apollo").
//   open         {"type":"connection_init","payload":{"authorization":"Bearer <token>"}} (or the
//                rendered authMessageTemplate, or no payload without a token);
//                {"type":"connection_ack"} = ready; {"type":"connection_error","payload":
//                {"message"}} before it = refused (ERROR TETHER_E_AUTH, no reconnect)
//   subscribe    {"id":"<wire>","type":"start","payload":{"query":<channel>,"variables":<params>}}
//                (params holding "query" is sent as the payload itself)
//   messages     {"id","type":"data","payload":<execution result>} -> CHANNEL_MESSAGE (data = the
//                result; one without "data" but with errors failed to start -> SUBSCRIBE_FAILED);
//                {"id","type":"error","payload":{"message"}} -> SUBSCRIBE_FAILED (TETHER_E_REMOTE);
//                {"id","type":"complete"} -> SUBSCRIBE_FAILED (TETHER_E_CLOSED)
//   unsubscribe  {"id":"<subscribe wire>","type":"stop"}
//   request      a start with the request's id; the first data is the RESPONSE (a result with
//                errors, or an error message -> TETHER_E_REMOTE)
//   publish      not supported (a mutation is a request)
//   keep-alive   the server's {"type":"ka"}, ignored (the protocol has no client keep-alive)
//   close codes  none of its own: the general table (the server closes 1011 after a
//                connection_error, which has ended the connection already)
#include "impl/protocol/graphql_common.hpp"

namespace tether::protocol {

namespace {

class GraphqlWsDialect final : public GraphqlDialect {
public:
    GraphqlWsDialect() : GraphqlDialect({"graphql-ws", "start", "stop", "data"}) {}

protected:
    void decode_own(const std::string &type, const boost::json::object &message, Incoming &in) override {
        Decoded d;
        if (type == "ka") {
            d.kind = Decoded::Kind::ignore;
        } else if (type == "connection_error" && !acknowledged()) {
            d.kind = Decoded::Kind::refused;
            d.error_message = graphql_error_text(message.if_contains("payload"));
        } else {
            // After the ack a connection_error only says the server could not read a message
            // of ours: nothing to end, shown to the application as a plain MESSAGE.
            return;
        }
        in.messages.push_back(std::move(d));
    }
};

}  // namespace

std::unique_ptr<Dialect> make_graphql_ws_dialect(const config::Options &) {
    return std::make_unique<GraphqlWsDialect>();
}

}  // namespace tether::protocol
