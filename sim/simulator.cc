#include "sim/simulator.h"

#include <algorithm>
#include <cstdio>

#include "roles/core/dht_member.h"
#include "roles/make_process.h"
#include "sim/sim_env.h"

namespace yz::sim {

using core::Frame;
using core::LinkId;
using core::TimePoint;

namespace {

const char* kind_name(int kind) {
  static const char* kNames[] = {"start",       "timer", "accept", "open",
                                 "dial_failed", "frame", "closed", "lookup_check"};
  return kNames[kind];
}

std::string format_time(TimePoint t) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%lld.%09lld", static_cast<long long>(t / core::kSecond),
                static_cast<long long>(t % core::kSecond));
  return buffer;
}

}  // namespace

// ---- SimEnv ------------------------------------------------------------------

SimEnv::SimEnv(Simulator& sim, int process, std::uint64_t seed)
    : sim_(sim), process_(process), rng_(seed) {}

core::TimePoint SimEnv::now() const { return sim_.now_; }

core::TimerId SimEnv::start_timer(core::Duration delay, std::function<void()> fn) {
  const core::TimerId id = next_timer_++;
  timers_.emplace(id, std::move(fn));
  Simulator::Event event{Simulator::EventKind::kTimer, process_, 0, id, {}};
  sim_.schedule(sim_.now_ + std::max<core::Duration>(delay, 0), std::move(event));
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

void SimEnv::send(core::LinkId link, core::Frame frame) {
  sim_.send(process_, link, std::move(frame));
}
core::LinkId SimEnv::dial(const std::string& address) { return sim_.dial(process_, address); }
void SimEnv::close(core::LinkId link) { sim_.close(process_, link); }

void SimEnv::log(core::LogLevel level, std::string_view event,
                 std::initializer_list<core::LogField> fields) {
  // Logs are not part of the trace hash; they go to the trace file, if any,
  // beside the event that caused them.
  if (sim_.options_.trace == nullptr || level == core::LogLevel::kDebug) return;
  auto& out = *sim_.options_.trace;
  out << "    log " << sim_.procs_[process_].spec.name << " " << event;
  for (const auto& field : fields) out << " " << field.key << "=" << field.value;
  out << "\n";
}

// ---- Simulator ----------------------------------------------------------------

Simulator::Simulator(const Scenario& scenario, RunOptions options)
    : scenario_(scenario), options_(options), faults_(scenario.faults), rng_(options.seed) {
  for (const auto& name : options.faults.names()) faults_.enable(*core::fault_from_name(name));
  procs_.reserve(scenario.processes.size());
  std::string bootstrap_address;
  for (const auto& spec : scenario.processes)
    if (spec.role == core::Role::kBootstrap) bootstrap_address = spec.name;

  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& spec = scenario.processes[i];
    std::uint64_t stream = options.seed ^ (0x9e3779b97f4a7c15ULL * (i + 1));
    const std::uint64_t id_seed = splitmix64(stream);
    const std::uint64_t env_seed = splitmix64(stream);
    Xoshiro256 id_rng(id_seed);
    core::ProcessConfig config;
    config.name = spec.name;
    config.role = spec.role;
    config.node_id = core::NodeId::from_words(id_rng.next(), id_rng.next(), id_rng.next());
    config.listen_address = spec.name;
    config.bootstrap_address = spec.role == core::Role::kBootstrap ? "" : bootstrap_address;
    config.timing = scenario.timing;
    config.faults = faults_;
    config.bridge_auth = scenario.bridge_auth;

    Proc proc;
    proc.spec = spec;
    proc.member_role = spec.role != core::Role::kBootstrap;
    procs_.push_back(std::move(proc));
    by_name_[spec.name] = static_cast<int>(i);
    procs_[i].env = std::make_unique<SimEnv>(*this, static_cast<int>(i), env_seed);
    procs_[i].process = roles::make_process(*procs_[i].env, config);
  }
}

Simulator::~Simulator() = default;

core::Process* Simulator::process(const std::string& name) {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : procs_[it->second].process.get();
}

void Simulator::schedule(TimePoint at, Event event) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = std::move(event);
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(std::move(event));
  }
  const std::uint64_t key = options_.strategy == Strategy::kRandom ? rng_.next() : 0;
  queue_.push(Scheduled{at, key, seq_++, slot});
}

core::Duration Simulator::latency() {
  return static_cast<core::Duration>(
      rng_.uniform(static_cast<std::uint64_t>(scenario_.latency_min),
                   static_cast<std::uint64_t>(scenario_.latency_max)));
}

LinkId Simulator::dial(int from, const std::string& address) {
  const LinkId id = next_link_++;
  Link& link = links_[id];
  link.dialler = from;
  auto target = by_name_.find(address);
  if (target == by_name_.end() || target->second == from) {
    schedule(now_ + latency(), Event{EventKind::kDialFailed, from, id, 0, {}});
    return id;
  }
  link.acceptor = target->second;
  schedule(now_ + latency(), Event{EventKind::kAccept, link.acceptor, id, 0, {}});
  return id;
}

void Simulator::send(int from, LinkId id, Frame frame) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  Link& link = it->second;
  const int side = side_of(link, from);
  if (link.closed[side] || link.acceptor < 0) return;
  // One gRPC stream per direction: frames arrive in the order sent.
  const TimePoint at = std::max(now_ + latency(), link.last_delivery[side] + 1);
  link.last_delivery[side] = at;
  const int to = side == 0 ? link.acceptor : link.dialler;
  schedule(at, Event{EventKind::kFrame, to, id, 0, std::move(frame)});
}

void Simulator::close(int from, LinkId id) {
  auto it = links_.find(id);
  if (it == links_.end()) return;
  Link& link = it->second;
  const int side = side_of(link, from);
  if (link.closed[side]) return;
  link.closed[side] = true;
  const bool other_knows = side == 0 ? link.accepted : true;
  if (!other_knows || link.acceptor < 0) return;
  // The close travels behind the frames already sent on the stream.
  const TimePoint at = std::max(now_ + latency(), link.last_delivery[side] + 1);
  link.last_delivery[side] = at;
  const int to = side == 0 ? link.acceptor : link.dialler;
  schedule(at, Event{EventKind::kClosed, to, id, 0, {}});
}

void Simulator::record(const Event& event, std::uint64_t step) {
  hash_.add_u64(step);
  hash_.add_u64(static_cast<std::uint64_t>(now_));
  hash_.add_u64(static_cast<std::uint64_t>(event.kind));
  hash_.add_u64(static_cast<std::uint64_t>(event.process + 1));
  hash_.add_u64(event.link);
  if (event.kind == EventKind::kFrame) {
    hash_.add_u64(static_cast<std::uint64_t>(event.frame.type));
    hash_.add_u64(event.frame.request_id);
  }
  if (options_.trace == nullptr) return;
  auto& out = *options_.trace;
  out << step << " t=" << format_time(now_) << " "
      << (event.process >= 0 ? procs_[event.process].spec.name : std::string("sim")) << " "
      << kind_name(static_cast<int>(event.kind));
  if (event.link != 0) {
    out << " link=" << event.link;
    if (auto it = links_.find(event.link); it != links_.end()) {
      const Link& link = it->second;
      const int peer = event.process == link.dialler ? link.acceptor : link.dialler;
      if (peer >= 0) out << " peer=" << procs_[peer].spec.name;
    }
  }
  if (event.kind == EventKind::kFrame)
    out << " type=" << core::message_type_name(event.frame.type)
        << " req=" << event.frame.request_id;
  out << "\n";
}

void Simulator::execute(Event& event) {
  if (event.kind == EventKind::kLookupCheck) {
    run_lookup_checks();
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
      auto it = links_.find(event.link);
      if (it == links_.end()) return;
      Link& link = it->second;
      if (link.closed[0]) return;  // the dialler gave up before we got here
      if (!proc.running) {
        schedule(now_ + latency(), Event{EventKind::kDialFailed, link.dialler, event.link, 0, {}});
        return;
      }
      link.accepted = true;
      const TimePoint open_at = now_ + latency();
      // Nothing the acceptor sends can overtake the dialler's "opened".
      link.last_delivery[1] = open_at;
      schedule(open_at, Event{EventKind::kOpen, link.dialler, event.link, 0, {}});
      proc.process->on_link_accepted(event.link);
      return;
    }
    case EventKind::kOpen: {
      auto it = links_.find(event.link);
      if (it == links_.end() || it->second.closed[0] || it->second.closed[1]) return;
      it->second.opened = true;
      if (proc.running) proc.process->on_link_opened(event.link);
      return;
    }
    case EventKind::kDialFailed:
      links_.erase(event.link);
      if (proc.running) proc.process->on_link_closed(event.link, "unreachable");
      return;
    case EventKind::kFrame: {
      auto it = links_.find(event.link);
      if (it == links_.end()) return;
      if (it->second.closed[side_of(it->second, event.process)] || !proc.running) return;
      proc.process->on_frame(event.link, std::move(event.frame));
      return;
    }
    case EventKind::kClosed: {
      auto it = links_.find(event.link);
      if (it == links_.end()) return;
      Link& link = it->second;
      const int side = side_of(link, event.process);
      if (link.closed[side]) return;
      link.closed[side] = true;
      if (link.closed[0] && link.closed[1]) links_.erase(it);
      if (proc.running) proc.process->on_link_closed(event.link, "closed by peer");
      return;
    }
    case EventKind::kLookupCheck:
      return;
  }
}

void Simulator::check_invariants(int process, std::uint64_t step) {
  if (process < 0 || !procs_[process].member_role || !procs_[process].running) return;
  if (procs_[process].process->peers_missing_handler() == 0) return;
  const auto key = std::make_pair(std::string("peers_missing_handler"), process);
  if (violations_.contains(key)) return;
  violations_.emplace(key, InvariantViolation{key.first, procs_[process].spec.name, step, now_});
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
    std::vector<core::NodeId> expected;
    for (auto* member : members)
      if (member != searcher) expected.push_back(member->self().node_id);
    std::sort(expected.begin(), expected.end(),
              [&](const auto& a, const auto& b) { return core::closer_to(target, a, b); });
    if (expected.size() > k) expected.resize(k);
    ++lookup_checks_.issued;
    searcher->dht().find_node(target, [this, expected](const core::LookupResult& result) {
      ++lookup_checks_.completed;
      std::vector<core::NodeId> got;
      for (const auto& peer : result.closest) got.push_back(peer.node_id);
      if (got == expected) ++lookup_checks_.exact;
    });
  }
}

RunResult Simulator::run() {
  for (std::size_t i = 0; i < procs_.size(); ++i) {
    const ProcessSpec& spec = procs_[i].spec;
    const core::Duration jitter = spec.start_jitter > 0
                                      ? static_cast<core::Duration>(rng_.uniform(
                                            0, static_cast<std::uint64_t>(spec.start_jitter)))
                                      : 0;
    schedule(spec.start_at + jitter, Event{EventKind::kStart, static_cast<int>(i), 0, 0, {}});
  }
  if (scenario_.lookup_checks > 0)
    schedule(scenario_.lookup_check_at, Event{EventKind::kLookupCheck, -1, 0, 0, {}});

  while (!queue_.empty()) {
    const Scheduled next = queue_.top();
    if (next.time > scenario_.duration) break;
    queue_.pop();
    now_ = next.time;
    Event event = std::move(slots_[next.slot]);
    free_slots_.push_back(next.slot);
    // A cancelled timer is not an event of the run.
    if (event.kind == EventKind::kTimer &&
        (!procs_[event.process].running || !procs_[event.process].env->has_timer(event.timer)))
      continue;
    ++steps_;
    record(event, steps_);
    execute(event);
    check_invariants(event.process, steps_);
  }
  now_ = scenario_.duration;

  RunResult result;
  result.scenario = scenario_.name;
  result.seed = options_.seed;
  result.faults = faults_.names();
  result.trace_hash = hash_.value();
  result.events = steps_;
  result.virtual_seconds = static_cast<double>(scenario_.duration) / core::kSecond;
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
    (node.healthy ? result.summary.healthy : result.summary.unhealthy)++;
    result.summary.find_node_timeouts += s.find_node_timeouts;
    result.summary.onboarding_failures += s.onboarding_failures;
    result.summary.dropped_no_handler += s.dropped_no_handler;
    result.nodes.push_back(std::move(node));
  }
  for (const auto& [key, violation] : violations_) result.invariant_violations.push_back(violation);
  std::sort(result.invariant_violations.begin(), result.invariant_violations.end(),
            [](const auto& a, const auto& b) { return a.step < b.step; });
  result.lookup_checks = lookup_checks_;
  return result;
}

}  // namespace yz::sim
