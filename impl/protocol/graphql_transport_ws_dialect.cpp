// graphql-transport-ws: the GraphQL over WebSocket protocol of the graphql-ws library
// (subprotocol "graphql-transport-ws"; preset "graphql").
//   open         {"type":"connection_init","payload":{"authorization":"Bearer <token>"}} (or the
//                rendered authMessageTemplate, or no payload without a token);
//                {"type":"connection_ack"} = ready
//   subscribe    {"id":"<wire>","type":"subscribe","payload":{"query":<channel>,"variables":<params>}}
//                (params holding "query" is sent as the payload itself)
//   messages     {"id","type":"next","payload":<execution result>} -> CHANNEL_MESSAGE (data = the
//                result); {"id","type":"error","payload":[GraphQL errors]} -> SUBSCRIBE_FAILED
//                (TETHER_E_REMOTE); {"id","type":"complete"} -> SUBSCRIBE_FAILED (TETHER_E_CLOSED)
//   unsubscribe  {"id":"<subscribe wire>","type":"complete"}
//   request      a subscribe with the request's id; the first next is the RESPONSE (a result with
//                errors, or an error message -> TETHER_E_REMOTE)
//   publish      not supported (a mutation is a request)
//   keep-alive   {"type":"ping"} -> {"type":"pong"} (payload echoed); pongs ignored
//   close codes  4401/4403 -> stop, TETHER_E_AUTH; 4400/4406/4409/4429 (and the client-side
//                4004/4005) -> stop, TETHER_E_PROTOCOL; 4500 -> stop, TETHER_E_REMOTE; 4408,
//                4504, 4499 -> reconnect; others: the general table. As the graphql-ws client
//                does, except 4403, which it retries and tether treats as refused credentials.
#include <boost/json/serialize.hpp>

#include "impl/protocol/graphql_common.hpp"

namespace tether::protocol {

namespace {

class GraphqlTransportWsDialect final : public GraphqlDialect {
public:
    GraphqlTransportWsDialect()
        : GraphqlDialect({"graphql-transport-ws", "subscribe", "complete", "next"}) {}

    ClosePolicy on_close(int32_t code, const std::string &reason) override {
        ClosePolicy policy;
        const std::string said = " (close " + std::to_string(code) + (reason.empty() ? "" : " " + reason) + ")";
        switch (code) {
        case 4401:  // Unauthorized
        case 4403:  // Forbidden: onConnect refused connection_init's payload
            policy.decision = ClosePolicy::Decision::stop;
            policy.status = TETHER_E_AUTH;
            policy.why = "the server refused the credentials" + said;
            break;
        case 4400:  // a message the server could not accept
        case 4406:  // subprotocol not acceptable
        case 4409:  // a subscriber with that id already exists
        case 4429:  // too many connection_init
        case 4004:  // bad response and internal client error: codes of the graphql-ws client
        case 4005:
            policy.decision = ClosePolicy::Decision::stop;
            policy.status = TETHER_E_PROTOCOL;
            policy.why = "the server ended the graphql-transport-ws session for a protocol error" + said;
            break;
        case 4500:  // internal server error: as the graphql-ws client, not retried
            policy.decision = ClosePolicy::Decision::stop;
            policy.status = TETHER_E_REMOTE;
            policy.why = "the server failed" + said;
            break;
        case 4408:  // connection_init was late
        case 4504:  // connection_ack was late
        case 4499:  // terminated
            policy.decision = ClosePolicy::Decision::reconnect;
            policy.why = "the graphql-transport-ws handshake timed out or was terminated" + said;
            break;
        default: break;
        }
        return policy;
    }

protected:
    void decode_own(const std::string &type, const boost::json::object &message, Incoming &in) override {
        if (type == "ping") {
            const boost::json::value *payload = message.if_contains("payload");
            in.replies.push_back(payload && payload->is_object()
                                     ? R"({"type":"pong","payload":)" + boost::json::serialize(*payload) + "}"
                                     : std::string(R"({"type":"pong"})"));
            in.messages.push_back(ignored());
        } else if (type == "pong") {
            in.messages.push_back(ignored());
        }
    }

private:
    static Decoded ignored() {
        Decoded d;
        d.kind = Decoded::Kind::ignore;
        return d;
    }
};

}  // namespace

std::unique_ptr<Dialect> make_graphql_transport_ws_dialect(const config::Options &) {
    return std::make_unique<GraphqlTransportWsDialect>();
}

}  // namespace tether::protocol
