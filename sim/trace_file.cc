#include "sim/trace_file.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include "sim/simulator.h"

namespace yz::sim {
namespace {

constexpr std::string_view kMagic = "yzsim-trace 1";

std::string hex(std::uint64_t v) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%llx", static_cast<unsigned long long>(v));
  return buffer;
}

bool parse_hex(std::string_view text, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

bool parse_dec(std::string_view text, std::uint64_t& out) {
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size() && !text.empty();
}

std::string join_faults(const core::FaultSet& faults) {
  std::string out;
  for (const auto& name : faults.names()) out += (out.empty() ? "" : ",") + name;
  return out.empty() ? "-" : out;
}

std::optional<core::FaultSet> split_faults(std::string_view text) {
  core::FaultSet out;
  if (text == "-") return out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto name = text.substr(0, comma);
    const auto fault = core::fault_from_name(name);
    if (!fault) return std::nullopt;
    out.enable(*fault);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

char kind_letter(ChoiceKind kind) {
  switch (kind) {
    case ChoiceKind::kOrder:
      return 'o';
    case ChoiceKind::kLatency:
      return 'l';
    case ChoiceKind::kJitter:
      return 'j';
  }
  return '?';
}

std::optional<ChoiceKind> kind_of(char letter) {
  switch (letter) {
    case 'o':
      return ChoiceKind::kOrder;
    case 'l':
      return ChoiceKind::kLatency;
    case 'j':
      return ChoiceKind::kJitter;
    default:
      return std::nullopt;
  }
}

// A step line without its cause=N field: traces written before the field
// existed replay against new ones (the field is never hashed).
std::string without_cause(const std::string& line) {
  const auto at = line.find(" cause=");
  if (at == std::string::npos) return line;
  const auto end = line.find(' ', at + 1);
  return line.substr(0, at) + (end == std::string::npos ? std::string() : line.substr(end));
}

}  // namespace

std::string format_trace(const TraceFile& t) {
  std::ostringstream out;
  out << kMagic << "\n";
  out << "# replay: yzsim replay THIS_FILE    shrink: yzsim shrink THIS_FILE\n";
  out << "origin " << t.scenario_origin << "\n";
  out << "seed " << t.seed << "\n";
  out << "strategy " << (t.strategy.empty() ? "random" : t.strategy) << "\n";
  out << "faults " << join_faults(t.faults) << "\n";
  for (const auto& name : t.edits.dropped) out << "edit drop " << name << "\n";
  if (t.edits.latency_min) out << "edit latency_min_ns " << *t.edits.latency_min << "\n";
  if (t.edits.latency_max) out << "edit latency_max_ns " << *t.edits.latency_max << "\n";
  if (t.edits.start_spacing_percent)
    out << "edit start_spacing_percent " << *t.edits.start_spacing_percent << "\n";
  if (t.edits.faults) out << "edit faults " << join_faults(*t.edits.faults) << "\n";
  if (t.edits.duration) out << "edit duration_ns " << *t.edits.duration << "\n";
  if (t.edits.restarts) out << "edit restarts " << *t.edits.restarts << "\n";
  if (t.edits.sim_hash_signatures) out << "edit signatures sim_hash\n";
  if (t.edits.latency_tail_max)
    out << "edit latency_tail_max_ns " << *t.edits.latency_tail_max << "\n";
  if (t.edits.latency_tail_per_mille)
    out << "edit latency_tail_per_mille " << *t.edits.latency_tail_per_mille << "\n";
  if (t.edits.liveness_bound) out << "edit liveness_bound_ns " << *t.edits.liveness_bound << "\n";
  for (const auto& [name, value] : t.edits.timing)
    out << "edit timing." << name << "_ns " << value << "\n";
  out << "trace_hash " << hex(t.trace_hash) << "\n";
  out << "ordering_hash " << hex(t.ordering_hash) << "\n";
  out << "events " << t.events << "\n";
  for (const auto& kind : t.failures) out << "failure " << kind << "\n";
  if (!t.saved_for.empty()) out << "saved_for " << t.saved_for << "\n";
  out << "scenario " << t.scenario_text.size() << "\n" << t.scenario_text << "\n";
  out << "choices " << t.choices.size() << "\n";
  for (std::size_t i = 0; i < t.choices.size(); ++i) {
    out << kind_letter(t.choices[i].kind) << hex(t.choices[i].value);
    out << ((i % 16 == 15 || i + 1 == t.choices.size()) ? "\n" : " ");
  }
  out << "steps " << t.steps.size() << "\n";
  for (const auto& line : t.steps) out << line << "\n";
  out << "end\n";
  return out.str();
}

TraceLoad parse_trace(const std::string& text, const std::string& origin) {
  TraceFile t;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  auto fail = [&](const std::string& problem) {
    return TraceLoad{std::nullopt, origin + ":" + std::to_string(line_no) + ": " + problem};
  };
  auto next_line = [&](std::string_view& line) -> bool {
    if (pos >= text.size()) return false;
    const auto end = text.find('\n', pos);
    const std::size_t stop = end == std::string::npos ? text.size() : end;
    line = std::string_view(text).substr(pos, stop - pos);
    pos = stop + 1;
    ++line_no;
    return true;
  };
  std::string_view line;
  if (!next_line(line) || line != kMagic)
    return fail("not a yzsim trace (expected '" + std::string(kMagic) + "' on the first line)");
  bool have_scenario = false, have_end = false;
  while (next_line(line)) {
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find(' ');
    const std::string_view key = line.substr(0, space);
    const std::string_view value = space == std::string_view::npos ? "" : line.substr(space + 1);
    std::uint64_t n = 0;
    if (key == "origin") {
      t.scenario_origin = std::string(value);
    } else if (key == "seed") {
      if (!parse_dec(value, t.seed)) return fail("seed needs a number");
    } else if (key == "strategy") {
      t.strategy = std::string(value);
    } else if (key == "faults") {
      auto faults = split_faults(value);
      if (!faults) return fail("unknown fault in '" + std::string(value) + "'");
      t.faults = *faults;
    } else if (key == "edit") {
      const auto sp = value.find(' ');
      const std::string_view what = value.substr(0, sp);
      const std::string_view arg = sp == std::string_view::npos ? "" : value.substr(sp + 1);
      if (what == "drop") {
        t.edits.dropped.emplace_back(arg);
      } else if (what == "faults") {
        auto faults = split_faults(arg);
        if (!faults) return fail("unknown fault in '" + std::string(arg) + "'");
        t.edits.faults = *faults;
      } else if (what == "signatures") {
        if (arg != "sim_hash") return fail("edit signatures must be sim_hash");
        t.edits.sim_hash_signatures = true;
      } else if (!parse_dec(arg, n)) {
        return fail("edit " + std::string(what) + " needs a number");
      } else if (what == "latency_min_ns") {
        t.edits.latency_min = static_cast<core::Duration>(n);
      } else if (what == "latency_max_ns") {
        t.edits.latency_max = static_cast<core::Duration>(n);
      } else if (what == "start_spacing_percent") {
        t.edits.start_spacing_percent = static_cast<std::uint32_t>(n);
      } else if (what == "duration_ns") {
        t.edits.duration = static_cast<core::Duration>(n);
      } else if (what == "restarts") {
        t.edits.restarts = static_cast<std::uint32_t>(n);
      } else if (what == "latency_tail_max_ns") {
        t.edits.latency_tail_max = static_cast<core::Duration>(n);
      } else if (what == "latency_tail_per_mille") {
        t.edits.latency_tail_per_mille = static_cast<std::uint32_t>(n);
      } else if (what == "liveness_bound_ns") {
        t.edits.liveness_bound = static_cast<core::Duration>(n);
      } else if (what.starts_with("timing.") && what.ends_with("_ns") &&
                 std::any_of(timing_durations().begin(), timing_durations().end(),
                             [&](const TimingDuration& f) {
                               return f.name == what.substr(7, what.size() - 10);
                             })) {
        t.edits.timing[std::string(what.substr(7, what.size() - 10))] =
            static_cast<core::Duration>(n);
      } else {
        return fail("unknown edit '" + std::string(what) + "'");
      }
    } else if (key == "trace_hash") {
      if (!parse_hex(value, t.trace_hash)) return fail("trace_hash needs hex");
    } else if (key == "ordering_hash") {
      if (!parse_hex(value, t.ordering_hash)) return fail("ordering_hash needs hex");
    } else if (key == "events") {
      if (!parse_dec(value, t.events)) return fail("events needs a number");
    } else if (key == "failure") {
      t.failures.emplace_back(value);
    } else if (key == "saved_for") {
      t.saved_for = std::string(value);
    } else if (key == "scenario") {
      if (!parse_dec(value, n) || pos + n > text.size())
        return fail("scenario needs its length in bytes, and that many bytes after it");
      t.scenario_text = text.substr(pos, n);
      for (std::size_t i = pos; i < pos + n; ++i) line_no += text[i] == '\n';
      pos += n;
      if (pos < text.size() && text[pos] == '\n') ++pos;
      have_scenario = true;
    } else if (key == "choices") {
      if (!parse_dec(value, n)) return fail("choices needs a count");
      t.choices.reserve(n);
      while (t.choices.size() < n) {
        if (!next_line(line)) return fail("the file ends inside the choices");
        std::size_t at = 0;
        while (at < line.size()) {
          auto end = line.find(' ', at);
          if (end == std::string_view::npos) end = line.size();
          const std::string_view word = line.substr(at, end - at);
          const auto kind = word.empty() ? std::nullopt : kind_of(word[0]);
          std::uint64_t v = 0;
          if (!kind || !parse_hex(word.substr(1), v))
            return fail("bad choice '" + std::string(word) + "'");
          t.choices.push_back(Choice{*kind, v});
          at = end + 1;
        }
      }
      if (t.choices.size() != n) return fail("choices count does not match the list");
    } else if (key == "steps") {
      if (!parse_dec(value, n)) return fail("steps needs a count");
      t.steps.reserve(n);
      for (std::uint64_t i = 0; i < n; ++i) {
        if (!next_line(line)) return fail("the file ends inside the steps");
        t.steps.emplace_back(line);
      }
    } else if (key == "end") {
      have_end = true;
      break;
    } else {
      return fail("unknown record '" + std::string(key) + "'");
    }
  }
  if (!have_scenario) return fail("no scenario in the trace");
  if (!have_end) return fail("the trace is cut short (no 'end' line)");
  return TraceLoad{std::move(t), {}};
}

TraceLoad load_trace_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return TraceLoad{std::nullopt, path + ": cannot open trace file"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_trace(buffer.str(), path);
}

ScenarioLoad trace_scenario(const TraceFile& trace, const ScenarioLimits& limits) {
  ScenarioLoad load =
      parse_scenario(trace.scenario_text, trace.scenario_origin + " (in trace)", limits);
  if (load.scenario) *load.scenario = apply_edits(*load.scenario, trace.edits);
  return load;
}

RecordedRun record_run(const std::string& scenario_text, const std::string& origin,
                       const Scenario& base, const RunSpec& spec, Chooser* chooser,
                       RunOptions options) {
  std::ostringstream lines;
  options.trace = &lines;
  options.record_choices = true;
  options.chooser = chooser;
  RecordedRun out;
  out.result = run_spec(base, spec, options);
  TraceFile& t = out.trace;
  t.scenario_origin = origin;
  t.scenario_text = scenario_text;
  t.seed = spec.seed;
  t.strategy = std::string(strategy_name(spec.strategy));
  t.faults = spec.faults;
  t.edits = spec.edits;
  t.trace_hash = out.result.trace_hash;
  t.ordering_hash = out.result.ordering_hash;
  t.events = out.result.events;
  t.failures = failure_kinds(out.result);
  t.choices = out.result.choices;
  std::istringstream in(lines.str());
  for (std::string line; std::getline(in, line);) t.steps.push_back(std::move(line));
  return out;
}

ReplayOutcome replay(const TraceFile& trace, const ScenarioLimits& limits) {
  ReplayOutcome out;
  ScenarioLoad load =
      parse_scenario(trace.scenario_text, trace.scenario_origin + " (in trace)", limits);
  if (!load.scenario) {
    out.difference = "the trace's scenario no longer loads: " + load.error;
    return out;
  }
  // The edits are applied by run_spec, as when the trace was recorded.
  RunSpec spec;
  spec.seed = trace.seed;
  spec.faults = trace.faults;
  spec.edits = trace.edits;
  if (auto s = strategy_from_name(trace.strategy)) spec.strategy = *s;
  ReplayChooser chooser(trace.choices);
  RecordedRun again =
      record_run(trace.scenario_text, trace.scenario_origin, *load.scenario, spec, &chooser);
  out.result = again.result;
  const auto& a = trace.steps;
  const auto& b = again.trace.steps;
  for (std::size_t i = 0; i < a.size() || i < b.size(); ++i) {
    const bool a_step = i < a.size() && !a[i].starts_with(" ");
    // Older traces lack fields added since (cause=N on steps, req=N on
    // request_timeout logs): neither is hashed, so they do not count.
    if (i < a.size() && i < b.size() &&
        (a[i] == b[i] || (a_step && without_cause(a[i]) == without_cause(b[i])) ||
         (!a_step && b[i].starts_with(a[i] + " ")))) {
      out.steps_compared += a_step;
      continue;
    }
    if (i >= a.size()) {
      out.difference = "the replay runs on past the recorded end: '" + b[i] + "'";
    } else if (i >= b.size()) {
      out.difference = "the replay ends before recorded line '" + a[i] + "'";
    } else {
      out.difference = "first difference at line " + std::to_string(i + 1) +
                       " of the steps:\n  recorded: " + a[i] + "\n  replayed: " + b[i];
    }
    return out;
  }
  if (again.result.trace_hash != trace.trace_hash) {
    out.difference = "every step matches but the final trace hash differs";
    return out;
  }
  if (chooser.divergence()) {
    out.difference =
        "choice " + std::to_string(*chooser.divergence()) + " was not the kind recorded";
    return out;
  }
  out.matches = true;
  return out;
}

}  // namespace yz::sim
