#include "roles/core/guard.h"

#include <string>

namespace yz::core {

GuardedProcess::GuardedProcess(Env& env, const Limits& limits, std::uint32_t max_inbound_links,
                               const Factory& make_role)
    : env_(env),
      limits_(limits),
      max_inbound_links_(max_inbound_links),
      limited_frames_(env, "frames"),
      limited_links_(env, "links"),
      inner_(make_role(*this)) {
  // Every limit's series exists from the start, at 0, so a dashboard can
  // tell "never limited" from "not exported".
  limited_counter(env.metrics(), "lookups");
  limited_counter(env.metrics(), "registrations");
}

GuardedProcess::~GuardedProcess() = default;

void GuardedProcess::stop() {
  inner_->stop();
  links_.clear();
  inbound_ = 0;
}

GuardedProcess::LinkState GuardedProcess::fresh_link(bool inbound) const {
  return LinkState{inbound,
                   TokenBucket(limits_.frames_per_second, limits_.frames_burst, env_.now()),
                   TokenBucket(limits_.frames_per_second, limits_.frames_burst, env_.now())};
}

void GuardedProcess::forget(LinkId link) {
  auto it = links_.find(link);
  if (it == links_.end()) return;
  if (it->second.inbound) --inbound_;
  links_.erase(it);
}

void GuardedProcess::on_link_accepted(LinkId link) {
  if (max_inbound_links_ != 0 && inbound_ >= max_inbound_links_) {
    limited_links_.hit({{"link", std::to_string(link)},
                        {"max_inbound_links", std::to_string(max_inbound_links_)}});
    env_.close(link, "too_many_links");
    return;
  }
  links_[link] = fresh_link(true);
  ++inbound_;
  inner_->on_link_accepted(link);
}

void GuardedProcess::on_link_opened(LinkId link) { inner_->on_link_opened(link); }

void GuardedProcess::on_link_closed(LinkId link, std::string_view reason) {
  forget(link);
  inner_->on_link_closed(link, reason);
}

void GuardedProcess::on_frame(LinkId link, Frame&& frame) {
  auto it = links_.find(link);
  if (it == links_.end()) return;  // refused, or closed from this side
  LinkState& state = it->second;
  if (state.frames.allow(env_.now())) {
    inner_->on_frame(link, std::move(frame));
    return;
  }
  limited_frames_.hit({{"link", std::to_string(link)}});
  if (state.overflow.allow(env_.now())) return;
  // A burst's worth more than the limit allows, and still coming: a flood.
  env_.log(LogLevel::kWarn, "link_flooding",
           {{"link", std::to_string(link)},
            {"limit", std::to_string(limits_.frames_per_second) + "/s"}});
  forget(link);
  env_.close(link, "rate_limited");
  inner_->on_link_closed(link, "rate_limited");
}

LinkId GuardedProcess::dial(const std::string& address) {
  const LinkId link = env_.dial(address);
  links_[link] = fresh_link(false);
  return link;
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
