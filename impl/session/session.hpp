// impl/session: one client's life. The state machine of the spec (disconnected, connecting,
// connected, authenticating, authenticated, reconnecting, error), auth, keep-alive, reconnect
// with backoff, and the bounded outgoing queue. It drives a transport::Connection and reports
// through a Delivery.
//
// Threading: public methods are safe from any thread. Everything else runs on the session's
// strand. Only the outgoing queue (send from any thread) and the token are behind mutexes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "impl/common/error.hpp"
#include "impl/common/fifo.hpp"
#include "impl/common/url.hpp"
#include "impl/config/options.hpp"
#include "impl/runtime/runtime.hpp"
#include "impl/session/delivery.hpp"
#include "impl/session/interceptor.hpp"
#include "impl/session/reconnect.hpp"
#include "impl/transport/connection.hpp"

namespace tether::session {

// The specification's name of a TETHER_STATE_* value ("authenticated"); "unknown" otherwise.
const char *state_name(int32_t state) noexcept;

class Session : public std::enable_shared_from_this<Session> {
public:
    // options are shared, not copied: whoever holds them must not change them afterwards.
    static Error create(std::shared_ptr<Session> &out, std::shared_ptr<runtime::Runtime> runtime,
                        std::shared_ptr<const config::Options> options, int32_t mode,
                        tether_event_cb on_event, tether_release_cb release, void *user_data);

    ~Session();

    Error connect();
    Error send(int32_t type, const void *data, size_t size, uint64_t id);
    Error close(int32_t code, std::string reason);
    Error poll(int32_t timeout_ms, tether_event **out) { return delivery_.poll(timeout_ms, out); }
    Error poll_many(int32_t timeout_ms, tether_event **out, size_t max, size_t *count) {
        return delivery_.poll_many("tether_client_poll_many", timeout_ms, out, max, count);
    }
    Error set_token(std::string token);
    void destroy();
    // Runs once after release_user_data: see Delivery::set_after_release. Before connect() only.
    void set_after_release(std::function<void()> after) { delivery_.set_after_release(std::move(after)); }

    // For the layer above (impl/manager). set_interceptor only before connect().
    void set_interceptor(std::shared_ptr<Interceptor> interceptor) { interceptor_ = std::move(interceptor); }
    // Queues a frame built by that layer, in order with application messages; send_id works as
    // for send(), tag comes back through Interceptor::on_written. Any thread.
    Error queue_frame(std::string frame, uint64_t send_id, uint64_t tag);
    // Sends a frame ahead of the queue, now that the client is ready. Any thread.
    void send_control_frame(std::string frame);
    // Emits an event made by that layer. Strand only.
    void emit_event(EventPtr ev) { emit(std::move(ev)); }
    EventPtr new_event(int32_t type) const { return make_event(type); }
    // Strand only, from inside the interceptor's hooks: write a frame ahead of everything, even
    // before the client is ready (a protocol handshake step, a protocol-level pong).
    void send_early(std::string frame);
    // Strand only: the interceptor's handshake is complete; the client becomes ready.
    void handshake_done();
    // Strand only: the interceptor ends the connection (a refused handshake, a server's
    // protocol-level close); the verdict decides whether tether reconnects.
    void end_connection(transport::Failure failure, CloseVerdict verdict);
    const boost::asio::strand<boost::asio::io_context::executor_type> &strand() const noexcept { return strand_; }

    int32_t state() const noexcept { return state_.load(); }
    void buffered(uint64_t &messages, uint64_t &bytes) const;
    std::string stats_json() const;

    // Private to make_shared; use create().
    struct Private {};
    Session(Private, std::shared_ptr<runtime::Runtime> runtime,
            std::shared_ptr<const config::Options> shared_options, WsUrl url, std::optional<ProxyUrl> proxy,
            std::shared_ptr<boost::asio::ssl::context> tls, int32_t mode, tether_event_cb on_event,
            tether_release_cb release, void *user_data);

private:
    using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
    using Clock = std::chrono::steady_clock;

    // The most one write takes from the queues (see pump_writes).
    static constexpr size_t kBatchMessages = 256;
    static constexpr size_t kBatchBytes = 64 * 1024;

    struct Outgoing {
        std::string data;
        bool binary = false;
        uint64_t id = 0;   // the caller's, for SENT / SEND_FAILED
        uint64_t tag = 0;  // the interceptor's, for on_written
    };

    Error check_sendable(size_t size) const;
    Error enqueue(Outgoing message);
    void post_pump_locked();

    // All of these run on the strand.
    void open_connection();
    void on_open(uint64_t generation, const transport::Failure *failure, transport::OpenInfo info);
    void send_auth_message();
    void start_auth_timer(std::string why);
    void on_ready();
    void start_read();
    void on_read(uint64_t generation, const transport::Failure *failure, bool binary, std::string data);
    bool is_auth_confirmation(const std::string &data) const;
    void pump_writes();
    void write_inflight(transport::Connection::DoneHandler handler);
    void on_write(uint64_t generation, const transport::Failure *failure, size_t size);
    void schedule_ping();
    void send_ping();
    void on_pong(std::string_view payload);
    void on_connection_lost(const transport::Failure &failure);
    void do_close(int32_t code, std::string reason);
    void send_close_frame();
    void finish_close(int32_t code, const std::string &reason, bool clean);
    void teardown();
    void drop_connection();
    void fail_queued(tether_status status, const std::string &why);
    void set_state(int32_t next);
    void emit(EventPtr ev);
    EventPtr make_event(int32_t type) const;

    // Declared first: destroyed last, after every member that uses its io_context.
    std::shared_ptr<runtime::Runtime> runtime_;
    Strand strand_;
    const std::shared_ptr<const config::Options> shared_options_;
    const config::Options &options_;  // *shared_options_
    const WsUrl url_;
    const std::optional<ProxyUrl> proxy_;
    const std::shared_ptr<boost::asio::ssl::context> tls_;
    const std::string redacted_url_;
    std::shared_ptr<Interceptor> interceptor_;
    Delivery delivery_;
    Backoff backoff_;

    mutable std::mutex token_mutex_;
    std::string token_;

    std::atomic<int32_t> state_{TETHER_STATE_DISCONNECTED};
    std::atomic<bool> running_{false};   // between connect() and the final CLOSE
    std::atomic<bool> closing_{false};   // the application closed (or destroyed) the client
    std::atomic<bool> ready_{false};     // authenticated: sends go straight out

    // The outgoing queue, filled from any thread.
    mutable std::mutex queue_mutex_;
    Fifo<Outgoing> queue_;
    Fifo<Outgoing> control_queue_;  // the interceptor's frames, sent first; per connection
    Fifo<std::string> early_queue_; // strand only: sent even before ready; per connection
    uint64_t queued_bytes_ = 0;
    bool pump_posted_ = false;
    bool drain_wanted_ = false;

    // Strand-only state of the current connection.
    std::shared_ptr<transport::Connection> conn_;
    uint64_t generation_ = 0;  // bumped per connection: stale handlers compare and return
    bool reading_ = false;
    bool read_paused_ = false;
    bool writing_ = false;
    // The batch being written, shared with the write's handler: the connection reads the bytes
    // until that handler runs, also after drop_connection() has moved on.
    std::shared_ptr<std::vector<Outgoing>> inflight_;
    std::vector<transport::OutgoingMessage> write_views_;  // reused: what async_write is given
    bool control_busy_ = false;         // a ping frame is being written
    bool awaiting_pong_ = false;
    uint64_t ping_counter_ = 0;
    Clock::time_point ping_sent_{};
    std::optional<std::pair<int32_t, std::string>> pending_close_;
    bool close_sent_ = false;
    std::string subprotocol_;
    bool handshake_by_interceptor_ = false;      // this connection's readiness is the interceptor's
    std::optional<CloseVerdict> forced_verdict_; // set by end_connection for on_connection_lost
    int32_t attempt_ = 0;
    boost::asio::steady_timer reconnect_timer_;
    boost::asio::steady_timer ping_timer_;
    boost::asio::steady_timer pong_timer_;
    boost::asio::steady_timer auth_timer_;
    boost::asio::steady_timer close_timer_;

    std::atomic<uint64_t> messages_sent_{0};
    std::atomic<uint64_t> messages_received_{0};
    std::atomic<uint64_t> bytes_sent_{0};
    std::atomic<uint64_t> bytes_received_{0};
    std::atomic<uint64_t> reconnects_{0};
    std::atomic<int64_t> latency_ms_{-1};
};

}  // namespace tether::session
