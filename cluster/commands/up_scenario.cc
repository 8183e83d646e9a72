// yzctl up --scenario: the simulator's scenario on real processes. The
// processes, their flags, start times, faults, crashes and restarts are the
// ones `yzsim run --seed N` uses (cluster/scenario_plan.h); a virtual time t
// happens t / time_scale of wall time after the bootstrap is ready. Stays in
// the foreground for the scenario's duration (scaled), then leaves the
// cluster running for yzctl status / down.
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/commands/up_steps.h"
#include "cluster/interrupt.h"
#include "cluster/layout.h"
#include "cluster/lifecycle.h"
#include "cluster/readiness.h"
#include "cluster/run_recorder.h"
#include "cluster/scenario_plan.h"
#include "roles/runtime/data_dir.h"

namespace yz::cluster::commands {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPoll = std::chrono::milliseconds(10);
// 0.5 s of virtual time at --time-scale 10. A round of 19 processes takes
// a few ms on a thread of its own, so it never delays a start; every 25 ms
// it cost yzctl a quarter of a core (incident-15), which competes with the
// processes under test on a small machine.
constexpr auto kDefaultSampleInterval = std::chrono::milliseconds(50);
constexpr auto kCrashWait = std::chrono::milliseconds(5000);
constexpr auto kQuietBeforeAction = std::chrono::milliseconds(150);

struct ScenarioOptions {
  ScenarioRequest request;
  std::string record_path;  // --record, "" for none
  std::chrono::milliseconds interval = kDefaultSampleInterval;
  std::chrono::milliseconds ready_timeout = kDefaultReadyTimeout;
};

std::optional<std::uint64_t> parse_u64(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (UINT64_MAX - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

std::string absolute(const std::string& path) {
  return std::filesystem::absolute(path).lexically_normal().string();
}

std::string parse_options(const Args& args, ScenarioOptions* o) {
  if (!args.positional.empty())
    return "unexpected argument '" + args.positional[0] + "' for yzctl up";
  for (const char* flag : {"--nodes", "--bridges"}) {
    if (args.has(flag))
      return std::string(flag) + " cannot be combined with --scenario: the scenario says " +
             "which processes run";
  }
  for (const char* flag :
       {"--base-port", "--supervise", "--prometheus", "--alertmanager", "--rules", "--tls"}) {
    if (args.has(flag)) return std::string(flag) + " is not supported with --scenario (yet)";
  }
  ScenarioRequest& r = o->request;
  r.scenario_path = args.get("--scenario");
  if (r.scenario_path.empty()) return "--scenario needs a scenario file";
  if (args.has("--seed")) {
    const auto seed = parse_u64(args.get("--seed"));
    if (!seed)
      return "invalid --seed '" + args.get("--seed") +
             "': expected a non-negative integer, as yzsim run --seed takes";
    r.seed = *seed;
  }
  if (args.has("--time-scale")) {
    const auto scale = parse_positive_double(args.get("--time-scale"));
    if (!scale || *scale > kMaxTimeScale)
      return "invalid --time-scale '" + args.get("--time-scale") +
             "': expected a number above 0 and at most 1000 (10 runs the scenario ten times "
             "faster)";
    r.time_scale = *scale;
  }
  r.extra_faults.clear();
  for (const std::string& value : args.all("--fault")) {
    std::size_t start = 0;
    while (start <= value.size()) {
      const std::size_t comma = value.find(',', start);
      const std::string name =
          value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!core::fault_from_name(name)) {
        std::string valid;
        for (const auto& info : core::all_faults())
          valid += (valid.empty() ? "" : ", ") + std::string(info.name);
        return "unknown fault '" + name + "'; valid faults: " + valid;
      }
      r.extra_faults.push_back(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  r.no_scenario_faults = args.has("--no-scenario-faults");
  if (args.has("--delay-rules")) {
    const std::string path = args.get("--delay-rules");
    if (std::string error = check_delay_rules_file(path); !error.empty()) return error;
    r.delay_rules = absolute(path);
  }
  if (args.has("--record")) {
    o->record_path = args.get("--record");
    if (o->record_path.empty()) return "--record needs a file name";
    o->record_path = absolute(o->record_path);
    const auto parent = std::filesystem::path(o->record_path).parent_path();
    if (!std::filesystem::is_directory(parent))
      return "invalid --record '" + args.get("--record") + "': no folder " + parent.string();
  }
  if (args.has("--interval")) {
    const auto interval = parse_timeout(args.get("--interval"));
    if (!interval || interval->count() <= 0)
      return "invalid --interval '" + args.get("--interval") +
             "': expected a duration such as 100ms";
    o->interval = *interval;
  }
  if (args.has("--ready-timeout")) {
    const auto timeout = parse_timeout(args.get("--ready-timeout"));
    if (!timeout)
      return "invalid --ready-timeout '" + args.get("--ready-timeout") +
             "': expected a duration such as 10s";
    o->ready_timeout = *timeout;
  }
  r.bin_dir = canonical_path(
      args.get("--bin-dir", std::filesystem::path(self_exe()).parent_path().string()));
  return {};
}

// One thing to do at a virtual time.
struct Action {
  enum Kind { kStart, kCrash, kRestart } kind;
  std::size_t record;
  core::Duration at;
};

std::vector<Action> actions_of(const ScenarioPlan& plan) {
  std::vector<Action> out;
  for (const PlannedStart& s : plan.starts) out.push_back({Action::kStart, s.record, s.at});
  for (const PlannedCrash& c : plan.crashes) {
    out.push_back({Action::kCrash, c.record, c.at});
    out.push_back({Action::kRestart, c.record, c.at + c.down});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Action& a, const Action& b) { return a.at < b.at; });
  return out;
}

// Stops every process this run started, newest first.
int abandon(ClusterRecord& cluster, const std::string& error, const ClusterDir& dir) {
  std::vector<ProcessRecord*> started;
  for (auto it = cluster.processes.rbegin(); it != cluster.processes.rend(); ++it)
    if (it->pid > 0) started.push_back(&*it);
  const StopOutcome outcome = stop_records(started, kDefaultGrace, /*own_children=*/true);
  write_cluster(cluster);
  std::string message = "up --scenario failed: " + error + "\nyzctl: stopped " +
                        std::to_string(outcome.signalled) + " process" +
                        (outcome.signalled == 1 ? "" : "es") + " it had started";
  if (!outcome.survivors.empty())
    message += " (" + std::to_string(outcome.survivors.size()) + " would not die)";
  return failure(message + "; logs in " + dir.shown + "/<name>/log");
}

void say(const char* what, const ProcessRecord& record, core::Duration at, Clock::duration wall) {
  std::cout << "yzctl: t=" << format_seconds(at) << " (wall "
            << format_seconds(std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count())
            << ") " << what << " " << record.name;
  if (record.pid > 0) std::cout << " pid " << record.pid;
  std::cout << "\n" << std::flush;
}

// SIGKILL, as a crash: no goodbye to the peers.
std::string crash(ProcessRecord& record) {
  ProcessRef ref = ref_of(record);
  ref.own_child = true;
  if (!send_signal(ref, SIGKILL)) return {};
  if (!wait_gone({ref}, kCrashWait)) return record.name + " survived SIGKILL";
  record.pid = 0;
  record.start_ticks = 0;
  record.state = "crashed";
  record.listen.clear();
  record.http.clear();
  return {};
}

// Samples on a thread of its own, from snapshots of the cluster record the
// main loop publishes, so that a slow /status never delays a start or a
// crash.
class Sampler {
 public:
  Sampler(RunRecorder& recorder, const ClusterRecord& cluster, std::chrono::milliseconds interval)
      : recorder_(recorder), snapshot_(cluster), interval_(interval) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Sampler() { stop(); }
  void publish(const ClusterRecord& cluster) {
    const std::lock_guard<std::mutex> hold(mutex_);
    snapshot_ = cluster;
  }
  // Stops the thread; then the recorder is the caller's again.
  void stop() {
    {
      const std::lock_guard<std::mutex> hold(mutex_);
      stopping_ = true;
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    auto next = Clock::now();
    while (true) {
      ClusterRecord cluster;
      {
        const std::lock_guard<std::mutex> hold(mutex_);
        if (stopping_) return;
        cluster = snapshot_;
      }
      recorder_.sample(cluster);
      next += interval_;
      const auto now = Clock::now();
      if (next < now) next = now;
      // Short naps, so stop() returns soon.
      while (Clock::now() < next) {
        {
          const std::lock_guard<std::mutex> hold(mutex_);
          if (stopping_) return;
        }
        std::this_thread::sleep_for(std::min<Clock::duration>(next - Clock::now(), kPoll));
      }
    }
  }

  RunRecorder& recorder_;
  std::mutex mutex_;
  ClusterRecord snapshot_;
  bool stopping_ = false;
  std::chrono::milliseconds interval_;
  std::thread thread_;
};

}  // namespace

int up_scenario(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv,
                               {{"--scenario"},
                                {"--seed"},
                                {"--time-scale"},
                                {"--fault", true, true},
                                {"--no-scenario-faults", false},
                                {"--delay-rules"},
                                {"--record"},
                                {"--interval"},
                                {"--dir"},
                                {"--bin-dir"},
                                {"--ready-timeout"},
                                {"--nodes"},
                                {"--bridges"},
                                {"--base-port"},
                                {"--supervise", false},
                                {"--prometheus", false},
                                {"--alertmanager", false},
                                {"--rules"},
                                {"--tls", false}},
                               "up");
  if (!args.error.empty()) return usage_error(args.error);
  ScenarioOptions options;
  if (std::string error = parse_options(args, &options); !error.empty()) return usage_error(error);
  const ClusterDir dir = cluster_dir(args);
  options.request.dir = dir.path;
  PlanResult planned = plan_scenario(options.request);
  if (!planned.plan) return usage_error(planned.error);
  ScenarioPlan& plan = *planned.plan;
  if (std::string error = check_binaries(options.request.bin_dir); !error.empty())
    return failure(error);

  if (std::string error = runtime::prepare_data_dir(dir.path); !error.empty())
    return failure(error);
  catch_interrupts();
  // Held for the whole run: its crashes and restarts must not interleave
  // with another command's changes. status and down do not need it.
  ClusterLock lock(dir.path);
  if (!lock.held()) return failure("cannot lock " + dir.shown + "/cluster.lock");
  std::string stale_note;
  if (std::string error = take_over(dir, &stale_note); !error.empty()) return failure(error);
  if (!stale_note.empty()) std::cout << "yzctl: " << stale_note << "\n";
  ClusterRecord& cluster = plan.cluster;
  if (std::string error = write_bridge_auth(dir.path); !error.empty()) return failure(error);
  if (std::string error = write_genesis_auth(dir.path); !error.empty()) return failure(error);
  if (std::string error = write_cluster(cluster); !error.empty()) return failure(error);

  const double scale = options.request.time_scale;
  std::string faults;
  for (const std::string& f : plan.faults) faults += (faults.empty() ? "" : ",") + f;
  std::cout << "yzctl: scenario " << plan.scenario.name << " seed " << plan.seed << ": "
            << cluster.processes.size() << " processes, faults [" << faults << "], "
            << plan.crashes.size() << " crash" << (plan.crashes.size() == 1 ? "" : "es") << ", "
            << format_seconds(plan.scenario.duration) << " virtual at time scale "
            << json::number(scale) << " ("
            << format_seconds(wall_offset(plan.scenario.duration, scale).count()) << " wall)\n";

  // The bootstrap first; its readiness is virtual time 0.
  ProcessRecord& bootstrap = cluster.processes.front();
  if (std::string error = launch(bootstrap); !error.empty()) return abandon(cluster, error, dir);
  write_cluster(cluster);
  if (std::string error = wait_ready(bootstrap, options.ready_timeout); !error.empty())
    return abandon(cluster, error, dir);
  pin_ports(bootstrap, bootstrap.listen, bootstrap.http);
  for (std::size_t i = 1; i < cluster.processes.size(); ++i)
    set_argv_flag(cluster.processes[i].argv, "--bootstrap", bootstrap.listen);
  const Clock::time_point origin = Clock::now();
  const RecordInfo info{plan.scenario.name, plan.seed, plan.faults, scale};
  const auto origin_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  // scenario.json and cluster.json are written in the loop's first quiet
  // moment: their fsyncs must not delay the first starts.
  bool note_written = false;
  say("start", bootstrap, 0, Clock::duration::zero());

  std::optional<RunRecorder> recorder;
  std::optional<Sampler> sampler;
  if (!options.record_path.empty()) {
    recorder.emplace(origin, info);
    sampler.emplace(*recorder, cluster, options.interval);
  }
  const std::vector<Action> actions = actions_of(plan);
  std::vector<bool> crashed_by_us(cluster.processes.size(), false);
  std::vector<bool> died_noted(cluster.processes.size(), false);
  std::size_t next = 0;
  Clock::duration worst_lag{};
  std::vector<RunRecorder::Action> done = {{bootstrap.name, "start", 0, 0}};
  bool dirty =
      false;  // cluster.json behind the record in memory  // how late an action ran, wall time
  const Clock::time_point end = origin + wall_offset(plan.scenario.duration, scale);
  while (true) {
    if (interrupted()) return abandon(cluster, "interrupted", dir);
    const Clock::time_point now = Clock::now();
    bool changed = false;
    while (next < actions.size() && origin + wall_offset(actions[next].at, scale) <= now) {
      const Action& a = actions[next++];
      ProcessRecord& record = cluster.processes[a.record];
      const Clock::duration wall = Clock::now() - origin;
      switch (a.kind) {
        case Action::kStart:
          if (std::string error = launch(record); !error.empty())
            return abandon(cluster, error, dir);
          say("start", record, a.at, wall);
          break;
        case Action::kCrash:
          // As the simulator: a crash finds only a running process.
          if (record.pid <= 0 || !is_alive(record)) continue;
          say("crash", record, a.at, wall);
          if (std::string error = crash(record); !error.empty())
            return abandon(cluster, error, dir);
          crashed_by_us[a.record] = true;
          break;
        case Action::kRestart:
          // Only what a crash stopped restarts (Simulator::restart).
          if (!crashed_by_us[a.record]) continue;
          crashed_by_us[a.record] = false;
          if (std::string error = launch(record); !error.empty())
            return abandon(cluster, error, dir);
          say("restart", record, a.at, wall);
          break;
      }
      changed = true;
      worst_lag = std::max(worst_lag, wall - wall_offset(a.at, scale));
      const char* names[] = {"start", "crash", "restart"};
      done.push_back({record.name, names[a.kind], a.at,
                      static_cast<std::int64_t>(
                          static_cast<double>(
                              std::chrono::duration_cast<std::chrono::nanoseconds>(wall).count()) *
                          scale)});
    }
    // Ports of the processes started since, for status and the recorder.
    for (std::size_t i = 0; i < cluster.processes.size(); ++i) {
      ProcessRecord& record = cluster.processes[i];
      if (record.pid <= 0) continue;
      if (const auto status = reap_if_exited(record.pid)) {
        if (!died_noted[i])
          std::cout << "yzctl: " << record.name << " " << describe_wait_status(*status)
                    << " on its own; last line of its log: " << last_line(log_path(record)) << "\n";
        died_noted[i] = true;
        record.pid = 0;
        record.start_ticks = 0;
        record.state = "crashed";
        changed = true;
        continue;
      }
      if (!record.http.empty()) continue;
      if (const auto ports = read_ports(record)) {
        record.listen = ports->listen;
        record.http = ports->http;
        changed = true;
      }
    }
    if (changed) {
      dirty = true;
      if (sampler) sampler->publish(cluster);
    }
    // cluster.json is written atomically with an fsync, which takes 10 to
    // over 100 ms on a busy disk: never just before an action is due, so
    // that the schedule keeps its times. (Ctrl-C and SIGTERM stop the
    // processes from memory, by pid, whatever was written.)
    const bool action_soon =
        next < actions.size() &&
        origin + wall_offset(actions[next].at, scale) < Clock::now() + kQuietBeforeAction;
    if (dirty && !action_soon) {
      if (std::string error = write_cluster(cluster); !error.empty())
        return abandon(cluster, error, dir);
      dirty = false;
    }
    if (!note_written && !action_soon) {
      if (std::string error = write_scenario_note(dir.path, {info, origin_unix_ms}); !error.empty())
        return abandon(cluster, error, dir);
      note_written = true;
    }
    if (Clock::now() >= end) break;
    std::this_thread::sleep_for(kPoll);
  }

  if (!note_written) write_scenario_note(dir.path, {info, origin_unix_ms});
  int healthy = 0;
  if (recorder) {
    sampler->stop();
    recorder->sample(cluster, /*final=*/true);
    recorder->set_schedule(std::move(done));
    const sim::RunRecord record = recorder->finish();
    healthy = static_cast<int>(record.result.summary.healthy);
    if (std::string error = write_run_record(record, options.record_path); !error.empty())
      return failure(error + " (the cluster keeps running; yzctl down" + dir_flag(dir) +
                     " stops it)");
  }
  write_cluster(cluster);
  const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - origin);
  std::cout << "yzctl: scenario " << plan.scenario.name << " ran "
            << format_seconds(plan.scenario.duration) << " virtual in "
            << format_seconds(took.count()) << " wall; the cluster keeps running in " << dir.shown
            << "\n";
  std::cout << "  schedule    every start, crash and restart at most "
            << format_seconds(
                   std::chrono::duration_cast<std::chrono::nanoseconds>(worst_lag).count())
            << " wall late\n";
  if (recorder)
    std::cout << "  record      " << options.record_path << " (" << recorder->rounds()
              << " rounds of /status; " << healthy << "/" << cluster.processes.size()
              << " healthy at the end)\n";
  if (recorder) {
    // The same scenario, seed and faults in the simulator, side by side.
    std::string fault_flags = options.request.no_scenario_faults ? " --no-scenario-faults" : "";
    for (const std::string& f : options.request.extra_faults) fault_flags += " --fault " + f;
    std::cout << "  compare     yzsim run " << options.request.scenario_path << " --seed "
              << plan.seed << fault_flags << " --record sim.json && yzsim compare sim.json "
              << options.record_path << "\n";
  }
  const std::string d = dir_flag(dir);
  std::cout << "  yzctl status" << d << "     every process's health\n"
            << "  yzctl down" << d << "       stop everything\n";
  return 0;
}

}  // namespace yz::cluster::commands
