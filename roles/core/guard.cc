#include "roles/core/guard.h"

#include <string>
#include <utility>

#include "roles/metrics/registry.h"

namespace yz::core {

namespace {

std::string duration_text(Duration d) {
  if (d % kSecond == 0) return std::to_string(d / kSecond) + "s";
  return std::to_string(d / kMillisecond) + "ms";
}

}  // namespace

GuardedProcess::GuardedProcess(Env& env, const Limits& limits, std::uint32_t max_inbound_links,
                               Duration handshake_timeout, const Factory& make_role)
    : env_(env),
      limits_(limits),
      max_inbound_links_(max_inbound_links),
      handshake_timeout_(handshake_timeout),
      limited_frames_(env, "frames"),
      limited_links_(env, "links"),
      limited_unauthenticated_(env, "unauthenticated"),
      // The family every role counts its handshake refusals in; the roles
      // register it too, with their own reasons (same name: the same family).
      handshake_timeouts_(metrics::BuildCounter()
                              .Name("yz_handshake_rejected_total")
                              .Help("Links closed before or at the handshake, by reason")
                              .Register(env.metrics())
                              .Add({{"reason", "handshake_timeout"}})),
      refused_before_handshake_(metrics::BuildCounter()
                                    .Name("yz_send_refused_total")
                                    .Help("Frames a role sent that were not put on the link, by "
                                          "reason (before_handshake: the link's handshake had "
                                          "not completed)")
                                    .Register(env.metrics())
                                    .Add({{"reason", "before_handshake"}})),
      refusals_(env),
      inner_(make_role(*this)) {
  // Every limit's series exists from the start, at 0, so a dashboard can
  // tell "never limited" from "not exported".
  limited_counter(env.metrics(), "lookups");
  limited_counter(env.metrics(), "registrations");
}

GuardedProcess::~GuardedProcess() {
  // The deadlines call back into this object; the driver's Env outlives it.
  for (const auto& [link, state] : links_)
    if (state.deadline != 0) env_.cancel_timer(state.deadline);
}

void GuardedProcess::stop() {
  inner_->stop();
  for (const auto& [link, state] : links_)
    if (state.deadline != 0) env_.cancel_timer(state.deadline);
  links_.clear();
  inbound_ = 0;
  unauthenticated_ = 0;
  unauthenticated_by_address_.clear();
}

GuardedProcess::LinkState GuardedProcess::fresh_link(bool inbound) const {
  LinkState state;
  state.inbound = inbound;
  state.frames = TokenBucket(limits_.frames_per_second, limits_.frames_burst, env_.now());
  state.overflow = TokenBucket(limits_.frames_per_second, limits_.frames_burst, env_.now());
  return state;
}

void GuardedProcess::release_unauthenticated(LinkState& state) {
  if (!state.inbound || state.authenticated) return;
  --unauthenticated_;
  if (state.address.empty()) return;
  auto it = unauthenticated_by_address_.find(state.address);
  if (it != unauthenticated_by_address_.end() && --it->second == 0)
    unauthenticated_by_address_.erase(it);
}

void GuardedProcess::forget(LinkId link) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  LinkState& state = it->second;
  if (state.deadline != 0) env_.cancel_timer(state.deadline);
  release_unauthenticated(state);
  if (state.inbound) --inbound_;
  links_.erase(it);
}

void GuardedProcess::start_deadline(LinkId link, LinkState& state) {
  if (handshake_timeout_ <= 0) return;
  state.deadline =
      env_.start_timer(handshake_timeout_, [this, link] { handshake_timed_out(link); });
}

void GuardedProcess::handshake_timed_out(LinkId link) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  it->second.deadline = 0;
  if (it->second.authenticated) return;
  handshake_timeouts_.Increment();
  refusals_.log(LogLevel::kWarn, "handshake_timeout", "handshake_timeout",
                {{"link", std::to_string(link)},
                 {"direction", it->second.inbound ? "inbound" : "outbound"},
                 {"address", it->second.address},
                 {"detail", "no handshake within " + duration_text(handshake_timeout_)}});
  close_under_role(link, "handshake_timeout");
}

void GuardedProcess::close_under_role(LinkId link, std::string_view reason) {
  forget(link);
  env_.close(link, reason);
  inner_->on_link_closed(link, reason);
}

void GuardedProcess::on_link_accepted(LinkId link) {
  if (max_inbound_links_ != 0 && inbound_ >= max_inbound_links_) {
    limited_links_.hit({{"link", std::to_string(link)},
                        {"max_inbound_links", std::to_string(max_inbound_links_)}});
    env_.close(link, "too_many_links");
    return;
  }
  std::string address = env_.remote_address(link);
  const std::uint32_t max_all = limits_.max_unauthenticated_links;
  const std::uint32_t max_per_address = limits_.max_unauthenticated_per_address;
  const bool over_all = max_all != 0 && unauthenticated_ >= max_all;
  bool over_address = false;
  if (!address.empty() && max_per_address != 0) {
    auto it = unauthenticated_by_address_.find(address);
    over_address = it != unauthenticated_by_address_.end() && it->second >= max_per_address;
  }
  if (over_all || over_address) {
    // Handshakes not yet done cost the most and prove nothing: a cap on them
    // bounds what silent or slow streams can hold, per client and in all.
    limited_unauthenticated_.hit(
        {{"link", std::to_string(link)},
         {"address", address},
         {over_all ? "max_unauthenticated_links" : "max_unauthenticated_per_address",
          std::to_string(over_all ? max_all : max_per_address)}});
    env_.close(link, "too_many_unauthenticated");
    return;
  }
  LinkState& state = links_[link] = fresh_link(true);
  ++inbound_;
  ++unauthenticated_;
  if (!address.empty()) ++unauthenticated_by_address_[address];
  state.address = std::move(address);
  start_deadline(link, state);
  inner_->on_link_accepted(link);
}

void GuardedProcess::on_link_opened(LinkId link) {
  // A link this side closed already (the role, or its deadline) stays closed.
  if (!links_.contains(link)) return;
  inner_->on_link_opened(link);
}

void GuardedProcess::on_link_closed(LinkId link, std::string_view reason) {
  // The role heard of a link this side closed when it was closed, or never
  // heard of it at all (refused).
  if (!links_.contains(link)) return;
  forget(link);
  inner_->on_link_closed(link, reason);
}

void GuardedProcess::on_frame(LinkId link, Message&& message) {
  auto it = links_.find(link);
  if (it == links_.end()) return;  // refused, or closed from this side
  LinkState& state = it->second;
  if (state.frames.allow(env_.now())) {
    inner_->on_frame(link, std::move(message));
    return;
  }
  limited_frames_.hit({{"link", std::to_string(link)}});
  if (state.overflow.allow(env_.now())) return;
  // A burst's worth more than the limit allows, and still coming: a flood.
  refusals_.log(LogLevel::kWarn, "link_flooding", "rate_limited",
                {{"link", std::to_string(link)},
                 {"limit", std::to_string(limits_.frames_per_second) + "/s"}});
  close_under_role(link, "rate_limited");
}

bool GuardedProcess::may_send(LinkId link, const Message& message, bool handshake) {
  auto it = links_.find(link);
  if (it == links_.end() || it->second.authenticated) return true;
  if (handshake) {
    switch (message.type()) {
      case MessageType::kDhtPeerHello:
      case MessageType::kDhtPeerConnected:
      case MessageType::kDhtPeerProof:
      case MessageType::kError:
        return true;
      default:
        break;  // not a handshake frame, whichever way it was sent
    }
  }
  refused_before_handshake_.Increment();
  refusals_.log(LogLevel::kWarn, "send_refused", "before_handshake",
                {{"link", std::to_string(link)},
                 {"type", std::string(message_type_name(message.type()))},
                 {"direction", it->second.inbound ? "inbound" : "outbound"},
                 {"address", it->second.address},
                 {"reason", "before_handshake"}});
  return false;
}

void GuardedProcess::send(LinkId link, Message&& message) {
  if (may_send(link, message, false)) env_.send(link, std::move(message));
}

void GuardedProcess::send_handshake(LinkId link, Message&& message) {
  if (may_send(link, message, true)) env_.send_handshake(link, std::move(message));
}

LinkId GuardedProcess::dial(const std::string& address) {
  const LinkId link = env_.dial(address);
  LinkState& state = links_[link] = fresh_link(false);
  state.address = address;
  // From the dial: a link that never opens, or opens and never answers,
  // ends the same way.
  start_deadline(link, state);
  return link;
}

void GuardedProcess::link_authenticated(LinkId link) {
  if (auto it = links_.find(link); it != links_.end() && !it->second.authenticated) {
    LinkState& state = it->second;
    if (state.deadline != 0) env_.cancel_timer(state.deadline);
    state.deadline = 0;
    release_unauthenticated(state);
    state.authenticated = true;
    std::string().swap(state.address);  // handshake-only, see LinkState
  }
  env_.link_authenticated(link);
}

void GuardedProcess::close(LinkId link) {
  forget(link);
  env_.close(link);
}

void GuardedProcess::close(LinkId link, std::string_view reason) {
  forget(link);
  env_.close(link, reason);
}

}  // namespace yz::core
