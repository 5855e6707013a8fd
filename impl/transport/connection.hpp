// impl/transport: one WebSocket connection over TCP or TLS, optionally through an HTTP CONNECT
// proxy. It knows nothing of auth, reconnects or channels: the session layer above drives it.
//
// Threading: a Connection is created on an executor (the session's strand). Every method must be
// called on that executor and every handler runs on it. At most one read, one write and one
// control operation (ping or close) may be outstanding at a time, as with Beast itself.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "impl/common/error.hpp"
#include "impl/common/url.hpp"

namespace tether::transport {

// Everything needed to open one connection. The target already carries any auth query
// parameter and the subprotocols any auth token: the transport does not know which is secret.
struct ConnectParams {
    WsUrl url;
    std::string target;  // path + query actually requested
    std::vector<std::string> subprotocols;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string user_agent;
    bool per_message_deflate = false;
    std::optional<ProxyUrl> proxy;
    std::shared_ptr<boost::asio::ssl::context> tls;  // required for wss://
    int64_t connect_timeout_ms = 10000;
    int64_t handshake_timeout_ms = 10000;
    // How long the end of a connection waits for the peer to close TCP (and TLS) after the
    // WebSocket layer is done with it: after a close handshake, or after failing the connection.
    int64_t close_timeout_ms = 5000;
    uint64_t max_message_size = 16u << 20;
};

// How a connection attempt or an open connection ended, as the session needs it to decide
// whether to reconnect.
struct Failure {
    Error error;                 // status + message for the ERROR event (TETHER_OK for a close frame)
    int32_t close_code = 1006;   // from the peer's close frame, or 1006 when there was none
    std::string close_reason;
    bool clean = false;          // a complete closing handshake
    int32_t http_status = 0;     // the refused upgrade's status, when there was one
};

// One message of a batch handed to Connection::async_write. The bytes belong to the caller.
struct OutgoingMessage {
    bool binary = false;
    std::string_view data;
};

struct OpenInfo {
    std::string subprotocol;  // negotiated, "" when none
};

class Connection {
public:
    using OpenHandler = std::function<void(const Failure *failure, OpenInfo info)>;
    using ReadHandler = std::function<void(const Failure *failure, bool binary, std::string data)>;
    using DoneHandler = std::function<void(const Failure *failure)>;
    using PongHandler = std::function<void(std::string_view payload)>;

    virtual ~Connection() = default;

    // Resolves, connects (connect_timeout), tunnels through the proxy, handshakes TLS and then
    // WebSocket (handshake_timeout). failure is null on success.
    virtual void async_open(OpenHandler handler) = 0;
    // Reads one whole message (fragments reassembled). A close frame from the peer ends the read
    // with a Failure whose error is TETHER_OK and whose code/reason/clean come from the frame.
    virtual void async_read(ReadHandler handler) = 0;
    // Writes the messages in order, as one socket write where they fit (each is still its own
    // WebSocket message): one syscall for a burst instead of one per message. The handler runs
    // once, when all are written or the first failed. The bytes the messages point to must stay
    // valid until the handler runs; the vector itself is copied.
    virtual void async_write(const std::vector<OutgoingMessage> &messages, DoneHandler handler) = 0;
    virtual void async_ping(std::string payload, DoneHandler handler) = 0;
    // Sends a close frame and waits for the peer's. Bounded by the caller (abort()).
    virtual void async_close(int32_t code, std::string reason, DoneHandler handler) = 0;
    // Called for every pong received while a read is outstanding.
    virtual void set_pong_handler(PongHandler handler) = 0;
    // Closes the socket at once; outstanding operations complete with an error.
    virtual void abort() noexcept = 0;
};

std::shared_ptr<Connection> make_connection(const boost::asio::any_io_executor &executor,
                                            ConnectParams params);

// Builds the TLS client context for the options: system CA store (or ca_file), verification
// on unless insecure, optional client certificate. Errors name the option and OpenSSL's reason.
Error make_tls_context(std::shared_ptr<boost::asio::ssl::context> &out, const std::string &ca_file,
                       const std::string &client_cert_file, const std::string &client_key_file,
                       bool insecure_skip_verify);

// The same, shared by every client alive with the same settings and the same files (path,
// inode, size and modification time): a context costs a CA file's parse and tens of KiB, and an
// OpenSSL context serves many connections on many threads at once. Thread-safe.
Error shared_tls_context(std::shared_ptr<boost::asio::ssl::context> &out, const std::string &ca_file,
                         const std::string &client_cert_file, const std::string &client_key_file,
                         bool insecure_skip_verify);

}  // namespace tether::transport
