#include "plan.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string_view>

namespace tether_test_server {
namespace {

namespace http = boost::beast::http;
namespace json = boost::json;

constexpr std::uint64_t kMaxSendSize = 256ull << 20;
constexpr std::uint64_t kMaxSendCount = 1'000'000;
constexpr std::uint64_t kMaxBurstCount = 100;
constexpr std::uint64_t kMaxDelayMs = 24ull * 3600 * 1000;
constexpr std::size_t kMaxCloseReason = 123;  // a close frame payload is at most 125 bytes

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX only: '+' stays '+', because tokens are often base64 and clients percent-encode spaces.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      int hi = hex_value(text[i + 1]);
      int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// The decoded query of a request target. The first occurrence of a name wins.
class Query {
 public:
  explicit Query(std::string_view query) {
    while (!query.empty()) {
      std::size_t amp = query.find('&');
      std::string_view item = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
      if (item.empty()) continue;
      std::size_t eq = item.find('=');
      std::string name = percent_decode(item.substr(0, eq));
      std::string value = eq == std::string_view::npos ? std::string{} : percent_decode(item.substr(eq + 1));
      items_.emplace_back(std::move(name), std::move(value));
    }
  }

  std::optional<std::string> text(std::string_view name) const {
    for (const auto& [key, value] : items_)
      if (key == name) return value;
    return std::nullopt;
  }

  // A decimal parameter in [0, max]; a malformed or too large value is remembered as the error
  // that the server answers with 400, so a typo in a test URL is loud rather than ignored.
  std::optional<std::uint64_t> number(std::string_view name, std::uint64_t max) {
    std::optional<std::string> value = text(name);
    if (!value) return std::nullopt;
    std::uint64_t parsed = 0;
    const char* end = value->data() + value->size();
    auto [ptr, ec] = std::from_chars(value->data(), end, parsed);
    if (ec != std::errc{} || ptr != end || value->empty() || parsed > max) {
      if (error_.empty())
        error_ = "query parameter '" + std::string(name) + "' must be an integer from 0 to " + std::to_string(max) +
                 ", got '" + *value + "'";
      return std::nullopt;
    }
    return parsed;
  }

  bool flag(std::string_view name) {
    std::optional<std::uint64_t> value = number(name, 1);
    return value && *value == 1;
  }

  const std::string& error() const { return error_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
  std::string error_;
};

// Every value of every Sec-WebSocket-Protocol header, in order.
std::vector<std::string> offered_subprotocols(const Request& request) {
  std::vector<std::string> offered;
  auto range = request.equal_range(http::field::sec_websocket_protocol);
  for (auto it = range.first; it != range.second; ++it) {
    std::string_view list = it->value();
    while (!list.empty()) {
      std::size_t comma = list.find(',');
      std::string_view token = list.substr(0, comma);
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      if (!token.empty()) offered.emplace_back(token);
    }
  }
  return offered;
}

std::optional<std::string> default_subprotocol(const std::vector<std::string>& offered, const Query& query) {
  if (std::optional<std::string> wanted = query.text("select")) {
    if (wanted->empty() || std::find(offered.begin(), offered.end(), *wanted) == offered.end()) return std::nullopt;
    return wanted;
  }
  if (offered.empty()) return std::nullopt;
  return offered.front();
}

OutgoingMessage text_greeting(std::string text) {
  OutgoingMessage message;
  message.payload = std::make_shared<const std::string>(std::move(text));
  message.kind = OutgoingMessage::Kind::greeting;
  return message;
}

void refuse(Plan& plan, unsigned status, std::string body) {
  plan.http_status = status;
  plan.http_body = std::move(body);
  plan.http_body += '\n';
}

void read_ending_trigger(Plan& plan, Query& query) {
  plan.end_after_messages = query.number("after_messages", std::numeric_limits<std::uint64_t>::max());
  plan.end_after_ms = query.number("after_ms", kMaxDelayMs).value_or(0);
}

void read_close(Plan& plan, Query& query, std::uint16_t default_code) {
  plan.close_code = static_cast<std::uint16_t>(query.number("code", 65535).value_or(default_code));
  plan.close_reason = query.text("reason").value_or("");
  if (plan.close_reason.size() > kMaxCloseReason) plan.close_reason.resize(kMaxCloseReason);
}

std::string repeated_digits(std::size_t size) {
  static constexpr std::string_view kPattern = "0123456789";
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) out[i] = kPattern[i % kPattern.size()];
  return out;
}

// Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2).
std::string websocket_accept(std::string_view key) {
  std::string text = std::string(key) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  unsigned char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int length = EVP_EncodeBlock(encoded, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<const char*>(encoded), static_cast<std::size_t>(length));
}

std::string switching_protocols(std::optional<std::string> accept) {
  std::string answer =
      "HTTP/1.1 101 Switching Protocols\r\nServer: tether-test-server\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\n";
  if (accept) answer += "Sec-WebSocket-Accept: " + *accept + "\r\n";
  return answer + "\r\n";
}

// /not-websocket: answers that a WebSocket client must refuse.
std::optional<std::string> not_websocket_answer(std::string_view kind, const Request& request) {
  if (kind == "html") {
    const std::string body =
        "<!doctype html>\n<html><head><title>Welcome</title></head><body><p>A web page, not a WebSocket "
        "endpoint.</p></body></html>\n";
    return "HTTP/1.1 200 OK\r\nServer: tether-test-server\r\nContent-Type: text/html; charset=utf-8\r\n"
           "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  }
  if (kind == "bad-accept") {
    // The accept value of another key: what a proxy or a broken server that caches answers sends.
    std::string key(request[http::field::sec_websocket_key]);
    return switching_protocols(websocket_accept(key + "x"));
  }
  if (kind == "no-accept") return switching_protocols(std::nullopt);
  return std::nullopt;
}

// /bad-frame: one frame from the server that breaks RFC 6455 (section 5).
std::optional<std::string> bad_frame(std::string_view kind) {
  using namespace std::string_literals;
  if (kind == "opcode") return "\x83\x00"s;                     // FIN, opcode 0x3 (reserved)
  if (kind == "reserved-bits") return "\xA1\x02hi"s;            // FIN|RSV2, text "hi": no extension defines RSV2
  if (kind == "fragmented-control") return "\x09\x00"s;         // ping without FIN
  if (kind == "long-control") return "\x89\x7E\x00\x7E"s + std::string(126, 'p');  // ping of 126 bytes
  if (kind == "masked") {                                        // a masked text frame "hi"
    const std::string key = "\x11\x22\x33\x44"s;
    std::string frame = "\x81\x82"s + key;
    frame += static_cast<char>('h' ^ key[0]);
    frame += static_cast<char>('i' ^ key[1]);
    return frame;
  }
  if (kind == "invalid-utf8") return "\x81\x04ok\xC3\x28"s;     // text "ok" + a broken 2-byte sequence
  if (kind == "invalid-utf8-fragmented")                         // the broken sequence split over two frames
    return "\x01\x03ok\xC3"s + "\x80\x01\x28"s;
  if (kind == "continuation") return "\x80\x02hi"s;             // a continuation with nothing to continue
  return std::nullopt;
}

// /close-burst: COUNT short text messages ("1", "2", ...) and a close frame (1000, "burst"), all
// unmasked, for one TCP write: a server that closes right after its last messages puts them in
// one packet, so a client finds the close frame already read when it asks for the next message.
std::string close_burst(unsigned count) {
  std::string bytes;
  for (unsigned i = 1; i <= count; ++i) {
    const std::string text = std::to_string(i);
    bytes += '\x81';
    bytes += static_cast<char>(text.size());
    bytes += text;
  }
  const std::string reason = "burst";
  bytes += '\x88';
  bytes += static_cast<char>(2 + reason.size());
  bytes += '\x03';  // 1000 = 0x03E8, network byte order
  bytes += '\xE8';
  bytes += reason;
  return bytes;
}

void plan_route(Plan& plan, const std::string& path, Query& query, const std::vector<std::string>& offered,
                const Request& request, ServerState& state) {
  if (path == "/echo") return;

  if (path == "/headers") {
    plan.greetings.push_back(text_greeting(describe_request_json(request)));
    return;
  }

  if (path == "/auth/query") {
    std::string param = query.text("param").value_or("token");
    std::optional<std::string> expect = query.text("expect");
    if (!expect) return refuse(plan, 400, "/auth/query needs expect=SECRET");
    if (query.text(param) != expect) return refuse(plan, 401, "query parameter '" + param + "' is missing or wrong");
    return;
  }

  if (path == "/auth/subprotocol") {
    std::optional<std::string> expect = query.text("expect");
    if (!expect) return refuse(plan, 400, "/auth/subprotocol needs expect=SECRET");
    if (std::find(offered.begin(), offered.end(), *expect) == offered.end())
      return refuse(plan, 401, "no offered subprotocol carries the expected token");
    plan.subprotocol.reset();
    for (const std::string& candidate : offered) {
      if (candidate != *expect) {
        plan.subprotocol = candidate;
        break;
      }
    }
    return;
  }

  if (path == "/auth/first-message") {
    FirstMessageAuth auth;
    auth.expect = query.text("expect").value_or("");
    auth.type = query.text("type");
    auth.reply = query.text("reply");
    auth.silent = query.flag("silent");
    plan.first_message_auth = std::move(auth);
    return;
  }

  if (path == "/reject") {
    std::uint64_t status = query.number("status", 599).value_or(403);
    if (status < 200) return refuse(plan, 400, "/reject needs status between 200 and 599");
    return refuse(plan, static_cast<unsigned>(status), "rejected by tether-test-server with status " + std::to_string(status));
  }

  if (path == "/close") {
    plan.ending = Ending::close;
    read_close(plan, query, 1000);
    read_ending_trigger(plan, query);
    return;
  }

  if (path == "/drop") {
    plan.ending = Ending::drop;
    read_ending_trigger(plan, query);
    return;
  }

  if (path == "/flaky") {
    std::string key = query.text("key").value_or("");
    std::uint64_t fail_first = query.number("fail_first", std::numeric_limits<std::uint64_t>::max()).value_or(0);
    std::uint64_t after_messages =
        query.number("after_messages", std::numeric_limits<std::uint64_t>::max()).value_or(0);
    std::string mode = query.text("mode").value_or("drop");
    if (mode != "drop" && mode != "close") return refuse(plan, 400, "/flaky mode must be drop or close");
    read_close(plan, query, 1001);
    if (!query.error().empty()) return;  // a bad request is not counted as a connection
    std::uint64_t connection = ++state.flaky_connections[key];
    json::object greeting;
    greeting["connection"] = connection;
    // Lets a test see which token a (re)connection presented (token refresh).
    if (auto token = query.text("token")) greeting["token"] = *token;
    plan.greetings.push_back(text_greeting(json::serialize(greeting)));
    if (connection <= fail_first) {
      plan.ending = mode == "close" ? Ending::close : Ending::drop;
      plan.end_after_messages = after_messages;
    }
    return;
  }

  if (path == "/json") {
    JsonSession json;
    std::optional<std::uint64_t> drop_after = query.number("drop_after_messages", std::numeric_limits<std::uint64_t>::max());
    std::optional<std::uint64_t> push_ms = query.number("push_ms", kMaxDelayMs);
    json.push_channel = query.text("push_channel");
    std::optional<std::string> key = query.text("key");
    if (!query.error().empty()) return;  // a bad request is not counted as a connection
    if (push_ms.has_value() != json.push_channel.has_value())
      return refuse(plan, 400, "/json needs push_ms and push_channel together");
    if (push_ms && *push_ms == 0) return refuse(plan, 400, "/json push_ms must be at least 1");
    if (drop_after && !key) return refuse(plan, 400, "/json drop_after_messages needs key=KEY");
    json.push_period = std::chrono::milliseconds(push_ms.value_or(0));
    if (key && ++state.json_connections[*key] == 1) json.drop_after_messages = drop_after;
    plan.json = std::move(json);
    return;
  }

  if (path == "/silent") {
    plan.silent = true;
    return;
  }

  if (path == "/hang") {
    plan.hang = true;
    return;
  }

  if (path == "/not-websocket") {
    std::string kind = query.text("answer").value_or("html");
    std::optional<std::string> answer = not_websocket_answer(kind, request);
    if (!answer) return refuse(plan, 400, "/not-websocket answer must be html, bad-accept or no-accept");
    plan.raw_answer = std::move(answer);
    plan.raw_answer_closes = kind == "html";
    return;
  }

  if (path == "/slow-upgrade") {
    std::uint64_t byte_ms = query.number("byte_ms", kMaxDelayMs).value_or(1000);
    if (!query.error().empty()) return;
    std::string key(request[http::field::sec_websocket_key]);
    if (key.empty()) return refuse(plan, 426, "/slow-upgrade needs a WebSocket upgrade request");
    plan.raw_answer = switching_protocols(websocket_accept(key));
    plan.raw_answer_byte_gap = std::chrono::milliseconds(byte_ms);
    return;
  }

  if (path == "/bad-frame") {
    std::optional<std::string> frame = bad_frame(query.text("kind").value_or(""));
    plan.hold_after_raw_frame = query.flag("hold");
    if (!frame)
      return refuse(plan, 400,
                    "/bad-frame kind must be opcode, reserved-bits, fragmented-control, long-control, masked, "
                    "invalid-utf8, invalid-utf8-fragmented or continuation");
    plan.raw_frame = std::move(frame);
    return;
  }

  if (path == "/close-burst") {
    std::uint64_t count = query.number("count", kMaxBurstCount).value_or(2);
    if (!query.error().empty()) return;
    plan.raw_frame = close_burst(static_cast<unsigned>(count));
    return;
  }

  if (path == "/send") {
    std::uint64_t size = query.number("size", kMaxSendSize).value_or(0);
    std::uint64_t count = query.number("count", kMaxSendCount).value_or(1);
    bool binary = query.flag("binary");
    std::uint64_t fragment = query.number("frag", kMaxSendSize).value_or(0);
    if (!query.error().empty()) return;
    auto payload = std::make_shared<const std::string>(repeated_digits(static_cast<std::size_t>(size)));
    for (std::uint64_t i = 0; i < count; ++i) {
      OutgoingMessage message;
      message.payload = payload;
      message.binary = binary;
      message.fragment_size = static_cast<std::size_t>(fragment);
      message.kind = OutgoingMessage::Kind::greeting;
      plan.greetings.push_back(std::move(message));
    }
    return;
  }

  refuse(plan, 404, "no such path on tether-test-server: " + path);
}

}  // namespace

std::string describe_request_json(const Request& request) {
  json::object headers;
  for (const auto& field : request) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string_view value = field.value();
    if (json::value* existing = headers.if_contains(name)) {
      json::string& joined = existing->as_string();
      joined.append(", ");
      joined.append(value);
    } else {
      headers.emplace(name, value);
    }
  }
  json::object description;
  description["target"] = std::string_view(request.target());
  description["headers"] = std::move(headers);
  return json::serialize(description);
}

Plan plan_for(const Request& request, ServerState& state) {
  std::string_view target = request.target();
  std::size_t question = target.find('?');
  Plan plan;
  plan.route = percent_decode(target.substr(0, question));
  Query query(question == std::string_view::npos ? std::string_view{} : target.substr(question + 1));
  std::vector<std::string> offered = offered_subprotocols(request);
  plan.subprotocol = default_subprotocol(offered, query);

  plan_route(plan, plan.route, query, offered, request, state);
  if (!query.error().empty()) {
    Plan bad;
    bad.route = plan.route;
    refuse(bad, 400, query.error());
    return bad;
  }
  return plan;
}

}  // namespace tether_test_server
