// The part of the GraphQL over WebSocket dialects that both protocols share (see
// graphql_common.hpp for the operations' mapping).
#include "impl/protocol/graphql_common.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace tether::protocol {

namespace json = boost::json;

namespace {

// The payload of an operation: params as given when it holds its own "query" (so operationName
// and extensions can be sent), else {query: document, variables: params}.
Error operation_payload(std::string &out, const std::string &document, const std::string &params_json,
                        const char *argument) {
    json::value params;  // null: no variables
    if (!params_json.empty()) {
        boost::system::error_code ec;
        params = json::parse(params_json, ec);
        if (ec) return make_error(TETHER_E_INVALID_JSON, "params: not valid JSON (" + ec.message() + ")");
    }
    if (const json::object *o = params.if_object()) {
        if (const json::value *query = o->if_contains("query")) {
            const json::string *text = query->if_string();
            if (text == nullptr || text->empty()) {
                return make_error(TETHER_E_INVALID_ARGUMENT,
                                  "params: \"query\" must be a GraphQL document (a non-empty string)");
            }
            out = params_json;
            return ok();
        }
    } else if (!params.is_null()) {
        return make_error(TETHER_E_INVALID_ARGUMENT,
                          "params: expected a JSON object of variables, or an operation object with "
                          "\"query\" (and \"variables\", \"operationName\", \"extensions\")");
    }
    if (document.empty()) {
        return make_error(TETHER_E_INVALID_ARGUMENT, std::string(argument) + ": expected a GraphQL document, got \"\"");
    }
    out = R"({"query":)" + json_quote(document);
    if (params.is_object()) out += R"(,"variables":)" + params_json;
    out += "}";
    return ok();
}

// The operation ended in an error (an error message, or a result that failed before execution
// began): as a response for a request and as the end of a subscription. The manager keeps the
// one that matches what the id is and ignores the other.
void operation_failed(Incoming &in, const std::string &id, const json::value *errors) {
    Decoded ended;
    ended.kind = Decoded::Kind::subscription_ended;
    ended.wire_id = id;
    ended.is_error = true;
    ended.error_message = graphql_error_text(errors);
    ended.payload = value_text(errors);
    Decoded response = ended;
    response.kind = Decoded::Kind::response;
    in.messages.push_back(std::move(ended));
    in.messages.push_back(std::move(response));
}

// One execution result {data?, errors?} of the operation `id`.
void operation_result(Incoming &in, const std::string &id, const json::value *payload) {
    const json::object *result = payload ? payload->if_object() : nullptr;
    const json::value *errors = result ? result->if_contains("errors") : nullptr;
    const bool has_errors = errors && (!errors->is_array() || !errors->get_array().empty());
    // GraphQL leaves "data" out when an error was raised before execution began (a document
    // that does not validate, a subscription the server refuses to start).
    if (has_errors && !result->contains("data")) {
        operation_failed(in, id, errors);
        return;
    }
    Decoded d;
    d.kind = Decoded::Kind::item;
    d.wire_id = id;
    d.payload = value_text(payload);
    // Field errors next to data: a subscription still delivers the result (errors included);
    // a request reports it as failed, with the whole result, partial data too, as its details.
    if (has_errors) {
        d.is_error = true;
        d.error_message = graphql_error_text(errors);
    }
    in.messages.push_back(std::move(d));
}

}  // namespace

std::string graphql_error_text(const json::value *errors) {
    if (const json::array *list = errors ? errors->if_array() : nullptr) {
        std::string text;
        for (const json::value &e : *list) {
            const json::object *o = e.if_object();
            const std::string message = o ? string_field(*o, "message") : std::string();
            if (message.empty()) continue;
            if (!text.empty()) text += "; ";
            text += message;
        }
        if (!text.empty()) return text;
    }
    return error_message_of(errors);
}

Opening GraphqlDialect::open(const std::string &token, const std::string &auth_message) {
    acknowledged_ = false;
    Opening opening;
    opening.wait_for_ready = true;  // until connection_ack
    if (!auth_message.empty()) {
        opening.frames.push_back(auth_message);  // authMessageTemplate: the whole connection_init
    } else if (!token.empty()) {
        opening.frames.push_back(R"({"type":"connection_init","payload":{"authorization":)" +
                                 json_quote("Bearer " + token) + "}}");
    } else {
        opening.frames.push_back(R"({"type":"connection_init"})");
    }
    return opening;
}

Error GraphqlDialect::start(std::string &out, const std::string &wire_id, const std::string &document,
                            const std::string &params_json, const char *argument) {
    std::string payload;
    if (Error e = operation_payload(payload, document, params_json, argument)) return e;
    out = R"({"id":)" + json_quote(wire_id) + R"(,"type":")" + wire_.start + R"(","payload":)" + payload + "}";
    return ok();
}

Error GraphqlDialect::subscribe(std::string &out, const std::string &wire_id, const std::string &channel,
                                const std::string &params_json) {
    return start(out, wire_id, channel, params_json, "channel");
}

Error GraphqlDialect::request(std::string &out, const std::string &wire_id, const std::string &method,
                              const std::string &params_json) {
    return start(out, wire_id, method, params_json, "method");
}

Error GraphqlDialect::unsubscribe(std::string &out, const std::string &subscribe_wire_id, const std::string &,
                                  const std::string &) {
    out.clear();
    if (subscribe_wire_id.empty()) return ok();  // never started on this connection
    out = R"({"id":)" + json_quote(subscribe_wire_id) + R"(,"type":")" + wire_.stop + R"("})";
    return ok();
}

Error GraphqlDialect::publish(std::string &, const std::string &, const std::string &) {
    Error e = unsupported(wire_.protocol, "publish");
    e.message += " (GraphQL changes data with mutations: send one with tether_client_request)";
    return e;
}

Incoming GraphqlDialect::decode(std::string_view data, bool binary) {
    Incoming in;
    const json::value v = binary ? json::value() : parse_or_null(data);
    const json::object *message = v.if_object();
    if (message == nullptr) {
        in.messages.emplace_back();  // not the protocol's: a plain MESSAGE
        return in;
    }
    const std::string type = string_field(*message, "type");
    // Operation ids are the strings tether sent; a number is taken too, as its decimal text.
    const std::string id = id_text(message->if_contains("id"));
    const json::value *payload = message->if_contains("payload");
    if (type == "connection_ack") {
        acknowledged_ = true;
        Decoded ready;
        ready.kind = Decoded::Kind::ready;
        in.messages.push_back(std::move(ready));
    } else if (type == wire_.result && !id.empty()) {
        operation_result(in, id, payload);
    } else if (type == "error" && !id.empty()) {
        operation_failed(in, id, payload);
    } else if (type == "complete" && !id.empty()) {
        // The server ended the operation. A subscription ends with it; a request was answered
        // by its first result (the response for an id no longer pending is ignored) unless
        // the server completed it without one.
        Decoded ended;
        ended.kind = Decoded::Kind::subscription_ended;
        ended.wire_id = id;
        Decoded response;
        response.kind = Decoded::Kind::response;
        response.wire_id = id;
        response.is_error = true;
        response.error_message = "the server completed the operation without a result";
        in.messages.push_back(std::move(ended));
        in.messages.push_back(std::move(response));
    } else {
        decode_own(type, *message, in);
    }
    if (in.messages.empty() && in.replies.empty()) in.messages.emplace_back();
    return in;
}

}  // namespace tether::protocol
