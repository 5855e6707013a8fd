// What the two GraphQL over WebSocket protocols share: graphql-transport-ws (the graphql-ws
// library) and Apollo's legacy graphql-ws (subscriptions-transport-ws) differ in the names of a
// few message types, their keep-alives and how a server refuses; the operations are the same:
//   open         connection_init {payload: credentials} -> connection_ack = ready
//   subscribe    <start> {id, payload: {query: channel, variables: params}}; results as
//                <result> {id, payload: execution result}, then complete {id} or error {id}
//   request      the same <start> with the request's id: its first <result> is the response
//   unsubscribe  <stop> {id of the subscribe}
//   publish      none: GraphQL changes data with mutations, sent with request
// The protocol files name the types and decode what is theirs alone.
#pragma once

#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "impl/protocol/dialect.hpp"

namespace tether::protocol {

// The message types in which the two protocols differ.
struct GraphqlWire {
    const char *protocol;  // the dialect's name, used in error messages
    const char *start;     // starts an operation: "subscribe" / "start"
    const char *stop;      // the client ends one: "complete" / "stop"
    const char *result;    // one result of an operation: "next" / "data"
};

class GraphqlDialect : public Dialect {
public:
    explicit GraphqlDialect(GraphqlWire wire) : wire_(wire) {}

    const char *name() const noexcept override { return wire_.protocol; }
    Opening open(const std::string &token, const std::string &auth_message) override;
    Error subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                    const std::string &params_json) override;
    Error unsubscribe(std::string &out, const std::string &subscribe_wire_id, const std::string &wire_id,
                      const std::string &channel) override;
    Error publish(std::string &out, const std::string &channel, const std::string &payload_json) override;
    Error request(std::string &out, const std::string &wire_id, const std::string &method,
                  const std::string &params_json) override;
    // Neither protocol confirms a subscription: its first result (or its error) is the answer.
    bool confirms_subscriptions() const noexcept override { return false; }
    Incoming decode(std::string_view data, bool binary) override;

protected:
    // A message whose type the shared part does not know (keep-alives, the protocol's own
    // refusal): adds to `in` what it means; adding nothing makes it a plain MESSAGE.
    virtual void decode_own(const std::string &type, const boost::json::object &message, Incoming &in) = 0;
    // True once this connection's connection_ack arrived.
    bool acknowledged() const noexcept { return acknowledged_; }

private:
    Error start(std::string &out, const std::string &wire_id, const std::string &document,
                const std::string &params_json, const char *argument);

    GraphqlWire wire_;
    bool acknowledged_ = false;
};

// What a server said in an error payload: the messages of a GraphQL error list
// ([{message, ...}]) joined with "; ", a {message} object's message, or a string; else the
// payload's JSON text.
std::string graphql_error_text(const boost::json::value *errors);

}  // namespace tether::protocol
