#include "impl/runtime/runtime.hpp"

#include <algorithm>
#include <mutex>

#include <pthread.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

namespace tether::runtime {

namespace {
thread_local bool t_on_io_thread = false;

void init_openssl_once() {
    static std::once_flag once;
    // No atexit cleanup: I/O threads of the default runtime may still run while the process
    // exits, and OpenSSL's own cleanup would pull state from under them.
    std::call_once(once, [] {
        OPENSSL_init_ssl(OPENSSL_INIT_NO_ATEXIT | OPENSSL_INIT_LOAD_SSL_STRINGS |
                             OPENSSL_INIT_LOAD_CRYPTO_STRINGS,
                         nullptr);
    });
}
}  // namespace

Runtime::Runtime(int threads)
    : io_(std::make_unique<boost::asio::io_context>(threads)),
      work_(std::make_unique<WorkGuard>(io_->get_executor())) {
    init_openssl_once();
    threads_.reserve(static_cast<size_t>(threads));
    for (int i = 0; i < threads; ++i) {
        threads_.emplace_back([io = io_.get()] {
            t_on_io_thread = true;
            // Named so that a thread listing (top -H, gdb, /proc/PID/task) tells ours apart.
            pthread_setname_np(pthread_self(), "tether-io");
            // A handler that throws (an allocation failure, or a C++ exception thrown through an
            // application callback) must not end the thread that serves every other client.
            for (;;) {
                try {
                    io->run();
                    return;
                } catch (...) {
                }
            }
        });
    }
}

Runtime::~Runtime() {
    work_.reset();
    const auto self = std::this_thread::get_id();
    const bool on_own_thread = std::any_of(threads_.begin(), threads_.end(),
                                           [&](const std::thread &t) { return t.get_id() == self; });
    if (!on_own_thread) {
        for (auto &t : threads_) t.join();
        return;
    }
    // Released from inside one of our own handlers: that thread cannot join itself. A reaper
    // joins every thread once run() returns (no work is left: the last client is gone) and only
    // then frees the io_context they were running.
    std::thread reaper([io = std::move(io_), threads = std::move(threads_)]() mutable {
        pthread_setname_np(pthread_self(), "tether-reaper");
        for (auto &t : threads) t.join();
        io.reset();
    });
    reaper.detach();
}

std::shared_ptr<Runtime> Runtime::default_runtime() {
    // Leaked on purpose (see the header).
    static auto *instance = new std::shared_ptr<Runtime>(std::make_shared<Runtime>(1));
    return *instance;
}

bool Runtime::on_io_thread() noexcept { return t_on_io_thread; }

}  // namespace tether::runtime
