#include "roles/runtime/asio_env.h"

#include <stdexcept>

#include "roles/runtime/core_gate.h"
#include "roles/runtime/os_random.h"

namespace yz::runtime {

AsioEnv::AsioEnv(boost::asio::io_context& io, Transport& transport, Logger& logger,
                 metrics::Registry& registry)
    : io_(io), transport_(transport), logger_(logger), registry_(registry) {}

AsioEnv::~AsioEnv() {
  for (auto& [id, timer] : timers_) timer->cancel();
}

core::TimePoint AsioEnv::now() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                              started_)
      .count();
}

std::int64_t AsioEnv::shared_clock_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

core::TimerId AsioEnv::start_timer(core::Duration delay, std::function<void()> fn) {
  const core::TimerId id = next_timer_++;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_, std::chrono::nanoseconds(delay));
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& error) {
    if (error) return;  // cancelled
    auto core = transport_.gate().lock();
    auto it = timers_.find(id);
    if (it == timers_.end()) return;
    // Keep the timer object alive until its handler has returned.
    auto timer_alive = std::move(it->second);
    timers_.erase(it);
    fn();
  });
  timers_[id] = std::move(timer);
  return id;
}

void AsioEnv::cancel_timer(core::TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

void AsioEnv::send(core::LinkId link, core::Message&& message) { transport_.send(link, message); }

core::LinkId AsioEnv::dial(const std::string& address) { return transport_.dial(address); }

void AsioEnv::close(core::LinkId link) { transport_.close(link, "closed"); }

void AsioEnv::close(core::LinkId link, std::string_view reason) { transport_.close(link, reason); }

std::string AsioEnv::remote_address(core::LinkId link) const {
  return transport_.remote_address(link);
}

std::uint64_t AsioEnv::random() {
  std::uint64_t value = 0;
  // Nonces and invitation nonces come from here: without randomness the
  // process stops rather than run on predictable values.
  if (const std::string why = os_random_fill(&value, sizeof value); !why.empty())
    exit_without_randomness(why);
  return value;
}

void AsioEnv::log(core::LogLevel level, std::string_view event,
                  std::initializer_list<core::LogField> fields) {
  logger_.log(level, event, fields);
}

}  // namespace yz::runtime
