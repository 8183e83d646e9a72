// One large simulated network, run once, timed. Not a test: it prints one
// JSON line of figures and exits 0 whatever the network's health (exit 2 on
// bad usage or a bad scenario).
//
//   scale_sim [--nodes N] [--lookups M] [--seed S] [--interval-ms I] [--fast-signatures]
//   scale_sim --scenario FILE [--seed S]
//   scale_sim --nodes N --print-scenario     # the text proto it would run
//
// The generated scenario is sim/scenarios/scale-10000.textproto for
// N = 10000: a bootstrap, the genesis, two bridges and N nodes joining
// I ms apart (plus up to I ms of jitter), a 600 s health-check interval so
// pings stay out of the picture, M lookups checked against brute force 30 s
// after the last node started, and 30 s more for them to finish.
// --progress prints a line to stderr every 2^18 events (virtual time, events,
// CPU seconds, RSS), so that a run too long to finish still says how far it
// got and what it held there. --fast-signatures adds `signatures: SIM_HASH` (the simulator's
// stand-in for Ed25519, whose signing and verifying otherwise take most of the CPU).
//
// Memory is reported per link end (a link's end in one process; a link has
// two), counted at the end of the run, when every node has joined: the peak
// RSS over them (everything: binary, per-process costs, queues) and the heap
// in use at that moment over them (mallinfo2), and that heap less the heap
// right after setup (every process built, no link yet) over them. The setup
// heap over the processes is what a process costs before its first peer.

#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

#include "roles/core/peer_pool.h"
#include "roles/json/json.h"
#include "sim/scenario.h"
#include "sim/simulator.h"

namespace {

struct Options {
  std::uint64_t nodes = 10000;
  std::uint64_t lookups = 1000;
  std::uint64_t seed = 1;
  std::uint64_t interval_ms = 20;
  std::string scenario_path;
  bool print_scenario = false;
  bool fast_signatures = false;
  bool progress = false;
  bool generator_flags = false;  // --nodes, --lookups or --interval-ms given
};

constexpr char kUsage[] =
    "usage: scale_sim [--nodes N] [--lookups M] [--seed S] [--interval-ms I] [--fast-signatures]\n"
    "                 [--progress] [--print-scenario]\n"
    "       scale_sim --scenario FILE [--seed S]\n";

bool ParseU64(std::string_view text, std::uint64_t& out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// Returns an error message, or "" when the arguments are good.
std::string ParseArgs(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    auto number = [&](std::uint64_t& out) { return i + 1 < argc && ParseU64(argv[++i], out); };
    if (flag == "--nodes" || flag == "--lookups" || flag == "--interval-ms" ||
        flag == "--fast-signatures")
      o.generator_flags = true;
    if (flag == "--nodes") {
      if (!number(o.nodes) || o.nodes == 0) return "--nodes needs a positive integer";
    } else if (flag == "--lookups") {
      if (!number(o.lookups)) return "--lookups needs a non-negative integer";
    } else if (flag == "--seed") {
      if (!number(o.seed)) return "--seed needs a non-negative integer";
    } else if (flag == "--interval-ms") {
      if (!number(o.interval_ms) || o.interval_ms == 0)
        return "--interval-ms needs a positive integer";
    } else if (flag == "--scenario") {
      if (i + 1 >= argc) return "--scenario needs a file";
      o.scenario_path = argv[++i];
    } else if (flag == "--fast-signatures") {
      o.fast_signatures = true;
    } else if (flag == "--progress") {
      o.progress = true;
    } else if (flag == "--print-scenario") {
      o.print_scenario = true;
    } else if (flag == "--help" || flag == "-h") {
      return "help";
    } else {
      return "unknown flag '" + std::string(flag) + "'";
    }
  }
  if (!o.scenario_path.empty() && (o.generator_flags || o.print_scenario))
    return "--scenario runs a file as it is: --nodes, --lookups, --interval-ms, "
           "--fast-signatures and --print-scenario only shape the generated scenario";
  return {};
}

// The scale scenario as a text proto, so it goes through the same parser and
// validation as a file, and --print-scenario shows exactly what runs.
std::string ScaleScenarioText(const Options& o) {
  constexpr std::uint64_t kFirstStartMs = 5000;
  constexpr std::uint64_t kSettleMs = 30000;
  const std::uint64_t last_start_ms = kFirstStartMs + o.nodes * o.interval_ms;
  const std::uint64_t lookup_at_ms = last_start_ms + kSettleMs;
  const std::uint64_t duration_ms = lookup_at_ms + kSettleMs;
  std::ostringstream out;
  out << "# proto-file: proto/yz/sim/v1/scenario.proto\n"
      << "# proto-message: yz.sim.v1.Scenario\n"
      << "name: \"scale-" << o.nodes << "\"\n"
      << "description: \"bootstrap, genesis, 2 bridges, " << o.nodes << " nodes joining "
      << o.interval_ms << " ms apart; " << o.lookups << " lookup checks\"\n"
      << "duration_ms: " << duration_ms << "\n"
      << "latency { min_us: 500 max_us: 20000 }\n"
      << "timing { health_check_interval_ms: 600000 }\n"
      << "process { name: \"bootstrap\"     role: BOOTSTRAP start_at_ms: 0 }\n"
      << "process { name: \"genesis\"       role: GENESIS   start_at_ms: 1000 }\n"
      << "process { name: \"bridge-node-1\" role: BRIDGE    start_at_ms: 2000 }\n"
      << "process { name: \"bridge-node-2\" role: BRIDGE    start_at_ms: 2000 }\n"
      << "node_group {\n"
      << "  name_prefix: \"dht-node-\"\n"
      << "  count: " << o.nodes << "\n"
      << "  first_start_ms: " << kFirstStartMs << "\n"
      << "  start_interval_ms: " << o.interval_ms << "\n"
      << "  start_jitter_ms: " << o.interval_ms << "\n"
      << "}\n";
  if (o.fast_signatures) out << "signatures: SIM_HASH\n";
  if (o.lookups > 0)
    out << "lookup_check { count: " << o.lookups << " at_ms: " << lookup_at_ms << " }\n";
  return out.str();
}

rusage SelfUsage() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage;
}

// Resident now, from /proc/self/statm (pages).
double RssMib() {
  unsigned long long size = 0;
  unsigned long long resident = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%llu %llu", &size, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

double PeakRssMib() {
  return static_cast<double>(SelfUsage().ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// User + system time of this process: unlike wall time, barely moved by other
// load on the machine (though a busy sibling hyperthread still slows it).
double CpuSeconds() {
  const rusage usage = SelfUsage();
  auto sec = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return sec(usage.ru_utime) + sec(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const std::string error = ParseArgs(argc, argv, o); !error.empty()) {
    if (error == "help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    std::fprintf(stderr, "scale_sim: %s\n%s", error.c_str(), kUsage);
    return 2;
  }

  // --nodes asks for that many processes on purpose: no cap on the
  // generated scenario beyond what it holds (yzsim's default cap is 100,000).
  const yz::sim::ScenarioLoad load =
      o.scenario_path.empty() ? yz::sim::parse_scenario(ScaleScenarioText(o), "<scale_sim>",
                                                        yz::sim::ScenarioLimits{o.nodes + 4})
                              : yz::sim::load_scenario_file(o.scenario_path);
  if (o.print_scenario) {
    std::fputs(ScaleScenarioText(o).c_str(), stdout);
    return load.scenario ? 0 : 2;
  }
  if (!load.scenario) {
    std::fprintf(stderr, "scale_sim: %s\n", load.error.c_str());
    return 2;
  }
  const yz::sim::Scenario& scenario = *load.scenario;
  std::uint64_t nodes = 0;
  for (const auto& spec : scenario.processes) nodes += spec.role == yz::core::Role::kNode;

  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  yz::sim::RunOptions options;
  options.seed = o.seed;
  if (o.progress) {
    options.progress_steps = std::uint64_t{1} << 18;
    options.progress = [](yz::core::TimePoint now, yz::core::TimePoint end, std::uint64_t steps) {
      std::fprintf(stderr,
                   "scale_sim: virtual %.1f of %.1f s, %llu events, cpu %.1f s, rss %.1f MiB, "
                   "heap %.1f MiB\n",
                   static_cast<double>(now) / yz::core::kSecond,
                   static_cast<double>(end) / yz::core::kSecond,
                   static_cast<unsigned long long>(steps), CpuSeconds(), RssMib(),
                   static_cast<double>(mallinfo2().uordblks) / (1024 * 1024));
    };
  }
  auto simulator = std::make_unique<yz::sim::Simulator>(scenario, options);
  // Every process is built by now and no link exists yet: what a process
  // costs before it has any peer.
  const double setup_heap_bytes = static_cast<double>(mallinfo2().uordblks);
  const auto t1 = Clock::now();
  const double cpu_before_run = CpuSeconds();
  const yz::sim::RunResult result = simulator->run();
  const auto t2 = Clock::now();
  const double run_cpu_seconds = CpuSeconds() - cpu_before_run;
  // Measured before teardown, with every process and link still held.
  const double heap_bytes = static_cast<double>(mallinfo2().uordblks);
  const std::size_t interned_peers = yz::core::interned_peer_count();
  std::uint64_t link_ends = 0;
  for (const auto& node : result.nodes) link_ends += node.connected_peers;
  simulator.reset();  // tearing down 10,000 processes is not free either
  const auto t3 = Clock::now();

  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  const double run_seconds = seconds(t2 - t1);
  const double peak_rss_mib = PeakRssMib();
  auto per_link_end = [&](double bytes) {
    return link_ends > 0 ? bytes / static_cast<double>(link_ends) : 0.0;
  };
  std::printf(
      "{\"scenario\":%s,\"nodes\":%llu,\"processes\":%zu,\"seed\":%llu,"
      "\"trace_hash\":\"%016llx\",\"events\":%llu,"
      "\"virtual_seconds\":%.3f,\"wall_seconds\":%.3f,\"setup_seconds\":%.3f,"
      "\"run_seconds\":%.3f,\"teardown_seconds\":%.3f,\"cpu_seconds\":%.3f,"
      "\"events_per_second\":%.0f,\"run_cpu_seconds\":%.3f,\"events_per_cpu_second\":%.0f,"
      "\"peak_rss_mib\":%.1f,\"link_ends\":%llu,\"peak_rss_bytes_per_link_end\":%.0f,"
      "\"heap_mib_after_setup\":%.1f,\"setup_heap_bytes_per_process\":%.0f,"
      "\"heap_mib_at_end\":%.1f,\"heap_bytes_per_link_end\":%.0f,"
      "\"heap_bytes_per_link_end_beyond_setup\":%.0f,\"interned_peers\":%zu,"
      "\"healthy\":%llu,\"unhealthy\":%llu,\"find_node_timeouts\":%llu,"
      "\"onboarding_failures\":%llu,\"invariant_violations\":%zu,"
      "\"lookup_checks\":{\"issued\":%llu,\"completed\":%llu,\"exact\":%llu}}\n",
      yz::json::quote(result.scenario).c_str(), static_cast<unsigned long long>(nodes),
      result.nodes.size(), static_cast<unsigned long long>(result.seed),
      static_cast<unsigned long long>(result.trace_hash),
      static_cast<unsigned long long>(result.events), result.virtual_seconds, seconds(t3 - t0),
      seconds(t1 - t0), run_seconds, seconds(t3 - t2), CpuSeconds(),
      run_seconds > 0 ? static_cast<double>(result.events) / run_seconds : 0.0, run_cpu_seconds,
      run_cpu_seconds > 0 ? static_cast<double>(result.events) / run_cpu_seconds : 0.0,
      peak_rss_mib, static_cast<unsigned long long>(link_ends),
      per_link_end(peak_rss_mib * 1024 * 1024), setup_heap_bytes / (1024 * 1024),
      setup_heap_bytes / static_cast<double>(std::max<std::size_t>(result.nodes.size(), 1)),
      heap_bytes / (1024 * 1024), per_link_end(heap_bytes),
      per_link_end(heap_bytes - setup_heap_bytes), interned_peers,
      static_cast<unsigned long long>(result.summary.healthy),
      static_cast<unsigned long long>(result.summary.unhealthy),
      static_cast<unsigned long long>(result.summary.find_node_timeouts),
      static_cast<unsigned long long>(result.summary.onboarding_failures),
      result.invariant_violations.size(),
      static_cast<unsigned long long>(result.lookup_checks.issued),
      static_cast<unsigned long long>(result.lookup_checks.completed),
      static_cast<unsigned long long>(result.lookup_checks.exact));
  return 0;
}
