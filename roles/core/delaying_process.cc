#include "roles/core/delaying_process.h"

#include <algorithm>
#include <utility>

#include "roles/core/dht_member.h"
#include "roles/metrics/registry.h"

namespace yz::core {

DelayingProcess::DelayingProcess(Env& env, std::vector<HoldRule> rules,
                                 std::unique_ptr<Process> inner)
    : env_(env), inner_(std::move(inner)) {
  auto& holds = metrics::BuildCounter()
                    .Name("yz_delay_rule_holds_total")
                    .Help("Holds a delay rule (--delay-rules) started, by rule")
                    .Register(env.metrics());
  auto& frames = metrics::BuildCounter()
                     .Name("yz_delay_rule_frames_total")
                     .Help(
                         "Frames received that a delay rule held, by rule and result (held, "
                         "released when the hold ended, discarded: their link closed first)")
                     .Register(env.metrics());
  for (HoldRule& rule : rules) {
    ActiveRule active;
    active.holds = &holds.Add({{"rule", rule.name}});
    active.frames_held = &frames.Add({{"rule", rule.name}, {"result", "held"}});
    active.frames_released = &frames.Add({{"rule", rule.name}, {"result", "released"}});
    active.frames_discarded = &frames.Add({{"rule", rule.name}, {"result", "discarded"}});
    active.rule = std::move(rule);
    rules_.push_back(std::move(active));
  }
}

DelayingProcess::~DelayingProcess() {
  // The hold timers call back into this object; the driver's Env outlives it.
  for (const ActiveRule& active : rules_)
    if (active.timer != 0) env_.cancel_timer(active.timer);
}

void DelayingProcess::stop() {
  stopped_ = true;
  for (ActiveRule& active : rules_) {
    if (active.timer != 0) env_.cancel_timer(active.timer);
    active.timer = 0;
    active.state = RuleState::kSpent;
  }
  for (auto& [link, frames] : held_)
    for (const HeldFrame& frame : frames)
      if (frame.rule >= 0)
        rules_[static_cast<std::size_t>(frame.rule)].frames_discarded->Increment();
  held_.clear();
  peers_.clear();
  inner_->stop();
}

void DelayingProcess::on_link_accepted(LinkId link) {
  inner_->on_link_accepted(link);
  check_events();
}

void DelayingProcess::on_link_opened(LinkId link) {
  inner_->on_link_opened(link);
  check_events();
}

void DelayingProcess::on_link_closed(LinkId link, std::string_view reason) {
  forget_link(link);
  inner_->on_link_closed(link, reason);
  check_events();
}

void DelayingProcess::forget_link(LinkId link) {
  peers_.erase(link);
  auto it = held_.find(link);
  if (it == held_.end()) return;
  for (const HeldFrame& frame : it->second)
    if (frame.rule >= 0) rules_[static_cast<std::size_t>(frame.rule)].frames_discarded->Increment();
  held_.erase(it);
}

void DelayingProcess::learn_peer(LinkId link, const Message& message) {
  if (const auto* hello = std::get_if<msg::DhtPeerHello>(&message.body)) {
    peers_[link] = PeerOfLink{hello->metadata.name, hello->metadata.role};
  } else if (const auto* connected = std::get_if<msg::DhtPeerConnected>(&message.body)) {
    peers_[link] = PeerOfLink{connected->metadata.name, connected->metadata.role};
  }
}

bool DelayingProcess::matches(const HoldRule& rule, LinkId link, const Message& message) const {
  if (message.type() != rule.type) return false;
  if (rule.from_name.empty() && rule.from_role == Role::kUnspecified) return true;
  const auto peer = peers_.find(link);
  if (peer == peers_.end()) return false;  // a peer not yet named matches no peer rule
  if (!rule.from_name.empty() && peer->second.name != rule.from_name) return false;
  return rule.from_role == Role::kUnspecified || peer->second.role == rule.from_role;
}

void DelayingProcess::on_frame(LinkId link, Message&& message) {
  if (stopped_) return;
  learn_peer(link, message);
  const MessageType type = message.type();
  int rule_index = -1;
  for (std::size_t i = 0; i < rules_.size() && rule_index < 0; ++i) {
    ActiveRule& active = rules_[i];
    if (active.state == RuleState::kSpent || !matches(active.rule, link, message)) continue;
    if (active.state == RuleState::kArmed && !start_hold(static_cast<int>(i), link, message))
      continue;
    rule_index = static_cast<int>(i);
  }
  auto queue = held_.find(link);
  if (rule_index >= 0 || queue != held_.end()) {
    if (rule_index >= 0) {
      ActiveRule& active = rules_[static_cast<std::size_t>(rule_index)];
      active.frames_held->Increment();
      ++active.held;
    }
    held_[link].push_back(HeldFrame{std::move(message), rule_index});
  } else {
    inner_->on_frame(link, std::move(message));
  }
  check_events();
  // Received, held or not: an `until.received` event is the frame's arrival.
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    ActiveRule& active = rules_[i];
    if (active.state == RuleState::kHolding && active.rule.until_received == type &&
        static_cast<int>(i) != rule_index)
      end_hold(static_cast<int>(i), "until_received");
  }
}

bool DelayingProcess::start_hold(int index, LinkId link, const Message& message) {
  ActiveRule& active = rules_[static_cast<std::size_t>(index)];
  active.state = RuleState::kSpent;
  if (const char* reached = routing_event_reached(active.rule)) {
    env_.log(LogLevel::kInfo, "delay_hold_skipped",
             {{"rule", active.rule.name},
              {"type", std::string(message_type_name(message.type()))},
              {"link", std::to_string(link)},
              {"reason", std::string(reached) + " already reached"}});
    return false;
  }
  active.state = RuleState::kHolding;
  active.holds->Increment();
  const auto peer = peers_.find(link);
  env_.log(LogLevel::kInfo, "delay_hold_started",
           {{"rule", active.rule.name},
            {"type", std::string(message_type_name(message.type()))},
            {"link", std::to_string(link)},
            {"from", peer == peers_.end() ? std::string() : peer->second.name}});
  if (active.rule.hold_for > 0)
    active.timer = env_.start_timer(active.rule.hold_for, [this, index] {
      rules_[static_cast<std::size_t>(index)].timer = 0;
      end_hold(index, "for_ms");
    });
  return true;
}

void DelayingProcess::end_hold(int index, std::string_view why) {
  ActiveRule& active = rules_[static_cast<std::size_t>(index)];
  if (active.state != RuleState::kHolding) return;
  active.state = RuleState::kSpent;
  if (active.timer != 0) env_.cancel_timer(active.timer);
  active.timer = 0;
  env_.log(LogLevel::kInfo, "delay_hold_released",
           {{"rule", active.rule.name},
            {"held", std::to_string(active.held)},
            {"reason", std::string(why)}});
  release_ready();
}

bool DelayingProcess::held_by_active_rule(const HeldFrame& frame) const {
  return frame.rule >= 0 &&
         rules_[static_cast<std::size_t>(frame.rule)].state == RuleState::kHolding;
}

void DelayingProcess::release_ready() {
  // A released frame may end another hold (check_events); that hold's frames
  // go out in this same loop, not in a nested one.
  if (releasing_) return;
  releasing_ = true;
  bool progress = true;
  while (progress && !stopped_) {
    progress = false;
    for (auto it = held_.begin(); it != held_.end();) {
      const LinkId link = it->first;
      if (it->second.empty() || held_by_active_rule(it->second.front())) {
        it = it->second.empty() ? held_.erase(it) : std::next(it);
        continue;
      }
      HeldFrame frame = std::move(it->second.front());
      it->second.pop_front();
      if (it->second.empty()) held_.erase(it);
      if (frame.rule >= 0)
        rules_[static_cast<std::size_t>(frame.rule)].frames_released->Increment();
      inner_->on_frame(link, std::move(frame.message));
      check_events();
      progress = true;
      break;  // the map may have changed under the delivery: start over
    }
  }
  releasing_ = false;
}

const char* DelayingProcess::routing_event_reached(const HoldRule& rule) {
  if (rule.until_routing_entries == 0 && rule.until_routing_peers.empty()) return nullptr;
  if (rule.until_routing_entries != 0 &&
      inner_->status().routing_table_size >= rule.until_routing_entries)
    return "until_routing_entries";
  if (rule.until_routing_peers.empty()) return nullptr;
  // Only a DHT member has a routing table; the bootstrap's never holds a peer.
  auto* member = dynamic_cast<DhtMember*>(&inner_->role());
  if (member == nullptr) return nullptr;
  const std::vector<PeerInfo> entries = member->routing_table().all();
  for (const std::string& name : rule.until_routing_peers) {
    const bool held = std::any_of(entries.begin(), entries.end(),
                                  [&](const PeerInfo& peer) { return peer.metadata.name == name; });
    if (!held) return nullptr;
  }
  return "until_routing_peers";
}

void DelayingProcess::check_events() {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const ActiveRule& active = rules_[i];
    if (active.state != RuleState::kHolding) continue;
    if (const char* reached = routing_event_reached(active.rule))
      end_hold(static_cast<int>(i), reached);
  }
}

}  // namespace yz::core
