// Accepts TCP connections on one loopback endpoint and hands each to start_connection().
#pragma once

#include "server_state.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <memory>

namespace tether_test_server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Binds and listens at once; throws boost::system::system_error when it cannot.
  // `tls` (null for plain ws) and `state` must outlive the io_context.
  Listener(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
           boost::asio::ssl::context* tls, ServerState& state);

  std::uint16_t port() const;
  void start();

 private:
  void accept_next();

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::ssl::context* tls_;
  ServerState& state_;
};

}  // namespace tether_test_server
