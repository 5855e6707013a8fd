// bench-echo-server: the WebSocket echo server of the benchmark suite.
//
// Built to stay out of the measurement: one I/O thread, one reused input and output buffer per
// connection, and every echo that a single read brought in goes back in a single write. Beast
// reads the upgrade request and writes the 101 response; after that the server speaks RFC 6455
// frames itself, because a websocket::stream writes one message per call and so one send per
// echo. Each connection alternates: read what has arrived, echo every complete frame into the
// output buffer (unmasked, same FIN bit and opcode, so fragments echo as fragments), write it
// all, read again.
//
// Listens on 127.0.0.1, ws:// and wss:// (a self-signed P-256 certificate made at start; the
// clients do not verify it). Prints {"port":N,"tls_port":M} as its first line on stdout and
// exits when stdin ends.

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr std::size_t initial_buffer = 8 * 1024;     // what an idle connection holds
constexpr std::size_t max_read_chunk = 256 * 1024;   // the input buffer grows to this for reads
constexpr std::uint64_t max_frame = 64 * 1024 * 1024;

std::string accept_key(beast::string_view client_key) {
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string text(client_key);
    text += guid;
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    char base64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
    EVP_EncodeBlock(reinterpret_cast<unsigned char*>(base64), digest, SHA_DIGEST_LENGTH);
    return base64;
}

// Appends a server frame header (never masked) for a payload of `size` bytes.
void append_header(std::vector<unsigned char>& out, unsigned char first_byte, std::uint64_t size) {
    out.push_back(first_byte);
    if (size < 126) {
        out.push_back(static_cast<unsigned char>(size));
    } else if (size <= 0xffff) {
        out.push_back(126);
        out.push_back(static_cast<unsigned char>(size >> 8));
        out.push_back(static_cast<unsigned char>(size));
    } else {
        out.push_back(127);
        for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<unsigned char>(size >> shift));
    }
}

// Appends `size` bytes of `masked` with the client's mask removed, eight bytes at a time.
void append_unmasked(std::vector<unsigned char>& out, const unsigned char* masked, std::size_t size,
                     const unsigned char mask[4]) {
    std::size_t at = out.size();
    out.resize(at + size);
    unsigned char* dest = out.data() + at;
    std::uint64_t mask8;
    unsigned char pattern[8] = {mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]};
    std::memcpy(&mask8, pattern, 8);
    std::size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        std::uint64_t word;
        std::memcpy(&word, masked + i, 8);
        word ^= mask8;
        std::memcpy(dest + i, &word, 8);
    }
    for (; i < size; ++i) dest[i] = masked[i] ^ mask[i & 3];
}

void close_frame(std::vector<unsigned char>& out, std::uint16_t code) {
    append_header(out, 0x88, 2);
    out.push_back(static_cast<unsigned char>(code >> 8));
    out.push_back(static_cast<unsigned char>(code));
}

// The TLS side differs from the plain one only in the handshakes and the shutdown.
void set_no_delay(tcp::socket& socket) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
}

template <class Stream>
class connection : public std::enable_shared_from_this<connection<Stream>> {
public:
    explicit connection(Stream stream) : stream_(std::move(stream)) {}

    void start() {
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
            read_upgrade();
        } else {
            stream_.async_handshake(ssl::stream_base::server,
                                    [self = this->shared_from_this()](beast::error_code ec) {
                                        if (!ec) self->read_upgrade();
                                    });
        }
    }

private:
    void read_upgrade() {
        http::async_read(stream_, handshake_buffer_, request_,
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (!ec) self->write_upgrade();
                         });
    }

    void write_upgrade() {
        response_.version(11);
        response_.keep_alive(false);
        auto key = request_[http::field::sec_websocket_key];
        if (!beast::websocket::is_upgrade(request_) || key.empty()) {
            response_.result(http::status::bad_request);
            failed_upgrade_ = true;
        } else {
            response_.result(http::status::switching_protocols);
            response_.set(http::field::upgrade, "websocket");
            response_.set(http::field::connection, "Upgrade");
            response_.set(http::field::sec_websocket_accept, accept_key(key));
        }
        http::async_write(stream_, response_,
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->failed_upgrade_) return;
                              self->begin_frames();
                          });
    }

    void begin_frames() {
        // Bytes read past the upgrade request (a client that did not wait for the 101).
        auto extra = handshake_buffer_.data();
        in_.resize(std::max(initial_buffer, extra.size()));
        net::buffer_copy(net::buffer(in_), extra);
        in_used_ = extra.size();
        handshake_buffer_ = beast::flat_buffer();
        request_ = {};
        response_ = {};
        out_.reserve(initial_buffer);
        if (in_used_ > 0) on_read({}, 0);
        else read();
    }

    void read() {
        if (in_used_ == in_.size()) in_.resize(in_.size() * 2);
        stream_.async_read_some(net::buffer(in_.data() + in_used_, in_.size() - in_used_),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                                    self->on_read(ec, n);
                                });
    }

    void on_read(beast::error_code ec, std::size_t n) {
        if (ec) return;  // the peer went away: dropping the last reference closes the socket
        // A read that filled the buffer: read bigger next time.
        bool filled = in_used_ + n == in_.size();
        in_used_ += n;
        echo_complete_frames();
        if (filled && in_.size() < max_read_chunk) in_.resize(in_.size() * 2);
        if (out_.empty()) read();
        else write();
    }

    // Turns every complete frame in the input into its echo in the output; keeps the rest.
    void echo_complete_frames() {
        std::size_t at = 0;
        std::size_t incomplete = 0;  // the full length of a frame that has not all arrived
        while (!closing_ && in_used_ - at >= 2) {
            const unsigned char* frame = in_.data() + at;
            std::size_t available = in_used_ - at;
            unsigned char first = frame[0];
            bool masked = (frame[1] & 0x80) != 0;
            std::uint64_t size = frame[1] & 0x7f;
            std::size_t header = 2;
            if (size == 126) {
                if (available < 4) break;
                size = (std::uint64_t(frame[2]) << 8) | frame[3];
                header = 4;
            } else if (size == 127) {
                if (available < 10) break;
                size = 0;
                for (int i = 2; i < 10; ++i) size = (size << 8) | frame[i];
                header = 10;
            }
            if (!masked || size > max_frame) {
                close_frame(out_, size > max_frame ? 1009 : 1002);
                closing_ = true;
                break;
            }
            header += 4;
            if (available < header + size) {
                incomplete = header + static_cast<std::size_t>(size);
                break;
            }
            const unsigned char* mask = frame + header - 4;
            const unsigned char* payload = frame + header;
            switch (first & 0x0f) {
            case 0x0: case 0x1: case 0x2:   // continuation, text, binary: echo as they came
                append_header(out_, first, size);
                append_unmasked(out_, payload, size, mask);
                break;
            case 0x8:                       // close: echo the code, then shut down
                append_header(out_, 0x88, size);
                append_unmasked(out_, payload, size, mask);
                closing_ = true;
                break;
            case 0x9:                       // ping: pong with the same payload
                append_header(out_, 0x8a, size);
                append_unmasked(out_, payload, size, mask);
                break;
            case 0xa:                       // pong: nothing to do
                break;
            default:
                close_frame(out_, 1002);
                closing_ = true;
                break;
            }
            at += header + size;
        }
        std::memmove(in_.data(), in_.data() + at, in_used_ - at);
        in_used_ -= at;
        if (incomplete > in_.size()) in_.resize(incomplete);  // room for the whole frame
    }

    void write() {
        net::async_write(stream_, net::buffer(out_),
                         [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return;
                             self->out_.clear();
                             if (self->closing_) self->shut_down();
                             else self->read();
                         });
    }

    // After our close frame: end our side, then read until the peer ends its side.
    void shut_down() {
        if constexpr (std::is_same_v<Stream, tcp::socket>) {
            beast::error_code ignored;
            stream_.shutdown(tcp::socket::shutdown_send, ignored);
            drain();
        } else {
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
        }
    }

    void drain() {
        if (in_.empty()) in_.resize(initial_buffer);
        stream_.async_read_some(net::buffer(in_),
                                [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                    if (!ec) self->drain();
                                });
    }

    Stream stream_;
    beast::flat_buffer handshake_buffer_;
    http::request<http::empty_body> request_;
    http::response<http::empty_body> response_;
    bool failed_upgrade_ = false;
    std::vector<unsigned char> in_;
    std::size_t in_used_ = 0;
    std::vector<unsigned char> out_;
    bool closing_ = false;
};

class listener {
public:
    listener(net::io_context& io, ssl::context* tls) : acceptor_(io), retry_(io), tls_(tls) {
        tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), 0);
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(net::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(net::socket_base::max_listen_connections);
    }

    unsigned short port() const { return acceptor_.local_endpoint().port(); }

    void accept() {
        acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
            if (ec) {
                // Out of descriptors, most likely: wait a little instead of spinning.
                retry_.expires_after(std::chrono::milliseconds(10));
                retry_.async_wait([this](beast::error_code) { accept(); });
                return;
            }
            set_no_delay(socket);
            if (tls_) {
                std::make_shared<connection<ssl::stream<tcp::socket>>>(
                    ssl::stream<tcp::socket>(std::move(socket), *tls_))->start();
            } else {
                std::make_shared<connection<tcp::socket>>(std::move(socket))->start();
            }
            accept();
        });
    }

private:
    tcp::acceptor acceptor_;
    net::steady_timer retry_;
    ssl::context* tls_;
};

// A self-signed certificate for 127.0.0.1 with a P-256 key, made in memory.
void use_self_signed_certificate(ssl::context& tls) {
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    if (!key || !cert) throw std::runtime_error("cannot make a key and certificate");
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 24 * 3600);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                              "IP:127.0.0.1");
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_set_pubkey(cert, key);
    X509_sign(cert, key, EVP_sha256());
    SSL_CTX_use_certificate(tls.native_handle(), cert);
    SSL_CTX_use_PrivateKey(tls.native_handle(), key);
    X509_free(cert);
    EVP_PKEY_free(key);
}

void raise_file_limit() {
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        setrlimit(RLIMIT_NOFILE, &files);
    }
}

}  // namespace

int main() {
    raise_file_limit();
    net::io_context io(1);
    ssl::context tls(ssl::context::tls_server);
    tls.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    use_self_signed_certificate(tls);

    listener plain(io, nullptr);
    listener secure(io, &tls);
    plain.accept();
    secure.accept();
    std::printf("{\"port\":%u,\"tls_port\":%u}\n", plain.port(), secure.port());
    std::fflush(stdout);

    // The runner holds our stdin open for as long as it wants us.
    std::thread stdin_watch([&io] {
        char scratch[256];
        while (::read(0, scratch, sizeof scratch) > 0) {}
        io.stop();
    });
    io.run();
    stdin_watch.join();
    return 0;
}
