// What one connection does, decided from its HTTP upgrade request alone: the routes of the test
// server live here, free of any I/O, so that README.md and this file can be read side by side.
#pragma once

#include "server_state.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tether_test_server {

using Request = boost::beast::http::request<boost::beast::http::string_body>;

struct OutgoingMessage {
  enum class Kind { greeting, reply, echo };
  std::shared_ptr<const std::string> payload;  // shared: /send repeats one payload count times
  bool binary = false;
  std::size_t fragment_size = 0;  // 0: one frame; otherwise frames of at most this many bytes
  Kind kind = Kind::echo;
};

struct FirstMessageAuth {
  std::string expect;                 // the message text must contain this
  std::optional<std::string> type;    // ... and be an object whose "type" equals this
  std::optional<std::string> reply;   // on success send {"type": reply}
  bool silent = false;                // never answer the first message at all
};

enum class Ending { none, close, drop };

// /json: the server side of tether's json protocol (json_protocol.hpp answers each message).
struct JsonSession {
  std::optional<std::uint64_t> drop_after_messages;  // only on the first connection of its key
  std::optional<std::string> push_channel;           // start the process-wide ticker of this channel
  std::chrono::milliseconds push_period{0};
};

struct Plan {
  std::string route;  // the decoded path, for logs

  // The HTTP exchange. http_status != 0 answers the request with that status instead of upgrading.
  unsigned http_status = 0;
  std::string http_body;
  bool hang = false;                         // read the request, never answer it
  // Bad peers: an HTTP answer written byte for byte instead of Beast's (not upgraded), and
  // whether the server closes after it (`raw_answer_closes`) or keeps the connection like /silent.
  std::optional<std::string> raw_answer;
  std::chrono::milliseconds raw_answer_byte_gap{0};  // the answer goes one byte per this gap
  bool raw_answer_closes = false;
  std::optional<std::string> subprotocol;    // Sec-WebSocket-Protocol of the 101 response

  // After the handshake.
  bool silent = false;                       // never read or write a WebSocket frame again
  // /bad-frame, /close-burst: raw bytes written right after the handshake, below the WebSocket layer. Then the
  // server reads what the client sends (its close frame) and closes TCP, or with hold never closes.
  std::optional<std::string> raw_frame;
  bool hold_after_raw_frame = false;
  std::vector<OutgoingMessage> greetings;    // sent right after the handshake, before any echo
  std::optional<FirstMessageAuth> first_message_auth;
  std::optional<JsonSession> json;           // messages are answered by the json protocol, not echoed
  Ending ending = Ending::none;
  std::uint16_t close_code = 1000;           // 0: a close frame without a status code
  std::string close_reason;
  std::optional<std::uint64_t> end_after_messages;  // counted in echoed messages, after greetings
  std::uint64_t end_after_ms = 0;                   // used when end_after_messages is not set
};

// Decides the plan for a request. Counts /flaky and /json?key= connections in `state`.
Plan plan_for(const Request& request, ServerState& state);

// The JSON text of the /headers greeting.
std::string describe_request_json(const Request& request);

}  // namespace tether_test_server
