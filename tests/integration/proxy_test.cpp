// ws:// and wss:// through a real HTTP CONNECT proxy: tinyproxy from Debian, started here on
// loopback with a generated configuration.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using tether_test::TestServer;

namespace {

uint16_t free_loopback_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr *>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

bool port_accepts(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    const bool ok = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) == 0;
    close(fd);
    return ok;
}

// tinyproxy in the foreground, killed when the test ends.
class Tinyproxy {
public:
    explicit Tinyproxy(const std::string &basic_auth_user = "", const std::string &basic_auth_password = "") {
        const char *binary = "/usr/bin/tinyproxy";
        if (access(binary, X_OK) != 0) {
            throw std::runtime_error("tinyproxy is not installed: run scripts/install-deps.sh (Debian package tinyproxy)");
        }
        char dir_template[] = "/tmp/tether-proxy-XXXXXX";
        dir_ = mkdtemp(dir_template);
        port = free_loopback_port();
        const std::string conf = dir_ + "/tinyproxy.conf";
        std::ofstream out(conf);
        out << "Port " << port << "\nListen 127.0.0.1\nTimeout 30\nMaxClients 50\n"
            << "LogLevel Error\nLogFile \"" << dir_ << "/tinyproxy.log\"\n";
        if (geteuid() == 0) out << "User nobody\nGroup nogroup\n";
        if (!basic_auth_user.empty()) out << "BasicAuth " << basic_auth_user << " " << basic_auth_password << "\n";
        out.close();
        chmod(dir_.c_str(), 0777);
        pid_ = fork();
        if (pid_ == 0) {
            execl(binary, binary, "-d", "-c", conf.c_str(), static_cast<char *>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 200 && !port_accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        if (!port_accepts(port)) throw std::runtime_error("tinyproxy did not start on port " + std::to_string(port));
    }
    ~Tinyproxy() {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
        std::system(("rm -rf " + dir_).c_str());
    }
    uint16_t port = 0;

private:
    std::string dir_;
    pid_t pid_ = -1;
};

}  // namespace

TEST_CASE("ws:// and wss:// tunnel through an HTTP CONNECT proxy", "[client][proxy]") {
    TestServer server;
    Tinyproxy proxy;
    const std::string proxy_url = "http://127.0.0.1:" + std::to_string(proxy.port);
    SECTION("ws://") {
        Client client({{"url", server.ws_url("/echo")}, {"proxy", proxy_url}, {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.wait_open());
        REQUIRE(client.send("through the proxy") == TETHER_OK);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
        CHECK(client.recorder.messages().at(0) == "through the proxy");
    }
    SECTION("wss:// (TLS inside the tunnel, verified end to end)") {
        Client client({{"url", server.wss_url("/echo")}, {"proxy", proxy_url}, {"caFile", server.ca_file},
                       {"messageFormat", "text"}});
        client.connect();
        REQUIRE(client.wait_open());
        REQUIRE(client.send("secret through the proxy") == TETHER_OK);
        REQUIRE(client.recorder.wait_for_type(TETHER_EVENT_MESSAGE));
    }
}

TEST_CASE("proxy basic auth", "[client][proxy]") {
    TestServer server;
    Tinyproxy proxy("proxyuser", "proxypass");
    SECTION("right credentials") {
        Client client({{"url", server.ws_url("/echo")},
                       {"proxy", "http://proxyuser:proxypass@127.0.0.1:" + std::to_string(proxy.port)}});
        client.connect();
        REQUIRE(client.wait_open());
    }
    SECTION("wrong credentials: refused, no reconnect, password never shown") {
        Client client({{"url", server.ws_url("/echo")},
                       {"proxy", "http://proxyuser:wrongpass@127.0.0.1:" + std::to_string(proxy.port)}});
        client.connect();
        REQUIRE(client.recorder.wait_until([&](auto &) { return client.state() == TETHER_STATE_ERROR; }));
        auto err = client.recorder.of_type(TETHER_EVENT_ERROR).at(0);
        CHECK(err.status == TETHER_E_PROXY);
        INFO(err.text);
        // tinyproxy answers 401 where RFC 9110 says 407; both mean the same here.
        CHECK(err.text.find("the proxy refused the credentials") != std::string::npos);
        CHECK(harness::all_visible_text(client.recorder).find("wrongpass") == std::string::npos);
        CHECK(client.stats().find("wrongpass") == std::string::npos);
    }
}
