// tether-test-server: see README.md for the command line, the JSON line and every path.
#include "certificates.hpp"
#include "listener.hpp"
#include "server_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace tether_test_server {

void log_line(const std::string& text) {
  std::string line = "tether-test-server: " + text + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr const char* kUsage =
    "usage: tether-test-server [--cert-dir DIR] [--ignore-stdin] [--verbose]\n"
    "  --cert-dir DIR   write the PEM files into DIR (created if needed, kept at exit);\n"
    "                   default: a fresh directory under /tmp, removed at exit\n"
    "  --ignore-stdin   keep running when stdin reaches EOF (default: exit, so that the server\n"
    "                   dies with the test that started it)\n"
    "  --verbose        log every connection to stderr\n"
    "Prints one JSON line with the ports and file names to stdout; runs until SIGTERM/SIGINT.\n";

struct Options {
  std::optional<std::filesystem::path> cert_dir;
  bool watch_stdin = true;
  bool verbose = false;
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--cert-dir" && i + 1 < argc) {
      options.cert_dir = argv[++i];
    } else if (arg.rfind("--cert-dir=", 0) == 0) {
      options.cert_dir = arg.substr(std::string("--cert-dir=").size());
    } else if (arg == "--ignore-stdin") {
      options.watch_stdin = false;
    } else if (arg == "--verbose") {
      options.verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else {
      throw UsageError("unknown or incomplete argument '" + arg + "'");
    }
  }
  if (options.cert_dir && options.cert_dir->empty()) throw UsageError("--cert-dir needs a directory");
  return options;
}

// The directory that receives the PEM files; a temporary one is removed on destruction.
class CertDirectory {
 public:
  explicit CertDirectory(const std::optional<std::filesystem::path>& requested) {
    if (requested) {
      std::filesystem::create_directories(*requested);
      path_ = std::filesystem::absolute(*requested);
      return;
    }
    std::string pattern = (std::filesystem::temp_directory_path() / "tether-test-server-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    path_ = pattern;
    temporary_ = true;
  }
  ~CertDirectory() {
    if (!temporary_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  CertDirectory(const CertDirectory&) = delete;
  CertDirectory& operator=(const CertDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  bool temporary_ = false;
};

// Calls on_eof (from its own thread) once stdin reaches EOF. poll() rather than an Asio
// descriptor: Asio would make stdin non-blocking, which a shared terminal would inherit.
class StdinWatcher {
 public:
  explicit StdinWatcher(std::function<void()> on_eof) {
    if (::pipe2(wake_, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
    thread_ = std::thread([this, on_eof = std::move(on_eof)] {
      if (wait_for_eof()) on_eof();
    });
  }
  ~StdinWatcher() {
    char byte = 0;
    while (::write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  StdinWatcher(const StdinWatcher&) = delete;
  StdinWatcher& operator=(const StdinWatcher&) = delete;

 private:
  // True at EOF, false when woken for shutdown.
  bool wait_for_eof() {
    char buffer[4096];
    for (;;) {
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return true;
      }
      if (fds[1].revents) return false;
      if (fds[0].revents & POLLNVAL) return true;
      if (fds[0].revents) {
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n == 0) return true;
        if (n < 0 && errno != EINTR && errno != EAGAIN) return true;
      }
    }
  }

  int wake_[2] = {-1, -1};
  std::thread thread_;
};

// Hundreds of concurrent connections need more descriptors than the usual soft limit of 1024.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int run(const Options& options) {
  std::signal(SIGPIPE, SIG_IGN);
  raise_descriptor_limit();

  ServerState state;
  state.verbose = options.verbose;
  CertDirectory cert_dir(options.cert_dir);
  TestPki pki = make_test_pki();
  PkiFiles files = write_test_pki(pki, cert_dir.path());

  asio::ssl::context server_tls = make_server_tls_context(pki.server, std::nullopt);
  asio::ssl::context mtls = make_server_tls_context(pki.server, pki.ca.certificate_pem);
  asio::ssl::context wrong_host_tls = make_server_tls_context(pki.wrong_host, std::nullopt);
  asio::ssl::context expired_tls = make_server_tls_context(pki.expired, std::nullopt);
  asio::ssl::context self_signed_tls = make_server_tls_context(pki.self_signed, std::nullopt);

  // Declared after everything the connections refer to, so that it is destroyed first.
  asio::io_context io(1);
  std::vector<std::shared_ptr<Listener>> listeners;
  const auto v4_loopback = asio::ip::address_v4::loopback();
  const auto v6_loopback = asio::ip::address_v6::loopback();
  auto listen = [&](const asio::ip::address& address, std::uint16_t port, asio::ssl::context* tls) {
    listeners.push_back(std::make_shared<Listener>(io, tcp::endpoint(address, port), tls, state));
    return listeners.back()->port();
  };

  struct Named {
    const char* name;
    asio::ssl::context* tls;
    std::uint16_t port = 0;
  };
  Named ports[] = {{"ws", nullptr},
                   {"ws6", nullptr},
                   {"wss", &server_tls},
                   {"wss_mtls", &mtls},
                   {"wss_wrong_host", &wrong_host_tls},
                   {"wss_expired", &expired_tls},
                   {"wss_self_signed", &self_signed_tls}};
  for (Named& entry : ports) {
    if (std::string(entry.name) != "ws6") entry.port = listen(v4_loopback, 0, entry.tls);
  }
  // TLS URLs name "localhost", which many resolvers answer with ::1 first: serve the same port
  // on ::1 too when it is free there, so such clients do not depend on falling back.
  for (Named& entry : ports) {
    if (!entry.tls) continue;
    try {
      listen(v6_loopback, entry.port, entry.tls);
    } catch (const boost::system::system_error&) {
    }
  }
  try {
    ports[1].port = listen(v6_loopback, 0, nullptr);
  } catch (const boost::system::system_error& e) {
    log_line(std::string("no IPv6 loopback, ws6 is 0: ") + e.what());
  }

  boost::json::object line;
  for (const Named& entry : ports) line[entry.name] = entry.port;
  line["ca_file"] = files.ca_file;
  line["client_cert_file"] = files.client_cert_file;
  line["client_key_file"] = files.client_key_file;
  std::string text = boost::json::serialize(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);

  for (auto& listener : listeners) listener->start();

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (options.verbose) log_line("signal " + std::to_string(signal) + ", exiting");
    io.stop();
  });

  std::optional<StdinWatcher> stdin_watcher;
  if (options.watch_stdin) {
    // /dev/null or a file (a background job of a shell script) ends at once: say why we leave.
    struct stat stdin_status {};
    bool stdin_is_stream = ::fstat(STDIN_FILENO, &stdin_status) == 0 &&
                           (S_ISFIFO(stdin_status.st_mode) || S_ISSOCK(stdin_status.st_mode) || ::isatty(STDIN_FILENO));
    stdin_watcher.emplace([&io, stdin_is_stream, verbose = options.verbose] {
      if (!stdin_is_stream)
        log_line("stdin is not a pipe and reached EOF, exiting; keep a pipe open on stdin or pass --ignore-stdin");
      else if (verbose)
        log_line("stdin reached EOF, exiting");
      io.stop();
    });
  }

  io.run();
  return 0;
}

}  // namespace
}  // namespace tether_test_server

int main(int argc, char** argv) {
  try {
    return tether_test_server::run(tether_test_server::parse_options(argc, argv));
  } catch (const tether_test_server::UsageError& e) {
    std::fprintf(stderr, "tether-test-server: %s\n%s", e.what(), tether_test_server::kUsage);
    return 2;
  } catch (const std::exception& e) {
    tether_test_server::log_line(std::string("fatal: ") + e.what());
    return 1;
  }
}
