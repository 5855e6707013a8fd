// 10,000 idle connections served by one runtime with one I/O thread.
#include <sys/resource.h>

#include <atomic>
#include <thread>

#include "harness.hpp"
#include "test_server.hpp"

namespace {

struct Counters {
    std::atomic<int> open{0};
    std::atomic<int> errors{0};
    std::atomic<int> released{0};
};

void TETHER_CALL count_event(const tether_event *ev, void *user_data) {
    auto *c = static_cast<Counters *>(user_data);
    if (tether_event_type(ev) == TETHER_EVENT_OPEN) c->open++;
    if (tether_event_type(ev) == TETHER_EVENT_ERROR) c->errors++;
}

void TETHER_CALL count_release(void *user_data) { static_cast<Counters *>(user_data)->released++; }

bool wait_for(const std::atomic<int> &value, int target, int timeout_ms) {
    for (int waited = 0; value.load() < target && waited < timeout_ms; waited += 10) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return value.load() >= target;
}

}  // namespace

TEST_CASE("10,000 idle connections on one runtime thread", "[scale]") {
    constexpr int kConnections = 10000;
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);  // the test server inherits it
    if (limit.rlim_cur < kConnections + 200) {
        WARN("the file descriptor limit (" << limit.rlim_cur << ") is below " << kConnections << "; skipped");
        return;
    }
    tether_test::TestServer server;
    tether_runtime *rt = nullptr;
    REQUIRE(tether_runtime_new(&rt, 1) == TETHER_OK);
    harness::Options opts{{"url", server.ws_url("/echo")}, {"pingInterval", "0"}, {"autoReconnect", "false"},
                          {"handshakeTimeout", "60000"}, {"connectTimeout", "60000"}};
    Counters counters;
    std::vector<tether_client *> clients(kConnections, nullptr);
    // In batches, so the server's accept backlog is never the thing under test.
    constexpr int kBatch = 500;
    for (int start = 0; start < kConnections; start += kBatch) {
        for (int i = start; i < start + kBatch; ++i) {
            REQUIRE(tether_client_new(&clients[i], rt, opts.get(), TETHER_MODE_CALLBACK, count_event,
                                      count_release, &counters) == TETHER_OK);
            REQUIRE(tether_client_connect(clients[i]) == TETHER_OK);
        }
        REQUIRE(wait_for(counters.open, start + kBatch, 60000));
    }
    CHECK(counters.open.load() == kConnections);
    CHECK(counters.errors.load() == 0);
    // Still alive: one message through a client in the middle of the crowd.
    REQUIRE(tether_client_send(clients[kConnections / 2], TETHER_MESSAGE_DEFAULT, "{}", 2, 42) == TETHER_OK);
    for (tether_client *c : clients) tether_client_destroy(c);
    tether_runtime_destroy(rt);
    REQUIRE(wait_for(counters.released, kConnections, 30000));
}
