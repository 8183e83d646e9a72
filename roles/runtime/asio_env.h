#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>

#include "roles/core/env.h"
#include "roles/metrics/registry.h"
#include "roles/runtime/logger.h"
#include "roles/runtime/transport.h"

namespace yz::runtime {

// The real world, as the core sees it: Asio timers on the process's one io
// thread, gRPC links through the Transport, the OS for randomness.
class AsioEnv : public core::Env {
 public:
  AsioEnv(boost::asio::io_context& io, Transport& transport, Logger& logger,
          metrics::Registry& registry);
  ~AsioEnv() override;

  core::TimePoint now() const override;
  // Wall-clock milliseconds since the Unix epoch.
  std::int64_t shared_clock_ms() const override;
  core::TimerId start_timer(core::Duration delay, std::function<void()> fn) override;
  void cancel_timer(core::TimerId timer) override;
  void send(core::LinkId link, core::Message&& message) override;
  core::LinkId dial(const std::string& address) override;
  void close(core::LinkId link) override;
  void close(core::LinkId link, std::string_view reason) override;
  std::string remote_address(core::LinkId link) const override;
  std::uint64_t random() override;
  void log(core::LogLevel level, std::string_view event,
           std::initializer_list<core::LogField> fields) override;
  metrics::Registry& metrics() override { return registry_; }

 private:
  boost::asio::io_context& io_;
  Transport& transport_;
  Logger& logger_;
  metrics::Registry& registry_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  core::TimerId next_timer_ = 1;
  std::map<core::TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
};

}  // namespace yz::runtime
