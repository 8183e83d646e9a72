#include "sim/simulator.h"

#include <algorithm>
#include <cstdio>

#include "roles/core/dht_member.h"
#include "roles/make_process.h"
#include "sim/sim_env.h"
#include "sim/sim_signatures.h"
#include "sim/start_schedule.h"
#include "sim/timeline.h"
#include "sim/value_checks.h"

namespace yz::sim {

using core::LinkId;
using core::TimePoint;

namespace {

const char* kind_name(int kind) {
  static const char* kNames[] = {"start",          "timer", "accept",  "open",
                                 "dial_failed",    "frame", "closed",  "lookup_check",
                                 "liveness_check", "crash", "restart", "value_check"};
  return kNames[kind];
}

std::string format_time(TimePoint t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(t / core::kSecond),
                static_cast<long long>(t % core::kSecond));
  return buffer;
}

// A stable 64-bit hash of a process name, so a process's seeds do not depend
// on where it stands in the scenario (shrinking removes processes).
std::uint64_t name_hash(const std::string& name) {
  Fnv1a64 hash;
  for (unsigned char c : name) hash.add_u64(c);
  return hash.value();
}

std::uint64_t mix(std::uint64_t v) {
  std::uint64_t state = v;
  return splitmix64(state);
}

}  // namespace

// ---- SimEnv ------------------------------------------------------------------

SimEnv::SimEnv(Simulator& sim, int process, std::uint64_t seed, core::TimerId first_timer)
    : sim_(sim), process_(process), rng_(seed), next_timer_(first_timer) {}

core::TimePoint SimEnv::now() const { return sim_.now_; }

core::TimerId SimEnv::start_timer(core::Duration delay, std::function<void()> fn) {
  const core::TimerId id = next_timer_++;
  timers_.emplace(id, std::move(fn));
  sim_.schedule(sim_.now_ + std::max<core::Duration>(delay, 0), Simulator::EventKind::kTimer,
                process_, 0, id);
  return id;
}

bool SimEnv::fire_timer(core::TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return false;
  auto fn = std::move(it->second);
  timers_.erase(it);
  fn();
  return true;
}

void SimEnv::send(core::LinkId link, core::Message&& message) {
  sim_.send(process_, link, std::move(message));
}
core::LinkId SimEnv::dial(const std::string& address) { return sim_.dial(process_, address); }
void SimEnv::close(core::LinkId link) { sim_.close(process_, link); }
std::string SimEnv::remote_address(core::LinkId link) const {
  return sim_.remote_address(process_, link);
}

void SimEnv::log(core::LogLevel level, std::string_view event,
                 std::initializer_list<core::LogField> fields) {
  // Logs are not part of the trace hash; they go to the trace file, if any,
  // beside the event that caused them.
  // Never read for invariants (Simulator::check_invariants reads state and
  // counters): a renamed log line must not switch one off.
  (void)level;
  if (sim_.options_.trace == nullptr) return;
  auto& out = *sim_.options_.trace;
  out << "    log " << sim_.procs_[process_].spec.name << " " << event;
  for (const auto& field : fields) out << " " << field.key << "=" << field.value;
  out << "\n";
}

// ---- Simulator ----------------------------------------------------------------

Simulator::Simulator(const Scenario& scenario, RunOptions options)
    : scenario_(scenario),
      options_(std::move(options)),
      faults_(scenario.faults),
      rng_(options_.seed ^ 0x6c6f6f6b7570ULL) {
  for (const auto& name : options_.faults.names()) faults_.enable(*core::fault_from_name(name));
  run_faults_ = faults_;
  chooser_ = options_.chooser;
  if (chooser_ == nullptr) {
    own_chooser_ =
        std::make_unique<RandomChooser>(options_.seed, options_.strategy == Strategy::kFifo);
    chooser_ = own_chooser_.get();
  }
  procs_.reserve(scenario.processes.size());
  std::string bootstrap_address;
  for (const auto& spec : scenario.processes)
    if (spec.role == core::Role::kBootstrap) bootstrap_address = spec.name;

  // Keys: Ed25519, or the simulator's stand-in (sim/sim_signatures.h).
  auto key_book = std::make_shared<SimKeyBook>();
  // One verifier for the run: every member checks the same chains, and a
  // signature's validity does not depend on who asks. Its scheme is set
  // with the first identity.
  std::shared_ptr<core::SignatureVerifier> verifier;
  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& spec = scenario.processes[i];
    std::uint64_t stream = options_.seed ^ name_hash(spec.name);
    const std::uint64_t id_seed = splitmix64(stream);
    const std::uint64_t env_seed = splitmix64(stream);
    Xoshiro256 id_rng(id_seed);
    core::ProcessConfig config;
    config.name = spec.name;
    config.role = spec.role;
    // The Ed25519 private key comes from the process's seeded stream; the
    // node id is derived from its public key, as in the real processes.
    const std::uint64_t k0 = id_rng.next(), k1 = id_rng.next(), k2 = id_rng.next(),
                        k3 = id_rng.next();
    config.identity = scenario.sim_hash_signatures ? key_book->identity(k0, k1, k2, k3)
                                                   : core::Identity::from_words(k0, k1, k2, k3);
    config.node_id = config.identity->node_id();
    if (!verifier)
      verifier = std::make_shared<core::SignatureVerifier>(std::size_t{1} << 16, config.identity);
    config.listen_address = spec.name;
    config.bootstrap_address = spec.role == core::Role::kBootstrap ? "" : bootstrap_address;
    config.timing = scenario.timing;
    config.faults = faults_;
    config.bridge_auth = scenario.bridge_auth;
    config.genesis_auth = scenario.genesis_auth;
    config.shared_verifier = verifier;
    config.delay_rules = scenario.delay_rules;

    Proc proc;
    proc.spec = spec;
    proc.config = config;
    proc.env_seed = env_seed;
    proc.member_role = spec.role != core::Role::kBootstrap;
    procs_.push_back(std::move(proc));
    by_name_[spec.name] = static_cast<int>(i);
    procs_[i].env = std::make_unique<SimEnv>(*this, static_cast<int>(i), env_seed);
    procs_[i].process = options_.make_process ? options_.make_process(*procs_[i].env, config)
                                              : roles::make_process(*procs_[i].env, config);
  }
}

Simulator::~Simulator() = default;

core::Process* Simulator::process(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : procs_[it->second].process.get();
}

void Simulator::schedule(TimePoint at, Event event) {
  schedule(at, event.kind, event.process, event.link, event.timer,
           event.message ? &*event.message : nullptr);
}

void Simulator::schedule(TimePoint at, EventKind kind, int process, LinkId link,
                         core::TimerId timer, core::Message* message) {
  Pending pending{kind, process, link, timer, kNoFrame, steps_};
  if (kind == EventKind::kFrame) {
    if (!free_frames_.empty()) {
      pending.frame = free_frames_.back();
      free_frames_.pop_back();
      frames_[pending.frame] = std::move(*message);
    } else {
      pending.frame = static_cast<std::uint32_t>(frames_.size());
      frames_.push_back(std::move(*message));
    }
  }
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = pending;
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(pending);
  }
  const std::uint64_t key = choose(ChoiceKind::kOrder, UINT64_MAX, process);
  queue_push(Scheduled{at, key, seq_++, slot});
}

void Simulator::queue_push(const Scheduled& s) {
  std::size_t i = queue_.size();
  queue_.push_back(s);
  while (i > 0) {
    const std::size_t parent = (i - 1) / 4;
    if (!(queue_[parent] > s)) break;
    queue_[i] = queue_[parent];
    i = parent;
  }
  queue_[i] = s;
}

void Simulator::queue_pop() {
  const Scheduled last = queue_.back();
  queue_.pop_back();
  const std::size_t n = queue_.size();
  if (n == 0) return;
  std::size_t i = 0;
  for (;;) {
    const std::size_t first = 4 * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    const std::size_t end = std::min(first + 4, n);
    for (std::size_t c = first + 1; c < end; ++c)
      if (queue_[best] > queue_[c]) best = c;
    if (!(last > queue_[best])) break;
    queue_[i] = queue_[best];
    i = best;
  }
  queue_[i] = last;
}

std::uint64_t Simulator::choose(ChoiceKind kind, std::uint64_t limit, int target) {
  std::uint64_t value = chooser_->choose(kind, limit, target);
  if (value > limit) value = limit;
  if (options_.record_choices) choices_.push_back(Choice{kind, value});
  return value;
}

core::Duration Simulator::latency(int target) {
  if (options_.at_latency_choice && !stop_ &&
      options_.at_latency_choice(latency_points_, fingerprint())) {
    stop_ = true;
    pruned_ = true;
  }
  ++latency_points_;
  const auto min = static_cast<std::uint64_t>(scenario_.latency_min);
  const auto max = static_cast<std::uint64_t>(scenario_.latency_max);
  const auto tail_max = static_cast<std::uint64_t>(scenario_.latency_tail_max);
  if (scenario_.latency_tail_per_mille == 0 || tail_max <= max)
    return static_cast<core::Duration>(min + choose(ChoiceKind::kLatency, max - min, target));
  // One choice over [0, tail_max - min], mapped piecewise and monotonically:
  // the first (1000 - p) per mille onto [min, max], the rest onto
  // [max, tail_max]. 0 is still the fastest and the limit the slowest, as
  // pct and exhaustive exploration expect.
  __extension__ using Wide = unsigned __int128;
  const std::uint64_t span = tail_max - min;
  const std::uint64_t body = static_cast<std::uint64_t>(
      static_cast<Wide>(span) * (1000 - scenario_.latency_tail_per_mille) / 1000);
  const std::uint64_t u = choose(ChoiceKind::kLatency, span, target);
  if (u <= body)
    return static_cast<core::Duration>(
        body == 0 ? min
                  : min + static_cast<std::uint64_t>(static_cast<Wide>(u) * (max - min) / body));
  return static_cast<core::Duration>(
      max +
      static_cast<std::uint64_t>(static_cast<Wide>(u - body) * (tail_max - max) / (span - body)));
}

std::uint64_t Simulator::fingerprint() const {
  // What decides the rest of a run: the order of the events so far (process
  // state follows from it) and what is pending, with times relative to now.
  // Pending events are combined by sum, so the heap's layout does not count.
  std::uint64_t pending = 0;
  for (const Scheduled& s : queue_) {
    const Pending& e = slots_[s.slot];
    // An event without a message hashes as type ping, request 0, what the
    // messages were before they were typed, so fingerprints (and so the
    // exhaustive strategy's pruning) match earlier versions'.
    const bool has = e.frame != kNoFrame;
    const core::MessageType type = has ? frames_[e.frame].type() : core::MessageType::kPing;
    const std::uint64_t request_id = has ? frames_[e.frame].request_id : 0;
    Fnv1a64 h;
    h.add_u64(static_cast<std::uint64_t>(s.time - now_));
    h.add_u64(static_cast<std::uint64_t>(e.kind));
    h.add_u64(static_cast<std::uint64_t>(e.process + 1));
    h.add_u64(e.link);
    h.add_u64(e.timer);
    h.add_u64(static_cast<std::uint64_t>(type));
    h.add_u64(request_id);
    pending += mix(h.value());
  }
  Fnv1a64 out;
  out.add_u64(ordering_hash_.value());
  out.add_u64(pending);
  out.add_u64(queue_.size());
  return out.value();
}

LinkId Simulator::dial(int from, const std::string& address) {
  const LinkId id = next_link_++;
  links_.resize(id + 1);  // ids are dense: this appends one
  Link& link = links_[id];
  link.live = true;
  link.dialler = from;
  auto target = by_name_.find(address);
  if (target == by_name_.end() || target->second == from) {
    schedule(now_ + latency(from), EventKind::kDialFailed, from, id, 0);
    return id;
  }
  link.acceptor = target->second;
  schedule(now_ + latency(link.acceptor), EventKind::kAccept, link.acceptor, id, 0);
  return id;
}

void Simulator::send(int from, LinkId id, core::Message&& message) {
  Link* found = find_link(id);
  if (found == nullptr) return;
  Link& link = *found;
  const int side = side_of(link, from);
  if (link.closed[side] || link.acceptor < 0) return;
  // One gRPC stream per direction: frames arrive in the order sent.
  const int to = side == 0 ? link.acceptor : link.dialler;
  const TimePoint at = std::max(now_ + latency(to), link.last_delivery[side] + 1);
  link.last_delivery[side] = at;
  if (options_.recorder != nullptr)
    options_.recorder->frame_sent(steps_, now_, from, to, id, message);
  schedule(at, EventKind::kFrame, to, id, 0, &message);
}

void Simulator::close(int from, LinkId id) {
  Link* found = find_link(id);
  if (found == nullptr) return;
  Link& link = *found;
  const int side = side_of(link, from);
  if (link.closed[side]) return;
  link.closed[side] = true;
  const bool other_knows = side == 0 ? link.accepted : true;
  if (!other_knows || link.acceptor < 0) return;
  // The close travels behind the frames already sent on the stream.
  const int to = side == 0 ? link.acceptor : link.dialler;
  const TimePoint at = std::max(now_ + latency(to), link.last_delivery[side] + 1);
  link.last_delivery[side] = at;
  schedule(at, EventKind::kClosed, to, id, 0);
}

std::string Simulator::remote_address(int from, LinkId id) const {
  if (id >= links_.size() || !links_[id].live) return {};
  const Link& link = links_[id];
  const int remote = link.dialler == from ? link.acceptor : link.dialler;
  return remote >= 0 ? procs_[remote].spec.name : std::string();
}

void Simulator::record(const Event& event, std::uint64_t step, std::uint64_t cause) {
  hash_.add_u64(step);
  hash_.add_u64(static_cast<std::uint64_t>(now_));
  hash_.add_u64(static_cast<std::uint64_t>(event.kind));
  hash_.add_u64(static_cast<std::uint64_t>(event.process + 1));
  hash_.add_u64(event.link);
  ordering_hash_.add_u64(static_cast<std::uint64_t>(event.kind));
  ordering_hash_.add_u64(static_cast<std::uint64_t>(event.process + 1));
  ordering_hash_.add_u64(event.link);
  if (event.kind == EventKind::kFrame) {
    hash_.add_u64(static_cast<std::uint64_t>(event.message->type()));
    hash_.add_u64(event.message->request_id);
    ordering_hash_.add_u64(static_cast<std::uint64_t>(event.message->type()));
    ordering_hash_.add_u64(event.message->request_id);
  }
  if (options_.trace == nullptr) return;
  auto& out = *options_.trace;
  out << step << " t=" << format_time(now_) << " "
      << (event.process >= 0 ? procs_[event.process].spec.name : std::string("sim")) << " "
      << kind_name(static_cast<int>(event.kind));
  if (event.link != 0) {
    out << " link=" << event.link;
    if (const Link* found = find_link(event.link)) {
      const Link& link = *found;
      const int peer = event.process == link.dialler ? link.acceptor : link.dialler;
      if (peer >= 0) out << " peer=" << procs_[peer].spec.name;
    }
  }
  if (event.kind == EventKind::kFrame)
    out << " type=" << core::message_type_name(event.message->type())
        << " req=" << event.message->request_id;
  // The happens-before edge the stories walk back along (sim/story.h).
  if (cause != 0 && event.process >= 0) out << " cause=" << cause;
  char hash[24];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(hash_.value()));
  out << " h=" << hash << "\n";
}

void Simulator::execute(Event& event) {
  if (event.kind == EventKind::kLookupCheck) {
    run_lookup_checks();
    return;
  }
  if (event.kind == EventKind::kValueCheck) {
    values_->issue(event.timer);
    return;
  }
  if (event.kind == EventKind::kLivenessCheck) {
    if (all_healthy()) {
      converged_at_ = now_;
      stop_ = true;
    } else {
      schedule(now_ + core::kSecond, Event{EventKind::kLivenessCheck, -1, 0, 0, {}});
    }
    return;
  }
  Proc& proc = procs_[event.process];
  switch (event.kind) {
    case EventKind::kStart:
      proc.running = true;
      proc.process->start();
      return;
    case EventKind::kTimer:
      if (proc.running) proc.env->fire_timer(event.timer);
      return;
    case EventKind::kAccept: {
      Link* found = find_link(event.link);
      if (found == nullptr) return;
      Link& link = *found;
      if (link.closed[0]) return;  // the dialler gave up before we got here
      if (!proc.running) {
        schedule(now_ + latency(link.dialler), EventKind::kDialFailed, link.dialler, event.link, 0);
        return;
      }
      link.accepted = true;
      const TimePoint open_at = now_ + latency(link.dialler);
      // Nothing the acceptor sends can overtake the dialler's "opened".
      link.last_delivery[1] = open_at;
      schedule(open_at, EventKind::kOpen, link.dialler, event.link, 0);
      proc.process->on_link_accepted(event.link);
      return;
    }
    case EventKind::kOpen: {
      Link* link = find_link(event.link);
      if (link == nullptr || link->closed[0] || link->closed[1]) return;
      link->opened = true;
      if (proc.running) proc.process->on_link_opened(event.link);
      return;
    }
    case EventKind::kDialFailed:
      if (Link* link = find_link(event.link)) *link = Link{};
      if (proc.running) proc.process->on_link_closed(event.link, "unreachable");
      return;
    case EventKind::kFrame: {
      const Link* link = find_link(event.link);
      if (link == nullptr) return;
      if (link->closed[side_of(*link, event.process)] || !proc.running) return;
      proc.process->on_frame(event.link, std::move(*event.message));
      return;
    }
    case EventKind::kClosed: {
      Link* found = find_link(event.link);
      if (found == nullptr) return;
      Link& link = *found;
      const int side = side_of(link, event.process);
      if (link.closed[side]) return;
      link.closed[side] = true;
      if (link.closed[0] && link.closed[1]) link = Link{};
      if (proc.running) proc.process->on_link_closed(event.link, "closed by peer");
      return;
    }
    case EventKind::kCrash:
      crash(event.process);
      return;
    case EventKind::kRestart:
      restart(event.process);
      return;
    case EventKind::kLookupCheck:
    case EventKind::kLivenessCheck:
    case EventKind::kValueCheck:
      return;
  }
}

void Simulator::note_violation(const std::string& invariant, int process, std::uint64_t step) {
  const auto key = std::make_pair(invariant, process);
  if (violations_.contains(key)) return;
  const std::string name = process >= 0 ? procs_[process].spec.name : std::string("sim");
  violations_.emplace(key, InvariantViolation{invariant, name, step, now_});
}

void Simulator::check_invariants(int process, std::uint64_t step) {
  // Only the process whose event this step ran can have changed: the
  // counters rise, and the peers' listeners go, in its own code. Each
  // invariant is noted once per process, at the first step it breaks.
  if (process < 0) return;
  Proc& proc = procs_[process];
  const core::InvariantCounters counters = proc.process->invariant_counters();
  // A DHT frame that arrives with no listener is lost: a safety failure
  // the moment it happens, whichever fault (or none) caused it.
  if (counters.frames_dropped_no_handler > 0 && !proc.frame_lost_noted) {
    note_violation("frame_lost_no_handler", process, step);
    proc.frame_lost_noted = true;
  }
  // The simulated network loses nothing on a live link, so a link closed
  // as dead was closed wrongly.
  if (counters.links_closed_as_dead > 0 && !proc.dead_link_noted) {
    note_violation("live_link_closed_as_dead", process, step);
    proc.dead_link_noted = true;
  }
  if (!proc.member_role || !proc.running) return;
  if (proc.process->peers_missing_handler() == 0) return;
  note_violation("peers_missing_handler", process, step);
}

void Simulator::heal() {
  // VOPR's liveness phase: the fault switches go off; whatever they broke
  // must now mend through the processes' own recovery.
  healed_ = true;
  faults_ = {};
  for (auto& proc : procs_) proc.process->set_faults(faults_);
  schedule(now_, Event{EventKind::kLivenessCheck, -1, 0, 0, {}});
}

void Simulator::schedule_restarts() {
  // Which DHT nodes crash, when, and for how long: drawn from the seed (not
  // from the chooser), so a replay re-draws the same crashes; shared with
  // yzctl up --scenario (sim/start_schedule.h).
  for (const CrashRestart& c : crash_restarts(scenario_, options_.seed)) {
    schedule(c.at, Event{EventKind::kCrash, c.process, 0, 0, {}});
    schedule(c.at + c.down, Event{EventKind::kRestart, c.process, 0, 0, {}});
  }
}

void Simulator::crash(int process) {
  Proc& proc = procs_[process];
  if (!proc.running) return;
  if (values_) values_->crashing(process, proc.config.node_id);
  // The process closes what it knows of; links it has not heard of yet
  // (accepts on the way) find it gone.
  proc.process->stop();
  proc.running = false;
  proc.crashed = true;
}

void Simulator::restart(int process) {
  Proc& proc = procs_[process];
  // Only what a crash stopped restarts. A crash drawn before the process's
  // own start found nothing to stop; restarting it then would start it early
  // and its own start event would start it a second time (two health-check
  // loops, pinging twice per interval: found by the swarm, issue 14).
  if (!proc.crashed || proc.running || proc.env == nullptr) return;
  proc.crashed = false;
  // Same identity, fresh state, and timer ids that never collide with the
  // previous incarnation's pending ones.
  ++proc.incarnation;
  const core::TimerId first_timer = proc.env->next_timer_id();
  std::uint64_t stream = proc.env_seed + proc.incarnation;
  proc.process.reset();
  proc.env = std::make_unique<SimEnv>(*this, process, splitmix64(stream), first_timer);
  proc.config.faults = faults_;
  proc.process = options_.make_process ? options_.make_process(*proc.env, proc.config)
                                       : roles::make_process(*proc.env, proc.config);
  if (options_.recorder != nullptr)
    options_.recorder->process_replaced(process, proc.process.get());
  proc.running = true;
  proc.process->start();
}

bool Simulator::all_healthy() {
  // Converged, not merely healthy: a node in its start-up grace period
  // reports healthy with no links at all, so a member must also have joined
  // and hold at least one link.
  for (auto& proc : procs_) {
    if (!proc.running) return false;
    const core::ProcessStatus s = proc.process->status();
    if (!s.healthy) return false;
    if (proc.spec.role == core::Role::kBootstrap) continue;
    if (s.connected_peers == 0) return false;
    if (proc.spec.role != core::Role::kBridge && !s.member) return false;
  }
  return true;
}

void Simulator::run_lookup_checks() {
  std::vector<core::DhtMember*> members;
  for (auto& proc : procs_) {
    if (!proc.running || proc.spec.role == core::Role::kBridge) continue;
    auto* member = dynamic_cast<core::DhtMember*>(&proc.process->role());
    if (member != nullptr && member->is_member()) members.push_back(member);
  }
  if (members.size() < 2) return;
  const std::size_t k = scenario_.timing.k;
  for (std::uint32_t i = 0; i < scenario_.lookup_checks; ++i) {
    core::DhtMember* searcher = members[rng_.uniform(0, members.size() - 1)];
    const core::NodeId target = core::NodeId::from_words(rng_.next(), rng_.next(), rng_.next());
    // The k closest by brute force: distances to the target, of which only
    // the k smallest are put in order (ids differ, so the order is total).
    std::vector<std::pair<core::NodeId, core::NodeId>> by_distance;
    by_distance.reserve(members.size());
    for (auto* member : members)
      if (member != searcher)
        by_distance.emplace_back(member->self().node_id ^ target, member->self().node_id);
    const std::size_t n = std::min(k, by_distance.size());
    std::partial_sort(by_distance.begin(), by_distance.begin() + static_cast<std::ptrdiff_t>(n),
                      by_distance.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<core::NodeId> expected;
    expected.reserve(n);
    for (std::size_t j = 0; j < n; ++j) expected.push_back(by_distance[j].second);
    ++lookup_checks_.issued;
    searcher->dht().find_node(target, [this, expected](const core::LookupResult& result) {
      ++lookup_checks_.completed;
      std::vector<core::NodeId> got;
      for (const auto& peer : result.closest) got.push_back(peer.node_id);
      if (got == expected) ++lookup_checks_.exact;
    });
  }
}

void Simulator::schedule_value_checks() {
  ValueChecker::Host host;
  auto member = [this](int process) -> core::DhtMember* {
    Proc& proc = procs_[static_cast<std::size_t>(process)];
    if (!proc.running || !proc.member_role) return nullptr;
    return dynamic_cast<core::DhtMember*>(&proc.process->role());
  };
  host.running_member = [member](int process) { return member(process) != nullptr; };
  host.put = [member](int process, const std::string& key, const std::string& value,
                      std::function<void(core::PutOutcome)> done) {
    // Budget 0: the scenario's Timing::put_timeout.
    member(process)->data().put(key, value, 0, std::move(done));
  };
  host.get = [member](int process, const std::string& key,
                      std::function<void(core::GetOutcome)> done) {
    member(process)->data().get(key, 0, std::move(done));
  };
  host.node_id = [this](int process) {
    return procs_[static_cast<std::size_t>(process)].config.node_id;
  };
  host.joined = [this](int process) {
    Proc& proc = procs_[static_cast<std::size_t>(process)];
    if (!proc.running) return false;
    // Joined as /health says, and a member (a bridge holds no membership
    // of its own, and its data plane refuses with not_member).
    const core::ProcessStatus s = proc.process->status();
    return s.state == core::JoinState::kJoined && s.member;
  };
  // A network that broke a safety invariant never formed as it should;
  // the value checks' own failures do not count (liveness is judged at the
  // end, and a livelock ends the run).
  host.safety_broken = [this] {
    for (const auto& [key, violation] : violations_)
      if (!key.first.starts_with("value_")) return true;
    return false;
  };
  host.violation = [this](const std::string& invariant, int process) {
    note_violation(invariant, process, steps_);
  };
  host.now = [this] { return now_; };
  host.trace = options_.trace;
  host.k = scenario_.timing.k;
  host.value_ttl = scenario_.timing.value_ttl;
  host.get_timeout = scenario_.timing.get_timeout;
  values_ = std::make_unique<ValueChecker>(expand_value_checks(scenario_, options_.seed),
                                           std::move(host));
  for (std::size_t i = 0; i < values_->checks().size(); ++i) {
    const ValueCheck& check = values_->checks()[i];
    schedule(check.spec.at, Event{EventKind::kValueCheck, check.process, 0, i, {}});
  }
}

RunResult Simulator::run() {
  // Shared with yzctl up --scenario (sim/start_schedule.h), which starts
  // real processes at these same times.
  draw_starts(
      scenario_,
      [this](ChoiceKind kind, std::uint64_t limit, int target) {
        return choose(kind, limit, target);
      },
      [this](int process, core::Duration at) {
        schedule(at, Event{EventKind::kStart, process, 0, 0, {}});
      });
  if (scenario_.lookup_checks > 0)
    schedule(scenario_.lookup_check_at, Event{EventKind::kLookupCheck, -1, 0, 0, {}});
  if (scenario_.restarts > 0 || !scenario_.crashes.empty()) schedule_restarts();
  // Last, so a scenario without value checks draws exactly what it did.
  if (scenario_.has_value_checks()) schedule_value_checks();
  if (options_.recorder != nullptr) {
    std::vector<core::Process*> processes;
    for (auto& proc : procs_) processes.push_back(proc.process.get());
    options_.recorder->begin(scenario_, processes);
  }

  const TimePoint heal_at = scenario_.duration;
  const TimePoint end = scenario_.duration + scenario_.liveness_bound;
  bool livelocked = false;
  while (!queue_.empty() && !stop_) {
    const Scheduled next = queue_.front();
    if (scenario_.liveness_bound > 0 && !healed_ && next.time > heal_at) {
      now_ = heal_at;
      heal();
      continue;
    }
    if (next.time > end) break;
    queue_pop();
    now_ = next.time;
    const Pending pending = slots_[next.slot];
    free_slots_.push_back(next.slot);
    // Default-initialised, then filled: a braced Event is zeroed whole.
    Event event;
    event.kind = pending.kind;
    event.process = pending.process;
    event.link = pending.link;
    event.timer = pending.timer;
    if (pending.frame != kNoFrame) {
      event.message.emplace(std::move(frames_[pending.frame]));
      free_frames_.push_back(pending.frame);
    }
    // A cancelled timer is not an event of the run.
    if (event.kind == EventKind::kTimer &&
        (!procs_[event.process].running || !procs_[event.process].env->has_timer(event.timer)))
      continue;
    ++steps_;
    if (now_ != instant_) {
      instant_ = now_;
      steps_at_instant_ = 0;
    }
    if (++steps_at_instant_ > options_.livelock_steps) {
      // Virtual time stopped: something reschedules itself forever.
      note_violation("livelock", event.process, steps_);
      livelocked = true;
      break;
    }
    record(event, steps_, pending.cause);
    if (options_.recorder != nullptr && event.kind == EventKind::kFrame) {
      // Who sent it and whether execute() will hand it over, as execute() decides.
      const Link* link = find_link(event.link);
      const int from = link == nullptr                  ? -1
                       : link->dialler == event.process ? link->acceptor
                                                        : link->dialler;
      const bool handed = link != nullptr && !link->closed[side_of(*link, event.process)] &&
                          procs_[event.process].running;
      options_.recorder->frame_delivering(steps_, now_, from, event.process, event.link,
                                          *event.message, handed);
    }
    execute(event);
    check_invariants(event.process, steps_);
    if (options_.progress && steps_ % std::max<std::uint64_t>(options_.progress_steps, 1) == 0)
      options_.progress(now_, end, steps_);
    if (options_.recorder != nullptr)
      options_.recorder->after_step(steps_, now_, event.process,
                                    event.process >= 0 && procs_[event.process].running);
  }
  if (!stop_ && !livelocked) {
    now_ = scenario_.liveness_bound > 0 ? end : scenario_.duration;
    if (scenario_.liveness_bound > 0 && !healed_) heal();  // nothing was left to run
    if (scenario_.liveness_bound > 0 && !converged_at_ && all_healthy()) converged_at_ = now_;
  }

  RunResult result;
  result.scenario = scenario_.name;
  result.seed = options_.seed;
  result.faults = run_faults_.names();
  result.trace_hash = hash_.value();
  result.events = steps_;
  result.virtual_seconds = static_cast<double>(now_) / core::kSecond;
  result.ordering_hash = ordering_hash_.value();
  result.latency_choices = latency_points_;
  result.pruned = pruned_;
  result.choices = std::move(choices_);
  result.liveness.checked = scenario_.liveness_bound > 0;
  result.liveness.converged = converged_at_.has_value();
  if (converged_at_) result.liveness.converged_after_ns = *converged_at_ - heal_at;
  for (auto& proc : procs_) {
    const core::ProcessStatus s = proc.process->status();
    NodeReport node;
    node.name = s.name;
    node.role = std::string(core::role_name(s.role));
    node.node_id = s.node_id.to_hex();
    node.healthy = proc.running && s.healthy;
    node.connected_peers = s.connected_peers;
    node.routing_table_size = s.routing_table_size;
    node.health_failures = s.health_failures;
    node.peers_missing_handler = s.peers_missing_handler;
    node.dropped_no_handler = s.dropped_no_handler;
    node.find_node_timeouts = s.find_node_timeouts;
    node.onboarding_failures = s.onboarding_failures;
    node.state = std::string(core::join_state_name(s.state));
    node.reason = std::string(core::health_reason_name(s.reason));
    (node.healthy ? result.summary.healthy : result.summary.unhealthy)++;
    result.summary.find_node_timeouts += s.find_node_timeouts;
    result.summary.onboarding_failures += s.onboarding_failures;
    result.summary.dropped_no_handler += s.dropped_no_handler;
    result.nodes.push_back(std::move(node));
    count_signatures(*proc.config.identity, result);
  }
  for (const auto& [key, violation] : violations_) result.invariant_violations.push_back(violation);
  std::sort(result.invariant_violations.begin(), result.invariant_violations.end(),
            [](const auto& a, const auto& b) { return a.step < b.step; });
  result.lookup_checks = lookup_checks_;
  if (values_) result.value_checks = values_->result();
  if (options_.recorder != nullptr) options_.recorder->end(result, now_);
  return result;
}

}  // namespace yz::sim
