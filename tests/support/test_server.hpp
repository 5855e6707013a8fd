// TestServer: runs tests/server's tether-test-server as a child process for the duration of a
// test and exposes the ports and certificate files it printed.
//
// The binary is the one built with this tree (TETHER_TEST_SERVER_PATH); the environment variable
// TETHER_TEST_SERVER, when set, names another one. The child's stdin is a pipe owned by this
// object, so the server also exits if the test process dies without running the destructor.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tether_test {

class TestServer {
 public:
  // Starts the server and waits for its JSON line. Throws std::runtime_error saying what went
  // wrong when the binary is missing, exits early or prints no valid line within 10 s.
  TestServer();
  // Closes the server's stdin, sends SIGTERM and reaps it; SIGKILL after 2 s. Never hangs.
  ~TestServer();

  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t ws_port = 0;
  std::uint16_t ws6_port = 0;  // 0 when the machine has no IPv6 loopback
  std::uint16_t wss_port = 0;
  std::uint16_t wss_mtls_port = 0;
  std::uint16_t wss_wrong_host_port = 0;
  std::uint16_t wss_expired_port = 0;
  std::uint16_t wss_self_signed_port = 0;
  std::string ca_file, client_cert_file, client_key_file;  // absolute paths of PEM files

  std::string ws_url(const std::string& path_and_query) const;   // "ws://127.0.0.1:PORT/path?query"
  std::string ws6_url(const std::string& path_and_query) const;  // "ws://[::1]:PORT/path?query"
  std::string wss_url(const std::string& path_and_query) const;  // "wss://localhost:PORT/path?query"

 private:
  void stop() noexcept;

  pid_t pid_ = -1;
  int stdin_fd_ = -1;   // write end of the server's stdin
  int stdout_fd_ = -1;  // read end of the server's stdout
};

// Peer: a protocol server from tests/peers (a real library's server, or one written from a
// protocol's documentation) as a child process. It prints {"port":N} on its first stdout line
// once it listens on 127.0.0.1, and exits when its stdin closes.
class Peer {
 public:
  // node tests/peers/<script>; needs `npm ci --prefix tests/peers` (the test command runs it).
  static Peer node(const std::string& script);
  // The ASP.NET Core SignalR hub of tests/peers/signalr, built by the test command
  // (TETHER_SIGNALR_PEER names another build of it).
  static Peer signalr();
  explicit Peer(const std::vector<std::string>& command);
  ~Peer();
  Peer(Peer&& other) noexcept;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  Peer& operator=(Peer&&) = delete;

  std::uint16_t port = 0;
  std::string ws_url(const std::string& path_and_query) const;  // "ws://127.0.0.1:PORT/path"

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
};

}  // namespace tether_test
