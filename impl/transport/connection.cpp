#include "impl/transport/connection.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <sys/stat.h>

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

namespace tether::transport {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

// The buffer one message is read into: a view of a std::string that is moved out afterwards.
// Before a message starts Beast asks for 1,536 bytes, and a connection waiting for its next
// message holds what it asked for all the time it is idle. This view grants a message's first
// read at most kFirstReadBytes; once the frame header has told Beast the length, it asks for
// the rest, and gets it. A larger message costs one more pass over data already buffered.
class MessageBuffer {
public:
    static constexpr std::size_t kFirstReadBytes = 128;

    using inner_type = net::dynamic_string_buffer<char, std::char_traits<char>, std::allocator<char>>;
    using const_buffers_type = inner_type::const_buffers_type;
    using mutable_buffers_type = inner_type::mutable_buffers_type;

    explicit MessageBuffer(std::string &target) : inner_(target) {}

    std::size_t size() const noexcept { return inner_.size(); }
    std::size_t max_size() const noexcept { return inner_.max_size(); }
    std::size_t capacity() const noexcept { return inner_.capacity(); }
    const_buffers_type data() const noexcept { return inner_.data(); }
    mutable_buffers_type prepare(std::size_t n) {
        return inner_.prepare(inner_.size() == 0 ? std::min(n, kFirstReadBytes) : n);
    }
    void commit(std::size_t n) { inner_.commit(n); }
    void consume(std::size_t n) { inner_.consume(n); }

private:
    inner_type inner_;
};

std::string base64(std::string_view in) {
    static const char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += table[(n >> 6) & 63];
        out += table[n & 63];
    }
    if (i + 1 == in.size()) {
        const uint32_t n = uint8_t(in[i]) << 16;
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += "==";
    } else if (i + 2 == in.size()) {
        const uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
        out += table[(n >> 18) & 63];
        out += table[(n >> 12) & 63];
        out += table[(n >> 6) & 63];
        out += '=';
    }
    return out;
}

bool is_ip_literal(const std::string &host) {
    error_code ec;
    net::ip::make_address(host, ec);
    return !ec;
}

std::string endpoint_text(const std::string &host, uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Failure make_failure(tether_status status, std::string message, int32_t code = 1006) {
    Failure f;
    f.error = make_error(status, std::move(message));
    f.close_code = code;
    return f;
}

// Maps a read or write error on an open connection.
Failure stream_failure(const error_code &ec) {
    if (ec == websocket::error::buffer_overflow || ec == websocket::error::message_too_big) {
        return make_failure(TETHER_E_MESSAGE_TOO_BIG,
                            "a received message exceeded maxMessageSize; closed with 1009", 1009);
    }
    if (ec == websocket::error::bad_frame_payload) {
        return make_failure(TETHER_E_PROTOCOL, "the peer sent text that is not valid UTF-8", 1007);
    }
    if (ec == websocket::condition::protocol_violation) {
        return make_failure(TETHER_E_PROTOCOL, "the peer broke the WebSocket protocol: " + ec.message(),
                            1002);
    }
    if (ec == net::error::operation_aborted) {
        return make_failure(TETHER_E_CANCELLED, "the operation was cancelled");
    }
    return make_failure(TETHER_E_IO, "connection lost: " + ec.message());
}

// The layer under the WebSocket stream (TCP, or TLS over TCP) with two additions.
//
// Coalescing. Beast writes every WebSocket message with a socket write of its own, and on
// loopback or a fast link the syscall, not the framing, is what a small message costs. While
// coalesce(true) is set, each write Beast hands down is appended to pending_ and reported done
// at once; the first write after coalesce(false) sends pending_ and itself in one socket write.
// Connection::async_write turns coalescing on for all but the last message of a batch, so the
// flush happens inside a Beast write operation: Beast's write lock is held, and nothing else
// (its pongs, our pings or close) can write to the socket at the same time. Whatever else Beast
// writes while coalescing is on (a pong between two messages of the batch) lands in pending_ in
// stream order.
//
// Teardown. Beast's own, run once the WebSocket layer is done (a close handshake, or failing the
// connection on a protocol error), waits without bound for the peer to close TCP, and over TLS
// a peer that closes without close_notify turns the outcome already decided (the peer's close
// frame, or the 1002/1007 that failed the connection) into "stream truncated". Ours first sends
// what is still pending (a close reply written while a batch was coalescing), waits at most
// closeTimeout and always succeeds, so that the WebSocket layer reports what actually ended
// the connection.
template <class Base>
class Layer : public Base {
public:
    using Base::Base;

    std::chrono::milliseconds teardown_timeout{5000};

    void coalesce(bool on) { coalescing_ = on; }
    bool has_pending() const { return !pending_.empty(); }

    template <class ConstBufferSequence, class WriteHandler>
    auto async_write_some(const ConstBufferSequence &buffers, WriteHandler &&handler) {
        return net::async_initiate<WriteHandler, void(error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence &buffers) {
                write_some(buffers, std::move(handler));
            },
            handler, buffers);
    }

    // Sends pending_ and empties it. Only while Beast holds its write lock: from write_some
    // (inside a Beast write) or from our teardown.
    template <class Handler>
    void async_flush(Handler handler) {
        auto executor = net::get_associated_executor(handler, this->get_executor());
        net::async_write(static_cast<Base &>(*this), net::buffer(pending_),
                         net::bind_executor(executor, [this, handler = std::move(handler)](
                                                          error_code ec, std::size_t) mutable {
                             release_pending();
                             handler(ec);
                         }));
    }

private:
    template <class ConstBufferSequence, class Handler>
    void write_some(const ConstBufferSequence &buffers, Handler handler) {
        if (!coalescing_ && pending_.empty()) {
            Base::async_write_some(buffers, std::move(handler));
            return;
        }
        const std::size_t size = net::buffer_size(buffers);
        for (const auto piece : beast::buffers_range_ref(buffers)) {
            pending_.append(static_cast<const char *>(piece.data()), piece.size());
        }
        auto executor = net::get_associated_executor(handler, this->get_executor());
        if (coalescing_) {
            net::post(executor, beast::bind_front_handler(std::move(handler), error_code{}, size));
            return;
        }
        async_flush(net::bind_executor(executor, [handler = std::move(handler), size](error_code ec) mutable {
            handler(ec, ec ? 0 : size);
        }));
    }

    // A connection that once sent a burst keeps a buffer for the next one, up to a size that
    // thousands of idle connections can afford.
    void release_pending() {
        if (pending_.capacity() > kKeptPendingBytes) {
            std::string().swap(pending_);
        } else {
            pending_.clear();
        }
    }

    static constexpr std::size_t kKeptPendingBytes = 16 * 1024;
    bool coalescing_ = false;
    std::string pending_;
};

using PlainLayer = Layer<beast::tcp_stream>;
using TlsLayer = Layer<ssl::stream<beast::tcp_stream>>;

void close_now(beast::tcp_stream &stream) {
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream.close();
}

// Sends what is pending, then reads and discards until the peer closes TCP, an error, or the
// stream's expiry.
struct PlainTeardownOp {
    PlainLayer &layer;
    std::unique_ptr<std::array<char, 1024>> buffer = std::make_unique<std::array<char, 1024>>();

    template <class Self>
    void operator()(Self &self, error_code ec = {}, std::size_t = 0) {
        if (!ec && layer.has_pending()) {
            layer.async_flush([self = std::move(self)](error_code flushed) mutable { self(flushed); });
            return;
        }
        if (!ec) {
            layer.async_read_some(net::buffer(*buffer), std::move(self));
            return;
        }
        close_now(layer);
        self.complete(error_code{});
    }
};

struct TlsTeardownOp {
    TlsLayer &layer;
    bool started = false;

    template <class Self>
    void operator()(Self &self, error_code = {}) {
        if (!started && layer.has_pending()) {
            layer.async_flush([self = std::move(self)](error_code flushed) mutable { self(flushed); });
            return;
        }
        if (!started) {
            started = true;
            layer.async_shutdown(std::move(self));  // close_notify both ways, bounded by the expiry
            return;
        }
        close_now(layer.next_layer());
        self.complete(error_code{});
    }
};

// Found by Beast through argument-dependent lookup; a better match than its own overloads.
template <class Handler>
auto async_teardown(beast::role_type role, PlainLayer &layer, Handler &&handler) {
    error_code ignored;
    if (role == beast::role_type::server) layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    layer.expires_after(layer.teardown_timeout);
    return net::async_compose<Handler, void(error_code)>(PlainTeardownOp{layer}, handler, layer);
}

template <class Handler>
auto async_teardown(beast::role_type, TlsLayer &layer, Handler &&handler) {
    layer.next_layer().expires_after(layer.teardown_timeout);
    return net::async_compose<Handler, void(error_code)>(TlsTeardownOp{layer}, handler, layer);
}

template <class NextLayer>
class BasicConnection final : public Connection,
                              public std::enable_shared_from_this<BasicConnection<NextLayer>> {
    static constexpr bool kTls = std::is_same_v<NextLayer, TlsLayer>;

public:
    BasicConnection(const net::any_io_executor &ex, ConnectParams params)
        : params_(std::move(params)), resolver_(ex), ws_(make_stream(ex, params_)), deadline_(ex) {
        ws_.next_layer().teardown_timeout = std::chrono::milliseconds(std::max<int64_t>(1, params_.close_timeout_ms));
    }

    void async_open(OpenHandler handler) override {
        open_handler_ = std::move(handler);
        start_deadline(params_.connect_timeout_ms, "connect");
        const std::string &host = params_.proxy ? params_.proxy->host : params_.url.host;
        const uint16_t port = params_.proxy ? params_.proxy->port : params_.url.port;
        resolver_.async_resolve(
            host, std::to_string(port),
            [self = this->shared_from_this()](const error_code &ec, tcp::resolver::results_type r) {
                self->on_resolve(ec, std::move(r));
            });
    }

    void async_read(ReadHandler handler) override {
        read_buffer_.clear();
        // A fresh view per read: the payload is moved out afterwards, so nothing is copied.
        read_view_.emplace(read_buffer_);
        ws_.async_read(*read_view_,
                       net::bind_cancellation_slot(cancel_read_.slot(), [self = this->shared_from_this(),
                                                                          handler = std::move(handler)](
                                                                             const error_code &ec, size_t) {
                           if (ec) {
                               const Failure f = self->read_failure(ec);
                               handler(&f, false, std::string());
                               return;
                           }
                           handler(nullptr, self->ws_.got_binary(), std::move(self->read_buffer_));
                       }));
    }

    void async_write(const std::vector<OutgoingMessage> &messages, DoneHandler handler) override {
        batch_.assign(messages.begin(), messages.end());
        batch_next_ = 0;
        write_handler_ = std::move(handler);
        write_next();
    }

    void async_ping(std::string payload, DoneHandler handler) override {
        websocket::ping_data data(payload.substr(0, websocket::ping_data::static_capacity));
        ws_.async_ping(data, net::bind_cancellation_slot(
                                 cancel_ping_.slot(), [self = this->shared_from_this(), handler = std::move(handler)](
                                                          const error_code &ec) { self->finish(ec, handler); }));
    }

    void async_close(int32_t code, std::string reason, DoneHandler handler) override {
        websocket::close_reason cr(static_cast<websocket::close_code>(code), reason);
        // Beast hands a control frame to this callback by posting the read that found it, while
        // that read holds the read lock; a close whose frame is written meanwhile then waits for
        // that lock while the read, holding the peer's close frame, waits for the close's write
        // lock: both wait for ever. A read that finds no callback handles the frame at once,
        // before the close can wait. Pongs no longer matter once our close frame is out.
        ws_.control_callback();
        ws_.async_close(cr, net::bind_cancellation_slot(
                                cancel_close_.slot(), [self = this->shared_from_this(), handler = std::move(handler)](
                                                          const error_code &ec) { self->finish(ec, handler); }));
    }

    void set_pong_handler(PongHandler handler) override {
        on_pong_ = std::move(handler);
        ws_.control_callback([this](websocket::frame_type kind, beast::string_view payload) {
            if (kind == websocket::frame_type::pong && on_pong_) on_pong_(payload);
        });
    }

    void abort() noexcept override {
        aborted_ = true;
        error_code ignored;
        deadline_.cancel();
        resolver_.cancel();
        beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(ws_).socket().close(ignored);
        // Closing the socket ends every operation that waits on it, but Beast parks an operation
        // that waits for another one's lock (a write behind a ping, a close behind a read) inside
        // the stream, where the socket cannot reach it. Should two such wait for each other, only
        // a cancellation frees them, and with them the handlers that hold this connection and its
        // session. Posted: a cancelled operation completes inside emit(), and abort() is called
        // from the handlers it would complete.
        try {
            net::post(ws_.get_executor(), [self = this->shared_from_this()] {
                for (net::cancellation_signal *signal : {&self->cancel_read_, &self->cancel_write_,
                                                         &self->cancel_ping_, &self->cancel_close_}) {
                    signal->emit(net::cancellation_type::terminal);
                }
            });
        } catch (...) {
            // Out of memory: the socket is closed, which ends all but such a mutual wait.
        }
    }

private:
    static websocket::stream<NextLayer> make_stream(const net::any_io_executor &ex,
                                                    const ConnectParams &p) {
        if constexpr (kTls) {
            return websocket::stream<NextLayer>(ex, *p.tls);
        } else {
            (void)p;
            return websocket::stream<NextLayer>(ex);
        }
    }

    // One message of the batch at a time, as Beast wants; all but the last wait in the layer and
    // go out with it (see Layer).
    void write_next() {
        const OutgoingMessage &message = batch_[batch_next_];
        ws_.next_layer().coalesce(batch_next_ + 1 < batch_.size());
        size_write_buffer(message.data.size());
        ws_.binary(message.binary);
        ws_.async_write(net::buffer(message.data.data(), message.data.size()),
                        net::bind_cancellation_slot(cancel_write_.slot(), [self = this->shared_from_this()](
                                                                              const error_code &ec, size_t) {
                            if (!ec && ++self->batch_next_ < self->batch_.size()) {
                                self->write_next();
                                return;
                            }
                            self->ws_.next_layer().coalesce(false);
                            self->batch_.clear();
                            auto handler = std::move(self->write_handler_);
                            self->finish(ec, handler);
                        }));
    }

    // A client masks what it sends, and Beast masks through a buffer of write_buffer_bytes, one
    // socket write per buffer. Sized to the message (512 B to 64 KiB), a large message takes a
    // sixteenth of the writes of Beast's 4 KiB default, and a connection that sends small ones
    // keeps 512 B instead of 4 KiB. Beast reallocates only when the size changes.
    void size_write_buffer(std::size_t message_size) {
        std::size_t bytes = kMinWriteBuffer;
        while (bytes < message_size && bytes < kMaxWriteBuffer) bytes *= 2;
        if (bytes != write_buffer_bytes_) {
            write_buffer_bytes_ = bytes;
            ws_.write_buffer_bytes(bytes);
        }
    }

    void start_deadline(int64_t ms, const char *phase) {
        phase_ = phase;
        phase_ms_ = ms;
        deadline_.expires_after(std::chrono::milliseconds(ms));
        deadline_.async_wait([self = this->shared_from_this()](const error_code &ec) {
            if (ec) return;  // cancelled: the phase finished in time
            self->timed_out_ = true;
            error_code ignored;
            self->resolver_.cancel();
            beast::get_lowest_layer(self->ws_).socket().close(ignored);
        });
    }

    void fail_open(tether_status status, std::string message, int32_t http_status = 0) {
        deadline_.cancel();
        Failure f;
        if (timed_out_) {
            f.error = make_error(TETHER_E_TIMEOUT, std::string(phase_) + " timed out after " +
                                                       std::to_string(phase_ms_) + " ms");
        } else {
            f.error = make_error(status, std::move(message));
        }
        f.http_status = http_status;
        auto handler = std::move(open_handler_);
        handler(&f, OpenInfo{});
    }

    void on_resolve(const error_code &ec, tcp::resolver::results_type results) {
        // The resolver answers from a thread of its own, so abort() (or the connect deadline)
        // can come after the answer and before this handler: cancelling the resolver is too late
        // then. Connecting anyway would open a new socket (async_connect opens a closed one) for
        // a connection that is over, with no connect deadline, and the open handler it holds
        // would keep the session, and with it its runtime, alive until that socket's handshake
        // ends.
        if (aborted_ || timed_out_) {
            fail_open(TETHER_E_CANCELLED, "the connection was aborted before it was open");
            return;
        }
        const std::string &host = params_.proxy ? params_.proxy->host : params_.url.host;
        if (ec) {
            fail_open(TETHER_E_DNS, "cannot resolve '" + host + "': " + ec.message());
            return;
        }
        beast::get_lowest_layer(ws_).async_connect(
            results, [self = this->shared_from_this()](const error_code &ec2, const tcp::endpoint &) {
                self->on_connect(ec2);
            });
    }

    void on_connect(const error_code &ec) {
        if (ec) {
            const bool via_proxy = params_.proxy.has_value();
            const std::string where = via_proxy
                                          ? "proxy " + endpoint_text(params_.proxy->host, params_.proxy->port)
                                          : endpoint_text(params_.url.host, params_.url.port);
            fail_open(via_proxy ? TETHER_E_PROXY : TETHER_E_CONNECT,
                      "cannot connect to " + where + ": " + ec.message());
            return;
        }
        error_code ignored;
        beast::get_lowest_layer(ws_).socket().set_option(tcp::no_delay(true), ignored);
        deadline_.cancel();
        start_deadline(params_.handshake_timeout_ms, "handshake");
        if (params_.proxy) {
            start_proxy_tunnel();
        } else {
            start_tls();
        }
    }

    // HTTP CONNECT: ask the proxy for a raw tunnel to the server, then speak TLS/WebSocket in it.
    void start_proxy_tunnel() {
        const std::string authority = endpoint_text(params_.url.host, params_.url.port);
        proxy_ = std::make_unique<ProxyTunnel>();
        auto &request = proxy_->request;
        request.method(http::verb::connect);
        request.target(authority);
        request.version(11);
        request.set(http::field::host, authority);
        request.set(http::field::user_agent, params_.user_agent);
        if (!params_.proxy->username.empty()) {
            request.set(http::field::proxy_authorization,
                    "Basic " + base64(params_.proxy->username + ":" + params_.proxy->password));
        }
        http::async_write(beast::get_lowest_layer(ws_), request,
                          [self = this->shared_from_this()](const error_code &ec, size_t) {
                              self->on_proxy_request_written(ec);
                          });
    }

    void on_proxy_request_written(const error_code &ec) {
        if (ec) {
            fail_open(TETHER_E_PROXY, "writing the CONNECT request to the proxy failed: " + ec.message());
            return;
        }
        proxy_->parser.skip(true);  // a 2xx answer to CONNECT has no body: the tunnel follows
        http::async_read(beast::get_lowest_layer(ws_), proxy_->buffer, proxy_->parser,
                         [self = this->shared_from_this()](const error_code &ec2, size_t) {
                             self->on_proxy_response(ec2);
                         });
    }

    void on_proxy_response(const error_code &ec) {
        if (ec) {
            fail_open(TETHER_E_PROXY, "reading the proxy's answer to CONNECT failed: " + ec.message());
            return;
        }
        const auto &res = proxy_->parser.get();
        if (res.result_int() / 100 != 2) {
            // 407 is the standard answer to bad proxy credentials; some proxies send 401.
            const bool auth = res.result_int() == 407 || res.result_int() == 401;
            fail_open(TETHER_E_PROXY, std::string(auth ? "the proxy refused the credentials" : "the proxy refused the tunnel") + ": HTTP " +
                                          std::to_string(res.result_int()) + " " +
                                          std::string(res.reason()),
                      static_cast<int32_t>(res.result_int()));
            return;
        }
        if (proxy_->buffer.size() != 0) {
            fail_open(TETHER_E_PROXY, "the proxy sent data before the tunnel was used");
            return;
        }
        start_tls();
    }

    void start_tls() {
        if constexpr (kTls) {
            SSL *ssl = ws_.next_layer().native_handle();
            const std::string &host = params_.url.host;
            if (!is_ip_literal(host)) SSL_set_tlsext_host_name(ssl, host.c_str());  // SNI
            X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
            if (is_ip_literal(host)) {
                X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
            } else {
                X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
            }
            ws_.next_layer().async_handshake(
                ssl::stream_base::client,
                [self = this->shared_from_this()](const error_code &ec) { self->on_tls(ec); });
        } else {
            start_websocket();
        }
    }

    void on_tls(const error_code &ec) {
        if constexpr (kTls) {
            if (ec) {
                const long verify = SSL_get_verify_result(ws_.next_layer().native_handle());
                std::string why = verify != X509_V_OK
                                      ? std::string("certificate verification failed: ") +
                                            X509_verify_cert_error_string(verify)
                                      : ec.message();
                fail_open(TETHER_E_TLS, "TLS handshake with " + params_.url.host + " failed: " + why);
                return;
            }
        }
        start_websocket();
    }

    void start_websocket() {
        // Deadlines are ours (deadline_ and the session's timers); Beast's would fire on top.
        ws_.set_option(websocket::stream_base::timeout{websocket::stream_base::none(),
                                                       websocket::stream_base::none(), false});
        ws_.read_message_max(params_.max_message_size);
        if (params_.per_message_deflate) {
            websocket::permessage_deflate pmd;
            pmd.client_enable = true;
            ws_.set_option(pmd);
        }
        ws_.set_option(websocket::stream_base::decorator(
            [ua = params_.user_agent, headers = params_.headers,
             protocols = params_.subprotocols](websocket::request_type &req) {
                req.set(http::field::user_agent, ua);
                for (const auto &h : headers) req.set(h.first, h.second);
                if (!protocols.empty()) {
                    std::string joined;
                    for (const auto &p : protocols) joined += (joined.empty() ? "" : ", ") + p;
                    req.set(http::field::sec_websocket_protocol, joined);
                }
            }));
        ws_.async_handshake(handshake_response_, host_header(params_.url), params_.target,
                            [self = this->shared_from_this()](const error_code &ec) {
                                self->on_websocket_handshake(ec);
                            });
    }

    void on_websocket_handshake(const error_code &ec) {
        if (ec) {
            const unsigned status = handshake_response_.result_int();
            if (status != 0 && status != 101) {
                const bool auth = status == 401 || status == 403;
                fail_open(auth ? TETHER_E_AUTH : TETHER_E_HANDSHAKE,
                          std::string(auth ? "the server refused the credentials: " : "the server refused the upgrade: ") +
                              "HTTP " + std::to_string(status) + " " +
                              std::string(handshake_response_.reason()),
                          static_cast<int32_t>(status));
            } else if (ec == net::error::eof || ec == net::error::connection_reset ||
                       ec == net::error::operation_aborted || ec == net::error::bad_descriptor) {
                fail_open(TETHER_E_HANDSHAKE, "the connection closed during the WebSocket handshake: " +
                                                  ec.message());
            } else {
                fail_open(TETHER_E_HANDSHAKE, "WebSocket handshake failed: " + ec.message());
            }
            return;
        }
        deadline_.cancel();
        OpenInfo info;
        const auto it = handshake_response_.find(http::field::sec_websocket_protocol);
        if (it != handshake_response_.end()) info.subprotocol = std::string(it->value());
        handshake_response_ = {};  // its headers are not needed any more: memory per connection
        proxy_.reset();
        if (!info.subprotocol.empty() &&
            std::find(params_.subprotocols.begin(), params_.subprotocols.end(), info.subprotocol) ==
                params_.subprotocols.end()) {
            fail_open(TETHER_E_PROTOCOL,
                      "the server selected subprotocol '" + info.subprotocol + "', which was not offered");
            return;
        }
        auto handler = std::move(open_handler_);
        handler(nullptr, std::move(info));
    }

    Failure read_failure(const error_code &ec) {
        if (ec == websocket::error::closed) {
            Failure f;
            const auto &reason = ws_.reason();
            f.close_code = reason.code == websocket::close_code::none ? 1005 : reason.code;
            f.close_reason = std::string(reason.reason.data(), reason.reason.size());
            f.clean = true;
            return f;
        }
        return stream_failure(ec);
    }

    void finish(const error_code &ec, const DoneHandler &handler) {
        if (!ec) {
            handler(nullptr);
            return;
        }
        const Failure f = stream_failure(ec);
        handler(&f);
    }

    static constexpr std::size_t kMinWriteBuffer = 512;
    static constexpr std::size_t kMaxWriteBuffer = 64 * 1024;

    ConnectParams params_;
    std::vector<OutgoingMessage> batch_;  // the write in progress
    std::size_t batch_next_ = 0;
    DoneHandler write_handler_;
    std::size_t write_buffer_bytes_ = 0;
    tcp::resolver resolver_;
    websocket::stream<NextLayer> ws_;
    net::steady_timer deadline_;
    const char *phase_ = "connect";
    int64_t phase_ms_ = 0;
    bool timed_out_ = false;
    bool aborted_ = false;  // abort() ran: on_resolve must not connect a new socket
    // One per kind of operation that may be outstanding (Beast allows one of each at a time);
    // abort() cancels through them what closing the socket cannot end.
    net::cancellation_signal cancel_read_, cancel_write_, cancel_ping_, cancel_close_;
    OpenHandler open_handler_;
    PongHandler on_pong_;
    std::string read_buffer_;
    std::optional<MessageBuffer> read_view_;
    // Only while tunnelling through a proxy: most connections never need it.
    struct ProxyTunnel {
        http::request<http::empty_body> request;
        beast::flat_buffer buffer;
        http::response_parser<http::empty_body> parser;
    };
    std::unique_ptr<ProxyTunnel> proxy_;
    websocket::response_type handshake_response_;
};

std::string openssl_reason() {
    const unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

}  // namespace

std::shared_ptr<Connection> make_connection(const net::any_io_executor &executor, ConnectParams params) {
    if (params.url.secure) {
        return std::make_shared<BasicConnection<TlsLayer>>(executor, std::move(params));
    }
    return std::make_shared<BasicConnection<PlainLayer>>(executor, std::move(params));
}

Error make_tls_context(std::shared_ptr<ssl::context> &out, const std::string &ca_file,
                       const std::string &client_cert_file, const std::string &client_key_file,
                       bool insecure_skip_verify) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX *native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    ERR_clear_error();
    if (insecure_skip_verify) {
        SSL_CTX_set_verify(native, SSL_VERIFY_NONE, nullptr);
    } else {
        SSL_CTX_set_verify(native, SSL_VERIFY_PEER, nullptr);
        if (!ca_file.empty()) {
            if (SSL_CTX_load_verify_locations(native, ca_file.c_str(), nullptr) != 1) {
                return make_error(TETHER_E_BAD_OPTION_VALUE,
                                  "caFile: cannot load '" + ca_file + "': " + openssl_reason());
            }
        } else if (SSL_CTX_set_default_verify_paths(native) != 1) {
            return make_error(TETHER_E_TLS, "cannot load the system CA store: " + openssl_reason());
        }
    }
    if (!client_cert_file.empty()) {
        if (SSL_CTX_use_certificate_chain_file(native, client_cert_file.c_str()) != 1) {
            return make_error(TETHER_E_BAD_OPTION_VALUE, "clientCertFile: cannot load '" +
                                                             client_cert_file + "': " + openssl_reason());
        }
        if (SSL_CTX_use_PrivateKey_file(native, client_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
            return make_error(TETHER_E_BAD_OPTION_VALUE, "clientKeyFile: cannot load '" +
                                                             client_key_file + "': " + openssl_reason());
        }
        if (SSL_CTX_check_private_key(native) != 1) {
            return make_error(TETHER_E_BAD_OPTION_VALUE,
                              "clientKeyFile: the key does not match clientCertFile: " + openssl_reason());
        }
    }
    out = std::move(ctx);
    return ok();
}

namespace {

// What a file's contents are taken to be: a rewritten file (new size or time) is another file.
std::string file_identity(const std::string &path) {
    if (path.empty()) return std::string();
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) return path + "|missing";
    return path + "|" + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

Error shared_tls_context(std::shared_ptr<ssl::context> &out, const std::string &ca_file,
                         const std::string &client_cert_file, const std::string &client_key_file,
                         bool insecure_skip_verify) {
    using Key = std::tuple<std::string, std::string, std::string, bool>;
    static std::mutex mutex;
    static std::map<Key, std::weak_ptr<ssl::context>> contexts;

    // A missing or unreadable file is not cached: make_tls_context names the problem each time.
    const Key key{file_identity(ca_file), file_identity(client_cert_file), file_identity(client_key_file),
                  insecure_skip_verify};
    std::lock_guard<std::mutex> lock(mutex);
    if (auto found = contexts.find(key); found != contexts.end()) {
        if (auto alive = found->second.lock()) {
            out = std::move(alive);
            return ok();
        }
    }
    std::shared_ptr<ssl::context> made;
    if (Error e = make_tls_context(made, ca_file, client_cert_file, client_key_file, insecure_skip_verify)) {
        return e;
    }
    for (auto it = contexts.begin(); it != contexts.end();) {
        it = it->second.expired() ? contexts.erase(it) : std::next(it);
    }
    contexts[key] = made;
    out = std::move(made);
    return ok();
}

}  // namespace tether::transport
