// State shared by every connection of one tether-test-server process. The server runs a single
// I/O thread, so nothing here needs a lock.
#pragma once

#include "json_hub.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace tether_test_server {

struct ServerState {
  bool verbose = false;                     // --verbose: one stderr line per connection event
  std::uint64_t next_connection_id = 1;     // tags log lines and /json subscriptions
  // /flaky: connections seen per key over the whole process lifetime.
  std::map<std::string, std::uint64_t, std::less<>> flaky_connections;
  // /json: connections seen per key (drop_after_messages), and the channels shared by all of them.
  std::map<std::string, std::uint64_t, std::less<>> json_connections;
  JsonHub json;
};

// Writes "tether-test-server: <text>" to stderr.
void log_line(const std::string& text);

}  // namespace tether_test_server
