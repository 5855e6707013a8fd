// N forced disconnects under traffic, on two paths through FaultProxy:
// - manager: a client on the test server's /json path (the connection manager, protocol "json")
//   subscribes to one channel and publishes numbered messages to it; every publish comes back to
//   it on the subscription;
// - echo: a plain client sends the numbered messages with tether_client_send to /echo.
// The proxy breaks the
// connection at random moments (drop, reset, a cut mid-frame either way, a blackhole that only
// the pong timeout notices) and the client reconnects each time.
//
// The accounting, from tether.h and the README:
// - every id handed to tether_client_publish / _send (TETHER_OK) gets exactly one report: SENT (the frame
//   was written to the socket) or SEND_FAILED (it never will be, or the connection ended while it
//   was being written: "it may or may not have arrived");
// - a message comes back at most once, and messages come back in id order;
// - a SENT message that does not come back was written on a connection that then ended: it is
//   one of the last ones written on that connection (every id SENT on the same connection and
//   delivered is smaller; TCP and the server keep order), and that connection's CLOSE reported
//   the loss. tether has no acknowledgements, so SENT means "written", not "received"; nothing
//   SENT on a connection that stays up is missing;
// - a SEND_FAILED message may have arrived (counted as such) but never twice;
// - manager: after every reconnect the subscription is confirmed again (SUBSCRIBED) before the
//   next fault, no message comes on a connection before that, and at the end the server counts
//   exactly one subscriber;
// - RSS and the number of open fds come back near their values after warm-up.
#include <atomic>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <thread>

#include "fault_proxy.hpp"
#include "harness.hpp"
#include "test_server.hpp"

using faults::Direction;
using faults::Fault;
using faults::FaultProxy;
using Clock = std::chrono::steady_clock;
using harness::open_fds;

namespace {

constexpr uint64_t kMaxIds = 2000000;  // the ledger is allocated (and touched) before the baseline
constexpr uint64_t kWindow = 100;      // ids handed but not yet settled, at most
const char *const kChannel = "churn";
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kMeasureRss = false;  // the sanitizers hold freed memory in quarantine
#else
constexpr bool kMeasureRss = true;
#endif

struct IdRecord {
    uint8_t sent = 0;
    uint8_t failed = 0;
    uint8_t delivered = 0;
    uint32_t sent_gen = 0;
    uint32_t delivered_gen = 0;
};

// What the client reported, filled on its I/O thread; no per-event allocation.
struct Ledger {
    explicit Ledger(bool manager_path) : manager(manager_path) {}
    const bool manager;  // messages come as CHANNEL_MESSAGE (manager) or MESSAGE (echo)
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<IdRecord> ids = std::vector<IdRecord>(kMaxIds + 1);
    uint64_t handed = 0;   // ids 1..handed were accepted by publish
    uint64_t reported = 0; // SENT + SEND_FAILED events
    uint64_t max_reported = 0;
    // Every id up to here is settled: delivered, or reported on a connection that has ended.
    // The sender keeps at most kWindow ids beyond it (an application's flow control): without
    // it, megabytes of SENT messages sit in socket buffers and each cut loses them all.
    uint64_t frontier = 0;
    uint32_t gen = 0;      // OPEN events: the current connection's number
    uint32_t subscribed_gen = 0;
    uint32_t closed_gen = 0;
    uint64_t delivered_in_gen = 0;
    uint64_t last_delivered = 0;
    uint64_t subscription = 0;
    uint64_t out_of_order = 0, stray = 0, without_subscription = 0, wrong_subscription = 0;
    uint64_t closes = 0, reconnects = 0;
    std::map<int32_t, uint64_t> error_status;  // ERROR events by status
    std::map<int32_t, uint64_t> failed_status; // SEND_FAILED events by status
    bool gave_up = false;
    std::string last_response;
    bool released = false;

    void on_event(const tether_event *ev) {
        const int32_t type = tether_event_type(ev);
        std::lock_guard<std::mutex> lock(mutex);
        switch (type) {
        case TETHER_EVENT_OPEN:
            ++gen;
            delivered_in_gen = 0;
            break;
        case TETHER_EVENT_SUBSCRIBED:
            if (tether_event_id(ev) == subscription) subscribed_gen = gen;
            break;
        case TETHER_EVENT_CLOSE:
            ++closes;
            closed_gen = gen;
            frontier = std::max(frontier, max_reported);
            break;
        case TETHER_EVENT_RECONNECT: ++reconnects; break;
        case TETHER_EVENT_ERROR: ++error_status[tether_event_status(ev)]; break;
        case TETHER_EVENT_STATE:
            if (tether_event_state(ev) == TETHER_STATE_ERROR) gave_up = true;
            break;
        case TETHER_EVENT_SENT:
        case TETHER_EVENT_SEND_FAILED: {
            const uint64_t id = tether_event_id(ev);
            if (id == 0 || id > kMaxIds) {
                ++stray;
                break;
            }
            ++reported;
            max_reported = std::max(max_reported, id);
            if (type == TETHER_EVENT_SENT) {
                ++ids[id].sent;
                ids[id].sent_gen = gen;
            } else {
                ++ids[id].failed;
                ++failed_status[tether_event_status(ev)];
            }
            break;
        }
        case TETHER_EVENT_MESSAGE:
        case TETHER_EVENT_CHANNEL_MESSAGE: {
            if ((type == TETHER_EVENT_CHANNEL_MESSAGE) != manager) {
                ++stray;
                break;
            }
            if (manager && tether_event_id(ev) != subscription) ++wrong_subscription;
            if (manager && subscribed_gen != gen) ++without_subscription;
            size_t size = 0;
            const char *data = reinterpret_cast<const char *>(tether_event_data(ev, &size));
            const std::string text(data ? data : "", size);
            const auto at = text.find("\"n\":");
            const uint64_t id = at == std::string::npos ? 0 : std::strtoull(text.c_str() + at + 4, nullptr, 10);
            if (id == 0 || id > kMaxIds) {
                ++stray;
                break;
            }
            if (id <= last_delivered) ++out_of_order;
            last_delivered = id;
            frontier = std::max(frontier, id);
            ++ids[id].delivered;
            ids[id].delivered_gen = gen;
            ++delivered_in_gen;
            break;
        }
        case TETHER_EVENT_RESPONSE: {
            size_t size = 0;
            const char *data = reinterpret_cast<const char *>(tether_event_data(ev, &size));
            last_response.assign(data ? data : "", size);
            break;
        }
        default: break;
        }
        cv.notify_all();
    }

    template <class Pred>
    bool wait(Pred pred, int timeout_ms) {
        std::unique_lock<std::mutex> lock(mutex);
        return cv.wait_for(lock, std::chrono::milliseconds(timeout_ms), pred);
    }
};

void TETHER_CALL ledger_event(const tether_event *ev, void *user_data) {
    static_cast<Ledger *>(user_data)->on_event(ev);
}

void TETHER_CALL ledger_release(void *user_data) {
    auto *ledger = static_cast<Ledger *>(user_data);
    std::lock_guard<std::mutex> lock(ledger->mutex);
    ledger->released = true;
    ledger->cv.notify_all();
}

long rss_kib() {
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long kib = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "VmRSS:", 6) == 0) kib = std::strtol(line + 6, nullptr, 10);
    std::fclose(f);
    return kib;
}

int cycles_from_env(int fallback) {
    const char *v = std::getenv("TETHER_FAULT_CYCLES");
    return v && *v ? std::atoi(v) : fallback;
}

enum FaultKind { kDrop, kReset, kCutUp, kCutDown, kBlackhole, kKinds };
const char *const kKindNames[kKinds] = {"drop", "reset", "cut client->server", "cut server->client",
                                         "blackhole"};

void run_churn(int cycles, bool manager) {
    tether_test::TestServer server;
    FaultProxy proxy(server.ws_port);
    auto ledger = std::make_unique<Ledger>(manager);

    harness::Options opts{{"url", proxy.ws_url(manager ? "/json" : "/echo")},
                          {"protocol", manager ? "json" : "raw"},
                          {"pingInterval", "100"},
                          {"pongTimeout", "300"},
                          {"reconnectDelay", "5"},
                          {"maxReconnectDelay", "50"},
                          {"maxReconnectAttempts", "0"}};
    tether_client *client = nullptr;
    REQUIRE(tether_client_new(&client, nullptr, opts.get(), TETHER_MODE_CALLBACK, ledger_event, ledger_release,
                              ledger.get()) == TETHER_OK);
    if (manager) {
        std::lock_guard<std::mutex> lock(ledger->mutex);
        REQUIRE(tether_client_subscribe(&ledger->subscription, client, kChannel, nullptr) == TETHER_OK);
    }
    REQUIRE(tether_client_connect(client) == TETHER_OK);

    // The sender: numbered publishes, at most kWindow of them unreported at a time.
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> refused{0};
    std::atomic<int> bad_status{0};
    std::thread sender([&] {
        uint64_t next = 1;
        while (!stop.load() && next <= kMaxIds) {
            {
                std::unique_lock<std::mutex> lock(ledger->mutex);
                ledger->cv.wait_for(lock, std::chrono::milliseconds(100),
                                    [&] { return stop.load() || ledger->handed - ledger->frontier < kWindow; });
                if (stop.load() || ledger->handed - ledger->frontier >= kWindow) continue;
            }
            const std::string payload = "{\"n\":" + std::to_string(next) + "}";
            const tether_status st =
                manager ? tether_client_publish(client, kChannel, payload.c_str(), next)
                        : tether_client_send(client, TETHER_MESSAGE_DEFAULT, payload.data(), payload.size(), next);
            if (st == TETHER_OK) {
                std::lock_guard<std::mutex> lock(ledger->mutex);
                ledger->handed = next++;
            } else if (st == TETHER_E_QUEUE_FULL) {
                ++refused;
            } else {
                ++bad_status;
            }
        }
    });

    std::mt19937 random(12345);
    uint64_t injected[kKinds] = {};
    int fallback_drops = 0;
    const int warmup = std::max(5, cycles / 20);
    long rss_baseline = 0;
    int fds_baseline = 0;
    const auto started = Clock::now();

    for (int k = 0; k < cycles; ++k) {
        // The connection is up, the subscription confirmed on it, and traffic flows.
        uint32_t gen = 0;
        const bool resumed = ledger->wait(
            [&] {
                gen = ledger->gen;
                return ledger->closed_gen < gen && (!manager || ledger->subscribed_gen == gen) &&
                       ledger->delivered_in_gen > 0;
            },
            10000);
        INFO("cycle " << k << ": connection " << ledger->gen << ", subscribed on " << ledger->subscribed_gen);
        REQUIRE(resumed);
        REQUIRE_FALSE(ledger->gave_up);
        if (k == warmup) {
            rss_baseline = rss_kib();
            fds_baseline = open_fds();
        }
        std::this_thread::sleep_for(std::chrono::microseconds(random() % 20000));  // a random moment

        const auto kind = static_cast<FaultKind>(random() % 10 < 9 ? random() % 4 : kBlackhole);
        ++injected[kind];
        Fault f;
        switch (kind) {
        case kDrop: proxy.drop_all(); break;
        case kReset: proxy.reset_all(); break;
        case kCutUp:
        case kCutDown:
            f.cut_after_bytes = static_cast<int64_t>(random() % 300);
            proxy.set_live(kind == kCutUp ? Direction::client_to_server : Direction::server_to_client, f);
            break;
        case kBlackhole:
            f.blackhole = true;
            proxy.set_live(Direction::client_to_server, f);
            proxy.set_live(Direction::server_to_client, f);
            break;
        default: break;
        }
        if (!ledger->wait([&] { return ledger->closed_gen >= gen; }, 3000)) {
            ++fallback_drops;  // a cut whose bytes never came: end it plainly
            proxy.drop_all();
            REQUIRE(ledger->wait([&] { return ledger->closed_gen >= gen; }, 3000));
        }
    }

    // Let the last connection settle: stop sending, every id reported, every SENT id delivered.
    REQUIRE(ledger->wait(
        [&] { return ledger->gen > ledger->closed_gen && (!manager || ledger->subscribed_gen == ledger->gen); },
        10000));
    stop = true;
    ledger->cv.notify_all();
    sender.join();
    const bool all_reported = ledger->wait([&] { return ledger->reported >= ledger->handed; }, 10000);
    const bool tail_delivered = ledger->wait(
        [&] {
            for (uint64_t id = ledger->handed; id >= 1; --id) {
                const auto &r = ledger->ids[id];
                if (r.sent_gen != ledger->gen && r.sent) break;
                if (r.sent && r.sent_gen == ledger->gen && !r.delivered) return false;
            }
            return true;
        },
        10000);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

    // The server must count exactly one subscriber to the channel: this connection's.
    bool one_subscriber = !manager;
    for (int attempt = 0; manager && attempt < 50 && !one_subscriber; ++attempt) {
        {
            std::lock_guard<std::mutex> lock(ledger->mutex);
            ledger->last_response.clear();
        }
        REQUIRE(tether_client_request(client, "subscribers", "{\"channel\":\"churn\"}", 5000, 900000000 + attempt) ==
                TETHER_OK);
        REQUIRE(ledger->wait([&] { return !ledger->last_response.empty(); }, 6000));
        std::lock_guard<std::mutex> lock(ledger->mutex);
        one_subscriber = ledger->last_response == "{\"count\":1}";
        if (!one_subscriber) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }

    const long rss_end = rss_kib();
    const int fds_end = open_fds();

    // The accounting.
    std::unique_lock<std::mutex> lock(ledger->mutex);
    uint64_t delivered = 0, failed = 0, failed_arrived = 0, lost_with_connection = 0;
    uint64_t unreported = 0, double_reported = 0, duplicated = 0, wrong_connection = 0, silently_lost = 0;
    std::map<uint32_t, uint64_t> max_delivered;  // per connection: the largest id delivered
    for (uint64_t id = 1; id <= ledger->handed; ++id) {
        const auto &r = ledger->ids[id];
        if (r.delivered) max_delivered[r.delivered_gen] = id;
    }
    for (uint64_t id = 1; id <= ledger->handed; ++id) {
        const auto &r = ledger->ids[id];
        if (r.sent + r.failed == 0) ++unreported;
        if (r.sent + r.failed > 1) ++double_reported;
        if (r.delivered > 1) ++duplicated;
        if (r.failed) {
            ++failed;
            failed_arrived += r.delivered ? 1 : 0;
        } else if (r.sent && r.delivered) {
            ++delivered;
            if (r.delivered_gen != r.sent_gen) ++wrong_connection;
        } else if (r.sent) {
            // Not back: allowed only at the tail of a connection that ended.
            const bool ended = r.sent_gen < ledger->gen || ledger->closed_gen >= r.sent_gen;
            const auto m = max_delivered.find(r.sent_gen);
            const bool at_tail = m == max_delivered.end() || m->second < id;
            if (ended && at_tail)
                ++lost_with_connection;
            else
                ++silently_lost;
        }
    }
    for (uint64_t id = ledger->handed + 1; id <= kMaxIds && id <= ledger->handed + kWindow; ++id)
        if (ledger->ids[id].sent || ledger->ids[id].failed || ledger->ids[id].delivered) ++ledger->stray;

    std::string errors;
    for (auto &kv : ledger->error_status)
        errors += std::string(" ") + tether_status_name(kv.first) + "=" + std::to_string(kv.second);
    std::string failures;
    for (auto &kv : ledger->failed_status)
        failures += std::string(" ") + tether_status_name(kv.first) + "=" + std::to_string(kv.second);
    std::string kinds;
    for (int i = 0; i < kKinds; ++i) kinds += std::string(" ") + kKindNames[i] + "=" + std::to_string(injected[i]);

    char summary[2048];
    std::snprintf(summary, sizeof summary,
                  "faults (%s path): %d cycles in %.1f s; injected:%s; fallback drops %d\n"
                  "  connections opened %u, CLOSE events %llu, RECONNECT events %llu, ERROR events:%s\n"
                  "  ids handed to publish or send %llu (refused at the call: %llu): delivered once in order %llu, "
                  "SEND_FAILED %llu (of which arrived anyway %llu; by status:%s), "
                  "SENT then lost with their connection %llu\n"
                  "  unreported %llu, reported twice %llu, duplicated %llu, out of order %llu, "
                  "silently lost %llu, stray %llu, delivered without the subscription %llu\n"
                  "  one subscriber at the end: %s; RSS %ld KiB after warm-up, %ld KiB at the end; "
                  "fds %d -> %d\n",
                  manager ? "manager /json" : "echo", cycles, seconds, kinds.c_str(), fallback_drops, ledger->gen,
                  (unsigned long long)ledger->closes, (unsigned long long)ledger->reconnects, errors.c_str(),
                  (unsigned long long)ledger->handed, (unsigned long long)refused.load(),
                  (unsigned long long)delivered, (unsigned long long)failed, (unsigned long long)failed_arrived,
                  failures.c_str(), (unsigned long long)lost_with_connection, (unsigned long long)unreported,
                  (unsigned long long)double_reported, (unsigned long long)duplicated,
                  (unsigned long long)ledger->out_of_order, (unsigned long long)silently_lost,
                  (unsigned long long)ledger->stray, (unsigned long long)ledger->without_subscription,
                  manager ? (one_subscriber ? "yes" : "no") : "n/a", rss_baseline, rss_end, fds_baseline, fds_end);
    std::fputs(summary, stdout);
    std::fflush(stdout);
    INFO(summary);

    CHECK(all_reported);
    CHECK(tail_delivered);
    CHECK(bad_status.load() == 0);
    CHECK(ledger->handed > static_cast<uint64_t>(cycles));
    CHECK(ledger->gen >= static_cast<uint32_t>(cycles + 1));
    CHECK(unreported == 0);
    CHECK(double_reported == 0);
    CHECK(duplicated == 0);
    CHECK(ledger->out_of_order == 0);
    CHECK(silently_lost == 0);
    CHECK(wrong_connection == 0);
    CHECK(ledger->stray == 0);
    CHECK(ledger->without_subscription == 0);
    CHECK(ledger->wrong_subscription == 0);
    CHECK_FALSE(ledger->gave_up);
    CHECK(one_subscriber);
    CHECK(delivered + failed + lost_with_connection == ledger->handed);
    // Memory and descriptors come back: per connection nothing is kept.
    if (kMeasureRss) CHECK(rss_end - rss_baseline < 4 * 1024);
    CHECK(fds_end <= fds_baseline + 2);

    lock.unlock();
    tether_client_destroy(client);
    ledger->wait([&] { return ledger->released; }, 10000);
}

}  // namespace

TEST_CASE("forced disconnects under traffic, manager: nothing lost silently or twice, subscription restored",
          "[faults][churn]") {
    run_churn(cycles_from_env(100), true);
}

TEST_CASE("forced disconnects under traffic, echo: nothing lost silently or twice", "[faults][churn]") {
    run_churn(cycles_from_env(100), false);
}

// scripts/faults.sh: the long versions (TETHER_FAULT_CYCLES, default 1000 each).
TEST_CASE("1000 forced disconnects under traffic, manager", "[.][long]") { run_churn(cycles_from_env(1000), true); }
TEST_CASE("1000 forced disconnects under traffic, echo", "[.][long]") { run_churn(cycles_from_env(1000), false); }
