#include "json_hub.hpp"

#include "json_protocol.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>

#include <utility>
#include <vector>

namespace tether_test_server {
namespace {

namespace asio = boost::asio;

// Owned only by its pending wait, like a connection: it goes away with the io_context.
class Ticker : public std::enable_shared_from_this<Ticker> {
 public:
  Ticker(const asio::any_io_executor& executor, JsonHub& hub, std::string channel, std::chrono::milliseconds period)
      : timer_(executor), hub_(hub), channel_(std::move(channel)), period_(period) {}

  void start() {
    timer_.expires_after(period_);
    wait();
  }

 private:
  void wait() {
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      self->tick();
    });
  }

  void tick() {
    boost::json::value payload = boost::json::object{{"tick", ++ticks_}};
    hub_.publish(channel_, std::make_shared<const std::string>(json_channel_message(channel_, &payload)));
    // From the previous deadline, so that the period does not drift with the work done here.
    timer_.expires_at(timer_.expiry() + period_);
    wait();
  }

  asio::steady_timer timer_;
  JsonHub& hub_;
  std::string channel_;
  std::chrono::milliseconds period_;
  std::uint64_t ticks_ = 0;
};

}  // namespace

void JsonHub::subscribe(const std::string& channel, std::uint64_t connection, std::weak_ptr<JsonPeer> peer) {
  channels_[channel][connection] = std::move(peer);
}

void JsonHub::unsubscribe(std::string_view channel, std::uint64_t connection) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  it->second.erase(connection);
  if (it->second.empty()) channels_.erase(it);
}

void JsonHub::leave_all(std::uint64_t connection) {
  for (auto it = channels_.begin(); it != channels_.end();) {
    it->second.erase(connection);
    it = it->second.empty() ? channels_.erase(it) : std::next(it);
  }
}

std::size_t JsonHub::subscribers(std::string_view channel) const {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return 0;
  std::size_t count = 0;
  for (const auto& [connection, peer] : it->second)
    if (!peer.expired()) ++count;
  return count;
}

void JsonHub::publish(std::string_view channel, const std::shared_ptr<const std::string>& text) {
  auto it = channels_.find(channel);
  if (it == channels_.end()) return;
  // Collected first: delivering must not depend on the map staying as it is.
  std::vector<std::shared_ptr<JsonPeer>> peers;
  for (const auto& [connection, weak] : it->second)
    if (std::shared_ptr<JsonPeer> peer = weak.lock()) peers.push_back(std::move(peer));
  for (const std::shared_ptr<JsonPeer>& peer : peers) peer->deliver(text);
}

void JsonHub::start_ticker(const asio::any_io_executor& executor, const std::string& channel,
                           std::chrono::milliseconds period) {
  if (!ticking_.insert(channel).second) return;
  std::make_shared<Ticker>(executor, *this, channel, period)->start();
}

}  // namespace tether_test_server
