#include "fault_proxy.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

namespace faults {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using boost::system::error_code;

namespace {

// One connection: the client's socket, the server's, and one pump per direction.
struct Link : std::enable_shared_from_this<Link> {
    Link(net::io_context &io, tcp::socket client_socket)
        : client(std::move(client_socket)), server(io), timers{net::steady_timer(io), net::steady_timer(io)} {}

    tcp::socket client;
    tcp::socket server;
    Fault fault[2];  // indexed by Direction
    std::vector<char> buffer[2] = {std::vector<char>(16384), std::vector<char>(16384)};
    net::steady_timer timers[2];
    bool closed = false;
};

int index_of(Direction d) { return d == Direction::client_to_server ? 0 : 1; }

}  // namespace

struct FaultProxy::Impl : std::enable_shared_from_this<FaultProxy::Impl> {
    net::io_context io;
    net::executor_work_guard<net::io_context::executor_type> work{io.get_executor()};
    tcp::acceptor acceptor{io};
    tcp::endpoint listen_endpoint;
    tcp::endpoint target;
    std::thread thread;

    // Touched on the I/O thread only.
    std::vector<std::shared_ptr<Link>> links;
    Fault new_fault[2];

    std::atomic<int> live{0};
    std::atomic<int> accepted_count{0};
    std::atomic<int64_t> forwarded{0};
    mutable std::mutex mutex;
    mutable std::condition_variable cv;

    // Runs `fn` on the I/O thread and waits for it.
    template <class Fn>
    void run(Fn fn) {
        std::promise<void> done;
        net::post(io, [&] {
            fn();
            done.set_value();
        });
        done.get_future().wait();
    }

    void listen() {
        acceptor.open(listen_endpoint.protocol());
        acceptor.set_option(tcp::acceptor::reuse_address(true));
        acceptor.bind(listen_endpoint);
        acceptor.listen();
        listen_endpoint = acceptor.local_endpoint();
        accept();
    }

    void accept() {
        acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
            if (ec) return;  // closed: refusing, or shutting down
            auto link = std::make_shared<Link>(self->io, std::move(socket));
            link->fault[0] = self->new_fault[0];
            link->fault[1] = self->new_fault[1];
            self->links.push_back(link);
            self->live.fetch_add(1);
            {
                std::lock_guard<std::mutex> lock(self->mutex);
                self->accepted_count.fetch_add(1);
            }
            self->cv.notify_all();
            link->server.async_connect(self->target, [self, link](error_code cec) {
                if (cec) return self->close(link, false);
                self->pump(link, Direction::client_to_server);
                self->pump(link, Direction::server_to_client);
            });
            self->accept();
        });
    }

    static tcp::socket &from(Link &l, Direction d) { return d == Direction::client_to_server ? l.client : l.server; }
    static tcp::socket &to(Link &l, Direction d) { return d == Direction::client_to_server ? l.server : l.client; }

    void pump(const std::shared_ptr<Link> &link, Direction d) {
        if (link->closed) return;
        const int i = index_of(d);
        const Fault &f = link->fault[i];
        size_t want = link->buffer[i].size();
        if (f.bytes_per_second > 0)
            want = std::min<size_t>(want, std::max<int64_t>(1, f.bytes_per_second / 20));
        from(*link, d).async_read_some(
            net::buffer(link->buffer[i].data(), want),
            [self = shared_from_this(), link, d, i](error_code ec, size_t n) {
                if (link->closed) return;
                if (ec) return self->close(link, false);  // EOF or error on one side ends both
                Fault &f = link->fault[i];
                if (f.blackhole) return self->pump(link, d);
                bool cut = false;
                if (f.cut_after_bytes >= 0) {
                    if (static_cast<int64_t>(n) >= f.cut_after_bytes) {
                        n = static_cast<size_t>(f.cut_after_bytes);
                        cut = true;
                    } else {
                        f.cut_after_bytes -= static_cast<int64_t>(n);
                    }
                }
                auto forward = [self, link, d, i, n, cut] {
                    if (link->closed) return;
                    net::async_write(to(*link, d), net::buffer(link->buffer[i].data(), n),
                                     [self, link, d, i, n, cut](error_code wec, size_t) {
                                         if (link->closed) return;
                                         if (wec || cut) return self->close(link, false);
                                         self->forwarded.fetch_add(static_cast<int64_t>(n));
                                         const Fault &f2 = link->fault[i];
                                         if (f2.bytes_per_second > 0) {
                                             link->timers[i].expires_after(std::chrono::microseconds(
                                                 static_cast<int64_t>(n) * 1000000 / f2.bytes_per_second));
                                             link->timers[i].async_wait([self, link, d](error_code) {
                                                 self->pump(link, d);
                                             });
                                         } else {
                                             self->pump(link, d);
                                         }
                                     });
                };
                if (f.delay_ms > 0) {
                    link->timers[i].expires_after(std::chrono::milliseconds(f.delay_ms));
                    link->timers[i].async_wait([forward](error_code) { forward(); });
                } else {
                    forward();
                }
            });
    }

    void close(const std::shared_ptr<Link> &link, bool rst) {
        if (link->closed) return;
        link->closed = true;
        error_code ignored;
        for (tcp::socket *s : {&link->client, &link->server}) {
            if (!s->is_open()) continue;
            if (rst) {
                s->set_option(net::socket_base::linger(true, 0), ignored);
            } else {
                s->shutdown(tcp::socket::shutdown_both, ignored);
            }
            s->close(ignored);
        }
        link->timers[0].cancel();
        link->timers[1].cancel();
        links.erase(std::remove(links.begin(), links.end(), link), links.end());
        live.fetch_sub(1);
    }
};

FaultProxy::FaultProxy(uint16_t target_port) : impl_(std::make_shared<Impl>()) {
    const auto loopback = net::ip::make_address_v4("127.0.0.1");
    impl_->target = tcp::endpoint(loopback, target_port);
    impl_->listen_endpoint = tcp::endpoint(loopback, 0);
    impl_->listen();
    impl_->thread = std::thread([impl = impl_] { impl->io.run(); });
}

FaultProxy::~FaultProxy() {
    impl_->run([impl = impl_.get()] {
        error_code ignored;
        impl->acceptor.close(ignored);
        auto links = impl->links;
        for (auto &l : links) impl->close(l, false);
    });
    // Everything is closed: the aborted operations' handlers run, none starts another, and
    // run() returns. (Stopping instead would leave handlers, which own the Impl, in the queue.)
    impl_->work.reset();
    impl_->thread.join();
}

uint16_t FaultProxy::port() const { return impl_->listen_endpoint.port(); }

std::string FaultProxy::ws_url(const std::string &path_and_query) const {
    return "ws://127.0.0.1:" + std::to_string(port()) + path_and_query;
}

void FaultProxy::set_live(Direction dir, const Fault &fault) {
    impl_->run([&, impl = impl_.get()] {
        for (auto &l : impl->links) l->fault[index_of(dir)] = fault;
    });
}

void FaultProxy::set_new(Direction dir, const Fault &fault) {
    impl_->run([&, impl = impl_.get()] { impl->new_fault[index_of(dir)] = fault; });
}

void FaultProxy::clear() {
    impl_->run([impl = impl_.get()] {
        impl->new_fault[0] = impl->new_fault[1] = Fault{};
        for (auto &l : impl->links) l->fault[0] = l->fault[1] = Fault{};
    });
}

void FaultProxy::drop_all() {
    impl_->run([impl = impl_.get()] {
        auto links = impl->links;
        for (auto &l : links) impl->close(l, false);
    });
}

void FaultProxy::reset_all() {
    impl_->run([impl = impl_.get()] {
        auto links = impl->links;
        for (auto &l : links) impl->close(l, true);
    });
}

void FaultProxy::refuse(bool on) {
    impl_->run([on, impl = impl_.get()] {
        if (on) {
            error_code ignored;
            impl->acceptor.close(ignored);
        } else if (!impl->acceptor.is_open()) {
            impl->listen();
        }
    });
}

int FaultProxy::live_connections() const { return impl_->live.load(); }
int FaultProxy::accepted() const { return impl_->accepted_count.load(); }
int64_t FaultProxy::forwarded_bytes() const { return impl_->forwarded.load(); }

bool FaultProxy::wait_accepted(int n, int timeout_ms) const {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    return impl_->cv.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                              [&] { return impl_->accepted_count.load() >= n; });
}

// ---- StalledPort ------------------------------------------------------------------------------

StalledPort::StalledPort() {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listener_ < 0) throw std::runtime_error("StalledPort: socket failed");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (::bind(listener_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 || ::listen(listener_, 0) != 0)
        throw std::runtime_error("StalledPort: bind/listen failed");
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr *>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    // Fill the accept queue (backlog 0 holds one connection) so that later SYNs are dropped; on
    // loopback the handshake of a non-blocking connect completes inside connect().
    for (int &fd : fillers_) {
        fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        if (fd >= 0) ::connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    }
}

StalledPort::~StalledPort() {
    for (int fd : fillers_)
        if (fd >= 0) ::close(fd);
    if (listener_ >= 0) ::close(listener_);
}

}  // namespace faults
