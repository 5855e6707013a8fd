// Shared helpers for the C ABI tests: an options builder, an event recorder fed by the callback,
// a client wrapper that waits for release_user_data before freeing the recorder, and the
// manager's calls and waits that the tests of every protocol make.
#pragma once

#include <dirent.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "tether.h"

namespace harness {

// This process's threads and open fds, from /proc/self (-1 when it cannot be read). A runtime's
// threads and fds coming back to the counts taken before it was made show that nothing of it,
// and so nothing of its clients, is left.
inline int process_threads() {
    FILE *f = std::fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    int threads = -1;
    while (std::fgets(line, sizeof line, f))
        if (std::strncmp(line, "Threads:", 8) == 0) threads = std::atoi(line + 8);
    std::fclose(f);
    return threads;
}

inline int open_fds() {
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    while (readdir(d)) ++n;
    closedir(d);
    return n - 3;  // ".", ".." and the DIR's own fd
}

struct Recorded {
    int32_t type = 0;
    int32_t message_type = 0;
    std::string data;
    std::string text;
    std::string channel;
    int32_t code = 0;
    int32_t was_clean = 0;
    int32_t status = 0;
    int32_t state = 0;
    int32_t previous_state = 0;
    int32_t attempt = 0;
    int64_t delay_ms = 0;
    uint64_t id = 0;
};

inline Recorded record(const tether_event *ev) {
    Recorded r;
    r.type = tether_event_type(ev);
    size_t size = 0;
    const uint8_t *data = tether_event_data(ev, &size);
    if (data) r.data.assign(reinterpret_cast<const char *>(data), size);
    r.message_type = tether_event_message_type(ev);
    r.text = tether_event_text(ev);
    r.channel = tether_event_channel(ev);
    r.code = tether_event_code(ev);
    r.was_clean = tether_event_was_clean(ev);
    r.status = tether_event_status(ev);
    r.state = tether_event_state(ev);
    r.previous_state = tether_event_previous_state(ev);
    r.attempt = tether_event_attempt(ev);
    r.delay_ms = tether_event_delay_ms(ev);
    r.id = tether_event_id(ev);
    return r;
}

class Recorder {
public:
    // Runs on the I/O thread for every event; `hook`, when set, runs inside the callback.
    std::function<void(const Recorded &)> hook;

    void add(Recorded r) {
        if (hook) hook(r);
        {
            std::lock_guard<std::mutex> lock(mutex_);
            events_.push_back(std::move(r));
        }
        cv_.notify_all();
    }

    template <class Pred>
    bool wait_until(Pred pred, int timeout_ms = 5000) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return pred(events_); });
    }

    bool wait_for_type(int32_t type, size_t count = 1, int timeout_ms = 5000) {
        return wait_until([&](const std::vector<Recorded> &evs) { return count_in(evs, type) >= count; },
                          timeout_ms);
    }

    std::vector<Recorded> snapshot() {
        std::lock_guard<std::mutex> lock(mutex_);
        return events_;
    }

    std::vector<Recorded> of_type(int32_t type) {
        std::vector<Recorded> out;
        for (auto &e : snapshot())
            if (e.type == type) out.push_back(e);
        return out;
    }

    std::vector<int32_t> states() {
        std::vector<int32_t> out;
        for (auto &e : of_type(TETHER_EVENT_STATE)) out.push_back(e.state);
        return out;
    }

    std::vector<std::string> messages() {
        std::vector<std::string> out;
        for (auto &e : of_type(TETHER_EVENT_MESSAGE)) out.push_back(e.data);
        return out;
    }

    // Notifies under the lock: the waiter may destroy this recorder as soon as it sees the
    // release, so nothing of it may be touched after the mutex is let go.
    void mark_released() {
        std::lock_guard<std::mutex> lock(mutex_);
        ++released_;
        cv_.notify_all();
    }

    int released() {
        std::lock_guard<std::mutex> lock(mutex_);
        return released_;
    }

    bool wait_released(int timeout_ms = 5000) {
        std::unique_lock<std::mutex> lock(mutex_);
        return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return released_ > 0; });
    }

    static size_t count_in(const std::vector<Recorded> &evs, int32_t type) {
        size_t n = 0;
        for (auto &e : evs) n += e.type == type;
        return n;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Recorded> events_;
    int released_ = 0;
};

inline void TETHER_CALL on_event(const tether_event *ev, void *user_data) {
    static_cast<Recorder *>(user_data)->add(record(ev));
}

inline void TETHER_CALL on_release(void *user_data) { static_cast<Recorder *>(user_data)->mark_released(); }

class Options {
public:
    Options(std::initializer_list<std::pair<std::string, std::string>> values) {
        REQUIRE(tether_options_new(&opts_) == TETHER_OK);
        for (auto &kv : values) set(kv.first, kv.second);
    }
    ~Options() { tether_options_destroy(opts_); }
    Options(const Options &) = delete;
    Options &operator=(const Options &) = delete;

    void set(const std::string &key, const std::string &value) {
        INFO("option " << key << "=" << value << ": " << tether_last_error_message());
        REQUIRE(tether_options_set(opts_, key.c_str(), value.c_str()) == TETHER_OK);
    }
    tether_options *get() const { return opts_; }

private:
    tether_options *opts_ = nullptr;
};

// A CALLBACK-mode client that records every event. Reconnect delays default to short ones and
// keep-alive to off so that tests run fast; tests override what they exercise.
class Client {
public:
    explicit Client(std::initializer_list<std::pair<std::string, std::string>> values,
                    tether_runtime *runtime = nullptr) {
        Options opts{{"pingInterval", "0"}, {"reconnectDelay", "20"}, {"maxReconnectDelay", "100"}};
        for (auto &kv : values) opts.set(kv.first, kv.second);
        INFO(tether_last_error_message());
        REQUIRE(tether_client_new(&client_, runtime, opts.get(), TETHER_MODE_CALLBACK, on_event, on_release,
                                  &recorder) == TETHER_OK);
    }
    ~Client() { destroy(); }

    void destroy() {
        if (!client_) return;
        tether_client_destroy(client_);
        client_ = nullptr;
        // The recorder must outlive the last callback.
        recorder.wait_released(10000);
    }

    tether_status send_text(const std::string &s, uint64_t id = 0) {
        return tether_client_send(client_, TETHER_MESSAGE_TEXT, s.data(), s.size(), id);
    }
    tether_status send(const std::string &s, uint64_t id = 0) {
        return tether_client_send(client_, TETHER_MESSAGE_DEFAULT, s.data(), s.size(), id);
    }
    tether_status send_binary(const std::string &s, uint64_t id = 0) {
        return tether_client_send(client_, TETHER_MESSAGE_BINARY, s.data(), s.size(), id);
    }
    void connect() {
        INFO(tether_last_error_message());
        REQUIRE(tether_client_connect(client_) == TETHER_OK);
    }
    bool wait_open(int timeout_ms = 5000) { return recorder.wait_for_type(TETHER_EVENT_OPEN, 1, timeout_ms); }
    int32_t state() const {
        int32_t s = -1;
        tether_client_state(&s, client_);
        return s;
    }
    std::string stats() const {
        char *json = nullptr;
        REQUIRE(tether_client_stats_json(&json, client_) == TETHER_OK);
        std::string out = json;
        tether_free(json);
        return out;
    }

    tether_client *get() const { return client_; }
    Recorder recorder;

private:
    tether_client *client_ = nullptr;
};

// Every text an application can see, joined: for checks that a secret never leaks.
inline std::string all_visible_text(Recorder &rec) {
    std::string all;
    for (auto &e : rec.snapshot()) all += e.text + "\n";
    return all;
}

inline bool contains(const std::string &hay, const std::string &needle) {
    return hay.find(needle) != std::string::npos;
}

// The recorded events that `pred` accepts.
template <class Pred>
std::vector<Recorded> events_where(Client &c, Pred pred) {
    std::vector<Recorded> out;
    for (auto &e : c.recorder.snapshot())
        if (pred(e)) out.push_back(e);
    return out;
}

// Waits until `count` recorded events are ones that `pred` accepts.
template <class Pred>
bool wait_events_where(Client &c, Pred pred, size_t count = 1, int timeout_ms = 5000) {
    return c.recorder.wait_until(
        [&](const std::vector<Recorded> &evs) {
            size_t n = 0;
            for (auto &e : evs) n += pred(e);
            return n >= count;
        },
        timeout_ms);
}

// The events of `type` for the operation `id` (a subscription, request or send).
inline std::vector<Recorded> with_id(Client &c, int32_t type, uint64_t id) {
    return events_where(c, [&](const Recorded &e) { return e.type == type && e.id == id; });
}

// Waits until `count` events of `type` for the operation `id` have been recorded.
inline bool wait_event(Client &c, int32_t type, uint64_t id, size_t count = 1, int timeout_ms = 5000) {
    return wait_events_where(c, [&](const Recorded &e) { return e.type == type && e.id == id; }, count, timeout_ms);
}

// Waits until the client has entered `state` `count` times.
inline bool wait_state(Client &c, int32_t state, size_t count = 1, int timeout_ms = 5000) {
    return wait_events_where(
        c, [&](const Recorded &e) { return e.type == TETHER_EVENT_STATE && e.state == state; }, count, timeout_ms);
}

// Waits until the client has stopped in `state`: it is the last event recorded.
inline bool wait_final_state(Client &c, int32_t state, int timeout_ms = 5000) {
    return c.recorder.wait_until(
        [&](const std::vector<Recorded> &evs) {
            return !evs.empty() && evs.back().type == TETHER_EVENT_STATE && evs.back().state == state;
        },
        timeout_ms);
}

// The CHANNEL_MESSAGE events whose event name (their text) is `event`.
inline std::vector<Recorded> events_named(Client &c, const std::string &event) {
    return events_where(
        c, [&](const Recorded &e) { return e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.text == event; });
}

// Waits until `count` CHANNEL_MESSAGE events named `event` have been recorded.
inline bool wait_events_named(Client &c, const std::string &event, size_t count, int timeout_ms = 5000) {
    return wait_events_where(
        c, [&](const Recorded &e) { return e.type == TETHER_EVENT_CHANNEL_MESSAGE && e.text == event; }, count,
        timeout_ms);
}

// tether_client_subscribe, which must succeed; the subscription's id.
inline uint64_t subscribe(Client &c, const char *channel, const char *params = nullptr) {
    uint64_t id = 0;
    INFO(tether_last_error_message());
    REQUIRE(tether_client_subscribe(&id, c.get(), channel, params) == TETHER_OK);
    CHECK(id != 0);
    return id;
}

// tether_client_publish, which must succeed.
inline void publish(Client &c, const char *channel, const std::string &payload) {
    INFO(tether_last_error_message());
    REQUIRE(tether_client_publish(c.get(), channel, payload.c_str(), 0) == TETHER_OK);
}

// tether_client_request, which must succeed.
inline void request(Client &c, const char *method, const char *params, uint64_t id, int32_t timeout_ms = 5000) {
    INFO(tether_last_error_message());
    REQUIRE(tether_client_request(c.get(), method, params, timeout_ms, id) == TETHER_OK);
}

// The RESPONSE of the request `id`, once it has come; there must be only one.
inline Recorded response(Client &c, uint64_t id, int timeout_ms = 5000) {
    REQUIRE(wait_event(c, TETHER_EVENT_RESPONSE, id, 1, timeout_ms));
    auto found = with_id(c, TETHER_EVENT_RESPONSE, id);
    REQUIRE(found.size() == 1);
    return found[0];
}

// Sends a request and waits for its RESPONSE.
inline Recorded ask(Client &c, const char *method, const char *params, uint64_t id, int32_t timeout_ms = 5000) {
    request(c, method, params, id, timeout_ms);
    return response(c, id);
}

// The data of a request that must succeed.
inline std::string result(Client &c, const char *method, const char *params, uint64_t id) {
    const Recorded r = ask(c, method, params, id);
    INFO(r.text);
    REQUIRE(r.status == TETHER_OK);
    return r.data;
}

}  // namespace harness
