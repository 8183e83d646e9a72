// yzctl record: samples a running cluster's /status and /health into the
// RUN.json `yzsim run --record` writes, so `yzsim report` draws a real run.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/interrupt.h"
#include "cluster/readiness.h"
#include "cluster/run_recorder.h"

namespace yz::cluster::commands {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kDefaultInterval = std::chrono::milliseconds(250);

// The wall time at which the cluster's virtual clock read 0: the bootstrap's
// readiness as `up --scenario` noted it, else the bootstrap's start (now
// minus its uptime), else now.
Clock::time_point origin_of(const ClusterRecord& cluster, const std::optional<ScenarioNote>& note) {
  const Clock::time_point now = Clock::now();
  if (note && note->origin_unix_ms > 0) {
    const auto since = std::chrono::system_clock::now().time_since_epoch() -
                       std::chrono::milliseconds(note->origin_unix_ms);
    return now - std::chrono::duration_cast<Clock::duration>(since);
  }
  for (const ProcessRecord& p : cluster.processes) {
    if (p.role != "bootstrap") continue;
    if (const auto status = get_json(p.http, "/status", std::chrono::milliseconds(1000))) {
      const double uptime = status->double_at("uptime");
      return now -
             std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(uptime));
    }
  }
  return now;
}

}  // namespace

int record(const std::vector<std::string>& argv) {
  const Args args =
      parse_args(argv, {{"--dir"}, {"--out"}, {"--duration"}, {"--interval"}}, "record");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.positional.empty())
    return usage_error("unexpected argument '" + args.positional[0] + "' for yzctl record");
  if (!args.has("--out") || args.get("--out").empty())
    return usage_error("yzctl record needs --out FILE (the RUN.json to write)");
  const std::string out = std::filesystem::absolute(args.get("--out")).lexically_normal().string();
  if (!std::filesystem::is_directory(std::filesystem::path(out).parent_path()))
    return usage_error("invalid --out '" + args.get("--out") + "': no folder " +
                       std::filesystem::path(out).parent_path().string());
  std::optional<std::chrono::milliseconds> duration;
  if (args.has("--duration")) {
    duration = parse_timeout(args.get("--duration"));
    if (!duration)
      return usage_error("invalid --duration '" + args.get("--duration") +
                         "': expected a duration such as 30s");
  }
  std::chrono::milliseconds interval = kDefaultInterval;
  if (args.has("--interval")) {
    const auto parsed = parse_timeout(args.get("--interval"));
    if (!parsed || parsed->count() <= 0)
      return usage_error("invalid --interval '" + args.get("--interval") +
                         "': expected a duration such as 250ms");
    interval = *parsed;
  }
  const ClusterDir dir = cluster_dir(args);
  int exit_code = 0;
  auto cluster = load_cluster(dir, &exit_code);
  if (!cluster) return exit_code;
  const auto note = read_scenario_note(dir.path);
  RecordInfo info;
  if (note) {
    info = note->info;
  } else {
    info.scenario = "yzctl-cluster";
    info.faults = cluster->faults;
    info.time_scale = cluster->time_scale;
  }
  catch_interrupts();
  RunRecorder recorder(origin_of(*cluster, note), info);
  const Clock::time_point began = Clock::now();
  std::cout << "yzctl: recording " << dir.shown << " every " << interval.count() << "ms "
            << (duration ? "for " + std::to_string(duration->count()) + "ms" : "until Ctrl-C")
            << " into " << out << "\n"
            << std::flush;
  Clock::time_point next = began;
  while (!interrupted() && (!duration || Clock::now() - began < *duration)) {
    if (Clock::now() >= next) {
      // cluster.json again each round: kill, restart and add-node change it.
      if (auto now = read_cluster(dir.path); now.ok()) cluster = std::move(*now);
      recorder.sample(*cluster);
      next += interval;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (auto now = read_cluster(dir.path); now.ok()) cluster = std::move(*now);
  recorder.sample(*cluster, /*final=*/true);
  const sim::RunRecord record = recorder.finish();
  if (std::string error = write_run_record(record, out); !error.empty()) return failure(error);
  std::cout << "yzctl: wrote " << out << ": " << record.timeline.processes.size() << " processes, "
            << recorder.rounds() << " rounds, " << record.result.summary.healthy
            << " healthy at the end\n";
  return 0;
}

}  // namespace yz::cluster::commands
