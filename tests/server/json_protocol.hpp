// What the /json path answers to one client message, decided without any I/O: the connection
// applies the Outcome (subscribe, publish, replies, timers, drop). README.md has the table.
#pragma once

#include "json_hub.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tether_test_server {

struct JsonOutcome {
  // Applied in this order: subscribe / unsubscribe, publish, replies, delayed reply, drop.
  std::optional<std::string> subscribe;    // start listening on this channel
  std::optional<std::string> unsubscribe;  // stop listening on this channel
  struct Publication {
    std::string channel;
    std::string text;  // the complete "message" to deliver to every subscriber
  };
  std::optional<Publication> publish;
  std::vector<std::string> replies;  // to the sender, in order
  struct Delayed {
    std::chrono::milliseconds delay;
    std::string text;
  };
  std::optional<Delayed> delayed_reply;  // to the sender, after `delay`; later messages go on meanwhile
  bool drop = false;                     // end the TCP connection at once, no close frame
};

// Answers one message of a /json connection. `binary` tells how it arrived (only text frames are
// accepted); `hub` is only read, for the "subscribers" request.
JsonOutcome answer_json_message(std::string_view text, bool binary, const JsonHub& hub);

// {"type":"message","channel":C,"payload":P}; no payload member when `payload` is null.
std::string json_channel_message(std::string_view channel, const boost::json::value* payload);

}  // namespace tether_test_server
