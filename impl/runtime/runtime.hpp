// impl/runtime: the io_context and the background threads that run it.
//
// A Runtime owns one io_context and N threads calling run(). Clients keep a shared_ptr to their
// runtime, so it lives as long as its last client. The default runtime (one thread) is made on
// first use and deliberately never destroyed: a process may exit with clients still open, and
// tearing threads down inside static destructors would race with them.
#pragma once

#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

namespace tether::runtime {

class Runtime {
public:
    // threads: 1..64 (checked by the caller).
    explicit Runtime(int threads);
    ~Runtime();

    Runtime(const Runtime &) = delete;
    Runtime &operator=(const Runtime &) = delete;

    boost::asio::io_context &io() noexcept { return *io_; }

    // The process-wide default runtime with one I/O thread.
    static std::shared_ptr<Runtime> default_runtime();

    // True on any thread that runs a Runtime's io_context: blocking there would deadlock.
    static bool on_io_thread() noexcept;

private:
    using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

    // Held by pointer so that a runtime released on one of its own threads can hand the
    // io_context and the threads to a reaper thread instead of joining itself.
    std::unique_ptr<boost::asio::io_context> io_;
    std::unique_ptr<WorkGuard> work_;
    std::vector<std::thread> threads_;
};

}  // namespace tether::runtime
