#include "sim/shard.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <sstream>
#include <utility>

#include "roles/json/json.h"

namespace yz::sim {

std::uint64_t content_hash(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

namespace {

constexpr std::uint64_t kFormat = 1;

void strings(std::ostream& out, const std::vector<std::string>& items) {
  out << "[";
  for (std::size_t i = 0; i < items.size(); ++i) out << (i ? "," : "") << json::quote(items[i]);
  out << "]";
}

template <typename Numbers>
void numbers(std::ostream& out, const Numbers& items) {
  out << "[";
  bool first = true;
  for (const auto n : items) {
    out << (first ? "" : ",") << n;
    first = false;
  }
  out << "]";
}

// Reads the fields of one JSON object, remembering the first one missing
// or of the wrong type, so that a damaged file is refused by name.
class Reader {
 public:
  Reader(const json::Value* object, std::string where, std::string& error)
      : object_(object), where_(std::move(where)), error_(error) {
    if (object_ == nullptr || !object_->is_object()) fail("");
  }
  const json::Value* get(std::string_view key, json::Value::Type type) {
    const json::Value* v = object_ != nullptr ? object_->find(key) : nullptr;
    if (v == nullptr || v->type() != type) {
      fail(key);
      return nullptr;
    }
    return v;
  }
  std::uint64_t u64(std::string_view key) {
    const json::Value* v = get(key, json::Value::Type::kNumber);
    if (v == nullptr) return 0;
    constexpr std::uint64_t kBad = ~0ULL;
    const std::uint64_t n = v->as_uint(kBad);
    if (n == kBad && v->text() != "18446744073709551615") fail(key);
    return n;
  }
  double number(std::string_view key) {
    const json::Value* v = get(key, json::Value::Type::kNumber);
    return v != nullptr ? v->as_double() : 0;
  }
  std::string text(std::string_view key) {
    const json::Value* v = get(key, json::Value::Type::kString);
    return v != nullptr ? v->text() : std::string();
  }
  bool flag(std::string_view key) {
    const json::Value* v = get(key, json::Value::Type::kBool);
    return v != nullptr && v->as_bool();
  }
  std::vector<std::string> texts(std::string_view key) {
    std::vector<std::string> out;
    if (const json::Value* v = get(key, json::Value::Type::kArray))
      for (const auto& item : v->items()) {
        if (!item.is_string()) fail(key);
        out.push_back(item.text());
      }
    return out;
  }
  std::vector<std::uint64_t> u64s(std::string_view key) {
    std::vector<std::uint64_t> out;
    if (const json::Value* v = get(key, json::Value::Type::kArray))
      for (const auto& item : v->items()) {
        if (!item.is_number() || item.text().find_first_not_of("0123456789") != std::string::npos)
          fail(key);
        out.push_back(item.as_uint());
      }
    return out;
  }
  bool ok() const { return error_.empty(); }

 private:
  void fail(std::string_view key) {
    if (!error_.empty()) return;
    error_ = key.empty() ? where_ + " is not an object"
                         : "no valid \"" + std::string(key) + "\" in " + where_;
  }
  const json::Value* object_;
  std::string where_;
  std::string& error_;
};

void read_value_checks(Reader& v, ValueCheckResult& out) {
  out.puts = v.u64("puts");
  out.puts_acked = v.u64("puts_acked");
  out.puts_failed = v.u64("puts_failed");
  out.gets = v.u64("gets");
  out.gets_found = v.u64("gets_found");
  out.gets_failed = v.u64("gets_failed");
  out.gets_timed_out = v.u64("gets_timed_out");
  out.gets_held = v.u64("gets_held");
  out.lost_gets = v.u64("lost_gets");
  out.values_lost = v.u64("values_lost");
  out.mismatches = v.u64("mismatches");
  out.unfinished = v.u64("unfinished");
  out.skipped = v.u64("skipped");
}

std::string run_range(std::uint64_t begin, std::uint64_t end) {
  if (begin == end) return "no runs";
  if (end - begin == 1) return "run " + std::to_string(begin);
  return "runs " + std::to_string(begin) + ".." + std::to_string(end - 1);
}

std::string shard_name(const ShardInput& in) {
  return in.path + " (shard " + std::to_string(in.shard.index) + "/" +
         std::to_string(in.shard.count) + ")";
}

// The first field in which two explorations differ, as "field a vs b".
std::string difference(const Exploration& a, const Exploration& b) {
  auto join = [](const std::vector<std::string>& v) {
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
    return out + "]";
  };
  auto yes_no = [](bool v) { return std::string(v ? "on" : "off"); };
  if (a.scenario != b.scenario) return "scenario " + a.scenario + " vs " + b.scenario;
  if (a.scenario_hash != b.scenario_hash) return "scenario file contents differ";
  if (a.strategy != b.strategy) return "strategy " + a.strategy + " vs " + b.strategy;
  if (a.first_seed != b.first_seed)
    return "--seed " + std::to_string(a.first_seed) + " vs " + std::to_string(b.first_seed);
  if (a.runs != b.runs) return "--runs " + std::to_string(a.runs) + " vs " + std::to_string(b.runs);
  if (a.depth != b.depth)
    return "--depth " + std::to_string(a.depth) + " vs " + std::to_string(b.depth);
  if (a.faults != b.faults) return "--fault " + join(a.faults) + " vs " + join(b.faults);
  if (a.no_scenario_faults != b.no_scenario_faults)
    return "--no-scenario-faults " + yes_no(a.no_scenario_faults) + " vs " +
           yes_no(b.no_scenario_faults);
  return "--fast-signatures " + yes_no(a.fast_signatures) + " vs " + yes_no(b.fast_signatures);
}

// Shards that all split the runs the same way: each index once.
std::string check_indices(const std::vector<ShardInput>& inputs) {
  const std::uint64_t count = inputs.front().shard.count;
  std::map<std::uint64_t, const ShardInput*> by_index;
  for (const auto& in : inputs) {
    const auto [it, fresh] = by_index.emplace(in.shard.index, &in);
    if (!fresh)
      return "overlapping shards: " + it->second->path + " and " + in.path + " are both shard " +
             std::to_string(in.shard.index) + "/" + std::to_string(count);
  }
  std::string missing;
  for (std::uint64_t i = 0; i < count && missing.size() < 200; ++i)
    if (!by_index.contains(i))
      missing += (missing.empty() ? "" : ", ") + std::to_string(i) + "/" + std::to_string(count);
  return missing.empty() ? std::string() : "missing shard " + missing;
}

// Shards of different splits (say 3 of one and 2 of another): their slices
// must tile the runs, none twice, none left out.
std::string check_ranges(const std::vector<ShardInput>& inputs, std::uint64_t runs) {
  std::vector<const ShardInput*> order;
  for (const auto& in : inputs) order.push_back(&in);
  std::sort(order.begin(), order.end(), [](const ShardInput* a, const ShardInput* b) {
    return std::pair(a->shard.run_begin, a->shard.run_end) <
           std::pair(b->shard.run_begin, b->shard.run_end);
  });
  std::uint64_t covered = 0;
  const ShardInput* previous = nullptr;
  for (const ShardInput* in : order) {
    const ShardResult& s = in->shard;
    if (s.run_begin == s.run_end) continue;
    if (s.run_begin < covered)
      return "overlapping shards: " + run_range(s.run_begin, std::min(covered, s.run_end)) +
             " are in both " + shard_name(*previous) + " and " + shard_name(*in);
    if (s.run_begin > covered)
      return "missing shard: " + run_range(covered, s.run_begin) + " are in no shard given";
    covered = s.run_end;
    previous = in;
  }
  if (covered < runs)
    return "missing shard: " + run_range(covered, runs) + " are in no shard given";
  return {};
}

}  // namespace

std::string to_json(const ShardResult& s) {
  const Exploration& e = s.exploration;
  const ExploreResult& r = s.summary;
  std::ostringstream out;
  out << "{\"yzsim_shard\":" << kFormat
      << ",\"exploration\":{\"scenario\":" << json::quote(e.scenario)
      << ",\"scenario_hash\":" << e.scenario_hash << ",\"strategy\":" << json::quote(e.strategy)
      << ",\"first_seed\":" << e.first_seed << ",\"runs\":" << e.runs << ",\"depth\":" << e.depth
      << ",\"faults\":";
  strings(out, e.faults);
  out << ",\"no_scenario_faults\":" << (e.no_scenario_faults ? "true" : "false")
      << ",\"fast_signatures\":" << (e.fast_signatures ? "true" : "false") << "}"
      << ",\"index\":" << s.index << ",\"count\":" << s.count << ",\"run_begin\":" << s.run_begin
      << ",\"run_end\":" << s.run_end << ",\"started_unix\":" << json::number(s.started_unix)
      << ",\"finished_unix\":" << json::number(s.finished_unix) << ",\"jobs\":" << r.jobs
      << ",\"all_faults\":";
  strings(out, r.faults);
  out << ",\"replay_command\":" << json::quote(r.replay_command) << ",\"runs\":" << r.runs
      << ",\"events\":" << r.total_events << ",\"signatures\":" << r.total_signatures
      << ",\"verifications\":" << r.total_verifications << ",\"failing_runs\":" << r.failing_runs
      << ",\"safety_failures\":" << r.safety_failures
      << ",\"liveness_failures\":" << r.liveness_failures;
  if (r.value_checks.any())
    out << ",\"value_checks\":" << value_checks_json(r.value_checks)
        << ",\"runs_with_failed_gets\":" << r.runs_with_failed_gets;
  out << ",\"unhealthy_histogram\":{";
  bool first = true;
  for (const auto& [unhealthy, runs] : r.unhealthy_histogram) {
    out << (first ? "" : ",") << "\"" << unhealthy << "\":" << runs;
    first = false;
  }
  out << "},\"failing_seeds\":";
  numbers(out, r.failing_seeds);
  out << ",\"first_failure\":{";
  first = true;
  for (const auto& [kind, f] : s.first_failure) {
    out << (first ? "" : ",") << json::quote(kind) << ":{\"run_index\":" << f.run_index
        << ",\"seed\":" << f.seed << ",\"step\":" << f.step << ",\"trace\":" << json::quote(f.trace)
        << ",\"trace_hash\":" << f.trace_hash << "}";
    first = false;
  }
  out << "},\"trace_hashes\":";
  numbers(out, s.trace_hashes);
  out << ",\"orderings\":";
  numbers(out, s.orderings);
  out << "}\n";
  return out.str();
}

std::optional<ShardResult> shard_from_json(std::string_view text, std::string& error) {
  error.clear();
  std::string parse_error;
  const std::optional<json::Value> doc = json::parse(text, &parse_error);
  if (!doc) {
    error = "not JSON: " + parse_error;
    return std::nullopt;
  }
  if (!doc->is_object() || doc->find("yzsim_shard") == nullptr) {
    error = "not a yzsim shard file (no \"yzsim_shard\"; write one with explore --out)";
    return std::nullopt;
  }
  ShardResult s;
  Reader top(&*doc, "the shard file", error);
  if (top.u64("yzsim_shard") != kFormat) {
    error = "shard file format " + doc->find("yzsim_shard")->text() + ", this yzsim reads " +
            std::to_string(kFormat);
    return std::nullopt;
  }
  Reader e(top.get("exploration", json::Value::Type::kObject), "exploration", error);
  s.exploration.scenario = e.text("scenario");
  s.exploration.scenario_hash = e.u64("scenario_hash");
  s.exploration.strategy = e.text("strategy");
  s.exploration.first_seed = e.u64("first_seed");
  s.exploration.runs = e.u64("runs");
  s.exploration.depth = static_cast<std::uint32_t>(e.u64("depth"));
  s.exploration.faults = e.texts("faults");
  s.exploration.no_scenario_faults = e.flag("no_scenario_faults");
  s.exploration.fast_signatures = e.flag("fast_signatures");
  s.index = top.u64("index");
  s.count = top.u64("count");
  s.run_begin = top.u64("run_begin");
  s.run_end = top.u64("run_end");
  s.started_unix = top.number("started_unix");
  s.finished_unix = top.number("finished_unix");
  ExploreResult& r = s.summary;
  r.scenario = s.exploration.scenario;
  r.strategy = s.exploration.strategy;
  r.jobs = static_cast<unsigned>(top.u64("jobs"));
  r.faults = top.texts("all_faults");
  r.replay_command = top.text("replay_command");
  r.first_seed = s.exploration.first_seed + s.run_begin;
  r.runs = top.u64("runs");
  r.total_events = top.u64("events");
  r.total_signatures = top.u64("signatures");
  r.total_verifications = top.u64("verifications");
  r.failing_runs = top.u64("failing_runs");
  r.safety_failures = top.u64("safety_failures");
  r.liveness_failures = top.u64("liveness_failures");
  // Optional: explorations without value checks write none.
  if (doc->find("value_checks") != nullptr) {
    Reader v(top.get("value_checks", json::Value::Type::kObject), "value_checks", error);
    read_value_checks(v, r.value_checks);
    r.runs_with_failed_gets = top.u64("runs_with_failed_gets");
  }
  if (const json::Value* h = top.get("unhealthy_histogram", json::Value::Type::kObject)) {
    Reader histogram(h, "unhealthy_histogram", error);
    for (const auto& [unhealthy, runs] : h->members()) {
      std::uint64_t n = 0;
      const auto [ptr, ec] =
          std::from_chars(unhealthy.data(), unhealthy.data() + unhealthy.size(), n);
      if (ec != std::errc() || ptr != unhealthy.data() + unhealthy.size()) {
        if (error.empty()) error = "unhealthy_histogram: key \"" + unhealthy + "\" is no count";
        break;
      }
      r.unhealthy_histogram[n] = histogram.u64(unhealthy);
    }
  }
  r.failing_seeds = top.u64s("failing_seeds");
  if (const json::Value* failures = top.get("first_failure", json::Value::Type::kObject))
    for (const auto& [kind, value] : failures->members()) {
      Reader f(&value, "first_failure " + kind, error);
      ShardFailure failure;
      failure.run_index = f.u64("run_index");
      failure.seed = f.u64("seed");
      failure.step = f.u64("step");
      failure.trace = f.text("trace");
      failure.trace_hash = f.u64("trace_hash");
      s.first_failure[kind] = failure;
      r.first_failing_seed[kind] = failure.seed;
    }
  s.trace_hashes = top.u64s("trace_hashes");
  s.orderings = top.u64s("orderings");
  for (const auto* hashes : {&s.trace_hashes, &s.orderings})
    if (std::adjacent_find(hashes->begin(), hashes->end(), std::greater_equal<>()) !=
        hashes->end()) {
      if (error.empty()) error = "its hashes are not sorted and distinct";
    }
  r.distinct_trace_hashes = s.trace_hashes.size();
  r.distinct_orderings = s.orderings.size();
  if (!error.empty()) return std::nullopt;
  // A slice that is not the one its index names, or results outside it,
  // would merge into a result no single run gives.
  if (s.count == 0 || s.index >= s.count) {
    error = "shard " + std::to_string(s.index) + "/" + std::to_string(s.count) + " is no shard";
    return std::nullopt;
  }
  const RunSlice slice = shard_slice(s.exploration.runs, s.index, s.count);
  if (slice.begin != s.run_begin || slice.end != s.run_end || r.runs != s.run_end - s.run_begin) {
    error = "its " + run_range(s.run_begin, s.run_end) + " are not shard " +
            std::to_string(s.index) + "/" + std::to_string(s.count) + "'s";
    return std::nullopt;
  }
  const std::uint64_t lo = s.exploration.first_seed + s.run_begin;
  const std::uint64_t hi = s.exploration.first_seed + s.run_end;
  for (const std::uint64_t seed : r.failing_seeds)
    if (seed < lo || seed >= hi) {
      error = "failing seed " + std::to_string(seed) + " lies outside its slice";
      return std::nullopt;
    }
  for (const auto& [kind, f] : s.first_failure)
    if (f.run_index < s.run_begin || f.run_index >= s.run_end) {
      error = "the first " + kind + " failure lies outside its slice";
      return std::nullopt;
    }
  return s;
}

MergeOutcome merge_shards(const std::vector<ShardInput>& inputs) {
  if (inputs.empty()) return {std::nullopt, "no shard files given"};
  const ShardInput& head = inputs.front();
  for (const auto& in : inputs)
    if (!(in.shard.exploration == head.shard.exploration))
      return {std::nullopt, "shards of different explorations: " + head.path + " and " + in.path +
                                " (" + difference(head.shard.exploration, in.shard.exploration) +
                                ")"};
  const bool one_split = std::all_of(inputs.begin(), inputs.end(), [&](const ShardInput& in) {
    return in.shard.count == head.shard.count;
  });
  const std::string coverage =
      one_split ? check_indices(inputs) : check_ranges(inputs, head.shard.exploration.runs);
  if (!coverage.empty()) return {std::nullopt, coverage};

  // Run order: the slices are contiguous, so sorting them by their first
  // run puts every list (failing seeds) in the single run's order.
  std::vector<std::size_t> order(inputs.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::pair(inputs[a].shard.run_begin, inputs[a].shard.run_end) <
           std::pair(inputs[b].shard.run_begin, inputs[b].shard.run_end);
  });
  Merged m;
  ExploreResult& r = m.summary;
  const Exploration& e = head.shard.exploration;
  r.scenario = e.scenario;
  r.strategy = e.strategy;
  r.first_seed = e.first_seed;
  r.faults = head.shard.summary.faults;
  r.replay_command = head.shard.summary.replay_command;
  r.jobs = 0;
  std::vector<std::uint64_t> trace_hashes, orderings;
  double started = 0, finished = 0;
  bool first = true;
  for (const std::size_t i : order) {
    const ShardResult& s = inputs[i].shard;
    const ExploreResult& part = s.summary;
    r.runs += part.runs;
    r.jobs += part.jobs;
    r.total_events += part.total_events;
    r.total_signatures += part.total_signatures;
    r.total_verifications += part.total_verifications;
    r.failing_runs += part.failing_runs;
    r.safety_failures += part.safety_failures;
    r.liveness_failures += part.liveness_failures;
    r.value_checks.add(part.value_checks);
    r.runs_with_failed_gets += part.runs_with_failed_gets;
    for (const auto& [unhealthy, runs] : part.unhealthy_histogram)
      r.unhealthy_histogram[unhealthy] += runs;
    r.failing_seeds.insert(r.failing_seeds.end(), part.failing_seeds.begin(),
                           part.failing_seeds.end());
    for (const auto& [kind, failure] : s.first_failure) {
      const auto it = m.first_failure.find(kind);
      if (it != m.first_failure.end() && it->second.run_index <= failure.run_index) continue;
      m.first_failure[kind] = failure;
      m.from_input[kind] = i;
      r.first_failing_seed[kind] = failure.seed;
    }
    trace_hashes.insert(trace_hashes.end(), s.trace_hashes.begin(), s.trace_hashes.end());
    orderings.insert(orderings.end(), s.orderings.begin(), s.orderings.end());
    started = first ? s.started_unix : std::min(started, s.started_unix);
    finished = first ? s.finished_unix : std::max(finished, s.finished_unix);
    first = false;
  }
  // Two shards' runs may end in the same state: count it once.
  for (auto* hashes : {&trace_hashes, &orderings}) {
    std::sort(hashes->begin(), hashes->end());
    hashes->erase(std::unique(hashes->begin(), hashes->end()), hashes->end());
  }
  r.distinct_trace_hashes = trace_hashes.size();
  r.distinct_orderings = orderings.size();
  // The exploration's wall time: from the first shard's start to the last
  // one's end (shards side by side overlap; one after another add up).
  r.wall_seconds = std::max(0.0, finished - started);
  return {std::move(m), {}};
}

}  // namespace yz::sim
