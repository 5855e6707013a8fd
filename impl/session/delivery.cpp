#include "impl/session/delivery.hpp"

#include <chrono>

#include "impl/runtime/runtime.hpp"

namespace tether::session {

Delivery::Delivery(int32_t mode, tether_event_cb on_event, tether_release_cb release,
                   void *user_data, uint64_t max_poll_queue)
    : mode_(mode),
      on_event_(on_event),
      release_(release),
      user_data_(user_data),
      max_poll_queue_(max_poll_queue) {}

Delivery::~Delivery() = default;

void Delivery::invoke(const tether_event &ev) {
    {
        std::lock_guard<std::mutex> lock(gate_mutex_);
        if (shut_ || on_event_ == nullptr) return;
        in_callback_ = true;
    }
    on_event_(&ev, user_data_);
    bool release_now = false;
    {
        std::lock_guard<std::mutex> lock(gate_mutex_);
        in_callback_ = false;
        // destroy() ran while this callback was running (perhaps inside it): release is ours.
        if (shut_ && !released_) release_now = released_ = true;
    }
    if (release_now) release();
}

void Delivery::release() {
    if (release_ != nullptr) release_(user_data_);
    if (after_release_) after_release_();
}

bool Delivery::emit(EventPtr ev) {
    if (mode_ == TETHER_MODE_CALLBACK) {
        invoke(*ev);
        return false;
    }
    bool became_non_empty = false;
    bool full = false;
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        became_non_empty = queue_.empty();
        queue_.push_back(std::move(ev));
        full = queue_.size() >= max_poll_queue_;
        if (full) was_full_ = true;
    }
    queue_cv_.notify_one();
    if (became_non_empty) {
        tether_event ready;
        ready.type = TETHER_EVENT_READY;
        invoke(ready);
    }
    return full;
}

Error Delivery::poll_many(const char *caller, int32_t timeout_ms, tether_event **out, size_t max,
                          size_t *count) {
    *count = 0;
    if (mode_ != TETHER_MODE_POLL) {
        return make_error(TETHER_E_BAD_STATE, std::string(caller) + ": the client was created in CALLBACK mode");
    }
    if (timeout_ms != 0 && runtime::Runtime::on_io_thread()) {
        return make_error(TETHER_E_WOULD_DEADLOCK,
                          std::string(caller) + ": a waiting poll on a library I/O thread would deadlock; "
                                                "use timeout 0 there");
    }
    std::function<void()> wake_reader;
    {
        std::unique_lock<std::mutex> lock(queue_mutex_);
        const auto has_event = [this] { return !queue_.empty(); };
        // An empty queue with timeout 0 answers at once: a wait_for(0) still sleeps in the
        // kernel until its (past) deadline's timer fires, about 70 µs per empty poll.
        bool got = has_event();
        if (!got && timeout_ms < 0) {
            queue_cv_.wait(lock, has_event);
            got = true;
        } else if (!got && timeout_ms > 0) {
            got = queue_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), has_event);
        }
        if (!got) {
            return make_error(TETHER_E_TIMEOUT, std::string(caller) +
                                                    ": no event within " +
                                                    std::to_string(timeout_ms) + " ms");
        }
        size_t n = 0;
        do {
            out[n++] = queue_.front().release();
            queue_.pop_front();
        } while (n < max && !queue_.empty());
        *count = n;
        if (was_full_ && queue_.size() <= max_poll_queue_ / 2) {
            was_full_ = false;
            wake_reader = space_callback_;
        }
    }
    if (wake_reader) wake_reader();
    return ok();
}

void Delivery::shutdown() {
    bool release_now = false;
    {
        std::lock_guard<std::mutex> lock(gate_mutex_);
        if (shut_) return;
        shut_ = true;
        if (!in_callback_) release_now = released_ = true;
    }
    if (release_now) release();
}

}  // namespace tether::session
