// Delivery of a client's events, in CALLBACK or POLL mode, with the lifetime rules of tether.h:
// no callback starts after shutdown() returns, and release_user_data runs exactly once after
// the last callback has returned.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>

#include "impl/common/error.hpp"
#include "impl/common/fifo.hpp"
#include "impl/session/event.hpp"

namespace tether::session {

class Delivery {
public:
    Delivery(int32_t mode, tether_event_cb on_event, tether_release_cb release, void *user_data,
             uint64_t max_poll_queue);
    ~Delivery();

    Delivery(const Delivery &) = delete;
    Delivery &operator=(const Delivery &) = delete;

    // Session strand only. Returns true when the POLL queue is at its limit: stop reading.
    bool emit(EventPtr ev);

    // Any thread. POLL mode only.
    Error poll(int32_t timeout_ms, tether_event **out) {
        size_t count = 0;
        return poll_many("tether_client_poll", timeout_ms, out, 1, &count);
    }

    // Any thread. POLL mode only. Waits like poll() for the first event, then takes the ones
    // queued behind it, up to max (>= 1) in all, under one lock.
    // caller names the C function in error messages.
    Error poll_many(const char *caller, int32_t timeout_ms, tether_event **out, size_t max, size_t *count);

    // Any thread, once: from tether_client_destroy().
    void shutdown();

    // Called (on the polling thread) when a full POLL queue drops below half its limit.
    void on_space(std::function<void()> callback) { space_callback_ = std::move(callback); }

    int32_t mode() const noexcept { return mode_; }

    // Runs right after release_user_data (or where it would run when there is none), exactly
    // once: the C ABI frees the client handle there, so that a callback still running when
    // tether_client_destroy() returns can go on using its own handle. Set before connect().
    void set_after_release(std::function<void()> after) { after_release_ = std::move(after); }

private:
    void invoke(const tether_event &ev);
    void release();

    const int32_t mode_;
    const tether_event_cb on_event_;
    const tether_release_cb release_;
    void *const user_data_;
    const uint64_t max_poll_queue_;

    std::mutex gate_mutex_;  // guards shut_, in_callback_, released_
    bool shut_ = false;
    bool in_callback_ = false;
    bool released_ = false;

    std::mutex queue_mutex_;
    std::condition_variable queue_cv_;
    Fifo<EventPtr> queue_;
    bool was_full_ = false;
    std::function<void()> space_callback_;
    std::function<void()> after_release_;
};

}  // namespace tether::session
