#include "sim/value_checks.h"

#include <algorithm>
#include <cstdio>

#include "sim/prng.h"

namespace yz::sim {
namespace {

std::string hex(std::uint64_t v, int digits) {
  char text[24];
  std::snprintf(text, sizeof text, "%0*llx", digits, static_cast<unsigned long long>(v));
  return text;
}

std::string ms_text(core::Duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", static_cast<double>(d) / core::kMillisecond);
  return text;
}

}  // namespace

std::vector<ValueCheck> expand_value_checks(const Scenario& scenario, std::uint64_t seed) {
  std::map<std::string, int> index;
  std::vector<int> publishers;
  for (std::size_t i = 0; i < scenario.processes.size(); ++i) {
    const ProcessSpec& p = scenario.processes[i];
    index[p.name] = static_cast<int>(i);
    // Bridges are left out: they hold no membership, and their data plane
    // answers not_member (roles/core/data_plane.cc).
    if (p.role == core::Role::kNode || p.role == core::Role::kGenesis)
      publishers.push_back(static_cast<int>(i));
  }
  std::vector<ValueCheck> out;
  for (const ValueCheckSpec& spec : scenario.value_checks) {
    auto it = index.find(spec.from);
    if (it == index.end() || spec.at >= scenario.duration) continue;
    out.push_back(ValueCheck{spec, it->second});
  }
  const ValueCheckGenerator& g = scenario.value_check_generator;
  if (g.puts > 0 && !publishers.empty()) {
    // A stream of its own: the run's other draws stay where they were.
    Xoshiro256 rng(seed ^ 0x76616c7565ULL);
    for (std::uint32_t i = 0; i < g.puts; ++i) {
      ValueCheck put;
      put.spec.at = g.from + static_cast<core::Duration>(i) * g.spacing;
      put.process = publishers[rng.uniform(0, publishers.size() - 1)];
      put.spec.from = scenario.processes[static_cast<std::size_t>(put.process)].name;
      put.spec.op = ValueCheckSpec::Op::kPut;
      // The index keeps keys distinct; the drawn part makes their DHT ids
      // (and so their holders) differ from seed to seed.
      put.spec.key = "key-" + std::to_string(i) + "-" + hex(rng.next() >> 32, 8);
      put.spec.value = "value-" + hex(rng.next(), 16);
      for (std::uint32_t j = 0; j < g.gets_per_put; ++j) {
        ValueCheck get;
        get.spec.at = put.spec.at + g.get_after + static_cast<core::Duration>(j) * g.get_spacing;
        get.process = publishers[rng.uniform(0, publishers.size() - 1)];
        get.spec.from = scenario.processes[static_cast<std::size_t>(get.process)].name;
        get.spec.op = ValueCheckSpec::Op::kGet;
        get.spec.key = put.spec.key;
        if (get.spec.at < scenario.duration) out.push_back(std::move(get));
      }
      if (put.spec.at < scenario.duration) out.push_back(std::move(put));
    }
  }
  // The generator's gets were added before their put; time order puts
  // every put first (get_after > 0 is not required, so equal times keep
  // the order above: stable).
  std::stable_sort(out.begin(), out.end(), [](const ValueCheck& a, const ValueCheck& b) {
    if (a.spec.at != b.spec.at) return a.spec.at < b.spec.at;
    return a.spec.op == ValueCheckSpec::Op::kPut && b.spec.op == ValueCheckSpec::Op::kGet;
  });
  return out;
}

ValueChecker::ValueChecker(std::vector<ValueCheck> checks, Host host)
    : checks_(std::move(checks)), host_(std::move(host)) {}

void ValueChecker::trace_line(const std::string& text) {
  if (host_.trace != nullptr) *host_.trace << "    value " << text << "\n";
}

void ValueChecker::issue(std::size_t index) {
  const ValueCheck& check = checks_[index];
  const ValueCheckSpec& spec = check.spec;
  const bool put = spec.op == ValueCheckSpec::Op::kPut;
  if (!host_.running_member(check.process)) {
    ++result_.skipped;
    trace_line(std::string(put ? "put" : "get") + " key=" + spec.key + " from=" + spec.from +
               " skipped=not_running");
    return;
  }
  const std::uint64_t op = next_op_++;
  InFlight flight;
  flight.process = check.process;
  flight.check = index;
  flight.issued = host_.now();
  if (put) {
    ++result_.puts;
    put_keys_.insert(spec.key);
    in_flight_.emplace(op, std::move(flight));
    trace_line("put key=" + spec.key + " from=" + spec.from + " op=" + std::to_string(op));
    host_.put(check.process, spec.key, spec.value,
              [this, op](core::PutOutcome outcome) { put_done(op, outcome); });
    return;
  }
  ++result_.gets;
  // What it must find, decided now: a put acknowledged after the get was
  // issued is not owed to it, nor one that may expire before it answers.
  flight.held = host_.joined(check.process) && !host_.safety_broken();
  flight.put_before = put_keys_.contains(spec.key);
  if (auto it = acked_.find(spec.key); it != acked_.end())
    for (const auto& [publisher, acked] : it->second)
      flight.expected.push_back(
          Expected{publisher, acked.seq,
                   flight.held && acked.holder_crashes < host_.k &&
                       flight.issued + host_.get_timeout < acked.issued + host_.value_ttl});
  result_.gets_held += flight.held;
  trace_line("get key=" + spec.key + " from=" + spec.from + " op=" + std::to_string(op) +
             " held=" + (flight.held ? "1" : "0"));
  in_flight_.emplace(op, std::move(flight));
  host_.get(check.process, spec.key,
            [this, op](core::GetOutcome outcome) { get_done(op, outcome); });
}

void ValueChecker::put_done(std::uint64_t op, const core::PutOutcome& outcome) {
  auto it = in_flight_.find(op);
  if (it == in_flight_.end()) return;  // its member crashed: counted as unfinished
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  const ValueCheckSpec& spec = checks_[flight.check].spec;
  trace_line(
      "put_done op=" + std::to_string(op) + " key=" + spec.key + " ok=" + (outcome.ok ? "1" : "0") +
      " error=" + outcome.error + " seq=" + std::to_string(outcome.seq) +
      " holders=" + std::to_string(outcome.holders.size()) + " took_ms=" + ms_text(outcome.took));
  if (!outcome.ok) {
    ++result_.puts_failed;
    return;
  }
  ++result_.puts_acked;
  Acked& acked = acked_[spec.key][host_.node_id(flight.process)];
  if (outcome.seq < acked.seq) return;  // an older put answered late
  acked = Acked{};
  acked.seq = outcome.seq;
  acked.issued = flight.issued;
  for (const auto& holder : outcome.holders) acked.holding.insert(holder.node_id);
}

void ValueChecker::get_done(std::uint64_t op, const core::GetOutcome& outcome) {
  auto it = in_flight_.find(op);
  if (it == in_flight_.end()) return;
  const InFlight flight = std::move(it->second);
  in_flight_.erase(it);
  const ValueCheckSpec& spec = checks_[flight.check].spec;
  const bool found = outcome.found && !outcome.values.empty();
  result_.gets_found += found;
  // A get whose budget ran out was still looking: it says nothing about
  // what the DHT holds (a slow WAN shape with the default 10 s budget), so
  // it fails for its user but breaks neither value_lost nor an expectation.
  const bool timed_out = outcome.error == "timeout";
  result_.gets_timed_out += timed_out;
  // One that had nobody to ask (its links all gone, mid-crash of its
  // neighbours) is the getter's isolation, not the DHT losing a value.
  const bool cut_off = outcome.error == "no_peers";
  std::size_t missing = 0;
  for (const Expected& want : flight.expected) {
    const bool has =
        std::any_of(outcome.values.begin(), outcome.values.end(), [&](const core::SignedValue& v) {
          return v.publisher == want.publisher && v.seq >= want.seq;
        });
    auto acked = acked_.find(spec.key);
    Acked* record = nullptr;
    if (acked != acked_.end())
      if (auto p = acked->second.find(want.publisher); p != acked->second.end())
        record = &p->second;
    if (has) {
      // Whoever answered with it holds it (again, after a restart and a
      // republish).
      if (record != nullptr && record->seq == want.seq)
        for (const auto& source : outcome.sources) record->holding.insert(source.node_id);
      continue;
    }
    ++missing;
    if (!want.held || timed_out || cut_off) continue;
    ++result_.lost_gets;
    if (record != nullptr && record->seq == want.seq && !record->lost) {
      record->lost = true;
      ++result_.values_lost;
    }
    host_.violation("value_lost", flight.process);
  }
  // What a user would call a failed get: it missed a value acknowledged
  // before it, or found nothing of a key someone had tried to put before.
  if (missing > 0 || (!found && flight.put_before)) ++result_.gets_failed;
  // An expectation to find something holds only once a put of the key was
  // acknowledged before the get (on a slow shape the put may still be on
  // its way); one to find nothing always does.
  const bool owed = !flight.expected.empty();
  bool mismatch = false;
  if (spec.expect_found && *spec.expect_found != found && (owed || !*spec.expect_found))
    mismatch = true;
  if (spec.expect_value && owed &&
      std::none_of(outcome.values.begin(), outcome.values.end(),
                   [&](const core::SignedValue& v) { return v.data == *spec.expect_value; }))
    mismatch = true;
  if (mismatch && flight.held && !timed_out) {
    ++result_.mismatches;
    host_.violation("value_mismatch", flight.process);
  }
  trace_line("get_done op=" + std::to_string(op) + " key=" + spec.key +
             " found=" + (found ? "1" : "0") + " error=" + outcome.error + " values=" +
             std::to_string(outcome.values.size()) + " missing=" + std::to_string(missing) +
             " asked=" + std::to_string(outcome.asked) + " took_ms=" + ms_text(outcome.took));
}

void ValueChecker::crashing(int process, const core::NodeId& id) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (it->second.process == process) {
      ++result_.unfinished;
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [key, publishers] : acked_)
    for (auto& [publisher, acked] : publishers)
      if (acked.holding.erase(id) > 0) ++acked.holder_crashes;
}

ValueCheckResult ValueChecker::result() const {
  ValueCheckResult out = result_;
  out.unfinished += in_flight_.size();
  return out;
}

}  // namespace yz::sim
