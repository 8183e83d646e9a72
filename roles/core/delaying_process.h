#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/delay_rules.h"
#include "roles/core/env.h"
#include "roles/core/process.h"
#include "roles/metrics/types.h"

namespace yz::core {

// Holds the frames a process receives that its delay rules (delay_rules.h)
// match, in front of the process, so that both drivers run the same holds:
// make_process puts it outermost when a rule names the process, and nothing
// at all otherwise. It uses only the Env's timers and clock.
//
// A rule holds from its first match until its time has passed or its event
// has happened, then releases and is spent. Frames on one link stay in
// order: a frame behind a held one on its link is held too, and released
// with it. A link that closes drops what it held (counted). A frame's peer
// is the one the link's handshake named (dht_peer_hello inbound,
// dht_peer_connected outbound); a hello names its own sender.
//
// Counted in yz_delay_rule_holds_total{rule} (holds started) and
// yz_delay_rule_frames_total{rule, result="held|released|discarded"}; one
// info line per hold start (delay_hold_started) and end
// (delay_hold_released).
class DelayingProcess final : public Process {
 public:
  DelayingProcess(Env& env, std::vector<HoldRule> rules, std::unique_ptr<Process> inner);
  ~DelayingProcess() override;

  void start() override { inner_->start(); }
  void stop() override;
  void on_link_accepted(LinkId link) override;
  void on_link_opened(LinkId link) override;
  void on_link_closed(LinkId link, std::string_view reason) override;
  void on_frame(LinkId link, Message&& message) override;
  ProcessStatus status() override { return inner_->status(); }
  std::size_t peers_missing_handler() override { return inner_->peers_missing_handler(); }
  InvariantCounters invariant_counters() override { return inner_->invariant_counters(); }
  void set_faults(const FaultSet& faults) override { inner_->set_faults(faults); }
  Process& role() override { return inner_->role(); }

 private:
  enum class RuleState : std::uint8_t { kArmed, kHolding, kSpent };
  struct ActiveRule {
    HoldRule rule;
    RuleState state = RuleState::kArmed;
    TimerId timer = 0;
    std::uint64_t held = 0;  // frames held by this hold, for its log line
    metrics::Counter* holds = nullptr;
    metrics::Counter* frames_held = nullptr;
    metrics::Counter* frames_released = nullptr;
    metrics::Counter* frames_discarded = nullptr;
  };
  struct HeldFrame {
    Message message;
    // The rule that matched it, or -1: it only waits behind one that was.
    int rule = -1;
  };
  struct PeerOfLink {
    std::string name;
    Role role = Role::kUnspecified;
  };

  bool matches(const HoldRule& rule, LinkId link, const Message& message) const;
  // Starts `index`'s hold; false when its event had happened already.
  bool start_hold(int index, LinkId link, const Message& message);
  void end_hold(int index, std::string_view why);
  // Ends every hold whose routing-table event has happened.
  void check_events();
  // The name of the routing-table event of `rule` that has happened
  // ("until_routing_entries", "until_routing_peers"), or null.
  const char* routing_event_reached(const HoldRule& rule);
  // Delivers, link by link in link order, the frames no holding rule keeps.
  void release_ready();
  bool held_by_active_rule(const HeldFrame& frame) const;
  void learn_peer(LinkId link, const Message& message);
  void forget_link(LinkId link);

  Env& env_;
  std::vector<ActiveRule> rules_;
  std::unique_ptr<Process> inner_;
  // Ordered by link id: the release order cannot depend on a hash.
  std::map<LinkId, std::deque<HeldFrame>> held_;
  std::map<LinkId, PeerOfLink> peers_;
  bool releasing_ = false;
  bool stopped_ = false;
};

}  // namespace yz::core
