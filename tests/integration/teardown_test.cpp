// How soon a destroyed client lets go of everything: its runtime's threads and fds. A client on
// a private runtime (whose handle is destroyed at once) keeps that runtime alive through its
// session, so the runtime's threads and fds are gone exactly when nothing of the client is left.
// The contract: after tether_client_destroy, no timer of the client keeps anything alive; what is
// left goes within closeTimeout (the polite close of an open connection) at most.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "test_server.hpp"

using harness::Client;
using tether_test::TestServer;

namespace {

using Clock = std::chrono::steady_clock;

long ms_since(Clock::time_point start) {
    return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

// The process's threads and fds before a runtime is made, to tell when all of it is gone. A
// thread is started and joined first, so that what a process makes along with its first thread
// (TSan's background thread) is counted already.
struct Baseline {
    int threads = harness::process_threads();
    int fds = harness::open_fds();

    static Baseline take() {
        std::thread([] {}).join();
        return Baseline{};
    }
    bool reached() const { return harness::process_threads() <= threads && harness::open_fds() <= fds; }
};

constexpr int kCloseTimeoutMs = 1000;
// Far longer than kCloseTimeoutMs + kSlackMs: a timer of this length that outlives destroy shows.
constexpr const char *kLongMs = "30000";
// Scheduling noise on a loaded machine (and under TSan) on top of closeTimeout.
constexpr int kSlackMs = 1500;

// Makes a client on a runtime of its own, lets `drive` bring it into the state under test,
// destroys it and returns how many ms passed from tether_client_destroy until the process had
// no more threads and fds than before the runtime was made (or -1 after 15 s).
long destroy_and_time(std::initializer_list<std::pair<std::string, std::string>> options,
                      const std::function<void(Client &)> &drive) {
    const Baseline before = Baseline::take();
    tether_runtime *runtime = nullptr;
    REQUIRE(tether_runtime_new(&runtime, 1) == TETHER_OK);
    auto client = std::make_unique<Client>(options, runtime);
    tether_runtime_destroy(runtime);  // from now on the client alone keeps it running
    drive(*client);
    const auto start = Clock::now();
    client->destroy();  // returns once release_user_data has run
    REQUIRE(client->recorder.released() == 1);
    client.reset();
    const auto deadline = start + std::chrono::seconds(15);
    while (!before.reached()) {
        if (Clock::now() > deadline) return -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return ms_since(start);
}

void check_gone_in_time(long elapsed_ms) {
    INFO("the runtime of the destroyed client went after " << elapsed_ms << " ms (-1: not within 15 s)");
    CHECK(elapsed_ms >= 0);
    CHECK(elapsed_ms < kCloseTimeoutMs + kSlackMs);
}

}  // namespace

TEST_CASE("destroy lets go of the runtime within closeTimeout whatever is pending", "[client][lifetime][teardown]") {
    TestServer server;
    const std::string close_timeout = std::to_string(kCloseTimeoutMs);

    SECTION("a request waiting for its answer") {
        check_gone_in_time(destroy_and_time(
            {{"url", server.ws_url("/json")}, {"protocol", "json"}, {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                REQUIRE(c.wait_open());
                REQUIRE(tether_client_request(c.get(), "never", nullptr, 30000, 1) == TETHER_OK);
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }));
    }
    SECTION("a reconnect scheduled") {
        check_gone_in_time(destroy_and_time(
            {{"url", "ws://127.0.0.1:1/"}, {"reconnectDelay", kLongMs}, {"maxReconnectDelay", kLongMs},
             {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_RECONNECT));
            }));
    }
    SECTION("a WebSocket handshake the server never answers") {
        check_gone_in_time(destroy_and_time(
            {{"url", server.ws_url("/hang")}, {"handshakeTimeout", kLongMs}, {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                std::this_thread::sleep_for(std::chrono::milliseconds(200));
            }));
    }
    SECTION("an auth reply that never comes") {
        check_gone_in_time(destroy_and_time(
            {{"url", server.ws_url("/auth/first-message?expect=t&silent=1")}, {"authMethod", "first-message"},
             {"authToken", "t"}, {"authSuccessType", "auth_ok"}, {"authTimeout", kLongMs},
             {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            }));
    }
    SECTION("a ping waiting for its pong from a silent peer") {
        check_gone_in_time(destroy_and_time(
            {{"url", server.ws_url("/silent")}, {"pingInterval", "100"}, {"pongTimeout", kLongMs},
             {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                REQUIRE(c.wait_open());
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
            }));
    }
    SECTION("an open connection with the next ping far away") {
        check_gone_in_time(destroy_and_time(
            {{"url", server.ws_url("/echo")}, {"pingInterval", kLongMs}, {"closeTimeout", close_timeout}},
            [](Client &c) {
                c.connect();
                REQUIRE(c.wait_open());
            }));
    }
}

// Destroy at every moment of the way in: resolving, connecting, handshaking, just open.
TEST_CASE("destroy right after connect lets go of the runtime at once", "[client][lifetime][teardown]") {
    TestServer server;
    for (int round = 0; round < 40; ++round) {
        const long elapsed = destroy_and_time(
            {{"url", server.ws_url("/echo")}, {"connectTimeout", kLongMs}, {"handshakeTimeout", kLongMs},
             {"pingInterval", kLongMs}, {"closeTimeout", std::to_string(kCloseTimeoutMs)}},
            [round](Client &c) {
                c.connect();
                std::this_thread::sleep_for(std::chrono::microseconds(100 * (round % 20)));
            });
        INFO("round " << round);
        check_gone_in_time(elapsed);
    }
}

// The resolver answers on a thread of its own, and its answer may wait in the I/O thread's queue
// while that thread is busy. A destroy that comes meanwhile must end the connection attempt
// there: the answer must not open a new socket for a client that is gone (that socket, with no
// connect deadline and a fresh handshakeTimeout, held the client's runtime long after destroy).
TEST_CASE("destroy between the resolver's answer and its handler opens no new connection", "[client][lifetime][teardown]") {
    TestServer server;
    const Baseline before = Baseline::take();
    tether_runtime *runtime = nullptr;
    REQUIRE(tether_runtime_new(&runtime, 1) == TETHER_OK);
    // /hang never answers the upgrade: a connection opened after destroy would stay for
    // handshakeTimeout.
    auto victim = std::make_unique<Client>(
        std::initializer_list<std::pair<std::string, std::string>>{
            {"url", server.ws_url("/hang")}, {"connectTimeout", kLongMs}, {"handshakeTimeout", kLongMs},
            {"closeTimeout", std::to_string(kCloseTimeoutMs)}},
        runtime);
    // A second client of the same one-thread runtime, whose first callback holds that thread.
    auto blocker = std::make_unique<Client>(
        std::initializer_list<std::pair<std::string, std::string>>{{"url", server.ws_url("/echo")}}, runtime);
    tether_runtime_destroy(runtime);

    std::mutex mutex;
    std::condition_variable cv;
    bool blocking = false, unblock = false;
    tether_client *blocker_handle = blocker->get();
    blocker->recorder.hook = [&, first = true](const harness::Recorded &) mutable {
        if (!first) return;
        first = false;
        std::unique_lock<std::mutex> lock(mutex);
        blocking = true;
        cv.notify_all();
        cv.wait_for(lock, std::chrono::seconds(5), [&] { return unblock; });
    };
    // The victim's CONNECTING event comes just before it starts resolving: queue the blocker's
    // first event there, so that it holds the thread while the resolver answers.
    victim->recorder.hook = [&, first = true](const harness::Recorded &) mutable {
        if (!first) return;
        first = false;
        tether_client_connect(blocker_handle);
    };
    victim->connect();
    {
        std::unique_lock<std::mutex> lock(mutex);
        REQUIRE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return blocking; }));
    }
    // Long enough for the resolver thread to answer "127.0.0.1"; its answer waits for the thread.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto start = Clock::now();
    victim->destroy();
    {
        std::lock_guard<std::mutex> lock(mutex);
        unblock = true;
    }
    cv.notify_all();
    REQUIRE(blocker->wait_open());
    blocker->destroy();
    victim.reset();
    blocker.reset();

    const auto deadline = start + std::chrono::seconds(5);
    while (!before.reached() && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const long elapsed = ms_since(start);
    INFO("threads " << harness::process_threads() << " (before " << before.threads << "), fds "
                    << harness::open_fds() << " (before " << before.fds << ") after " << elapsed << " ms");
    CHECK(before.reached());
    CHECK(elapsed < kCloseTimeoutMs + kSlackMs);
}

// A server that closes right after its last messages sends them and its close frame in one
// packet. When the application closes on the first of those messages, the client's close frame
// goes out while the server's already waits in the read buffer. In Beast the close then waits for
// the read lock (held by the read that is handing over the next message) and that read, finding
// the server's close frame, waits for the write lock the close holds. Neither waits on the
// socket, so nothing but cancelling them ends the wait: without care the close only ends by
// closeTimeout (1006, unclean) and the connection, its session and its runtime stay for good.
TEST_CASE("a close that crosses the server's close in one packet ends cleanly and lets go of the runtime",
          "[client][lifetime][teardown]") {
    TestServer server;
    // Which message the close frame comes right behind decides which waits first; the third
    // one is where it hung (1 to 6 messages are tried).
    for (int count = 1; count <= 6; ++count) {
        INFO(count << " messages before the server's close frame");
        const long elapsed = destroy_and_time(
            {{"url", server.ws_url("/close-burst?count=" + std::to_string(count))},
             {"closeTimeout", kLongMs},
             {"autoReconnect", "false"}},
            [](Client &c) {
                tether_client *handle = c.get();
                c.recorder.hook = [handle, first = true](const harness::Recorded &e) mutable {
                    if (e.type != TETHER_EVENT_MESSAGE || !first) return;
                    first = false;
                    tether_client_close(handle, 1000, "done");
                };
                c.connect();
                // closeTimeout is 30 s: a close that only its timer ends does not come within 10 s.
                REQUIRE(c.recorder.wait_for_type(TETHER_EVENT_CLOSE, 1, 10000));
                const harness::Recorded close = c.recorder.of_type(TETHER_EVENT_CLOSE).front();
                INFO("CLOSE code " << close.code << " '" << close.text << "' status " << close.status);
                CHECK(close.was_clean == 1);
                CHECK(close.status == TETHER_OK);
                const std::vector<std::string> messages = c.recorder.messages();
                REQUIRE_FALSE(messages.empty());
                CHECK(messages.front() == "1");
            });
        check_gone_in_time(elapsed);
    }
}
