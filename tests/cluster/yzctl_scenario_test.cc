// yzctl up --scenario on real processes: the scenario's processes, started
// at the simulator's times, recorded into the RUN.json yzsim run --record
// writes; crashes by pid; refusals that start nothing.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cluster/cluster_state.h"
#include "sim/timeline.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

const std::string kScenarios = std::string(YZ_SOURCE_DIR) + "/sim/scenarios";

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::optional<sim::RunRecord> read_record(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto record = sim::run_record_from_json(text.str(), error);
  EXPECT_TRUE(record.has_value()) << path << ": " << error;
  return record;
}

class YzctlScenario : public YzctlTest {};

TEST_F(YzctlScenario, Race5RunsRecordsAndStopsByPid) {
  const std::string run = root_ + "/run.json";
  const RunResult up = yzctl({"up", "--scenario", kScenarios + "/race-5.textproto", "--time-scale",
                              "10", "--record", run});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  for (const char* name : {"bootstrap", "genesis", "bridge-node-1", "dht-node-1", "dht-node-2"})
    EXPECT_TRUE(contains(up.out, std::string(" start ") + name + " pid ")) << name << "\n"
                                                                           << up.out;
  EXPECT_TRUE(contains(up.out, "t=6.000s")) << up.out;  // dht-node-2's start_at_ms

  // The cluster outlives up, as any yzctl up's does.
  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  ASSERT_EQ(cluster->processes.size(), 5u);
  const std::map<std::string, std::string> roles = {{"bootstrap", "bootstrap"},
                                                    {"genesis", "genesis"},
                                                    {"bridge-node-1", "bridge"},
                                                    {"dht-node-1", "node"},
                                                    {"dht-node-2", "node"}};
  for (const ProcessRecord& p : cluster->processes) {
    EXPECT_EQ(roles.at(p.name), p.role);
    EXPECT_TRUE(pid_alive(p.pid, p.start_ticks)) << p.name;
  }

  const auto record = read_record(run);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->result.scenario, "race-5");
  EXPECT_EQ(record->result.seed, 1u);
  EXPECT_TRUE(contains(record->result_json, "\"source\":\"real\"")) << record->result_json;
  EXPECT_TRUE(record->timeline.frames.empty());
  // What up did and when: every start at or after its planned virtual time.
  const auto result = json::parse(record->result_json);
  ASSERT_TRUE(result.has_value());
  const json::Value* schedule = result->find("schedule");
  ASSERT_NE(schedule, nullptr);
  ASSERT_EQ(schedule->items().size(), 5u);
  for (const json::Value& a : schedule->items()) {
    EXPECT_EQ(a.string_at("action"), "start");
    EXPECT_GE(a.int_at("t_ns"), a.int_at("planned_t_ns")) << a.string_at("process");
  }
  EXPECT_EQ(schedule->items().back().string_at("process"), "dht-node-2");
  EXPECT_EQ(schedule->items().back().int_at("planned_t_ns"), 6000000000LL);
  ASSERT_EQ(record->timeline.processes.size(), 5u);
  ASSERT_EQ(record->result.nodes.size(), 5u);
  for (const sim::NodeReport& n : record->result.nodes) {
    EXPECT_EQ(roles.at(n.name), n.role);
    EXPECT_TRUE(n.healthy) << n.name;
    EXPECT_EQ(n.state, "joined") << n.name;
    EXPECT_EQ(n.peers_missing_handler, 0u) << n.name;
    EXPECT_EQ(n.node_id.size(), 40u) << n.name;
  }
  EXPECT_EQ(record->result.summary.healthy, 5u);
  // Virtual time: 40 s of scenario at scale 10, whatever the wall time was.
  EXPECT_GE(record->timeline.duration_ns, 40LL * 1000 * 1000 * 1000);
  // Every DHT member got links, and each was seen with its listener.
  EXPECT_FALSE(record->timeline.links.empty());
  EXPECT_FALSE(record->timeline.health.empty());

  // yzsim report draws it.
  const std::string html = root_ + "/run.html";
  const std::string report =
      std::string(YZSIM_PATH) + " report " + run + " --html " + html + " >/dev/null 2>&1";
  const int status = std::system(report.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_GT(std::filesystem::file_size(html), 1000u);
  // Said to be real processes, with no trace hash or simulator steps.
  std::ifstream drawn(html);
  std::stringstream page;
  page << drawn.rdbuf();
  EXPECT_TRUE(contains(page.str(), "<h1>real processes: race-5</h1>"));
  EXPECT_TRUE(contains(page.str(), "rounds of /status over 40 s of scenario time"));
  EXPECT_FALSE(contains(page.str(), "trace hash"));

  // yzctl record on the running cluster: the same format, on the same clock.
  const std::string later = root_ + "/later.json";
  const RunResult rec =
      yzctl({"record", "--out", later, "--duration", "500ms", "--interval", "100ms"});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  const auto again = read_record(later);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->result.scenario, "race-5");
  EXPECT_EQ(again->result.nodes.size(), 5u);
  EXPECT_GT(again->timeline.health.front().t_ns, record->timeline.health.front().t_ns);

  const RunResult down = yzctl({"down"});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  for (const ProcessRecord& p : cluster->processes)
    EXPECT_FALSE(pid_alive(p.pid, p.start_ticks)) << p.name;
}

TEST_F(YzctlScenario, CrashIsSigkillByPidAndRestartComesBack) {
  // One crash drawn from the seed: a DHT node, between 20 s after the first
  // node's start and 30 s before the end, down for 2-20 s.
  const std::string file = root_ + "/crash.textproto";
  std::ofstream(file) << "name: \"crash-4\"\nduration_ms: 75000\nrestarts: 1\n"
                      << "process { name: \"bootstrap\" role: BOOTSTRAP }\n"
                      << "process { name: \"genesis\" role: GENESIS start_at_ms: 200 }\n"
                      << "process { name: \"bridge-node-1\" role: BRIDGE start_at_ms: 400 }\n"
                      << "process { name: \"dht-node-1\" role: NODE start_at_ms: 1000 }\n";
  const std::string run = root_ + "/run.json";
  const RunResult up = yzctl({"up", "--scenario", file, "--time-scale", "10", "--record", run},
                             std::chrono::seconds(60));
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_TRUE(contains(up.out, " crash dht-node-1 pid ")) << up.out;
  EXPECT_TRUE(contains(up.out, " restart dht-node-1 pid ")) << up.out;
  const auto record = read_record(run);
  ASSERT_TRUE(record);
  // The recorder saw it down at least once, and running again at the end.
  int node = -1;
  for (std::size_t i = 0; i < record->timeline.processes.size(); ++i)
    if (record->timeline.processes[i].name == "dht-node-1") node = static_cast<int>(i);
  ASSERT_GE(node, 0);
  bool seen_down = false;
  for (const auto& h : record->timeline.health) seen_down |= h.process == node && !h.running;
  EXPECT_TRUE(seen_down);
  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok());
  for (const ProcessRecord& p : cluster->processes)
    EXPECT_TRUE(pid_alive(p.pid, p.start_ticks)) << p.name;
}

TEST_F(YzctlScenario, SigtermStopsEverythingItStartedByPid) {
  // Unscaled race-5 runs 40 s: stopped after its first node has started.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    const std::string scenario = kScenarios + "/race-5.textproto";
    ::execl(YZCTL_PATH, YZCTL_PATH, "up", "--scenario", scenario.c_str(), "--dir", dir_.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::vector<ProcessRecord> started;
  const bool node_started = eventually(
      [&] {
        const auto cluster = read_cluster(dir_);
        if (!cluster.ok()) return false;
        for (const ProcessRecord& p : cluster->processes)
          if (p.name == "dht-node-1" && p.pid > 0) {
            started = cluster->processes;
            return true;
          }
        return false;
      },
      std::chrono::seconds(20));
  remember_pids();
  ::kill(child, SIGTERM);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(node_started);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  int checked = 0;
  for (const ProcessRecord& p : started) {
    if (p.pid <= 0) continue;
    EXPECT_FALSE(pid_alive(p.pid, p.start_ticks)) << p.name;
    ++checked;
  }
  EXPECT_GE(checked, 4);
  const auto after = read_cluster(dir_);
  ASSERT_TRUE(after.ok());
  for (const ProcessRecord& p : after->processes) EXPECT_EQ(p.pid, 0) << p.name;
}

TEST_F(YzctlScenario, BadInputIsRefusedAndStartsNothing) {
  const std::string race5 = kScenarios + "/race-5.textproto";
  const std::string bad = root_ + "/bad.textproto";
  std::ofstream(bad) << "name: \"x\"\nduration_ms: 1000\nprocess { name: \"b\" role: NOPE }\n";
  const std::string bad_rules = root_ + "/bad-rules.textproto";
  std::ofstream(bad_rules)
      << "rule { process: \"dht-node-1\" frame { type: \"no_such\" } for_ms: 1 }\n";
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--scenario", bad}, bad + ":3:"},
      {{"--scenario", root_ + "/missing.textproto"}, "missing.textproto"},
      {{"--scenario", race5, "--fault", "nope"}, "unknown fault 'nope'"},
      {{"--scenario", race5, "--seed", "x1"}, "invalid --seed 'x1'"},
      {{"--scenario", race5, "--nodes", "3"}, "--nodes cannot be combined with --scenario"},
      {{"--scenario", race5, "--bridges", "1"}, "--bridges cannot be combined with --scenario"},
      {{"--scenario", race5, "--time-scale", "0"}, "invalid --time-scale '0'"},
      {{"--scenario", race5, "--delay-rules", root_ + "/no-rules"}, "no such file"},
      {{"--scenario", race5, "--delay-rules", bad_rules}, bad_rules + ":1:"},
      {{"--scenario", kScenarios + "/scale-10000.textproto"}, "at most 1000 DHT nodes"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"up"};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const RunResult r = yzctl(args);
    EXPECT_EQ(r.exit_code, 2) << c.says << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, c.says)) << c.says << "\n" << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir_ + "/cluster.json")) << c.says;
  }
  // Plain up refuses a missing rules file the same way.
  const RunResult plain = yzctl({"up", "--nodes", "1", "--delay-rules", root_ + "/no-rules"});
  EXPECT_EQ(plain.exit_code, 2);
  EXPECT_TRUE(contains(plain.err, "invalid --delay-rules")) << plain.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/cluster.json"));
}

}  // namespace
}  // namespace yz::cluster::testing
