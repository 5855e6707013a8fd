// bench-beast-raw: the ceiling for a Beast-based client. A plain Boost.Beast async client written
// the way Beast's examples write one (websocket/client/async, async-ssl): a session object kept
// alive by shared_from_this, resolve -> connect -> (TLS) -> handshake, one async_read loop into a
// flat_buffer, and a queue of owned messages with one async_write in flight. TCP_NODELAY is set,
// as tether and ws set it. One io_context, run on the main thread.
//
// Interface (issue 8): --url URL --mode rtt|pipeline|bulk|conns --count N --size BYTES
//                      [--window W] [--conns C]; prints one JSON line (bench_common.h).

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_common.h"

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr const char* client_name = "beast-raw";

[[noreturn]] void fail(beast::error_code ec, const char* where) {
    std::fprintf(stderr, "%s: %s: %s\n", client_name, where, ec.message().c_str());
    std::exit(1);
}

// What a run sees of a session, and what a session tells its run.
class connection {
public:
    virtual ~connection() = default;
    virtual void send(const char* data, std::size_t size) = 0;
    virtual void close() = 0;
};

class observer {
public:
    virtual ~observer() = default;
    virtual void on_open(connection& conn, int index) = 0;
    virtual void on_message(connection& conn, int index, std::size_t size) = 0;
    virtual void on_closed(int index) = 0;
};

template <class NextLayer>
class session : public connection, public std::enable_shared_from_this<session<NextLayer>> {
public:
    template <class... LayerArgs>
    session(net::io_context& io, const bench_args& args, observer& run, int index,
            LayerArgs&&... layer_args)
        : resolver_(io), ws_(std::forward<LayerArgs>(layer_args)...), args_(args), run_(run),
          index_(index) {}

    void start() {
        resolver_.async_resolve(args_.host, args_.port,
                                [self = this->shared_from_this()](beast::error_code ec,
                                                                  tcp::resolver::results_type results) {
                                    if (ec) fail(ec, "resolve");
                                    self->connect(results);
                                });
    }

    // Queues a copy of the message; written in order, one write at a time.
    void send(const char* data, std::size_t size) override {
        queue_.emplace_back(data, size);
        if (queue_.size() == 1) write_front();
    }

    void close() override {
        closing_ = true;
        ws_.async_close(websocket::close_code::normal,
                        [self = this->shared_from_this()](beast::error_code) {});
    }

private:
    void connect(const tcp::resolver::results_type& results) {
        auto& tcp_layer = beast::get_lowest_layer(ws_);
        tcp_layer.expires_after(std::chrono::seconds(30));
        tcp_layer.async_connect(results, [self = this->shared_from_this()](
                                             beast::error_code ec, tcp::endpoint) {
            if (ec) fail(ec, "connect");
            beast::error_code ignored;
            beast::get_lowest_layer(self->ws_).socket().set_option(tcp::no_delay(true), ignored);
            self->secure();
        });
    }

    void secure() {
        if constexpr (std::is_same_v<NextLayer, beast::tcp_stream>) {
            handshake();
        } else {
            SSL_set_tlsext_host_name(ws_.next_layer().native_handle(), args_.host);
            ws_.next_layer().async_handshake(
                ssl::stream_base::client, [self = this->shared_from_this()](beast::error_code ec) {
                    if (ec) fail(ec, "TLS handshake");
                    self->handshake();
                });
        }
    }

    void handshake() {
        beast::get_lowest_layer(ws_).expires_never();
        ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
        ws_.read_message_max(std::max<std::uint64_t>(args_.size + 1024, 16 * 1024 * 1024));
        ws_.binary(args_.mode == BENCH_BULK);
        std::string host = std::string(args_.host) + ":" + args_.port;
        ws_.async_handshake(host, args_.target, [self = this->shared_from_this()](beast::error_code ec) {
            if (ec) fail(ec, "WebSocket handshake");
            self->read();
            self->run_.on_open(*self, self->index_);
        });
    }

    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t size) {
            if (ec == websocket::error::closed || (ec && self->closing_)) {
                return self->run_.on_closed(self->index_);
            }
            if (ec) fail(ec, "read");
            self->buffer_.consume(size);
            self->run_.on_message(*self, self->index_, size);
            self->read();
        });
    }

    void write_front() {
        ws_.async_write(net::buffer(queue_.front()),
                        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec) fail(ec, "write");
                            self->queue_.pop_front();
                            if (!self->queue_.empty()) self->write_front();
                        });
    }

    tcp::resolver resolver_;
    websocket::stream<NextLayer> ws_;
    const bench_args& args_;
    observer& run_;
    int index_;
    bool closing_ = false;
    beast::flat_buffer buffer_;
    std::deque<std::string> queue_;
};

// Starts a session of the URL's kind. The server's certificate is self-signed and, as in every
// client of the suite, not checked.
void start_session(net::io_context& io, ssl::context& tls, const bench_args& args, observer& run,
                   int index) {
    if (args.tls) {
        std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(io, args, run, index, io, tls)
            ->start();
    } else {
        std::make_shared<session<beast::tcp_stream>>(io, args, run, index, io)->start();
    }
}

ssl::context make_tls_context() {
    ssl::context tls(ssl::context::tls_client);
    tls.set_verify_mode(ssl::verify_none);
    return tls;
}

// rtt, pipeline, bulk: one connection.
class flow_run : public observer {
public:
    explicit flow_run(const bench_args& args) : args_(args), payload_(bench_payload(args.size)) {
        bench_flow_init(&flow_, &args);
    }
    ~flow_run() override {
        bench_flow_free(&flow_);
        std::free(payload_);
    }

    int run() {
        net::io_context io(1);
        ssl::context tls = make_tls_context();
        start_session(io, tls, args_, *this, 0);
        io.run();
        return status_;
    }

    void on_open(connection& conn, int) override {
        bench_flow_start(&flow_);
        send_while_allowed(conn);
    }

    void on_message(connection& conn, int, std::size_t size) override {
        bench_flow_received(&flow_, size);
        if (!bench_flow_done(&flow_)) return send_while_allowed(conn);
        status_ = bench_flow_report(client_name, &args_, &flow_);
        conn.close();
    }

    void on_closed(int) override {}

private:
    void send_while_allowed(connection& conn) {
        while (bench_flow_may_send(&flow_)) {
            bench_flow_sending(&flow_);
            conn.send(payload_, args_.size);
        }
    }

    const bench_args& args_;
    char* payload_;
    bench_flow flow_;
    int status_ = 1;
};

// conns: many connections on the one thread, one echo each, then held.
class conns_run : public observer {
public:
    explicit conns_run(const bench_args& args)
        : args_(args), payload_(bench_payload(args.size)), started_ns_(args.conns),
          connections_(args.conns, nullptr) {
        bench_conns_init(&conns_, &args);
    }
    ~conns_run() override {
        bench_conns_free(&conns_);
        std::free(payload_);
    }

    int run() {
        net::io_context io(1);
        ssl::context tls = make_tls_context();
        bench_conns_start(&conns_);
        for (int i = 0; i < args_.conns; ++i) {
            started_ns_[i] = bench_now_ns();
            start_session(io, tls, args_, *this, i);
        }
        io.run();
        return status_;
    }

    void on_open(connection& conn, int index) override {
        connections_[index] = &conn;
        conn.send(payload_, args_.size);
    }

    void on_message(connection&, int index, std::size_t) override {
        if (!bench_conns_echoed(&conns_, index, started_ns_[index])) return;
        bench_conns_hold(&conns_);
        status_ = bench_conns_report(client_name, &args_, &conns_);
        for (connection* conn : connections_) conn->close();
    }

    void on_closed(int) override {}

private:
    const bench_args& args_;
    char* payload_;
    bench_conns conns_;
    std::vector<std::uint64_t> started_ns_;
    std::vector<connection*> connections_;  // each session lives while its read is pending
    int status_ = 1;
};

}  // namespace

int main(int argc, char** argv) {
    bench_args args;
    bench_parse_args(&args, argc, argv);
    if (args.mode == BENCH_CONNS) return conns_run(args).run();
    return flow_run(args).run();
}
