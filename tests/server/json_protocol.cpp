#include "json_protocol.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>

namespace tether_test_server {
namespace {

namespace json = boost::json;

constexpr double kMaxSlowDelayMs = 24.0 * 3600 * 1000;

// The envelope fields every answer starts with, in the documented order: type, channel, id.
json::object envelope(std::string_view type, const json::string* channel, const json::string* id) {
  json::object out;
  out["type"] = type;
  if (channel) out["channel"] = *channel;
  if (id) out["id"] = *id;
  return out;
}

std::string error_reply(std::string_view message, const json::string* channel, const json::string* id) {
  json::object out = envelope("error", channel, id);
  out["payload"] = json::object{{"message", message}};
  return json::serialize(out);
}

std::string response(const json::string& id, json::value payload) {
  json::object out = envelope("response", nullptr, &id);
  out["payload"] = std::move(payload);
  return json::serialize(out);
}

std::string error_response(const json::string& id, int code, std::string_view message) {
  json::object out = envelope("response", nullptr, &id);
  out["error"] = json::object{{"code", code}, {"message", message}};
  return json::serialize(out);
}

// The string member `name` of `object`, or null when it is absent or not a string.
const json::string* string_member(const json::object& object, std::string_view name) {
  const json::value* value = object.if_contains(name);
  return value ? value->if_string() : nullptr;
}

// a + b, as an integer when both are integers and the sum fits, else as a double.
json::value sum(const json::value& a, const json::value& b) {
  if (a.is_int64() && b.is_int64()) {
    std::int64_t result = 0;
    if (!__builtin_add_overflow(a.get_int64(), b.get_int64(), &result)) return result;
  }
  return a.to_number<double>() + b.to_number<double>();
}

void answer_request(JsonOutcome& out, const json::object& message, const json::string& id, const JsonHub& hub) {
  const json::value* payload_member = message.if_contains("payload");
  json::value payload = payload_member ? *payload_member : json::value(nullptr);
  const json::string* method_member = string_member(message, "method");
  if (!method_member) {
    out.replies.push_back(error_reply("a request needs a string \"method\"", nullptr, &id));
    return;
  }
  std::string_view method = *method_member;

  if (method == "echo") {
    out.replies.push_back(response(id, std::move(payload)));
  } else if (method == "add") {
    const json::object* operands = payload.if_object();
    const json::value* a = operands ? operands->if_contains("a") : nullptr;
    const json::value* b = operands ? operands->if_contains("b") : nullptr;
    if (!a || !b || !a->is_number() || !b->is_number()) {
      out.replies.push_back(error_response(id, 400, "add needs payload {\"a\": number, \"b\": number}"));
      return;
    }
    out.replies.push_back(response(id, json::object{{"sum", sum(*a, *b)}}));
  } else if (method == "fail") {
    out.replies.push_back(error_response(id, 400, "request failed on purpose"));
  } else if (method == "slow") {
    const json::object* options = payload.if_object();
    const json::value* delay = options ? options->if_contains("delay_ms") : nullptr;
    double delay_ms = 0;
    if (delay) {
      delay_ms = delay->is_number() ? delay->to_number<double>() : -1;
      if (!(delay_ms >= 0 && delay_ms <= kMaxSlowDelayMs)) {
        out.replies.push_back(error_response(id, 400, "slow needs payload.delay_ms from 0 to 86400000"));
        return;
      }
    }
    out.delayed_reply = JsonOutcome::Delayed{std::chrono::milliseconds(std::llround(delay_ms)),
                                             response(id, std::move(payload))};
  } else if (method == "never") {
    // No answer, ever: for request timeout tests.
  } else if (method == "subscribers") {
    const json::object* options = payload.if_object();
    const json::string* channel = options ? string_member(*options, "channel") : nullptr;
    if (!channel) {
      out.replies.push_back(error_response(id, 400, "subscribers needs payload {\"channel\": string}"));
      return;
    }
    out.replies.push_back(response(id, json::object{{"count", hub.subscribers(*channel)}}));
  } else if (method == "drop") {
    out.drop = true;
  } else {
    out.replies.push_back(error_response(id, 404, "unknown method " + std::string(method)));
  }
}

}  // namespace

std::string json_channel_message(std::string_view channel, const json::value* payload) {
  json::object out;
  out["type"] = "message";
  out["channel"] = channel;
  if (payload) out["payload"] = *payload;
  return json::serialize(out);
}

JsonOutcome answer_json_message(std::string_view text, bool binary, const JsonHub& hub) {
  JsonOutcome out;
  auto fail = [&out](std::string_view why, const json::string* channel = nullptr, const json::string* id = nullptr) {
    out.replies.push_back(error_reply(why, channel, id));
    return std::move(out);
  };

  if (binary) return fail("expected a text frame with a JSON object, got a binary frame");
  boost::system::error_code ec;
  json::value value = json::parse(text, ec);
  if (ec) return fail("not JSON: " + ec.message());
  const json::object* message = value.if_object();
  if (!message) return fail("not a JSON object");

  const json::value* id_member = message->if_contains("id");
  if (id_member && !id_member->is_string()) return fail("\"id\" must be a string");
  const json::string* id = id_member ? &id_member->get_string() : nullptr;
  if (const json::value* timestamp = message->if_contains("timestamp"); timestamp && !timestamp->is_number())
    return fail("\"timestamp\" must be a number", nullptr, id);
  const json::value* type_member = message->if_contains("type");
  if (!type_member) return fail("no \"type\" field", nullptr, id);
  if (!type_member->is_string()) return fail("\"type\" must be a string", nullptr, id);
  std::string_view type = type_member->get_string();

  if (type == "subscribe" || type == "unsubscribe" || type == "publish") {
    const json::string* channel = string_member(*message, "channel");
    if (!channel) return fail(std::string(type) + " needs a string \"channel\"", nullptr, id);
    if (type == "subscribe") {
      if (std::string_view(*channel).rfind("forbidden", 0) == 0)
        return fail("subscription to " + std::string(*channel) + " refused", channel, id);
      out.subscribe = std::string(*channel);
      out.replies.push_back(json::serialize(envelope("subscribed", channel, id)));
    } else if (type == "unsubscribe") {
      out.unsubscribe = std::string(*channel);
      out.replies.push_back(json::serialize(envelope("unsubscribed", channel, id)));
    } else {
      out.publish = JsonOutcome::Publication{std::string(*channel),
                                             json_channel_message(*channel, message->if_contains("payload"))};
      if (id) out.replies.push_back(json::serialize(envelope("published", channel, id)));
    }
    return out;
  }

  if (type == "request") {
    if (!id) return fail("a request needs a string \"id\"");
    answer_request(out, *message, *id, hub);
    return out;
  }

  if (type == "ping") {
    out.replies.push_back(json::serialize(envelope("pong", nullptr, id)));
    return out;
  }

  return fail("unknown type \"" + std::string(type) + "\"", nullptr, id);
}

}  // namespace tether_test_server
