#pragma once

#include <absl/container/flat_hash_map.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/process.h"
#include "roles/core/rate_limit.h"
#include "roles/core/refusal_log.h"
#include "roles/metrics/types.h"

namespace yz::core {

// Puts the per-link limits in front of any role: frames per link per second,
// inbound links at once, unauthenticated inbound links, and the handshake
// deadline (Limits, Timing::handshake_timeout). It stands between the driver
// and the role on both sides, as the role's Process towards the driver and as
// the driver's Env towards the role, so it sees every link open and close and
// every frame before the role does, and the roles only have to say when a
// link's handshake is done (Env::link_authenticated).
//
// Over the frame limit a frame is dropped; a link that keeps sending at more
// than twice the limit, a whole burst more than it may, is closed
// ("rate_limited") and the role hears on_link_closed for it. A link accepted
// over the link limit, or over the caps on unauthenticated inbound links (all
// together, and per remote address), is closed at once ("too_many_links",
// "too_many_unauthenticated") and the role never hears of it. Each is counted
// in yz_limited_total{limit="frames"|"links"|"unauthenticated"}.
//
// Every link, accepted or dialled (for a dial, this is also the time it has
// to open), must be authenticated within the handshake timeout, or it is
// closed ("handshake_timeout"), counted in
// yz_handshake_rejected_total{reason="handshake_timeout"}, and the role
// hears on_link_closed for it: one deadline for every role, so no role can
// forget one.
//
// Nothing a role says reaches a peer before that link's handshake is done:
// on a link not yet authenticated only the handshake's own frames pass
// (Env::send_handshake: hello, connected, proof, or the error that refuses
// the link). Any other frame is refused, not held: counted in
// yz_send_refused_total{reason="before_handshake"} and logged
// ("send_refused", with its type). Refused rather than held because the
// guard cannot know a role's protocol after the handshake (the bootstrap
// refuses anything before register, so a frame held and flushed at
// authentication would be refused and the link closed all the same, and one
// flushed later would overtake what the role sent after it); because what
// a role sends that early is either periodic (a bridge's health update: the
// next tick carries fresher numbers) or belongs to a link that was replaced
// (an answer to a request the peer made on the old one); and because the
// frames that must wait for a handshake, a DHT member's requests on a peer
// link, already wait in order in their ConnectionManager, which knows where
// they go. A held queue here would be one more unbounded buffer per link
// for a peer that may never finish its handshake.
class GuardedProcess final : public Process, private Env {
 public:
  using Factory = std::function<std::unique_ptr<Process>(Env& env)>;

  // `make_role` builds the role on the guard's Env. A handshake_timeout of
  // 0 means no deadline.
  GuardedProcess(Env& env, const Limits& limits, std::uint32_t max_inbound_links,
                 Duration handshake_timeout, const Factory& make_role);
  ~GuardedProcess() override;

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
  std::size_t inbound_links() const { return inbound_; }
  std::size_t unauthenticated_links() const { return unauthenticated_; }

 private:
  // One per link end: ordered to pack (96 bytes).
  struct LinkState {
    // Inbound: the remote address its unauthenticated place is counted
    // under ("" when the driver cannot tell: only the global cap).
    // Dialled: the address dialled, for the log. Both only until the
    // handshake is done: freed then.
    std::string address;
    TimerId deadline = 0;
    TokenBucket frames;
    // Drops allowed before the link counts as flooding: refills at the
    // frame rate, so a sender at under twice the rate is only slowed.
    TokenBucket overflow;
    bool inbound = false;
    bool authenticated = false;
  };

  void forget(LinkId link);
  LinkState fresh_link(bool inbound) const;
  // Counts an inbound link as unauthenticated no more (authenticated or gone).
  void release_unauthenticated(LinkState& state);
  void start_deadline(LinkId link, LinkState& state);
  void handshake_timed_out(LinkId link);
  // Closes a link the role knows of, from under it, and tells the role.
  void close_under_role(LinkId link, std::string_view reason);
  // Whether `frame` may go out on `link` now: the link is unknown here (the
  // driver discards frames on a closed link), authenticated, or `frame` is
  // one of the handshake's own. Else counts and logs the refusal.
  bool may_send(LinkId link, const Message& message, bool handshake);

  // Env, for the role: everything goes to the driver's Env; closes are
  // noted so the link count stays right.
  TimePoint now() const override { return env_.now(); }
  std::int64_t shared_clock_ms() const override { return env_.shared_clock_ms(); }
  TimerId start_timer(Duration delay, std::function<void()> fn) override {
    return env_.start_timer(delay, std::move(fn));
  }
  void cancel_timer(TimerId timer) override { env_.cancel_timer(timer); }
  void send(LinkId link, Message&& message) override;
  void send_handshake(LinkId link, Message&& message) override;
  LinkId dial(const std::string& address) override;
  void close(LinkId link) override;
  void close(LinkId link, std::string_view reason) override;
  std::string remote_address(LinkId link) const override { return env_.remote_address(link); }
  void link_authenticated(LinkId link) override;
  std::uint64_t random() override { return env_.random(); }
  void log(LogLevel level, std::string_view event,
           std::initializer_list<LogField> fields) override {
    env_.log(level, event, fields);
  }
  metrics::Registry& metrics() override { return env_.metrics(); }

  Env& env_;
  Limits limits_;
  std::uint32_t max_inbound_links_;
  Duration handshake_timeout_;
  LimitHits limited_frames_;
  LimitHits limited_links_;
  LimitHits limited_unauthenticated_;
  metrics::Counter& handshake_timeouts_;
  metrics::Counter& refused_before_handshake_;
  RefusalLog refusals_;
  // Looked up on every frame. Iterated only to cancel deadlines, which
  // schedules nothing: the flat map's order cannot reach a run.
  absl::flat_hash_map<LinkId, LinkState> links_;
  std::size_t inbound_ = 0;
  std::size_t unauthenticated_ = 0;
  // Unauthenticated inbound links per remote address; an address leaves
  // when its count drops to 0, so the map is bounded by the links.
  std::map<std::string, std::size_t, std::less<>> unauthenticated_by_address_;
  std::unique_ptr<Process> inner_;
};

}  // namespace yz::core
