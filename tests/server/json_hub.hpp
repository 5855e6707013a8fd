// The process-wide side of the /json path: which connection listens on which channel, the
// publish fan-out, and the /json?push_ms= tickers. Single I/O thread, so no locks.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

namespace tether_test_server {

// A connection on /json, as the hub sees it: something that takes text messages.
class JsonPeer {
 public:
  // Queues one text message for the peer; never completes inline, never re-enters the hub.
  virtual void deliver(std::shared_ptr<const std::string> text) = 0;

 protected:
  ~JsonPeer() = default;
};

class JsonHub {
 public:
  // A peer is known by its connection id; the hub holds it weakly, and the connection calls
  // leave_all() when it ends, so a subscription lasts exactly as long as its connection.
  void subscribe(const std::string& channel, std::uint64_t connection, std::weak_ptr<JsonPeer> peer);
  void unsubscribe(std::string_view channel, std::uint64_t connection);
  void leave_all(std::uint64_t connection);

  std::size_t subscribers(std::string_view channel) const;

  // Sends `text` to every live subscriber of `channel` (in connection order).
  void publish(std::string_view channel, const std::shared_ptr<const std::string>& text);

  // Starts publishing {"type":"message","channel":C,"payload":{"tick":n}} to `channel` every
  // `period`, n = 1, 2, ... Only the first call for a channel starts a ticker; it runs until the
  // io_context stops. The hub must outlive the io_context that `executor` belongs to.
  void start_ticker(const boost::asio::any_io_executor& executor, const std::string& channel,
                    std::chrono::milliseconds period);

 private:
  using Subscribers = std::map<std::uint64_t, std::weak_ptr<JsonPeer>>;
  std::map<std::string, Subscribers, std::less<>> channels_;
  std::set<std::string, std::less<>> ticking_;
};

}  // namespace tether_test_server
