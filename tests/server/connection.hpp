// One accepted TCP connection: optional TLS handshake, the HTTP upgrade request, then whatever
// the Plan for its path says. Each connection owns itself through shared_from_this and lives
// exactly as long as one of its asynchronous operations is pending.
#pragma once

#include "server_state.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace tether_test_server {

// Starts serving `socket`; with `tls` set, a TLS handshake with that context comes first.
// `tls` and `state` must outlive the io_context the socket belongs to.
void start_connection(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context* tls, ServerState& state);

}  // namespace tether_test_server
