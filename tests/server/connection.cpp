#include "connection.hpp"

#include "json_protocol.hpp"
#include "plan.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/json.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <list>
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
class Connection : public std::enable_shared_from_this<Connection<Tls>>, public JsonPeer {
  using Transport = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  template <class... TransportArgs>
  explicit Connection(ServerState& state, TransportArgs&&... transport_args)
      : state_(state),
        id_(state.next_connection_id++),
        ws_(std::forward<TransportArgs>(transport_args)...),
        timer_(ws_.get_executor()) {}

  ~Connection() {
    if (plan_.json) state_.json.leave_all(id_);
  }

  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

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
    if (plan_.raw_answer) return write_raw_answer();
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

  // --- Bad peers: raw bytes below the WebSocket layer ------------------------------------------

  // /not-websocket, /slow-upgrade: the HTTP answer as written in the plan, at once or one byte
  // per gap; then like a refusal (html) or held open without a word (a 101 the client must judge).
  void write_raw_answer() {
    const std::string& answer = *plan_.raw_answer;
    if (raw_offset_ == answer.size()) {
      log("raw answer written");
      if (plan_.raw_answer_closes) return on_refused({}, 0);
      return drain_transport();
    }
    const bool slow = plan_.raw_answer_byte_gap.count() > 0;
    const std::size_t size = slow ? 1 : answer.size() - raw_offset_;
    asio::async_write(ws_.next_layer(), asio::buffer(answer.data() + raw_offset_, size),
                      [keep = self(), slow](error_code ec, std::size_t written) {
                        if (ec) return keep->log("writing the raw answer failed: " + ec.message());
                        keep->raw_offset_ += written;
                        if (!slow) return keep->write_raw_answer();
                        keep->timer_.expires_after(keep->plan_.raw_answer_byte_gap);
                        keep->timer_.async_wait([keep](error_code wait_ec) {
                          if (!wait_ec) keep->write_raw_answer();
                        });
                      });
  }

  // /bad-frame and /close-burst: the frames go straight to the transport after the upgrade. The
  // client answers with a close frame (1002 or 1007 for a bad frame, its own close for a burst)
  // and waits for the server to close TCP: the server does so once that close frame has arrived,
  // or never with hold=1.
  void write_raw_frame() {
    asio::async_write(ws_.next_layer(), asio::buffer(*plan_.raw_frame), [keep = self()](error_code ec, std::size_t) {
      if (ec) return keep->log("writing the raw frames failed: " + ec.message());
      keep->log("raw frames written");
      if (keep->plan_.hold_after_raw_frame) return keep->drain_transport();
      keep->ws_.next_layer().async_read_some(asio::buffer(keep->drain_buffer_), [keep](error_code, std::size_t) {
        keep->log("closing after the raw frames");
        error_code ignored;
        beast::get_lowest_layer(keep->ws_).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
        beast::get_lowest_layer(keep->ws_).close();
      });
    });
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
    if (plan_.raw_frame) return write_raw_frame();
    if (plan_.json) {
      if (plan_.json->push_channel)
        state_.json.start_ticker(ws_.get_executor(), *plan_.json->push_channel, plan_.json->push_period);
      if (plan_.json->drop_after_messages == 0u) return drop();
    }

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
      leave_json();
      if (ending_) return;  // our own close or drop finished the read
      if (ec == websocket::error::closed)
        return log("closed by the client with code " + std::to_string(ws_.reason().code));
      return log("read failed: " + ec.message());
    }
    auto message = std::make_shared<const std::string>(beast::buffers_to_string(read_buffer_.data()));
    bool binary = !ws_.got_text();
    read_buffer_.consume(read_buffer_.size());
    if (read_buffer_.capacity() > kKeptReadBufferBytes) read_buffer_.shrink_to_fit();

    if (plan_.json) {
      if (!on_json_message(*message, binary)) return;
    } else if (awaiting_first_message_) {
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

  // --- /json ------------------------------------------------------------------------------------

  // Returns false when the connection is being dropped.
  bool on_json_message(const std::string& message, bool binary) {
    ++json_received_;
    if (plan_.json->drop_after_messages && json_received_ >= *plan_.json->drop_after_messages) {
      log("dropping after " + std::to_string(json_received_) + " messages, the last one unanswered");
      drop();
      return false;
    }
    JsonOutcome outcome = answer_json_message(message, binary, state_.json);
    if (outcome.subscribe) state_.json.subscribe(*outcome.subscribe, id_, self());
    if (outcome.unsubscribe) state_.json.unsubscribe(*outcome.unsubscribe, id_);
    if (outcome.publish)
      state_.json.publish(outcome.publish->channel, std::make_shared<const std::string>(std::move(outcome.publish->text)));
    for (std::string& reply : outcome.replies) send_text(std::make_shared<const std::string>(std::move(reply)));
    if (outcome.delayed_reply) send_later(outcome.delayed_reply->delay, std::move(outcome.delayed_reply->text));
    if (outcome.drop) {
      log("dropping on request");
      drop();
      return false;
    }
    return true;
  }

  // A publication on a channel this connection listens on (JsonPeer).
  void deliver(std::shared_ptr<const std::string> text) override { send_text(std::move(text)); }

  void send_text(std::shared_ptr<const std::string> text) {
    if (ending_) return;
    OutgoingMessage out;
    out.payload = std::move(text);
    out.kind = OutgoingMessage::Kind::reply;
    enqueue(std::move(out));
  }

  // One timer per delayed answer, so that several can be pending while reading goes on.
  void send_later(std::chrono::milliseconds delay, std::string text) {
    auto timer = delayed_timers_.emplace(delayed_timers_.end(), ws_.get_executor());
    timer->expires_after(delay);
    timer->async_wait([keep = self(), timer, text = std::make_shared<const std::string>(std::move(text))](error_code ec) {
      keep->delayed_timers_.erase(timer);
      if (!ec) keep->send_text(text);
    });
  }

  // The connection is over for the json protocol: its subscriptions and delayed answers go.
  void leave_json() {
    if (!plan_.json) return;
    state_.json.leave_all(id_);
    for (asio::steady_timer& timer : delayed_timers_) timer.cancel();
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
    leave_json();
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
    leave_json();
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
  std::size_t raw_offset_ = 0;  // bytes of plan_.raw_answer written so far

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

  std::uint64_t json_received_ = 0;                // /json: messages read, for drop_after_messages
  std::list<asio::steady_timer> delayed_timers_;   // /json: pending "slow" answers
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
