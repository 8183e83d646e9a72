#include "sim/cli.h"

#include <charconv>

namespace yz::sim {
namespace {

bool parse_u64(const std::string& text, std::uint64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

std::string usage() {
  return R"(yzsim: deterministic simulation of a yz network, running the real role code.

usage:
  yzsim run SCENARIO [--seed N] [--fault NAME]... [--strategy fifo|random]
                     [--json] [--trace FILE] [--check]
                     [--record RUN.json] [--perfetto FILE]
  yzsim explore SCENARIO --runs N [--seed FIRST] [--fault NAME]... [--json]
  yzsim report RUN.json [--html FILE] [--perfetto FILE]
  yzsim faults
  yzsim --help | --version

  run       one run; prints the health table (or, with --json, one JSON object).
            --check exits 1 when a process ends unhealthy or an invariant broke.
  explore   N runs with seeds FIRST..FIRST+N-1; prints the distribution of
            unhealthy processes and the failing seeds (replay with run --seed).
  report    draws a run recorded with run --record: --html writes one
            self-contained page (health swimlanes, the link graph at any
            moment, the messages around the first violation); --perfetto the
            trace for ui.perfetto.dev.
  faults    lists the fault switches.

  --fault NAME     turns a fault on (repeatable); the scenario's own faults stay on
  --no-scenario-faults  ignores the faults the scenario file turns on
  --trace FILE     writes every event, one per line (same seed, same file)
  --record FILE    writes RUN.json: the --json result plus the timeline (health,
                   links, every frame delivered); the trace hash does not change
  --perfetto FILE  writes Chrome trace-event JSON, one track per process
exit status: 0 ok, 1 --check found a failure, 2 bad usage or bad scenario
)";
}

CliParse parse_cli(const std::vector<std::string>& args) {
  CliOptions o;
  if (args.empty()) return {std::nullopt, "no command given (try yzsim --help)"};
  std::size_t i = 0;
  const std::string& first = args[0];
  if (first == "--help" || first == "-h" || first == "help") {
    o.command = "help";
    return {o, {}};
  }
  if (first == "--version") {
    o.command = "version";
    return {o, {}};
  }
  if (first != "run" && first != "explore" && first != "report" && first != "faults")
    return {std::nullopt,
            "unknown command '" + first + "' (expected run, explore, report or faults)"};
  o.command = first;
  ++i;
  if (o.command != "faults") {
    if (i >= args.size() || args[i].starts_with("--"))
      return {std::nullopt,
              o.command + (o.command == "report" ? " needs a RUN.json file (from run --record)"
                                                 : " needs a SCENARIO file")};
    o.scenario_path = args[i++];
  }
  bool runs_given = false;
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= args.size()) return false;
      out = args[++i];
      return true;
    };
    std::string v;
    if (o.command == "report") {
      if (flag == "--html" && value(v) && !v.empty()) {
        o.html_path = v;
      } else if (flag == "--perfetto" && value(v) && !v.empty()) {
        o.perfetto_path = v;
      } else {
        return {std::nullopt, flag == "--html" || flag == "--perfetto"
                                  ? flag + " needs a file name"
                                  : "unknown flag '" + flag + "' for report"};
      }
      continue;
    }
    if (flag == "--seed") {
      if (!value(v) || !parse_u64(v, o.seed))
        return {std::nullopt, "--seed needs a non-negative integer, got '" + v + "'"};
    } else if (flag == "--runs" && o.command == "explore") {
      if (!value(v) || !parse_u64(v, o.runs) || o.runs == 0)
        return {std::nullopt, "--runs needs a positive integer, got '" + v + "'"};
      runs_given = true;
    } else if (flag == "--fault") {
      if (!value(v)) return {std::nullopt, "--fault needs a fault name (yzsim faults lists them)"};
      const auto fault = core::fault_from_name(v);
      if (!fault) return {std::nullopt, "unknown fault '" + v + "' (yzsim faults lists them)"};
      o.faults.enable(*fault);
    } else if (flag == "--no-scenario-faults") {
      o.no_scenario_faults = true;
    } else if (flag == "--strategy") {
      if (!value(v)) return {std::nullopt, "--strategy needs fifo or random"};
      if (v == "fifo") {
        o.strategy = Strategy::kFifo;
      } else if (v == "random") {
        o.strategy = Strategy::kRandom;
      } else {
        return {std::nullopt, "unknown strategy '" + v + "' (expected fifo or random)"};
      }
    } else if (flag == "--json") {
      o.json = true;
    } else if (flag == "--check" && o.command == "run") {
      o.check = true;
    } else if (flag == "--trace" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--trace needs a file name"};
      o.trace_path = v;
    } else if (flag == "--record" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--record needs a file name"};
      o.record_path = v;
    } else if (flag == "--perfetto" && o.command == "run") {
      if (!value(v) || v.empty()) return {std::nullopt, "--perfetto needs a file name"};
      o.perfetto_path = v;
    } else {
      return {std::nullopt, "unknown flag '" + flag + "' for " + o.command};
    }
  }
  if (o.command == "explore" && !runs_given) return {std::nullopt, "explore needs --runs N"};
  if (o.command == "report" && o.html_path.empty() && o.perfetto_path.empty())
    return {std::nullopt, "report needs --html FILE or --perfetto FILE"};
  return {o, {}};
}

}  // namespace yz::sim
