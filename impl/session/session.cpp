#include "impl/session/session.hpp"

#include <algorithm>
#include <cstdio>

#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "impl/common/message.hpp"
#include "impl/common/text.hpp"

namespace tether::session {

namespace net = boost::asio;
using transport::Failure;

const char *state_name(int32_t state) noexcept {
    static const char *const names[] = {"disconnected", "connecting",    "connected", "authenticating",
                                        "authenticated", "reconnecting", "error"};
    return state >= 0 && state <= 6 ? names[state] : "unknown";
}

namespace {

// The URL as connected, for stats: with the auth parameter tether adds, its value redacted.
std::string shown_url(const config::Options &options) {
    const bool query_auth = options.auth_method == config::AuthMethod::query_param;
    std::string url = redact_url(options.url, query_auth ? options.token_param_name : std::string());
    if (query_auth && !options.auth_token.empty()) {
        const auto fragment = url.find('#');
        if (fragment != std::string::npos) url.erase(fragment);
        url += (url.find('?') == std::string::npos ? "?" : "&") + options.token_param_name + "=***";
    }
    return url;
}

}  // namespace

Error Session::create(std::shared_ptr<Session> &out, std::shared_ptr<runtime::Runtime> runtime,
                      std::shared_ptr<const config::Options> shared_options, int32_t mode,
                      tether_event_cb on_event,
                      tether_release_cb release, void *user_data) {
    const config::Options &options = *shared_options;
    if (Error e = config::check_ready_to_connect(options)) return e;
    WsUrl url;
    if (Error e = parse_ws_url(options.url, url)) return e;
    std::optional<ProxyUrl> proxy;
    if (!options.proxy.empty()) {
        ProxyUrl p;
        if (Error e = parse_proxy_url(options.proxy, p)) return e;
        proxy = std::move(p);
    }
    std::shared_ptr<net::ssl::context> tls;
    if (url.secure) {
        if (Error e = transport::shared_tls_context(tls, options.ca_file, options.client_cert_file,
                                                    options.client_key_file,
                                                    options.insecure_skip_tls_verify)) {
            return e;
        }
    }
    out = std::make_shared<Session>(Private{}, std::move(runtime), std::move(shared_options),
                                    std::move(url), std::move(proxy), std::move(tls), mode, on_event, release,
                                    user_data);
    std::weak_ptr<Session> weak = out;
    out->delivery_.on_space([weak] {
        if (auto self = weak.lock()) {
            net::post(self->strand_, [self] {
                if (!self->read_paused_) return;
                self->read_paused_ = false;
                self->start_read();
            });
        }
    });
    return ok();
}

Session::Session(Private, std::shared_ptr<runtime::Runtime> runtime,
                 std::shared_ptr<const config::Options> shared_options, WsUrl url,
                 std::optional<ProxyUrl> proxy, std::shared_ptr<net::ssl::context> tls, int32_t mode, tether_event_cb on_event, tether_release_cb release, void *user_data)
    : runtime_(std::move(runtime)),
      strand_(net::make_strand(runtime_->io())),
      shared_options_(std::move(shared_options)),
      options_(*shared_options_),
      url_(std::move(url)),
      proxy_(std::move(proxy)),
      tls_(std::move(tls)),
      redacted_url_(shown_url(options_)),
      delivery_(mode, on_event, release, user_data, options_.max_poll_queue),
      backoff_(options_.reconnect_delay_ms, options_.max_reconnect_delay_ms, system_uniform01()),
      token_(options_.auth_token),
      reconnect_timer_(strand_),
      ping_timer_(strand_),
      pong_timer_(strand_),
      auth_timer_(strand_),
      close_timer_(strand_) {}

Session::~Session() = default;

// ---- public, any thread -------------------------------------------------------------------

Error Session::connect() {
    if (running_.exchange(true)) {
        return make_error(TETHER_E_BAD_STATE, std::string("tether_client_connect: the client is already ") +
                                                  state_name(state_.load()) +
                                                  " (close it first, or wait for its CLOSE event)");
    }
    closing_ = false;
    // The state is connecting from now on, for tether_client_state() too; its STATE event is
    // emitted on the strand, in order with everything else, even if close() comes first.
    const int32_t previous = state_.exchange(TETHER_STATE_CONNECTING);
    net::post(strand_, [self = shared_from_this(), previous] {
        auto ev = self->make_event(TETHER_EVENT_STATE);
        ev->state = TETHER_STATE_CONNECTING;
        ev->previous_state = previous;
        self->emit(std::move(ev));
        self->attempt_ = 0;
        self->open_connection();
    });
    return ok();
}

Error Session::send(int32_t type, const void *data, size_t size, uint64_t id) {
    if (type != TETHER_MESSAGE_DEFAULT && type != TETHER_MESSAGE_TEXT && type != TETHER_MESSAGE_BINARY) {
        return make_error(TETHER_E_INVALID_ARGUMENT,
                          "tether_client_send: type must be TETHER_MESSAGE_DEFAULT, _TEXT or _BINARY, got " +
                              std::to_string(type));
    }
    if (Error e = check_sendable(size)) {
        e.message = "tether_client_send: " + e.message;
        return e;
    }
    const bool binary = type == TETHER_MESSAGE_BINARY ||
                        (type == TETHER_MESSAGE_DEFAULT &&
                         options_.message_format == config::MessageFormat::binary);
    const std::string_view view(static_cast<const char *>(data), size);
    if (!binary) {
        if (!is_valid_utf8(view)) {
            return make_error(TETHER_E_INVALID_UTF8, "tether_client_send: a text message must be valid UTF-8");
        }
        if (type == TETHER_MESSAGE_DEFAULT && options_.message_format == config::MessageFormat::json) {
            if (Error e = validate_json(view)) {
                e.message = "tether_client_send: messageFormat is json but the message is not JSON: " + e.message;
                return e;
            }
        }
    }
    Error e = enqueue(Outgoing{std::string(view), binary, id, 0});
    if (e) e.message = "tether_client_send: " + e.message;
    return e;
}

Error Session::queue_frame(std::string frame, uint64_t send_id, uint64_t tag) {
    if (Error e = check_sendable(frame.size())) return e;
    return enqueue(Outgoing{std::move(frame), false, send_id, tag});
}

// What every outgoing message must pass, whoever built it.
Error Session::check_sendable(size_t size) const {
    if (closing_.load()) return make_error(TETHER_E_CLOSED, "the client was closed by the application");
    if (size > options_.max_message_size) {
        return make_error(TETHER_E_MESSAGE_TOO_BIG, "the message has " + std::to_string(size) +
                                                        " bytes, more than maxMessageSize (" +
                                                        std::to_string(options_.max_message_size) + ")");
    }
    return ok();
}

Error Session::enqueue(Outgoing message) {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    if (!options_.queue_while_offline && !ready_.load()) {
        return make_error(TETHER_E_NOT_CONNECTED, std::string("the client is ") + state_name(state_.load()) +
                                                      " and queueWhileOffline is false");
    }
    const uint64_t size = message.data.size();
    if (queue_.size() >= options_.max_queued_messages || queued_bytes_ + size > options_.max_queued_bytes) {
        drain_wanted_ = true;
        return make_error(TETHER_E_QUEUE_FULL,
                          "the outgoing queue is full (" + std::to_string(queue_.size()) + " messages, " +
                              std::to_string(queued_bytes_) + " bytes; limits maxQueuedMessages " +
                              std::to_string(options_.max_queued_messages) + ", maxQueuedBytes " +
                              std::to_string(options_.max_queued_bytes) + ")");
    }
    queue_.push_back(std::move(message));
    queued_bytes_ += size;
    if (queue_.size() * 2 >= options_.max_queued_messages || queued_bytes_ * 2 >= options_.max_queued_bytes) {
        drain_wanted_ = true;
    }
    post_pump_locked();
    return ok();
}

void Session::send_control_frame(std::string frame) {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    control_queue_.push_back(Outgoing{std::move(frame), false, 0, 0});
    post_pump_locked();
}

// One pump in flight at a time however many threads send: queue_mutex_ must be held.
void Session::post_pump_locked() {
    if (pump_posted_) return;
    pump_posted_ = true;
    net::post(strand_, [self = shared_from_this()] {
        {
            std::lock_guard<std::mutex> lock(self->queue_mutex_);
            self->pump_posted_ = false;
        }
        self->pump_writes();
    });
}

Error Session::close(int32_t code, std::string reason) {
    if (closing_.exchange(true)) return ok();
    net::post(strand_, [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
        self->do_close(code, std::move(reason));
    });
    return ok();
}

Error Session::set_token(std::string token) {
    // It goes into the request line or a header: a CR LF in it would make a header of its own.
    if (Error e = config::check_auth_token(options_.auth_method, token)) return e;
    std::lock_guard<std::mutex> lock(token_mutex_);
    token_ = std::move(token);
    return ok();
}

void Session::destroy() {
    closing_ = true;
    delivery_.shutdown();
    net::post(strand_, [self = shared_from_this()] { self->teardown(); });
}

void Session::buffered(uint64_t &messages, uint64_t &bytes) const {
    std::lock_guard<std::mutex> lock(queue_mutex_);
    messages = queue_.size();
    bytes = queued_bytes_;
}

std::string Session::stats_json() const {
    uint64_t queued_messages = 0, queued_bytes = 0;
    buffered(queued_messages, queued_bytes);
    std::string out = std::string("{\"state\":\"") + state_name(state_.load()) + "\"";
    out += ",\"messagesSent\":" + std::to_string(messages_sent_.load());
    out += ",\"messagesReceived\":" + std::to_string(messages_received_.load());
    out += ",\"bytesSent\":" + std::to_string(bytes_sent_.load());
    out += ",\"bytesReceived\":" + std::to_string(bytes_received_.load());
    out += ",\"reconnects\":" + std::to_string(reconnects_.load());
    out += ",\"latencyMs\":" + std::to_string(latency_ms_.load());
    out += ",\"queuedMessages\":" + std::to_string(queued_messages);
    out += ",\"queuedBytes\":" + std::to_string(queued_bytes);
    if (interceptor_) out += interceptor_->stats_fields();
    out += ",\"url\":\"" + json_escape(redacted_url_) + "\"}";
    return out;
}

// ---- events ---------------------------------------------------------------------------------

EventPtr Session::make_event(int32_t type) const {
    auto ev = std::make_unique<tether_event>();
    ev->type = type;
    ev->state = ev->previous_state = state_.load();
    return ev;
}

void Session::emit(EventPtr ev) {
    if (delivery_.emit(std::move(ev))) read_paused_ = true;
}

void Session::set_state(int32_t next) {
    const int32_t previous = state_.exchange(next);
    if (previous == next) return;
    auto ev = make_event(TETHER_EVENT_STATE);
    ev->state = next;
    ev->previous_state = previous;
    emit(std::move(ev));
}

// ---- connecting -----------------------------------------------------------------------------

void Session::open_connection() {
    if (closing_.load()) return;
    set_state(TETHER_STATE_CONNECTING);

    transport::ConnectParams params;
    params.url = url_;
    params.target = url_.target;
    params.subprotocols = options_.subprotocols;
    {
        std::lock_guard<std::mutex> lock(token_mutex_);
        if (!token_.empty() && options_.auth_method == config::AuthMethod::query_param) {
            params.target = with_query_param(params.target, options_.token_param_name, token_);
        }
        if (!token_.empty() && options_.auth_method == config::AuthMethod::subprotocol) {
            params.subprotocols.push_back(token_);
        }
    }
    for (const auto &[name, value] : options_.query_params) {
        if (!has_query_param(params.target, name)) params.target = with_query_param(params.target, name, value);
    }
    params.headers = options_.headers;
    params.user_agent = options_.user_agent;
    params.per_message_deflate = options_.per_message_deflate;
    params.proxy = proxy_;
    params.tls = tls_;
    params.connect_timeout_ms = options_.connect_timeout_ms;
    params.handshake_timeout_ms = options_.handshake_timeout_ms;
    params.close_timeout_ms = options_.close_timeout_ms;
    params.max_message_size = options_.max_message_size;

    conn_ = transport::make_connection(strand_, std::move(params));
    std::weak_ptr<Session> weak = weak_from_this();
    conn_->set_pong_handler([weak](std::string_view payload) {
        if (auto self = weak.lock()) self->on_pong(payload);
    });
    const uint64_t generation = ++generation_;
    close_sent_ = false;
    conn_->async_open([self = shared_from_this(), generation](const Failure *failure,
                                                              transport::OpenInfo info) {
        self->on_open(generation, failure, std::move(info));
    });
}

void Session::on_open(uint64_t generation, const Failure *failure, transport::OpenInfo info) {
    if (generation != generation_) return;
    if (failure) {
        on_connection_lost(*failure);
        return;
    }
    subprotocol_ = std::move(info.subprotocol);
    if (options_.auth_method == config::AuthMethod::subprotocol) {
        std::lock_guard<std::mutex> lock(token_mutex_);
        if (!token_.empty() && subprotocol_ == token_) subprotocol_.clear();  // never report the token
    }
    set_state(TETHER_STATE_CONNECTED);
    start_read();
    schedule_ping();
    handshake_by_interceptor_ = false;
    if (interceptor_) {
        std::string token;
        {
            std::lock_guard<std::mutex> lock(token_mutex_);
            token = token_;
        }
        std::string auth_message;
        if (options_.auth_method == config::AuthMethod::first_message && !options_.auth_message_template.empty()) {
            auth_message = render_auth_template(options_.auth_message_template, options_.auth_message_type, token);
        }
        OpeningPlan plan = interceptor_->on_open(token, auth_message);
        if (plan.wait_for_ready || !plan.frames.empty()) {
            // The protocol's handshake carries the credentials and decides when the client is ready.
            handshake_by_interceptor_ = true;
            set_state(TETHER_STATE_AUTHENTICATING);
            for (std::string &frame : plan.frames) early_queue_.push_back(std::move(frame));
            start_auth_timer("the protocol handshake did not complete within " +
                             std::to_string(options_.auth_timeout_ms) + " ms (authTimeout)");
            pump_writes();
            return;
        }
    }
    if (options_.auth_method == config::AuthMethod::first_message) {
        set_state(TETHER_STATE_AUTHENTICATING);
        send_auth_message();
    } else {
        on_ready();
    }
}

void Session::send_auth_message() {
    std::string token;
    {
        std::lock_guard<std::mutex> lock(token_mutex_);
        token = token_;
    }
    inflight_ = std::make_shared<std::vector<Outgoing>>();
    inflight_->push_back(Outgoing{render_auth_template(options_.auth_message_template, options_.auth_message_type, token),
                                  false, 0, 0});
    writing_ = true;
    const uint64_t generation = generation_;
    write_inflight([self = shared_from_this(), generation](const Failure *failure) {
        if (generation != self->generation_) return;
        self->writing_ = false;
        self->inflight_.reset();  // the auth message is ours: it never gets SENT/SEND_FAILED
        if (failure) {
            self->on_connection_lost(*failure);
            return;
        }
        if (self->options_.auth_success_type.empty()) {
            self->on_ready();
            return;
        }
        self->start_auth_timer("authentication timed out: no '" + self->options_.auth_success_type +
                               "' reply within " + std::to_string(self->options_.auth_timeout_ms) + " ms");
    });
}

void Session::start_auth_timer(std::string why) {
    const uint64_t generation = generation_;
    auth_timer_.expires_after(std::chrono::milliseconds(options_.auth_timeout_ms));
    auth_timer_.async_wait([self = shared_from_this(), generation, why = std::move(why)](const boost::system::error_code &ec) {
        if (ec || generation != self->generation_ || self->ready_) return;
        Failure f;
        f.error = make_error(TETHER_E_TIMEOUT, why);
        self->on_connection_lost(f);
    });
}

void Session::send_early(std::string frame) {
    if (!conn_ || close_sent_) return;
    early_queue_.push_back(std::move(frame));
    pump_writes();
}

void Session::handshake_done() {
    if (!conn_ || ready_ || state_.load() != TETHER_STATE_AUTHENTICATING) return;
    on_ready();
}

void Session::end_connection(Failure failure, CloseVerdict verdict) {
    if (!conn_) return;
    forced_verdict_ = std::move(verdict);
    on_connection_lost(failure);
}

void Session::on_ready() {
    auth_timer_.cancel();
    attempt_ = 0;
    if (interceptor_) {
        // Re-subscriptions go out before anything the application queued.
        std::vector<std::string> frames = interceptor_->on_ready();
        std::lock_guard<std::mutex> lock(queue_mutex_);
        for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
            control_queue_.push_front(Outgoing{std::move(*it), false, 0, 0});
        }
    }
    ready_ = true;
    set_state(TETHER_STATE_AUTHENTICATED);
    auto ev = make_event(TETHER_EVENT_OPEN);
    ev->text = subprotocol_;
    emit(std::move(ev));
    pump_writes();
}

// ---- reading --------------------------------------------------------------------------------

void Session::start_read() {
    if (reading_ || read_paused_ || !conn_) return;
    reading_ = true;
    const uint64_t generation = generation_;
    conn_->async_read([self = shared_from_this(), generation](const Failure *failure, bool binary,
                                                             std::string data) {
        self->on_read(generation, failure, binary, std::move(data));
    });
}

bool Session::is_auth_confirmation(const std::string &data) const {
    boost::system::error_code ec;
    const boost::json::value v = boost::json::parse(data, ec);
    if (ec || !v.is_object()) return false;
    const auto *type = v.as_object().if_contains("type");
    return type && type->is_string() && type->as_string() == options_.auth_success_type;
}

void Session::on_read(uint64_t generation, const Failure *failure, bool binary, std::string data) {
    if (generation != generation_) return;
    reading_ = false;
    if (failure) {
        on_connection_lost(*failure);
        return;
    }
    messages_received_.fetch_add(1, std::memory_order_relaxed);
    bytes_received_.fetch_add(data.size(), std::memory_order_relaxed);
    if (state_.load() == TETHER_STATE_AUTHENTICATING && !handshake_by_interceptor_ && !binary &&
        is_auth_confirmation(data)) {
        on_ready();
        start_read();
        return;
    }
    if (interceptor_ && interceptor_->on_message(data, binary)) {
        start_read();
        return;
    }
    auto ev = make_event(TETHER_EVENT_MESSAGE);
    ev->message_type = binary ? TETHER_MESSAGE_BINARY : TETHER_MESSAGE_TEXT;
    ev->data = std::move(data);
    emit(std::move(ev));
    start_read();
}

// ---- writing --------------------------------------------------------------------------------

void Session::pump_writes() {
    if (writing_ || !conn_ || close_sent_) return;
    // A batch takes what is waiting, in order (the protocol's early frames, then its control
    // frames, then the application's), up to kBatchBytes: the transport writes it with one
    // syscall, and a large message still goes alone.
    std::vector<Outgoing> batch;  // allocates only when something is waiting
    size_t bytes = 0;
    const auto room = [&] { return batch.size() < kBatchMessages && bytes < kBatchBytes; };
    while (!early_queue_.empty() && room()) {
        bytes += early_queue_.front().size();
        batch.push_back(Outgoing{std::move(early_queue_.front()), false, 0, 0});
        early_queue_.pop_front();
    }
    if (ready_) {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        while (!control_queue_.empty() && room()) {
            bytes += control_queue_.front().data.size();
            batch.push_back(std::move(control_queue_.front()));
            control_queue_.pop_front();
        }
        while (!queue_.empty() && room()) {
            const size_t size = queue_.front().data.size();
            bytes += size;
            queued_bytes_ -= size;
            batch.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
    }
    if (batch.empty()) {
        if (ready_ && pending_close_) send_close_frame();
        return;
    }
    inflight_ = std::make_shared<std::vector<Outgoing>>(std::move(batch));
    writing_ = true;
    const uint64_t generation = generation_;
    write_inflight([self = shared_from_this(), generation, bytes](const Failure *failure) {
        self->on_write(generation, failure, bytes);
    });
}

void Session::write_inflight(transport::Connection::DoneHandler handler) {
    write_views_.clear();
    for (const Outgoing &m : *inflight_) write_views_.push_back({m.binary, m.data});
    // The handler keeps the batch (and so the bytes) alive for as long as the connection may read them.
    conn_->async_write(write_views_, [batch = inflight_, handler = std::move(handler)](const Failure *failure) {
        handler(failure);
    });
}

void Session::on_write(uint64_t generation, const Failure *failure, size_t size) {
    if (generation != generation_) return;
    writing_ = false;
    if (failure) {
        on_connection_lost(*failure);
        return;
    }
    messages_sent_.fetch_add(inflight_->size(), std::memory_order_relaxed);
    bytes_sent_.fetch_add(size, std::memory_order_relaxed);
    const auto batch = std::move(inflight_);
    for (const Outgoing &m : *batch) {
        if (m.tag != 0 && interceptor_) interceptor_->on_written(m.tag);
        if (m.id != 0) {
            auto ev = make_event(TETHER_EVENT_SENT);
            ev->id = m.id;
            emit(std::move(ev));
        }
    }
    bool drained = false;
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        if (queue_.empty() && drain_wanted_) drained = true, drain_wanted_ = false;
    }
    if (drained) emit(make_event(TETHER_EVENT_DRAINED));
    pump_writes();
}

void Session::fail_queued(tether_status status, const std::string &why) {
    std::vector<Outgoing> failed;
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        failed = queue_.take_all();
        queued_bytes_ = 0;
        drain_wanted_ = false;
    }
    if (inflight_) {
        failed.insert(failed.begin(), std::make_move_iterator(inflight_->begin()),
                      std::make_move_iterator(inflight_->end()));
        inflight_.reset();
    }
    for (const Outgoing &m : failed) {
        if (m.id == 0) continue;
        auto ev = make_event(TETHER_EVENT_SEND_FAILED);
        ev->id = m.id;
        ev->status = status;
        ev->text = why;
        emit(std::move(ev));
    }
}

// ---- keep-alive -----------------------------------------------------------------------------

void Session::schedule_ping() {
    if (options_.ping_interval_ms <= 0) return;
    ping_timer_.expires_after(std::chrono::milliseconds(options_.ping_interval_ms));
    const uint64_t generation = generation_;
    ping_timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code &ec) {
        if (ec || generation != self->generation_) return;
        self->send_ping();
    });
}

void Session::send_ping() {
    if (!conn_ || close_sent_ || pending_close_) return;
    if (read_paused_) {
        // Pongs are only seen while reading; an application that is slow to poll must not look
        // like a dead peer. Try again next interval.
        schedule_ping();
        return;
    }
    awaiting_pong_ = true;
    control_busy_ = true;
    ping_sent_ = Clock::now();
    const uint64_t generation = generation_;
    conn_->async_ping(std::to_string(++ping_counter_), [self = shared_from_this(), generation](const Failure *failure) {
        if (generation != self->generation_) return;
        self->control_busy_ = false;
        if (failure) {
            self->on_connection_lost(*failure);
            return;
        }
        if (self->pending_close_ && !self->writing_) self->pump_writes();
    });
    pong_timer_.expires_after(std::chrono::milliseconds(options_.pong_timeout_ms));
    pong_timer_.async_wait([self = shared_from_this(), generation](const boost::system::error_code &ec) {
        if (ec || generation != self->generation_ || !self->awaiting_pong_) return;
        Failure f;
        f.error = make_error(TETHER_E_PONG_TIMEOUT, "no pong within " +
                                                        std::to_string(self->options_.pong_timeout_ms) +
                                                        " ms: the connection is treated as dead");
        self->on_connection_lost(f);
    });
}

void Session::on_pong(std::string_view payload) {
    if (!awaiting_pong_ || payload != std::to_string(ping_counter_)) return;
    awaiting_pong_ = false;
    pong_timer_.cancel();
    const auto rtt = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - ping_sent_);
    latency_ms_ = rtt.count();
    schedule_ping();
}

// ---- endings --------------------------------------------------------------------------------

void Session::drop_connection() {
    ++generation_;  // every handler of the old connection now returns at once
    reconnect_timer_.cancel();
    ping_timer_.cancel();
    pong_timer_.cancel();
    auth_timer_.cancel();
    if (conn_) conn_->abort();
    conn_.reset();
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        control_queue_.clear();  // made per connection: the next on_ready makes them again
    }
    early_queue_.clear();
    ready_ = false;
    reading_ = false;
    writing_ = false;
    control_busy_ = false;
    awaiting_pong_ = false;
}

void Session::on_connection_lost(const Failure &failure) {
    // The interceptor's protocol may give the ending a meaning of its own (a close code that
    // says "do not come back", a server's request to reconnect).
    CloseVerdict verdict;
    if (forced_verdict_) {
        verdict = std::move(*forced_verdict_);
        forced_verdict_.reset();
    } else if (interceptor_ && !failure.error.failed()) {
        verdict = interceptor_->on_close_frame(failure.close_code, failure.close_reason);
    }
    const auto unfinished = std::move(inflight_);
    drop_connection();
    if (unfinished) {
        for (const Outgoing &m : *unfinished) {
            if (m.id == 0) continue;
            auto ev = make_event(TETHER_EVENT_SEND_FAILED);
            ev->id = m.id;
            ev->status = failure.error.failed() ? failure.error.status : TETHER_E_CLOSED;
            ev->text = "the connection ended while this message was being written; it may or may not have arrived";
            emit(std::move(ev));
        }
    }

    if (failure.error.failed() && failure.error.status != TETHER_E_CANCELLED) {
        auto ev = make_event(TETHER_EVENT_ERROR);
        ev->status = failure.error.status;
        ev->text = failure.error.message;
        emit(std::move(ev));
    } else if (verdict.decision == CloseVerdict::Decision::stop && verdict.status != TETHER_OK) {
        auto ev = make_event(TETHER_EVENT_ERROR);
        ev->status = verdict.status;
        ev->text = verdict.why;
        emit(std::move(ev));
    } else if (state_.load() == TETHER_STATE_AUTHENTICATING && failure.close_code == 1008) {
        // A policy close in answer to the auth message is how servers refuse first-message
        // credentials: say so as an auth failure, not just as a close.
        auto ev = make_event(TETHER_EVENT_ERROR);
        ev->status = TETHER_E_AUTH;
        ev->text = "the server refused the credentials: it closed with 1008" +
                   (failure.close_reason.empty() ? std::string() : " (" + failure.close_reason + ")");
        emit(std::move(ev));
    }
    auto close_ev = make_event(TETHER_EVENT_CLOSE);
    close_ev->code = failure.close_code;
    close_ev->text = failure.close_reason;
    close_ev->was_clean = failure.clean ? 1 : 0;
    close_ev->status = failure.error.status;
    emit(std::move(close_ev));

    if (closing_.load()) {
        // The application is closing: the peer's close or the failure ends it here.
        close_timer_.cancel();
        pending_close_.reset();
        fail_queued(TETHER_E_CANCELLED, "the client was closed before this message was sent");
        if (interceptor_) interceptor_->on_connection_lost(true);
        set_state(TETHER_STATE_DISCONNECTED);
        running_ = false;
        return;
    }

    ReconnectDecision decision = decide_reconnect(failure);
    std::string verdict_why;
    if (verdict.decision != CloseVerdict::Decision::table) {
        verdict_why = verdict.why;
        decision.reconnect = verdict.decision == CloseVerdict::Decision::reconnect;
        decision.why = verdict_why.c_str();
    }
    const bool attempts_left = options_.max_reconnect_attempts == 0 ||
                               attempt_ < options_.max_reconnect_attempts;
    if (decision.reconnect && options_.auto_reconnect && attempts_left) {
        if (interceptor_) interceptor_->on_connection_lost(false);
        ++attempt_;
        const int64_t delay = verdict.delay_ms >= 0 ? verdict.delay_ms : backoff_.delay_ms(attempt_);
        reconnects_.fetch_add(1, std::memory_order_relaxed);
        set_state(TETHER_STATE_RECONNECTING);
        auto ev = make_event(TETHER_EVENT_RECONNECT);
        ev->attempt = attempt_;
        ev->delay_ms = delay;
        emit(std::move(ev));
        reconnect_timer_.expires_after(std::chrono::milliseconds(delay));
        reconnect_timer_.async_wait([self = shared_from_this()](const boost::system::error_code &ec) {
            if (ec || self->closing_.load()) return;
            self->open_connection();
        });
        return;
    }

    std::string why = decision.why;
    if (decision.reconnect && !options_.auto_reconnect) why = "autoReconnect is off";
    if (decision.reconnect && options_.auto_reconnect && !attempts_left) {
        why = "gave up after " + std::to_string(attempt_) + " reconnect attempts (maxReconnectAttempts)";
        auto ev = make_event(TETHER_EVENT_ERROR);
        ev->status = failure.error.failed() ? failure.error.status : TETHER_E_CLOSED;
        ev->text = why;
        emit(std::move(ev));
    }
    fail_queued(TETHER_E_CLOSED, "the connection closed and will not reconnect: " + why);
    if (interceptor_) interceptor_->on_connection_lost(true);
    const bool normal = !failure.error.failed() &&
                        (failure.close_code == 1000 || failure.close_code == 1001) && !(decision.reconnect && options_.auto_reconnect);
    set_state(normal ? TETHER_STATE_DISCONNECTED : TETHER_STATE_ERROR);
    running_ = false;
}

void Session::do_close(int32_t code, std::string reason) {
    reconnect_timer_.cancel();
    if (!running_.load()) return;  // never connected, or already ended
    close_timer_.expires_after(std::chrono::milliseconds(options_.close_timeout_ms));
    close_timer_.async_wait([self = shared_from_this()](const boost::system::error_code &ec) {
        if (ec || !self->running_.load()) return;
        self->finish_close(1006, "the close did not complete within closeTimeout", false);
    });
    if (conn_ && ready_) {
        // Graceful: what was queued before close() is still sent, then the close frame.
        pending_close_.emplace(code, std::move(reason));
        pump_writes();
        return;
    }
    if (conn_) {
        finish_close(1006, "closed before the connection was ready", false);
        return;
    }
    finish_close(code, reason, true);  // between reconnect attempts: nothing to shut down
}

void Session::send_close_frame() {
    if (close_sent_ || !conn_ || !pending_close_) return;
    if (control_busy_) return;  // a ping is being written; its handler comes back here
    close_sent_ = true;
    const auto [code, reason] = *pending_close_;
    const uint64_t generation = generation_;
    ping_timer_.cancel();
    pong_timer_.cancel();
    awaiting_pong_ = false;
    conn_->async_close(code, reason, [self = shared_from_this(), generation, code = code,
                                      reason = reason](const Failure *failure) {
        if (generation != self->generation_) return;
        self->finish_close(code, reason, failure == nullptr);
    });
}

void Session::finish_close(int32_t code, const std::string &reason, bool clean) {
    drop_connection();
    close_timer_.cancel();
    pending_close_.reset();
    fail_queued(TETHER_E_CANCELLED, "the client was closed before this message was sent");
    if (interceptor_) interceptor_->on_connection_lost(true);
    auto ev = make_event(TETHER_EVENT_CLOSE);
    ev->code = code;
    ev->text = reason;
    ev->was_clean = clean ? 1 : 0;
    emit(std::move(ev));
    set_state(TETHER_STATE_DISCONNECTED);
    running_ = false;
}

void Session::teardown() {
    // After destroy(): no events can be delivered any more; just let go of the network politely.
    reconnect_timer_.cancel();
    close_timer_.cancel();
    // The manager's request timers and heartbeat would keep the session (and its runtime's
    // threads) alive until they fire: end them now. Their events go nowhere.
    if (interceptor_) interceptor_->on_connection_lost(true);
    {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        queue_.clear();
        queued_bytes_ = 0;
    }
    inflight_.reset();
    if (conn_ && ready_ && !close_sent_ && !control_busy_ && !writing_) {
        ++generation_;
        ping_timer_.cancel();
        pong_timer_.cancel();
        auth_timer_.cancel();
        auto conn = conn_;
        close_sent_ = true;
        // Both handlers hold the session so that its timer outlives the close; whichever
        // finishes first ends the other.
        auto self = shared_from_this();
        conn->async_close(1001, "client destroyed", [self, conn](const Failure *) {
            conn->abort();
            self->close_timer_.cancel();
        });
        close_timer_.expires_after(std::chrono::milliseconds(options_.close_timeout_ms));
        close_timer_.async_wait([self, conn](const boost::system::error_code &ec) {
            if (!ec) conn->abort();
        });
        conn_.reset();
        return;
    }
    drop_connection();
}

}  // namespace tether::session
