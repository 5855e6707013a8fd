#include "test_server.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

namespace tether_test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kStopTimeout = std::chrono::seconds(2);
constexpr auto kPeerStartTimeout = std::chrono::seconds(30);  // dotnet and node start slower

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("TestServer: " + what); }

std::string errno_text(int error) { return std::strerror(error); }

std::string server_path() {
  if (const char* path = std::getenv("TETHER_TEST_SERVER"); path && *path) return path;
  return TETHER_TEST_SERVER_PATH;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped";
}

// Reads the flat JSON object the server prints: string and integer values only. Boost.JSON is
// not used here so that this library can be linked next to any other copy of it.
class FlatJsonObject {
 public:
  explicit FlatJsonObject(const std::string& text) : text_(text) {
    skip_space();
    expect('{');
    skip_space();
    if (peek() == '}') return;
    for (;;) {
      skip_space();
      std::string key = read_string();
      skip_space();
      expect(':');
      skip_space();
      if (peek() == '"')
        strings_[key] = read_string();
      else
        numbers_[key] = read_integer();
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      expect('}');
      return;
    }
  }

  std::string string(const std::string& key) const {
    auto it = strings_.find(key);
    if (it == strings_.end()) fail("the server's JSON line has no string \"" + key + "\": " + text_);
    return it->second;
  }

  std::uint16_t port(const std::string& key) const {
    auto it = numbers_.find(key);
    if (it == numbers_.end() || it->second < 0 || it->second > 65535)
      fail("the server's JSON line has no port \"" + key + "\": " + text_);
    return static_cast<std::uint16_t>(it->second);
  }

 private:
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\r')) ++pos_;
  }
  [[noreturn]] void malformed() const {
    fail("malformed JSON line from the server at offset " + std::to_string(pos_) + ": " + text_);
  }
  void expect(char c) {
    if (peek() != c) malformed();
    ++pos_;
  }

  std::string read_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (pos_ >= text_.size()) malformed();
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) malformed();
      char escaped = text_[pos_++];
      switch (escaped) {
        case '"': case '\\': case '/': out.push_back(escaped); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': append_utf8(out, read_code_point()); break;
        default: malformed();
      }
    }
  }

  unsigned read_hex4() {
    if (pos_ + 4 > text_.size()) malformed();
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      char c = text_[pos_++];
      value <<= 4;
      if (c >= '0' && c <= '9') value |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') value |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') value |= static_cast<unsigned>(c - 'A' + 10);
      else malformed();
    }
    return value;
  }

  unsigned read_code_point() {
    unsigned unit = read_hex4();
    if (unit >= 0xD800 && unit < 0xDC00 && text_.compare(pos_, 2, "\\u") == 0) {
      pos_ += 2;
      unsigned low = read_hex4();
      if (low < 0xDC00 || low > 0xDFFF) malformed();
      return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    }
    return unit;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  long long read_integer() {
    std::size_t start = pos_;
    if (peek() == '-') ++pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start || pos_ - start > 18) malformed();
    return std::stoll(text_.substr(start, pos_ - start));
  }

  std::string text_;
  std::size_t pos_ = 0;
  std::map<std::string, std::string> strings_;
  std::map<std::string, long long> numbers_;
};

// Reads up to the first newline, waiting at most until `deadline`.
// Reaps the server (and sets pid to -1) when it exits before the line.
std::string read_line(int fd, Clock::time_point deadline, pid_t& pid) {
  std::string line;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) fail("no JSON line from the child process in time (got so far: '" + line + "')");
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) fail("poll: " + errno_text(errno));
    if (ready == 0) continue;
    char buffer[512];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("reading the server's stdout: " + errno_text(errno));
    if (n == 0) {
      int status = 0;
      std::string how = "closed its stdout";
      if (::waitpid(pid, &status, 0) == pid) {
        how = describe_exit(status);
        pid = -1;
      }
      fail("the server " + how + " before printing its ports (see its stderr above)");
    }
    line.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline = line.find('\n');
    if (newline != std::string::npos) return line.substr(0, newline);
  }
}

}  // namespace

namespace {

// Starts argv[0] (looked up in PATH) with a pipe on its stdin and one on its stdout; returns
// the child's pid. Close-on-exec everywhere: a child started by another thread must not
// inherit our end of this child's stdin, or this child would never see EOF.
pid_t spawn(const std::vector<std::string>& args, int& stdin_fd, int& stdout_fd) {
  int stdin_pipe[2], stdout_pipe[2];
  if (::pipe2(stdin_pipe, O_CLOEXEC) != 0) fail("pipe2: " + errno_text(errno));
  if (::pipe2(stdout_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    ::close(stdin_pipe[0]);
    ::close(stdin_pipe[1]);
    fail("pipe2: " + errno_text(error));
  }
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    // dup2 clears close-on-exec, except when the descriptor already has the target number.
    for (auto [from, to] : {std::pair<int, int>{stdin_pipe[0], STDIN_FILENO}, {stdout_pipe[1], STDOUT_FILENO}}) {
      if ((from == to ? ::fcntl(to, F_SETFD, 0) : ::dup2(from, to)) < 0) ::_exit(127);
    }
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  int fork_error = errno;
  ::close(stdin_pipe[0]);
  ::close(stdout_pipe[1]);
  stdin_fd = stdin_pipe[1];
  stdout_fd = stdout_pipe[0];
  if (pid < 0) {
    ::close(stdin_fd);
    ::close(stdout_fd);
    stdin_fd = stdout_fd = -1;
    fail("fork: " + errno_text(fork_error));
  }
  return pid;
}

// Closes the child's stdin, sends SIGTERM and reaps it; SIGKILL after 2 s.
void stop_child(pid_t& pid, int& stdin_fd, int& stdout_fd) noexcept {
  if (stdin_fd >= 0) ::close(stdin_fd);
  stdin_fd = -1;
  if (pid > 0) {
    ::kill(pid, SIGTERM);
    auto deadline = Clock::now() + kStopTimeout;
    int status = 0;
    for (;;) {
      pid_t reaped = ::waitpid(pid, &status, WNOHANG);
      if (reaped == pid || (reaped < 0 && errno != EINTR)) break;
      if (Clock::now() >= deadline) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  pid = -1;
  if (stdout_fd >= 0) ::close(stdout_fd);
  stdout_fd = -1;
}

}  // namespace

TestServer::TestServer() {
  const std::string path = server_path();
  if (::access(path.c_str(), X_OK) != 0)
    fail("cannot execute the server binary '" + path + "': " + errno_text(errno) +
         " (build the tether-test-server target, or set TETHER_TEST_SERVER)");
  pid_ = spawn({path}, stdin_fd_, stdout_fd_);
  try {
    std::string line = read_line(stdout_fd_, Clock::now() + kStartTimeout, pid_);
    FlatJsonObject json(line);
    ws_port = json.port("ws");
    ws6_port = json.port("ws6");
    wss_port = json.port("wss");
    wss_mtls_port = json.port("wss_mtls");
    wss_wrong_host_port = json.port("wss_wrong_host");
    wss_expired_port = json.port("wss_expired");
    wss_self_signed_port = json.port("wss_self_signed");
    ca_file = json.string("ca_file");
    client_cert_file = json.string("client_cert_file");
    client_key_file = json.string("client_key_file");
  } catch (...) {
    stop();
    throw;
  }
}

TestServer::~TestServer() { stop(); }

void TestServer::stop() noexcept { stop_child(pid_, stdin_fd_, stdout_fd_); }

namespace {
std::string with_slash(const std::string& path_and_query) {
  return !path_and_query.empty() && path_and_query.front() == '/' ? path_and_query : "/" + path_and_query;
}
}  // namespace

std::string TestServer::ws_url(const std::string& path_and_query) const {
  return "ws://127.0.0.1:" + std::to_string(ws_port) + with_slash(path_and_query);
}

std::string TestServer::ws6_url(const std::string& path_and_query) const {
  return "ws://[::1]:" + std::to_string(ws6_port) + with_slash(path_and_query);
}

std::string TestServer::wss_url(const std::string& path_and_query) const {
  return "wss://localhost:" + std::to_string(wss_port) + with_slash(path_and_query);
}

Peer::Peer(const std::vector<std::string>& command) {
  if (command.empty()) fail("Peer: no command");
  pid_ = spawn(command, stdin_fd_, stdout_fd_);
  try {
    std::string line = read_line(stdout_fd_, Clock::now() + kPeerStartTimeout, pid_);
    port = FlatJsonObject(line).port("port");
  } catch (const std::exception& e) {
    stop_child(pid_, stdin_fd_, stdout_fd_);
    throw std::runtime_error(std::string(e.what()) + " [peer: " + command.back() + "]");
  }
}

Peer Peer::node(const std::string& script) {
  const std::string path = std::string(TETHER_PEERS_DIR) + "/" + script;
  const std::string modules = std::string(TETHER_PEERS_DIR) + "/node_modules";
  if (::access(modules.c_str(), F_OK) != 0)
    fail("the test peers' npm packages are missing: run 'npm ci --prefix " + std::string(TETHER_PEERS_DIR) + "'");
  return Peer({"node", path});
}

Peer Peer::signalr() {
  std::string dll = std::string(TETHER_PEERS_DIR) + "/signalr/bin/SignalrPeer.dll";
  if (const char* env = std::getenv("TETHER_SIGNALR_PEER"); env && *env) dll = env;
  if (::access(dll.c_str(), F_OK) != 0)
    fail("the SignalR peer is not built: run 'dotnet build " + std::string(TETHER_PEERS_DIR) +
         "/signalr -o " + std::string(TETHER_PEERS_DIR) + "/signalr/bin'");
  return Peer({"dotnet", dll});
}

Peer::~Peer() { stop_child(pid_, stdin_fd_, stdout_fd_); }

Peer::Peer(Peer&& other) noexcept
    : port(other.port), pid_(other.pid_), stdin_fd_(other.stdin_fd_), stdout_fd_(other.stdout_fd_) {
  other.pid_ = -1;
  other.stdin_fd_ = other.stdout_fd_ = -1;
}

std::string Peer::ws_url(const std::string& path_and_query) const {
  return "ws://127.0.0.1:" + std::to_string(port) + with_slash(path_and_query);
}

}  // namespace tether_test
