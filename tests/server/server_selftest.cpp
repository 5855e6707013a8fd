// Checks tether-test-server through TestServer with a small synchronous Beast client: each
// behaviour the other suites rely on, seen from the wire.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "test_server.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using beast::error_code;
using tether_test::TestServer;

using PlainWebSocket = websocket::stream<tcp::socket>;
using TlsWebSocket = websocket::stream<beast::ssl_stream<tcp::socket>>;

const asio::ip::address kLoopback4 = asio::ip::make_address("127.0.0.1");
const asio::ip::address kLoopback6 = asio::ip::make_address("::1");

struct HandshakeResult {
  error_code ec;
  unsigned status = 0;
  std::string subprotocol;
};

template <class WebSocket>
HandshakeResult handshake(WebSocket& ws, const std::string& host, const std::string& target,
                          const std::string& offered_subprotocols = {}) {
  if (!offered_subprotocols.empty()) {
    ws.set_option(websocket::stream_base::decorator([offered_subprotocols](websocket::request_type& req) {
      req.set(http::field::sec_websocket_protocol, offered_subprotocols);
    }));
  }
  websocket::response_type response;
  HandshakeResult result;
  ws.handshake(response, host, target, result.ec);
  result.status = response.result_int();
  result.subprotocol = std::string(response[http::field::sec_websocket_protocol]);
  return result;
}

std::unique_ptr<PlainWebSocket> open_plain(asio::io_context& io, const asio::ip::address& address, std::uint16_t port,
                                           const std::string& target, HandshakeResult* result = nullptr,
                                           const std::string& offered_subprotocols = {}) {
  auto ws = std::make_unique<PlainWebSocket>(io);
  ws->next_layer().connect(tcp::endpoint(address, port));
  std::string host = address.is_v6() ? "[::1]" : "127.0.0.1";
  HandshakeResult outcome = handshake(*ws, host + ":" + std::to_string(port), target, offered_subprotocols);
  if (result) {
    *result = outcome;
  } else {
    REQUIRE(outcome.ec == error_code{});
  }
  return ws;
}

ssl::context client_tls(const TestServer& server, bool with_client_certificate) {
  ssl::context context(ssl::context::tls_client);
  context.load_verify_file(server.ca_file);
  context.set_verify_mode(ssl::verify_peer);
  if (with_client_certificate) {
    context.use_certificate_chain_file(server.client_cert_file);
    context.use_private_key_file(server.client_key_file, ssl::context::pem);
  }
  return context;
}

// Connects to 127.0.0.1:port verifying the peer as "localhost"; returns the TLS handshake error.
error_code open_tls(TlsWebSocket& ws, std::uint16_t port) {
  beast::get_lowest_layer(ws).connect(tcp::endpoint(kLoopback4, port));
  SSL_set_tlsext_host_name(ws.next_layer().native_handle(), "localhost");
  ws.next_layer().set_verify_callback(ssl::host_name_verification("localhost"));
  error_code ec;
  ws.next_layer().handshake(ssl::stream_base::client, ec);
  return ec;
}

template <class WebSocket>
std::string read_message(WebSocket& ws, bool* binary = nullptr) {
  beast::flat_buffer buffer;
  ws.read(buffer);
  if (binary) *binary = ws.got_binary();
  return beast::buffers_to_string(buffer.data());
}

template <class WebSocket>
void check_echo(WebSocket& ws) {
  bool binary = true;
  ws.text(true);
  ws.write(asio::buffer(std::string("hello, tether")));
  CHECK(read_message(ws, &binary) == "hello, tether");
  CHECK_FALSE(binary);

  const std::string bytes("\x00\x01\xff\xfe binary", 11);
  ws.binary(true);
  ws.write(asio::buffer(bytes));
  CHECK(read_message(ws, &binary) == bytes);
  CHECK(binary);
  ws.close(websocket::close_code::normal);
}

void check_tls_echo(asio::io_context& io, ssl::context& tls, std::uint16_t port) {
  TlsWebSocket ws(io, tls);
  REQUIRE(open_tls(ws, port) == error_code{});
  REQUIRE(handshake(ws, "localhost", "/echo").ec == error_code{});
  check_echo(ws);
}

std::string digits(std::size_t size) {
  std::string out;
  for (std::size_t i = 0; i < size; ++i) out.push_back(static_cast<char>('0' + i % 10));
  return out;
}

}  // namespace

TEST_CASE("echo over ws, ws6 and wss") {
  TestServer server;
  asio::io_context io;

  SECTION("ws") { check_echo(*open_plain(io, kLoopback4, server.ws_port, "/echo")); }

  SECTION("ws6") {
    if (server.ws6_port == 0) {
      WARN("no IPv6 loopback on this machine: ws6 not checked");
      return;
    }
    check_echo(*open_plain(io, kLoopback6, server.ws6_port, "/echo"));
  }

  SECTION("wss, verified with the CA file") {
    ssl::context tls = client_tls(server, false);
    check_tls_echo(io, tls, server.wss_port);
  }

  SECTION("url helpers") {
    CHECK(server.ws_url("/echo") == "ws://127.0.0.1:" + std::to_string(server.ws_port) + "/echo");
    CHECK(server.ws6_url("/echo?x=1") == "ws://[::1]:" + std::to_string(server.ws6_port) + "/echo?x=1");
    CHECK(server.wss_url("/echo") == "wss://localhost:" + std::to_string(server.wss_port) + "/echo");
  }
}

TEST_CASE("TLS listeners present the certificates their names promise") {
  TestServer server;
  asio::io_context io;
  ssl::context tls = client_tls(server, false);

  for (std::uint16_t port : {server.wss_wrong_host_port, server.wss_expired_port, server.wss_self_signed_port}) {
    TlsWebSocket ws(io, tls);
    CHECK(open_tls(ws, port) != error_code{});
  }

  SECTION("mutual TLS with the client certificate") {
    ssl::context mtls = client_tls(server, true);
    check_tls_echo(io, mtls, server.wss_mtls_port);
  }

  SECTION("mutual TLS without a client certificate is refused") {
    // With TLS 1.3 the refusal may only arrive after the client's side of the handshake.
    TlsWebSocket ws(io, tls);
    error_code ec = open_tls(ws, server.wss_mtls_port);
    if (!ec) ec = handshake(ws, "localhost", "/echo").ec;
    CHECK(ec != error_code{});
  }
}

TEST_CASE("handshake answers: auth, reject, unknown path, subprotocols, headers") {
  TestServer server;
  asio::io_context io;
  HandshakeResult result;

  open_plain(io, kLoopback4, server.ws_port, "/auth/query?param=access_token&expect=s3cr%2Bt&access_token=wrong", &result);
  CHECK(result.status == 401);
  open_plain(io, kLoopback4, server.ws_port, "/auth/query?param=access_token&expect=s3cr%2Bt&access_token=s3cr%2bt", &result);
  CHECK(result.status == 101);

  open_plain(io, kLoopback4, server.ws_port, "/reject?status=503", &result);
  CHECK(result.status == 503);
  open_plain(io, kLoopback4, server.ws_port, "/nowhere", &result);
  CHECK(result.status == 404);
  open_plain(io, kLoopback4, server.ws_port, "/send?size=big", &result);
  CHECK(result.status == 400);

  open_plain(io, kLoopback4, server.ws_port, "/echo", &result, "chat, superchat");
  CHECK(result.subprotocol == "chat");
  open_plain(io, kLoopback4, server.ws_port, "/echo?select=superchat", &result, "chat, superchat");
  CHECK(result.subprotocol == "superchat");
  open_plain(io, kLoopback4, server.ws_port, "/echo?select=", &result, "chat");
  CHECK(result.status == 101);
  CHECK(result.subprotocol.empty());

  open_plain(io, kLoopback4, server.ws_port, "/auth/subprotocol?expect=tok", &result, "graphql-ws, nottok");
  CHECK(result.status == 401);
  open_plain(io, kLoopback4, server.ws_port, "/auth/subprotocol?expect=tok", &result, "tok, graphql-ws");
  CHECK(result.status == 101);
  CHECK(result.subprotocol == "graphql-ws");

  auto ws = open_plain(io, kLoopback4, server.ws_port, "/headers?a=1", nullptr, "p1");
  std::string description = read_message(*ws);
  CHECK_THAT(description, Catch::Contains("\"target\":\"/headers?a=1\""));
  CHECK_THAT(description, Catch::Contains("\"sec-websocket-protocol\":\"p1\""));
  check_echo(*ws);
}

TEST_CASE("first-message authentication") {
  TestServer server;
  asio::io_context io;

  auto good = open_plain(io, kLoopback4, server.ws_port, "/auth/first-message?expect=abc&type=auth&reply=auth_ok");
  good->write(asio::buffer(std::string(R"({"type":"auth","token":"abc"})")));
  CHECK(read_message(*good) == R"({"type":"auth_ok"})");
  check_echo(*good);

  auto bad = open_plain(io, kLoopback4, server.ws_port, "/auth/first-message?expect=abc&type=auth");
  bad->write(asio::buffer(std::string(R"({"type":"auth","token":"xyz"})")));
  beast::flat_buffer buffer;
  error_code ec;
  bad->read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(bad->reason().code == 1008);
  CHECK(bad->reason().reason == "auth failed");
}

TEST_CASE("/close and /drop end the connection as asked") {
  TestServer server;
  asio::io_context io;
  beast::flat_buffer buffer;
  error_code ec;

  auto closing = open_plain(io, kLoopback4, server.ws_port, "/close?code=4001&reason=going%20away&after_messages=1");
  closing->write(asio::buffer(std::string("one")));
  CHECK(read_message(*closing) == "one");
  closing->read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(closing->reason().code == 4001);
  CHECK(closing->reason().reason == "going away");

  auto timed = open_plain(io, kLoopback4, server.ws_port, "/close?after_ms=50");
  timed->read(buffer, ec);
  CHECK(ec == websocket::error::closed);
  CHECK(timed->reason().code == 1000);

  auto dropped = open_plain(io, kLoopback4, server.ws_port, "/drop?after_messages=1");
  dropped->write(asio::buffer(std::string("last")));
  CHECK(read_message(*dropped) == "last");
  dropped->read(buffer, ec);
  CHECK(ec);
  CHECK(ec != websocket::error::closed);
}

TEST_CASE("/send delivers the pattern, fragmented when asked") {
  TestServer server;
  asio::io_context io;

  SECTION("reassembled by the client") {
    auto ws = open_plain(io, kLoopback4, server.ws_port, "/send?size=100000&count=2&binary=1&frag=4096");
    bool binary = false;
    CHECK(read_message(*ws, &binary) == digits(100000));
    CHECK(binary);
    CHECK(read_message(*ws, &binary) == digits(100000));
    check_echo(*ws);
  }

  SECTION("frame by frame on the wire") {
    // A raw client, so that the frames are seen as sent: no deflate offered, nothing reassembled.
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(kLoopback4, server.ws_port));
    asio::write(socket, asio::buffer(std::string(
                            "GET /send?size=25&frag=10 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Version: 13\r\n\r\n")));
    std::string received;
    std::size_t header_end = asio::read_until(socket, asio::dynamic_buffer(received), "\r\n\r\n");
    REQUIRE(received.rfind("HTTP/1.1 101", 0) == 0);
    received.erase(0, header_end);

    struct Frame {
      int opcode;
      bool fin;
      std::string payload;
    };
    std::vector<Frame> frames;
    while (frames.empty() || !frames.back().fin) {
      if (received.size() < 2) asio::read(socket, asio::dynamic_buffer(received), asio::transfer_exactly(2 - received.size()));
      std::size_t length = static_cast<unsigned char>(received[1]) & 0x7f;
      REQUIRE(length < 126);  // small frames only in this test
      if (received.size() < 2 + length)
        asio::read(socket, asio::dynamic_buffer(received), asio::transfer_exactly(2 + length - received.size()));
      frames.push_back({received[0] & 0x0f, (received[0] & 0x80) != 0, received.substr(2, length)});
      received.erase(0, 2 + length);
    }
    REQUIRE(frames.size() == 3);
    CHECK(frames[0].opcode == 1);
    CHECK(frames[1].opcode == 0);
    CHECK(frames[2].opcode == 0);
    CHECK(frames[0].payload + frames[1].payload + frames[2].payload == digits(25));
    CHECK(frames[2].payload.size() == 5);
  }
}

TEST_CASE("/flaky fails the first connections of a key, then echoes") {
  TestServer server;
  asio::io_context io;
  beast::flat_buffer buffer;
  error_code ec;

  const std::string target = "/flaky?key=selftest&fail_first=2&mode=close&code=4002";
  for (int connection = 1; connection <= 2; ++connection) {
    auto ws = open_plain(io, kLoopback4, server.ws_port, target);
    CHECK(read_message(*ws) == "{\"connection\":" + std::to_string(connection) + "}");
    ws->read(buffer, ec);
    CHECK(ec == websocket::error::closed);
    CHECK(ws->reason().code == 4002);
  }
  auto healthy = open_plain(io, kLoopback4, server.ws_port, target);
  CHECK(read_message(*healthy) == "{\"connection\":3}");
  check_echo(*healthy);

  auto other_key = open_plain(io, kLoopback4, server.ws_port, "/flaky?key=other&fail_first=1&after_messages=1");
  CHECK(read_message(*other_key) == "{\"connection\":1}");
  other_key->write(asio::buffer(std::string("x")));
  CHECK(read_message(*other_key) == "x");
  other_key->read(buffer, ec);
  CHECK(ec);
  CHECK(ec != websocket::error::closed);
}

namespace {

void send_text(PlainWebSocket& ws, const std::string& text) {
  ws.text(true);
  ws.write(asio::buffer(text));
}

// One JSON text message out, the next message in.
std::string round_trip(PlainWebSocket& ws, const std::string& text) {
  send_text(ws, text);
  return read_message(ws);
}

std::string subscribers(PlainWebSocket& ws, const std::string& channel) {
  return round_trip(ws, R"({"type":"request","method":"subscribers","payload":{"channel":")" + channel + R"("},"id":"n"})");
}

std::string count_answer(int count) {
  return R"({"type":"response","id":"n","payload":{"count":)" + std::to_string(count) + "}}";
}

// True when the server ended the TCP connection without a close frame.
bool dropped(PlainWebSocket& ws) {
  beast::flat_buffer buffer;
  error_code ec;
  ws.read(buffer, ec);
  return ec && ec != websocket::error::closed;
}

}  // namespace

TEST_CASE("/json: subscribe, publish and unsubscribe across connections") {
  TestServer server;
  asio::io_context io;
  auto a = open_plain(io, kLoopback4, server.ws_port, "/json");
  auto b = open_plain(io, kLoopback4, server.ws_port, "/json");

  CHECK(round_trip(*a, R"({"type":"subscribe","channel":"news","id":"s1"})") ==
        R"({"type":"subscribed","channel":"news","id":"s1"})");
  CHECK(round_trip(*b, R"({"type":"subscribe","channel":"news","id":"s2","payload":{"since":0},"timestamp":1700000000000})") ==
        R"({"type":"subscribed","channel":"news","id":"s2"})");
  CHECK(subscribers(*a, "news") == count_answer(2));

  // The publisher is subscribed too: its copy comes before its "published" answer.
  send_text(*b, R"({"type":"publish","channel":"news","payload":{"n":1},"id":"p1"})");
  CHECK(read_message(*b) == R"({"type":"message","channel":"news","payload":{"n":1}})");
  CHECK(read_message(*b) == R"({"type":"published","channel":"news","id":"p1"})");
  CHECK(read_message(*a) == R"({"type":"message","channel":"news","payload":{"n":1}})");

  // Without an id there is no answer, and publications keep their order.
  for (int n = 2; n <= 4; ++n) send_text(*a, R"({"type":"publish","channel":"news","payload":{"n":)" + std::to_string(n) + "}}");
  for (int n = 2; n <= 4; ++n) {
    std::string expected = R"({"type":"message","channel":"news","payload":{"n":)" + std::to_string(n) + "}}";
    CHECK(read_message(*a) == expected);
    CHECK(read_message(*b) == expected);
  }

  SECTION("unsubscribe") {
    CHECK(round_trip(*b, R"({"type":"unsubscribe","channel":"news","id":"u1"})") ==
          R"({"type":"unsubscribed","channel":"news","id":"u1"})");
    CHECK(subscribers(*a, "news") == count_answer(1));
    send_text(*a, R"({"type":"publish","channel":"news","payload":"only a"})");
    CHECK(read_message(*a) == R"({"type":"message","channel":"news","payload":"only a"})");
    // a has seen its copy, so b's would already be queued before this pong.
    CHECK(round_trip(*b, R"({"type":"ping","id":"after"})") == R"({"type":"pong","id":"after"})");
  }

  SECTION("a subscription lasts as long as its connection") {
    auto c = open_plain(io, kLoopback4, server.ws_port, "/json");
    CHECK(round_trip(*c, R"({"type":"subscribe","channel":"news"})") == R"({"type":"subscribed","channel":"news"})");
    CHECK(subscribers(*a, "news") == count_answer(3));
    send_text(*c, R"({"type":"request","method":"drop","id":"d"})");
    CHECK(dropped(*c));
    CHECK(subscribers(*a, "news") == count_answer(2));
  }

  SECTION("forbidden channels are refused") {
    CHECK(round_trip(*a, R"({"type":"subscribe","channel":"forbidden/admin","id":"f1"})") ==
          R"({"type":"error","channel":"forbidden/admin","id":"f1","payload":{"message":"subscription to forbidden/admin refused"}})");
    CHECK(subscribers(*a, "forbidden/admin") == count_answer(0));
  }
}

TEST_CASE("/json: requests") {
  TestServer server;
  asio::io_context io;
  auto ws = open_plain(io, kLoopback4, server.ws_port, "/json");

  CHECK(round_trip(*ws, R"({"type":"request","method":"echo","payload":{"x":[1,2,"three"],"y":null},"id":"r1"})") ==
        R"({"type":"response","id":"r1","payload":{"x":[1,2,"three"],"y":null}})");
  CHECK(round_trip(*ws, R"({"type":"request","method":"add","payload":{"a":2,"b":40},"id":"r2"})") ==
        R"({"type":"response","id":"r2","payload":{"sum":42}})");
  CHECK(round_trip(*ws, R"({"type":"request","method":"add","payload":{"a":"2","b":40},"id":"r3"})") ==
        R"({"type":"response","id":"r3","error":{"code":400,"message":"add needs payload {\"a\": number, \"b\": number}"}})");
  CHECK(round_trip(*ws, R"({"type":"request","method":"fail","payload":{},"id":"r4"})") ==
        R"({"type":"response","id":"r4","error":{"code":400,"message":"request failed on purpose"}})");
  CHECK(round_trip(*ws, R"({"type":"request","method":"frobnicate","payload":1,"id":"r5"})") ==
        R"({"type":"response","id":"r5","error":{"code":404,"message":"unknown method frobnicate"}})");

  SECTION("a slow request does not hold up a later one") {
    auto start = std::chrono::steady_clock::now();
    send_text(*ws, R"({"type":"request","method":"slow","payload":{"delay_ms":300,"tag":"s"},"id":"slow"})");
    send_text(*ws, R"({"type":"request","method":"echo","payload":"quick","id":"fast"})");
    CHECK(read_message(*ws) == R"({"type":"response","id":"fast","payload":"quick"})");
    CHECK(read_message(*ws) == R"({"type":"response","id":"slow","payload":{"delay_ms":300,"tag":"s"}})");
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(290));
  }

  SECTION("never is never answered") {
    send_text(*ws, R"({"type":"request","method":"never","id":"n1"})");
    CHECK(round_trip(*ws, R"({"type":"request","method":"echo","payload":2,"id":"r6"})") ==
          R"({"type":"response","id":"r6","payload":2})");
  }

  SECTION("drop ends the TCP connection without a close frame") {
    send_text(*ws, R"({"type":"request","method":"drop","id":"d"})");
    CHECK(dropped(*ws));
  }
}

TEST_CASE("/json: ping and malformed messages") {
  TestServer server;
  asio::io_context io;
  auto ws = open_plain(io, kLoopback4, server.ws_port, "/json");

  CHECK(round_trip(*ws, R"({"type":"ping","id":"p1"})") == R"({"type":"pong","id":"p1"})");
  CHECK(round_trip(*ws, R"({"type":"ping"})") == R"({"type":"pong"})");

  CHECK_THAT(round_trip(*ws, "not json {"), Catch::StartsWith(R"({"type":"error","payload":{"message":"not JSON: )"));
  CHECK(round_trip(*ws, "[1,2]") == R"({"type":"error","payload":{"message":"not a JSON object"}})");
  CHECK(round_trip(*ws, R"({"id":"x","payload":1})") == R"({"type":"error","id":"x","payload":{"message":"no \"type\" field"}})");
  CHECK(round_trip(*ws, R"({"type":"bogus"})") == R"({"type":"error","payload":{"message":"unknown type \"bogus\""}})");
  CHECK(round_trip(*ws, R"({"type":"subscribe","id":"s"})") ==
        R"({"type":"error","id":"s","payload":{"message":"subscribe needs a string \"channel\""}})");
  ws->binary(true);
  ws->write(asio::buffer(std::string(R"({"type":"ping"})")));
  CHECK_THAT(read_message(*ws), Catch::StartsWith(R"({"type":"error","payload":{"message":"expected a text frame)"));

  // Still served after all that.
  CHECK(round_trip(*ws, R"({"type":"ping","id":"p2"})") == R"({"type":"pong","id":"p2"})");
  ws->close(websocket::close_code::normal);
}

TEST_CASE("/json: drop_after_messages drops only the first connection of a key") {
  TestServer server;
  asio::io_context io;
  const std::string target = "/json?key=resubscribe&drop_after_messages=2";

  auto first = open_plain(io, kLoopback4, server.ws_port, target);
  CHECK(round_trip(*first, R"({"type":"subscribe","channel":"room","id":"s1"})") ==
        R"({"type":"subscribed","channel":"room","id":"s1"})");
  send_text(*first, R"({"type":"ping","id":"p"})");  // the second message: dropped, unanswered
  CHECK(dropped(*first));

  auto second = open_plain(io, kLoopback4, server.ws_port, target);
  CHECK(round_trip(*second, R"({"type":"subscribe","channel":"room","id":"s2"})") ==
        R"({"type":"subscribed","channel":"room","id":"s2"})");
  for (int i = 0; i < 3; ++i) CHECK(round_trip(*second, R"({"type":"ping"})") == R"({"type":"pong"})");
  CHECK(subscribers(*second, "room") == count_answer(1));

  auto publisher = open_plain(io, kLoopback4, server.ws_port, "/json");
  send_text(*publisher, R"({"type":"publish","channel":"room","payload":"back"})");
  CHECK(read_message(*second) == R"({"type":"message","channel":"room","payload":"back"})");

  HandshakeResult result;
  open_plain(io, kLoopback4, server.ws_port, "/json?drop_after_messages=1", &result);
  CHECK(result.status == 400);
  open_plain(io, kLoopback4, server.ws_port, "/json?push_ms=10", &result);
  CHECK(result.status == 400);
}

TEST_CASE("/json: push_ms publishes ticks to a channel") {
  TestServer server;
  asio::io_context io;
  auto ws = open_plain(io, kLoopback4, server.ws_port, "/json?push_ms=20&push_channel=ticks");
  CHECK(round_trip(*ws, R"({"type":"subscribe","channel":"ticks"})") == R"({"type":"subscribed","channel":"ticks"})");

  const std::string prefix = R"({"type":"message","channel":"ticks","payload":{"tick":)";
  auto tick = [&] {
    std::string message = read_message(*ws);
    REQUIRE(message.rfind(prefix, 0) == 0);
    return std::stoi(message.substr(prefix.size()));
  };
  int first = tick();
  CHECK(first >= 1);
  CHECK(tick() == first + 1);
  CHECK(tick() == first + 2);
}

namespace {

// A raw upgrade request for `target` with the RFC 6455 sample key; returns what came back up to
// and including the blank line, and leaves what followed it in `rest`.
std::string raw_upgrade(tcp::socket& socket, const std::string& target, std::string& rest) {
  asio::write(socket, asio::buffer("GET " + target +
                                   " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  std::string received;
  std::size_t header_end = asio::read_until(socket, asio::dynamic_buffer(received), "\r\n\r\n");
  rest = received.substr(header_end);
  return received.substr(0, header_end);
}

// The accept value RFC 6455 gives for its sample key.
constexpr const char* kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

}  // namespace

TEST_CASE("bad peers: answers that are not an upgrade, slow answers, malformed frames") {
  TestServer server;
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(kLoopback4, server.ws_port));
  std::string rest;

  SECTION("/not-websocket?answer=html: a 200 page, then the server closes") {
    std::string head = raw_upgrade(socket, "/not-websocket?answer=html", rest);
    CHECK(head.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(head.find("Content-Type: text/html") != std::string::npos);
    error_code ec;
    asio::read(socket, asio::dynamic_buffer(rest), ec);
    CHECK(ec == asio::error::eof);
    CHECK(rest.find("<html>") != std::string::npos);
  }
  SECTION("/not-websocket?answer=bad-accept and no-accept") {
    const bool bad = GENERATE(true, false);
    std::string head = raw_upgrade(socket, bad ? "/not-websocket?answer=bad-accept" : "/not-websocket?answer=no-accept", rest);
    CHECK(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
    CHECK(head.find(kSampleAccept) == std::string::npos);
    CHECK((head.find("Sec-WebSocket-Accept:") != std::string::npos) == bad);
  }
  SECTION("/not-websocket with an unknown answer: 400") {
    CHECK(raw_upgrade(socket, "/not-websocket?answer=teapot", rest).rfind("HTTP/1.1 400", 0) == 0);
  }
  SECTION("/slow-upgrade: the right answer, one byte at a time") {
    auto start = std::chrono::steady_clock::now();
    std::string head = raw_upgrade(socket, "/slow-upgrade?byte_ms=2", rest);
    CHECK(head.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
    CHECK(head.find(std::string("Sec-WebSocket-Accept: ") + kSampleAccept + "\r\n") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(2 * (head.size() - 1)));
  }
  SECTION("/bad-frame: the frame as documented, then the server closes after the client's close frame") {
    std::string head = raw_upgrade(socket, "/bad-frame?kind=masked", rest);
    REQUIRE(head.rfind("HTTP/1.1 101", 0) == 0);
    if (rest.size() < 8) asio::read(socket, asio::dynamic_buffer(rest), asio::transfer_exactly(8 - rest.size()));
    CHECK(rest == std::string("\x81\x82\x11\x22\x33\x44", 6) + char('h' ^ 0x11) + char('i' ^ 0x22));
    // A masked close frame 1002, as a client sends it.
    asio::write(socket, asio::buffer(std::string("\x88\x82\x00\x00\x00\x00\x03\xea", 8)));
    error_code ec;
    std::string after;
    asio::read(socket, asio::dynamic_buffer(after), ec);
    CHECK(after.empty());
    CHECK((ec == asio::error::eof || ec == asio::error::connection_reset));
  }
  SECTION("/bad-frame with an unknown kind: 400") {
    CHECK(raw_upgrade(socket, "/bad-frame?kind=nonsense", rest).rfind("HTTP/1.1 400", 0) == 0);
  }
}
