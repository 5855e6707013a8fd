#include "listener.hpp"

#include "connection.hpp"

#include <boost/asio/ip/v6_only.hpp>

#include <chrono>

namespace tether_test_server {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

Listener::Listener(asio::io_context& io, const tcp::endpoint& endpoint, asio::ssl::context* tls, ServerState& state)
    : acceptor_(io), retry_timer_(io), tls_(tls), state_(state) {
  acceptor_.open(endpoint.protocol());
  if (endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() { accept_next(); }

void Listener::accept_next() {
  acceptor_.async_accept([self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (ec) {
      // Typically EMFILE: give connections a moment to go away instead of spinning.
      log_line("accept failed: " + ec.message());
      self->retry_timer_.expires_after(std::chrono::milliseconds(50));
      self->retry_timer_.async_wait([self](boost::system::error_code wait_ec) {
        if (!wait_ec) self->accept_next();
      });
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    start_connection(std::move(socket), self->tls_, self->state_);
    self->accept_next();
  });
}

}  // namespace tether_test_server
