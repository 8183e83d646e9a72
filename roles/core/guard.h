#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/process.h"
#include "roles/core/rate_limit.h"

namespace yz::core {

// Puts the per-link limits in front of any role: frames per link per second
// and inbound links at once (Limits). It stands between the driver and the
// role on both sides, as the role's Process towards the driver and as the
// driver's Env towards the role, so it sees every link open and close and
// every frame before the role does, and the roles themselves stay unaware.
//
// Over the frame limit a frame is dropped; a link that keeps sending at more
// than twice the limit, a whole burst more than it may, is closed
// ("rate_limited") and the role hears on_link_closed for it. A link accepted over the link limit is
// closed at once ("too_many_links") and the role never hears of it. Each is counted in
// yz_limited_total{limit="frames"|"links"}.
class GuardedProcess final : public Process, private Env {
 public:
  using Factory = std::function<std::unique_ptr<Process>(Env& env)>;

  // `make_role` builds the role on the guard's Env.
  GuardedProcess(Env& env, const Limits& limits, std::uint32_t max_inbound_links,
                 const Factory& make_role);
  ~GuardedProcess() override;

  void start() override { inner_->start(); }
  void stop() override;
  void on_link_accepted(LinkId link) override;
  void on_link_opened(LinkId link) override;
  void on_link_closed(LinkId link, std::string_view reason) override;
  void on_frame(LinkId link, Frame&& frame) override;
  ProcessStatus status() override { return inner_->status(); }
  std::size_t peers_missing_handler() override { return inner_->peers_missing_handler(); }
  void set_faults(const FaultSet& faults) override { inner_->set_faults(faults); }

  Process& role() override { return inner_->role(); }
  std::size_t inbound_links() const { return inbound_; }

 private:
  struct LinkState {
    bool inbound = false;
    TokenBucket frames;
    // Drops allowed before the link counts as flooding: refills at the
    // frame rate, so a sender at under twice the rate is only slowed.
    TokenBucket overflow;
  };

  void forget(LinkId link);
  LinkState fresh_link(bool inbound) const;

  // Env, for the role: everything goes to the driver's Env; closes are
  // noted so the link count stays right.
  TimePoint now() const override { return env_.now(); }
  std::int64_t shared_clock_ms() const override { return env_.shared_clock_ms(); }
  TimerId start_timer(Duration delay, std::function<void()> fn) override {
    return env_.start_timer(delay, std::move(fn));
  }
  void cancel_timer(TimerId timer) override { env_.cancel_timer(timer); }
  void send(LinkId link, Frame frame) override { env_.send(link, std::move(frame)); }
  LinkId dial(const std::string& address) override;
  void close(LinkId link) override;
  void close(LinkId link, std::string_view reason) override;
  std::uint64_t random() override { return env_.random(); }
  void log(LogLevel level, std::string_view event,
           std::initializer_list<LogField> fields) override {
    env_.log(level, event, fields);
  }
  metrics::Registry& metrics() override { return env_.metrics(); }

  Env& env_;
  Limits limits_;
  std::uint32_t max_inbound_links_;
  LimitHits limited_frames_;
  LimitHits limited_links_;
  std::map<LinkId, LinkState> links_;
  std::size_t inbound_ = 0;
  std::unique_ptr<Process> inner_;
};

}  // namespace yz::core
