#include "connection.hpp"

#include "plan.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace tether_test_server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using beast::error_code;

constexpr std::size_t kReadMessageMax = 64u << 20;
constexpr std::size_t kHeaderLimit = 64u << 10;       // room for large tokens in headers
constexpr std::size_t kBodyLimit = 1u << 20;
// Reading pauses while this many echo bytes wait to be written: a client that sends without
// reading cannot make the server buffer without bound.
constexpr std::size_t kMaxQueuedEchoBytes = 16u << 20;
// Thousands of idle connections after one large message each must not keep it all allocated.
constexpr std::size_t kKeptReadBufferBytes = 64u << 10;
constexpr auto kRefusalLinger = std::chrono::seconds(5);

bool first_message_accepted(const std::string& message, const FirstMessageAuth& auth) {
  error_code ec;
  boost::json::value value = boost::json::parse(message, ec);
  if (ec || message.find(auth.expect) == std::string::npos) return false;
  if (!auth.type) return true;
  const boost::json::object* object = value.if_object();
  const boost::json::value* type = object ? object->if_contains("type") : nullptr;
  return type && type->is_string() && type->get_string() == *auth.type;
}

template <bool Tls>
class Connection : public std::enable_shared_from_this<Connection<Tls>> {
  using Transport = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  template <class... TransportArgs>
  explicit Connection(ServerState& state, TransportArgs&&... transport_args)
      : state_(state),
        id_(state.next_connection_id++),
        ws_(std::forward<TransportArgs>(transport_args)...),
        timer_(ws_.get_executor()) {}

  void start() {
    if constexpr (Tls) {
      ws_.next_layer().async_handshake(ssl::stream_base::server,
                                       beast::bind_front_handler(&Connection::on_tls_handshake, self()));
    } else {
      read_request();
    }
  }

 private:
  std::shared_ptr<Connection> self() { return this->shared_from_this(); }

  void log(const std::string& text) const {
    if (state_.verbose) log_line("connection " + std::to_string(id_) + ": " + text);
  }

  void on_tls_handshake(error_code ec) {
    if (ec) return log("TLS handshake failed: " + ec.message());
    read_request();
  }

  // --- HTTP -------------------------------------------------------------------------------------

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    http::async_read(ws_.next_layer(), http_buffer_, *parser_,
                     beast::bind_front_handler(&Connection::on_request, self()));
  }

  void on_request(error_code ec, std::size_t) {
    if (ec) return log("reading the HTTP request failed: " + ec.message());
    request_ = parser_->release();
    plan_ = plan_for(request_, state_);
    log(std::string(request_.method_string()) + " " + std::string(request_.target()));

    if (plan_.hang) return drain_transport();
    if (plan_.http_status != 0) return refuse(plan_.http_status, plan_.http_body);
    if (!websocket::is_upgrade(request_))
      return refuse(426, "tether-test-server only speaks WebSocket: send an upgrade request\n");
    accept();
  }

  void refuse(unsigned status, const std::string& body) {
    log("answering HTTP " + std::to_string(status));
    response_.version(request_.version());
    response_.result(status);
    response_.set(http::field::server, "tether-test-server");
    response_.set(http::field::content_type, "text/plain; charset=utf-8");
    if (status == 401) response_.set(http::field::www_authenticate, "Bearer");
    response_.keep_alive(false);
    response_.body() = body;
    response_.prepare_payload();
    http::async_write(ws_.next_layer(), response_, beast::bind_front_handler(&Connection::on_refused, self()));
  }

  // The client reads the refusal, then closes; waiting for that (bounded) instead of closing at
  // once keeps the kernel from resetting a connection whose response is still unread.
  void on_refused(error_code ec, std::size_t) {
    if (ec) return;
    beast::get_lowest_layer(ws_).expires_after(kRefusalLinger);
    if constexpr (Tls) {
      ws_.next_layer().async_shutdown([keep = self()](error_code) {});
    } else {
      beast::get_lowest_layer(ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      drain_transport();
    }
  }

  // Reads and discards raw bytes below the WebSocket layer until the client goes away: the
  // connection stays open without answering anything (/hang, /silent, refusals).
  void drain_transport() {
    ws_.next_layer().async_read_some(asio::buffer(drain_buffer_), [keep = self()](error_code ec, std::size_t) {
      if (ec) return keep->log("transport closed: " + ec.message());
      keep->drain_transport();
    });
  }

  // --- WebSocket --------------------------------------------------------------------------------

  void accept() {
    ws_.set_option(websocket::stream_base::decorator([subprotocol = plan_.subprotocol](websocket::response_type& res) {
      res.set(http::field::server, "tether-test-server");
      if (subprotocol) res.set(http::field::sec_websocket_protocol, *subprotocol);
    }));
    websocket::permessage_deflate deflate;
    deflate.server_enable = true;
    ws_.set_option(deflate);
    ws_.read_message_max(kReadMessageMax);
    ws_.auto_fragment(false);
    ws_.async_accept(request_, beast::bind_front_handler(&Connection::on_accept, self()));
  }

  void on_accept(error_code ec) {
    if (ec) return log("WebSocket accept failed: " + ec.message());
    log("upgraded" + (plan_.subprotocol ? ", subprotocol " + *plan_.subprotocol : std::string{}));
    if (plan_.silent) return drain_transport();

    greetings_left_ = plan_.greetings.size();
    for (OutgoingMessage& greeting : plan_.greetings) enqueue(std::move(greeting));
    plan_.greetings.clear();
    awaiting_first_message_ = plan_.first_message_auth.has_value();

    if (plan_.ending != Ending::none && !plan_.end_after_messages) {
      timer_.expires_after(std::chrono::milliseconds(plan_.end_after_ms));
      timer_.async_wait([keep = self()](error_code ec) {
        if (!ec) keep->end();
      });
    }
    maybe_end_after_messages();
    read_next();
  }

  void read_next() {
    if (reading_ || ending_ || queued_echo_bytes_ > kMaxQueuedEchoBytes) return;
    reading_ = true;
    ws_.async_read(read_buffer_, beast::bind_front_handler(&Connection::on_read, self()));
  }

  void on_read(error_code ec, std::size_t) {
    reading_ = false;
    if (ec) {
      timer_.cancel();
      if (ending_) return;  // our own close or drop finished the read
      if (ec == websocket::error::closed)
        return log("closed by the client with code " + std::to_string(ws_.reason().code));
      return log("read failed: " + ec.message());
    }
    auto message = std::make_shared<const std::string>(beast::buffers_to_string(read_buffer_.data()));
    bool binary = !ws_.got_text();
    read_buffer_.consume(read_buffer_.size());
    if (read_buffer_.capacity() > kKeptReadBufferBytes) read_buffer_.shrink_to_fit();

    if (awaiting_first_message_) {
      awaiting_first_message_ = false;
      if (!on_first_message(*message)) return;
    } else {
      OutgoingMessage echo;
      echo.payload = std::move(message);
      echo.binary = binary;
      echo.kind = OutgoingMessage::Kind::echo;
      enqueue(std::move(echo));
    }
    read_next();
  }

  // Returns false when the connection is being closed.
  bool on_first_message(const std::string& message) {
    const FirstMessageAuth& auth = *plan_.first_message_auth;
    if (auth.silent) return true;
    if (!first_message_accepted(message, auth)) {
      log("first-message authentication failed");
      close(1008, "auth failed");
      return false;
    }
    if (auth.reply) {
      boost::json::object reply;
      reply["type"] = *auth.reply;
      OutgoingMessage out;
      out.payload = std::make_shared<const std::string>(boost::json::serialize(reply));
      out.kind = OutgoingMessage::Kind::reply;
      enqueue(std::move(out));
    }
    return true;
  }

  void enqueue(OutgoingMessage message) {
    if (message.kind == OutgoingMessage::Kind::echo) queued_echo_bytes_ += message.payload->size();
    outbox_.push_back(std::move(message));
    write_next();
  }

  void write_next() {
    if (writing_ || ending_ || outbox_.empty()) return;
    writing_ = true;
    const OutgoingMessage& message = outbox_.front();
    ws_.binary(message.binary);
    if (message.fragment_size == 0) {
      ws_.async_write(asio::buffer(*message.payload), beast::bind_front_handler(&Connection::on_written, self()));
    } else {
      fragment_offset_ = 0;
      write_fragment();
    }
  }

  void write_fragment() {
    const OutgoingMessage& message = outbox_.front();
    std::size_t remaining = message.payload->size() - fragment_offset_;
    std::size_t size = std::min(remaining, message.fragment_size);
    ws_.async_write_some(size == remaining, asio::buffer(message.payload->data() + fragment_offset_, size),
                         beast::bind_front_handler(&Connection::on_fragment_written, self()));
  }

  void on_fragment_written(error_code ec, std::size_t written) {
    if (!ec && !ending_) {
      fragment_offset_ += written;
      if (fragment_offset_ < outbox_.front().payload->size()) return write_fragment();
    }
    on_written(ec, written);
  }

  void on_written(error_code ec, std::size_t) {
    writing_ = false;
    if (ec) return log("write failed: " + ec.message());
    OutgoingMessage written = std::move(outbox_.front());
    outbox_.pop_front();
    switch (written.kind) {
      case OutgoingMessage::Kind::greeting: --greetings_left_; break;
      case OutgoingMessage::Kind::echo:
        ++echoed_;
        queued_echo_bytes_ -= written.payload->size();
        break;
      case OutgoingMessage::Kind::reply: break;
    }
    maybe_end_after_messages();
    write_next();
    read_next();
  }

  void maybe_end_after_messages() {
    if (plan_.end_after_messages && greetings_left_ == 0 && echoed_ >= *plan_.end_after_messages) end();
  }

  void end() {
    if (ending_) return;
    if (plan_.ending == Ending::close) close(plan_.close_code, plan_.close_reason);
    if (plan_.ending == Ending::drop) drop();
  }

  // The closing handshake runs alongside a pending read or write; Beast sequences the frames.
  void close(std::uint16_t code, const std::string& reason) {
    ending_ = true;
    timer_.cancel();
    log("closing with code " + std::to_string(code));
    websocket::close_reason close_reason(code);  // code 0: a close frame without a status code
    close_reason.reason.assign(reason.data(), reason.size());
    ws_.async_close(close_reason, [keep = self()](error_code ec) {
      keep->log(ec ? "close failed: " + ec.message() : std::string("closed"));
    });
  }

  // No close frame, no TLS close_notify: the TCP connection just ends.
  void drop() {
    ending_ = true;
    timer_.cancel();
    log("dropping the connection");
    beast::get_lowest_layer(ws_).close();
  }

  ServerState& state_;
  std::uint64_t id_;
  websocket::stream<Transport> ws_;
  asio::steady_timer timer_;

  beast::flat_buffer http_buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Request request_;
  http::response<http::string_body> response_;
  Plan plan_;
  std::array<char, 4096> drain_buffer_{};

  beast::flat_buffer read_buffer_;
  bool reading_ = false;
  bool awaiting_first_message_ = false;

  std::deque<OutgoingMessage> outbox_;
  bool writing_ = false;
  std::size_t fragment_offset_ = 0;
  std::size_t queued_echo_bytes_ = 0;
  std::size_t greetings_left_ = 0;
  std::uint64_t echoed_ = 0;
  bool ending_ = false;
};

}  // namespace

void start_connection(asio::ip::tcp::socket socket, ssl::context* tls, ServerState& state) {
  if (tls) {
    std::make_shared<Connection<true>>(state, std::move(socket), *tls)->start();
  } else {
    std::make_shared<Connection<false>>(state, std::move(socket))->start();
  }
}

}  // namespace tether_test_server
