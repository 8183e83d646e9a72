// The parts of yzctl that need no running cluster.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cluster/alertmanager.h"
#include "cluster/args.h"
#include "cluster/cluster_state.h"
#include "cluster/health_view.h"
#include "cluster/join_state.h"
#include "cluster/layout.h"
#include "cluster/process_control.h"
#include "cluster/prometheus.h"
#include "cluster/prometheus_api.h"
#include "cluster/role_flags.h"
#include "cluster/rules.h"

namespace yz::cluster {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "yzctl-unit-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ClusterState, RoundTripsThroughClusterJson) {
  TempDir dir;
  ClusterRecord record;
  record.dir = dir.path();
  record.faults = {"early_return_race"};
  record.time_scale = 2.5;
  record.role_flags = {"--k", "4"};
  record.base_port = 7000;
  record.bin_dir = "/opt/yz/bin";
  record.supervisor_pid = 42;
  record.supervisor_start_ticks = 1234567;
  ProcessRecord p;
  p.name = "dht-node-1";
  p.role = "node";
  p.dir = dir.path() + "/dht-node-1";
  p.argv = {"/opt/yz/bin/yz-node", "--name", "dht-node-1", "--odd", "quote\" and \\ slash"};
  p.pid = 99;
  p.start_ticks = 555;
  p.state = "crashed";
  p.restarts = 3;
  p.listen = "127.0.0.1:7010";
  p.http = "127.0.0.1:7011";
  record.processes.push_back(p);
  ASSERT_EQ(write_cluster(record), "");

  const auto read = read_cluster(dir.path());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->faults, record.faults);
  EXPECT_EQ(read->time_scale, 2.5);
  EXPECT_EQ(read->role_flags, record.role_flags);
  EXPECT_EQ(read->base_port, 7000);
  EXPECT_EQ(read->bin_dir, "/opt/yz/bin");
  EXPECT_EQ(read->supervisor_pid, 42);
  EXPECT_EQ(read->supervisor_start_ticks, 1234567u);
  ASSERT_EQ(read->processes.size(), 1u);
  const ProcessRecord& q = read->processes.front();
  EXPECT_EQ(q.argv, p.argv);
  EXPECT_EQ(q.pid, 99);
  EXPECT_EQ(q.start_ticks, 555u);
  EXPECT_EQ(q.state, "crashed");
  EXPECT_EQ(q.restarts, 3u);
  EXPECT_EQ(q.listen, p.listen);
  EXPECT_EQ(q.http, p.http);
}

TEST(ClusterState, MissingOrForeignFilesAreErrors) {
  TempDir dir;
  const auto missing = read_cluster(dir.path());
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_NE(missing.status().message().find("no cluster in " + dir.path()), absl::string_view::npos)
      << missing.status();
  std::ofstream(dir.path() + "/cluster.json") << "{\"something\": \"else\"}";
  const auto other = read_cluster(dir.path());
  EXPECT_TRUE(absl::IsFailedPrecondition(other.status())) << other.status();
  EXPECT_NE(other.status().message().find("is not a yzctl cluster record"), absl::string_view::npos)
      << other.status();
}

TEST(ClusterLock, ExcludesAnotherProcess) {
  TempDir dir;
  auto lock = std::make_unique<ClusterLock>(dir.path());
  ASSERT_TRUE(lock->held());
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    // The inherited copy of the parent's descriptor shares its lock; closed
    // here, as an unrelated yzctl process would not have it.
    for (int fd = 3; fd < 1024; ++fd) {
      if (fd != pipe_fds[1]) ::close(fd);
    }
    ClusterLock second(dir.path());  // blocks until the parent lets go
    const char byte = second.held() ? 'y' : 'n';
    [[maybe_unused]] const ssize_t n = ::write(pipe_fds[1], &byte, 1);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  // The child cannot have the lock yet: nothing to read within 300 ms.
  pollfd p{pipe_fds[0], POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 300), 0);
  lock.reset();
  char byte = 0;
  EXPECT_EQ(::read(pipe_fds[0], &byte, 1), 1);
  EXPECT_EQ(byte, 'y');
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
}

TEST(Layout, ScalesEveryTimingOfTheRoles) {
  EXPECT_TRUE(scaled_timing_flags(1.0).empty());
  const auto flags = scaled_timing_flags(10);
  ASSERT_EQ(flags.size(), 20u);
  const auto value = [&](const std::string& flag) {
    for (std::size_t i = 0; i + 1 < flags.size(); i += 2) {
      if (flags[i] == flag) return flags[i + 1];
    }
    return std::string("absent");
  };
  EXPECT_EQ(value("--health-check-interval"), "3s");
  EXPECT_EQ(value("--startup-grace"), "6s");
  EXPECT_EQ(value("--find-node-timeout-connected"), "1s");
  EXPECT_EQ(value("--find-node-timeout"), "300ms");
  EXPECT_EQ(value("--onboarding-bridge-timeout"), "1s");
  EXPECT_EQ(value("--invitation-timeout"), "1s");
  EXPECT_EQ(value("--emergency-throttle"), "3s");
  EXPECT_EQ(value("--emergency-throttle-connected"), "12s");
  EXPECT_EQ(value("--onboarding-give-up"), "6s");
  EXPECT_EQ(value("--handshake-timeout"), "1s");
  EXPECT_EQ(scaled_timing_flags(7)[1], "4286ms");  // 30 s / 7, to the millisecond
}

TEST(Layout, RoleFlagsAreCheckedAndComeLast) {
  std::vector<std::string> flags;
  EXPECT_EQ(add_role_flag("k=4", &flags), "");
  EXPECT_EQ(add_role_flag("--republish-interval=5s", &flags), "");
  EXPECT_EQ(add_role_flag("health-check-interval=1s", &flags), "");
  EXPECT_EQ(flags, (std::vector<std::string>{"--k", "4", "--republish-interval", "5s",
                                             "--health-check-interval", "1s"}));
  const std::vector<std::string> before = flags;
  EXPECT_EQ(add_role_flag("k", &flags),
            "invalid --role-flag 'k': expected NAME=VALUE, such as k=4");
  EXPECT_EQ(add_role_flag("=4", &flags),
            "invalid --role-flag '=4': expected NAME=VALUE, such as k=4");
  EXPECT_EQ(add_role_flag("listen=127.0.0.1:0", &flags),
            "invalid --role-flag 'listen=127.0.0.1:0': yzctl sets --listen itself");
  EXPECT_NE(add_role_flag("republish-interval=soon", &flags).find("republish-interval"),
            std::string::npos);
  EXPECT_NE(add_role_flag("frobnicate=1", &flags).find("frobnicate"), std::string::npos);
  EXPECT_EQ(flags, before) << "a refused flag is not added";

  // After the scaled timings, so that the role (a later flag wins) takes it.
  ClusterRecord cluster;
  cluster.dir = "/c";
  cluster.bin_dir = "/b";
  cluster.time_scale = 10;
  cluster.role_flags = flags;
  const ProcessRecord node = make_process(cluster, cluster_members(1, 0)[2], 2, "127.0.0.1:7000");
  ASSERT_GE(node.argv.size(), flags.size());
  EXPECT_EQ(
      std::vector<std::string>(node.argv.end() - static_cast<long>(flags.size()), node.argv.end()),
      flags);
}

TEST(Layout, ArgvAndPortsFollowTheClusterSettings) {
  ClusterRecord cluster;
  cluster.dir = "/c";
  cluster.bin_dir = "/b";
  cluster.base_port = 7000;
  cluster.faults = {"early_return_race"};
  const auto members = cluster_members(2, 1);
  ASSERT_EQ(members.size(), 5u);
  EXPECT_EQ(members[2].name, "bridge-node-1");
  EXPECT_EQ(members[4].name, "dht-node-2");

  const ProcessRecord bootstrap = make_process(cluster, members[0], 0, "");
  const std::vector<std::string> want = {"/b/yz-bootstrap",
                                         "--name",
                                         "bootstrap",
                                         "--data-dir",
                                         "/c/bootstrap",
                                         "--listen",
                                         "127.0.0.1:7000",
                                         "--http",
                                         "127.0.0.1:7001",
                                         "--log-level",
                                         "info",
                                         "--bridge-auth-file",
                                         "/c/bridge_auth",
                                         "--genesis-auth-file",
                                         "/c/genesis_auth"};
  EXPECT_EQ(bootstrap.argv, want);
  const ProcessRecord genesis = make_process(cluster, members[1], 1, "127.0.0.1:7000");
  const std::vector<std::string>& g = genesis.argv;
  const auto at = std::find(g.begin(), g.end(), "--genesis-auth-file");
  ASSERT_NE(at, g.end()) << "genesis needs the genesis secret";
  ASSERT_NE(at + 1, g.end());
  EXPECT_EQ(*(at + 1), "/c/genesis_auth");
  EXPECT_EQ(std::find(g.begin(), g.end(), "--bridge-auth-file"), g.end());

  ProcessRecord node = make_process(cluster, members[4], 4, "127.0.0.1:7000");
  const std::string joined = [&] {
    std::string s;
    for (const auto& a : node.argv) s += a + " ";
    return s;
  }();
  EXPECT_NE(joined.find("--listen 127.0.0.1:7008 --http 127.0.0.1:7009"), std::string::npos);
  EXPECT_NE(joined.find("--bootstrap 127.0.0.1:7000 --fault early_return_race"), std::string::npos);
  EXPECT_EQ(joined.find("bridge-auth"), std::string::npos) << "only bootstrap and bridges";
  EXPECT_EQ(joined.find("genesis-auth"), std::string::npos) << "only bootstrap and genesis";

  ProcessRecord pinned = bootstrap;
  pin_ports(pinned, "127.0.0.1:1234", "127.0.0.1:1235");
  EXPECT_EQ(pinned.argv[6], "127.0.0.1:1234");
  EXPECT_EQ(pinned.argv[8], "127.0.0.1:1235");
  EXPECT_EQ(pinned.argv.size(), bootstrap.argv.size());

  cluster.processes = {bootstrap, node};
  EXPECT_EQ(next_node_name(cluster), "dht-node-3");
  EXPECT_EQ(find_process(cluster, "dht-node-2"), 1);
  EXPECT_EQ(find_process(cluster, "dht-node-9"), -1);
}

// short_bridge_wait is the bootstrap's fault (the original's timeout budget,
// issue 14): it goes to the bootstrap, the others to the members.
TEST(Layout, EachFaultGoesToTheProcessesItConcerns) {
  ClusterRecord cluster;
  cluster.dir = "/c";
  cluster.bin_dir = "/b";
  cluster.faults = {"early_return_race", "short_bridge_wait"};
  const auto members = cluster_members(1, 1);
  auto argv = [&](std::size_t i) {
    std::string s;
    for (const auto& a : make_process(cluster, members[i], i, "").argv) s += a + " ";
    return s;
  };
  const std::string bootstrap = argv(0), node = argv(members.size() - 1);
  EXPECT_NE(bootstrap.find("--fault short_bridge_wait"), std::string::npos) << bootstrap;
  EXPECT_EQ(bootstrap.find("early_return_race"), std::string::npos) << bootstrap;
  EXPECT_NE(node.find("--fault early_return_race"), std::string::npos) << node;
  EXPECT_EQ(node.find("short_bridge_wait"), std::string::npos) << node;
}

TEST(Args, ParsesFlagsValuesAndPositionals) {
  const std::vector<FlagSpec> spec = {{"--nodes"}, {"--fault", true, true}, {"--json", false}};
  Args a = parse_args({"--nodes=5", "x", "--fault", "a", "--fault", "b", "--json"}, spec, "up");
  EXPECT_EQ(a.error, "");
  EXPECT_EQ(a.get("--nodes"), "5");
  EXPECT_EQ(a.all("--fault"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(a.has("--json"));
  EXPECT_EQ(a.positional, (std::vector<std::string>{"x"}));
  EXPECT_EQ(parse_args({"--nope"}, spec, "up").error,
            "unknown flag --nope for yzctl up (see yzctl help)");
  EXPECT_EQ(parse_args({"--nodes", "1", "--nodes", "2"}, spec, "up").error,
            "flag --nodes given twice");
  EXPECT_EQ(parse_args({"--json=1"}, spec, "up").error, "flag --json takes no value");

  EXPECT_EQ(parse_int("15", 0, 1000), 15);
  EXPECT_FALSE(parse_int("-1", 0, 1000));
  EXPECT_FALSE(parse_int("1001", 0, 1000));
  EXPECT_EQ(parse_positive_double("2.5"), 2.5);
  EXPECT_FALSE(parse_positive_double("0"));
  EXPECT_FALSE(parse_positive_double("1e3"));
  EXPECT_EQ(parse_timeout("60s"), std::chrono::milliseconds(60000));
  EXPECT_EQ(parse_timeout("250ms"), std::chrono::milliseconds(250));
  EXPECT_FALSE(parse_timeout("60"));
}

TEST(ProcessControl, SignalsAndIdentity) {
  EXPECT_EQ(parse_signal("KILL"), SIGKILL);
  EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(parse_signal("9"), SIGKILL);
  EXPECT_FALSE(parse_signal("NOPE"));
  EXPECT_EQ(signal_name(SIGTERM), "SIGTERM");

  // This process is alive as itself, and dead under another binary's name
  // or another start time (a reused pid).
  ProcessRef self;
  self.pid = static_cast<int>(::getpid());
  self.binary = self_exe();
  self.start_ticks = read_proc_stat(self.pid)->start_ticks;
  EXPECT_TRUE(is_alive(self));
  ProcessRef other_binary = self;
  other_binary.binary = "/bin/true";
  EXPECT_FALSE(is_alive(other_binary));
  ProcessRef other_start = self;
  other_start.start_ticks += 1;
  EXPECT_FALSE(is_alive(other_start));
}

TEST(ProcessControl, SpawnsDetachedAndStops) {
  TempDir dir;
  const std::string log = dir.path() + "/log";
  setenv("YZ_LISTEN", "leaks", 1);
  const Spawned s = spawn_detached({"/bin/sh", "-c", "echo env=$YZ_LISTEN; exec sleep 30"}, log);
  unsetenv("YZ_LISTEN");
  ASSERT_GT(s.pid, 0) << s.error;
  ProcessRef ref;
  ref.pid = s.pid;
  ref.start_ticks = s.start_ticks;
  ref.own_child = true;
  EXPECT_TRUE(is_alive(ref));
  EXPECT_EQ(::getsid(s.pid), s.pid) << "a session of its own";
  // The shell writes its line before it turns into sleep.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (last_line(log).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const StopOutcome outcome = stop_processes({ref}, std::chrono::milliseconds(2000));
  EXPECT_EQ(outcome.signalled, 1);
  EXPECT_EQ(outcome.killed, 0);
  EXPECT_FALSE(is_alive(ref));
  EXPECT_EQ(last_line(log), "env=") << "YZ_* variables do not reach the roles";

  const Spawned missing = spawn_detached({"/no/such/binary"}, log);
  EXPECT_EQ(missing.pid, 0);
  EXPECT_NE(missing.error.find("/no/such/binary"), std::string::npos);
}

TEST(ProcessControl, TailLines) {
  TempDir dir;
  const std::string path = dir.path() + "/f";
  std::ofstream(path) << "one\ntwo\nthree\n\n";
  EXPECT_EQ(tail_lines(path, 2), "two\nthree");
  EXPECT_EQ(tail_lines(path, 10), "one\ntwo\nthree");
  EXPECT_EQ(last_line(path), "three");
  EXPECT_EQ(last_line(dir.path() + "/none"), "");
}

// --- issue 12: join state, summary arithmetic, rule scaling, query labels ---

json::Value health(const std::string& text) {
  auto parsed = json::parse(text);
  EXPECT_TRUE(parsed.has_value()) << text;
  return parsed.value_or(json::Value());
}

TEST(JoinState, DerivedWhenHealthHasNoState) {
  constexpr double kGrace = 6;  // 60 s at --time-scale 10
  EXPECT_EQ(derive_join_state("node", 0, 0, 0, 1.0, kGrace), JoinState::kJoining);
  EXPECT_EQ(derive_join_state("node", 0, 0, 0, 7.0, kGrace), JoinState::kIsolated);
  EXPECT_EQ(derive_join_state("node", 2, 3, 0, 1.0, kGrace), JoinState::kJoined);
  // Connected but with an empty routing table is not joined yet.
  EXPECT_EQ(derive_join_state("node", 1, 0, 0, 1.0, kGrace), JoinState::kJoining);
  EXPECT_EQ(derive_join_state("node", 1, 0, 0, 9.0, kGrace), JoinState::kIsolated);
  // A peer missing its handler trumps everything, even a full table.
  EXPECT_EQ(derive_join_state("bridge", 4, 4, 1, 100.0, kGrace), JoinState::kDegraded);
  // No uptime (an older build): past the grace, never the benefit of the doubt.
  EXPECT_EQ(derive_join_state("node", 0, 0, 0, std::nullopt, kGrace), JoinState::kIsolated);
  EXPECT_EQ(derive_join_state("bootstrap", 0, 0, 0, 0.0, kGrace), JoinState::kJoined);
  EXPECT_DOUBLE_EQ(startup_grace_seconds(10), 6);
  EXPECT_DOUBLE_EQ(startup_grace_seconds(1), 60);
}

TEST(JoinState, ReportedStateWinsOverDerivation) {
  EXPECT_EQ(join_state_of("node", health(R"({"state":"joined","connectedPeers":0})"), 6),
            JoinState::kJoined);
  EXPECT_EQ(join_state_of("node", health(R"({"connectedPeers":0,"routingTableSize":0,
                                             "peersMissingHandler":0,"uptime":2.5})"),
                          6),
            JoinState::kJoining);
  EXPECT_EQ(join_state_of("node", health(R"({"connectedPeers":0,"routingTableSize":0,
                                             "uptimeSeconds":30})"),
                          6),
            JoinState::kIsolated);
  // An unknown state word falls back to the derivation.
  EXPECT_EQ(join_state_of("node", health(R"({"state":"weird","peersMissingHandler":2})"), 6),
            JoinState::kDegraded);
}

ProcessView view_of(const std::string& name, const std::string& role, JoinState join,
                    bool healthy) {
  ProcessView v;
  v.record.name = name;
  v.record.role = role;
  v.join = join;
  v.healthy = healthy;
  v.running = join != JoinState::kDown;
  v.state = join == JoinState::kDown ? "down" : "running";
  if (v.running) v.health = health("{}");
  return v;
}

TEST(Summary, CountsAddUpByJoinState) {
  // The incident's shape: nodes inside their grace count as healthy by the
  // original rule, yet are not joined; the line must still add up.
  std::vector<ProcessView> views = {view_of("bootstrap", "bootstrap", JoinState::kJoined, true),
                                    view_of("genesis", "genesis", JoinState::kJoined, true),
                                    view_of("bridge-node-1", "bridge", JoinState::kJoined, true),
                                    view_of("bridge-node-2", "bridge", JoinState::kDegraded, true)};
  const JoinState nodes[] = {JoinState::kJoined,   JoinState::kJoined,  JoinState::kIsolated,
                             JoinState::kIsolated, JoinState::kJoining, JoinState::kDown,
                             JoinState::kUnknown};
  int i = 0;
  for (const JoinState s : nodes) {
    views.push_back(view_of("dht-node-" + std::to_string(++i), "node", s,
                            s == JoinState::kJoined || s == JoinState::kJoining));
  }
  ClusterRecord cluster;
  const Summary s = summarize(cluster, views);
  EXPECT_EQ(s.nodes, 7);
  EXPECT_EQ(s.node_states.sum(), s.nodes);
  EXPECT_EQ(s.member_states.sum(), 10);
  EXPECT_EQ(s.node_states.joined, 2);
  EXPECT_EQ(s.nodes_healthy, 3);  // /health's rule, kept for compatibility
  EXPECT_EQ(s.line,
            "2/7 DHT nodes joined (2 isolated, 1 joining, 1 down, 1 not answering), genesis "
            "joined, 1/2 bridges joined (1 degraded), bootstrap healthy");
  EXPECT_FALSE(s.all_joined);
  EXPECT_FALSE(s.all_healthy);
  EXPECT_EQ(s.isolated, (std::vector<std::string>{"dht-node-3", "dht-node-4"}));
  EXPECT_EQ(s.degraded, (std::vector<std::string>{"bridge-node-2"}));
  const std::string table = format_table(views, s);
  EXPECT_NE(table.find("STATE"), std::string::npos) << table;
  EXPECT_NE(table.find("ISOLATED"), std::string::npos) << table;
  EXPECT_NE(format_json(cluster, views, s).find("\"joinState\":\"isolated\""), std::string::npos);
}

TEST(Summary, AllHealthyNeedsEveryMemberJoined) {
  std::vector<ProcessView> views = {view_of("bootstrap", "bootstrap", JoinState::kJoined, true),
                                    view_of("genesis", "genesis", JoinState::kJoined, true),
                                    view_of("dht-node-1", "node", JoinState::kJoined, true)};
  ClusterRecord cluster;
  EXPECT_TRUE(summarize(cluster, views).all_healthy);
  EXPECT_EQ(summarize(cluster, views).line,
            "1/1 DHT nodes joined, genesis joined, 0/0 bridges joined, bootstrap healthy");
  // Healthy by /health (inside its grace) but still joining: not yet.
  views.push_back(view_of("dht-node-2", "node", JoinState::kJoining, true));
  EXPECT_FALSE(summarize(cluster, views).all_healthy);
}

TEST(Rules, PrometheusDurations) {
  EXPECT_EQ(parse_prometheus_duration("1m"), 60000);
  EXPECT_EQ(parse_prometheus_duration("1h30m"), 5400000);
  EXPECT_EQ(parse_prometheus_duration("500ms"), 500);
  EXPECT_EQ(parse_prometheus_duration("2d"), 172800000);
  EXPECT_FALSE(parse_prometheus_duration(""));
  EXPECT_FALSE(parse_prometheus_duration("1.5m"));
  EXPECT_FALSE(parse_prometheus_duration("m"));
  EXPECT_EQ(format_prometheus_duration(6000), "6s");
  EXPECT_EQ(format_prometheus_duration(90000), "1m30s");
  EXPECT_EQ(format_prometheus_duration(3600000), "1h");
  EXPECT_EQ(format_prometheus_duration(8571), "8571ms");
}

TEST(Rules, ForIsDividedByTheTimeScaleAtLeastOneSecond) {
  const std::string rules =
      "groups:\n"
      "  - name: yz\n"
      "    rules:\n"
      "      - alert: A\n"
      "        expr: up == 0\n"
      "        for: 1m\n"
      "      - alert: B\n"
      "        expr: vector(1)\n"
      "        for: \"5s\"  # short\n"
      "      - alert: C\n"
      "        expr: vector(1)\n"
      "        annotations:\n"
      "          summary: 'waits for: nothing, rate over [5m]'\n";
  std::string error;
  const std::string scaled = scale_for_durations(rules, 10, &error);
  EXPECT_EQ(error, "");
  EXPECT_NE(scaled.find("        for: 6s  # 1m / time scale\n"), std::string::npos) << scaled;
  EXPECT_NE(scaled.find("        for: 1s # short  # 5s / time scale\n"), std::string::npos)
      << scaled;
  EXPECT_NE(scaled.find("summary: 'waits for: nothing, rate over [5m]'"), std::string::npos);
  EXPECT_EQ(scale_for_durations(rules, 1, &error), rules);
  EXPECT_EQ(scale_for_durations("  for: 7s\n", 3, &error), "  for: 2333ms  # 7s / time scale\n");
  scale_for_durations("      for: soon\n", 10, &error);
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
}

TEST(Rules, InstallCopiesEveryYmlScaled) {
  TempDir src;
  TempDir dest;
  std::ofstream(src.path() + "/a.yml") << "groups: []\n";
  std::ofstream(src.path() + "/b.yml") << "      for: 2m\n";
  std::ofstream(src.path() + "/notes.txt") << "not a rule\n";
  const RulesInstall done = install_rules(src.path(), dest.path() + "/rules", 10);
  EXPECT_EQ(done.error, "");
  EXPECT_EQ(done.files, 2);
  std::ifstream in(dest.path() + "/rules/b.yml");
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "      for: 12s  # 2m / time scale");
  EXPECT_FALSE(std::filesystem::exists(dest.path() + "/rules/notes.txt"));
  EXPECT_NE(install_rules(src.path() + "/none", dest.path(), 1).error, "");
}

TEST(PrometheusConfig, LoadsRulesHonoursLabelsAndSendsAlerts) {
  const std::string config = prometheus_config_text("/c", "127.0.0.1:9093");
  EXPECT_NE(config.find("honor_labels: true"), std::string::npos) << config;
  EXPECT_NE(config.find("rule_files:\n  - '/c/prometheus/rules/*.yml'"), std::string::npos);
  EXPECT_NE(config.find("evaluation_interval: 1s"), std::string::npos);
  EXPECT_NE(config.find("targets: ['127.0.0.1:9093']"), std::string::npos);
  EXPECT_EQ(prometheus_config_text("/c", "").find("alerting:"), std::string::npos);
  EXPECT_NE(alertmanager_config_text(4242).find("url: 'http://127.0.0.1:4242/alerts'"),
            std::string::npos);
}

TEST(Query, PrintsEveryLabel) {
  EXPECT_EQ(series_text(health(R"({"result":"success"})")), "{result=\"success\"}");
  EXPECT_EQ(series_text(health(R"({})")), "{}");
  EXPECT_EQ(series_text(health(R"({"__name__":"up","instance":"127.0.0.1:1","job":"yz",
                                   "name":"genesis","role":"genesis"})")),
            "up{instance=\"127.0.0.1:1\", job=\"yz\", name=\"genesis\", role=\"genesis\"}");
  EXPECT_EQ(series_text(health(R"({"reason":"a\"b"})")), "{reason=\"a\\\"b\"}");
}

TEST(Alerts, TableAndJson) {
  Alert firing;
  firing.name = "YzDhtNodeIsolated";
  firing.target = "dht-node-3";
  firing.state = "firing";
  firing.severity = "critical";
  firing.active_at = "2020-01-01T00:00:00.5Z";
  firing.summary = "dht-node-3 is isolated";
  firing.labels = health(R"({"alertname":"YzDhtNodeIsolated","name":"dht-node-3"})");
  const std::string table = format_alerts_table({firing});
  EXPECT_NE(table.find("YzDhtNodeIsolated  dht-node-3  FIRING"), std::string::npos) << table;
  EXPECT_NE(table.find("1 firing, 0 pending"), std::string::npos) << table;
  EXPECT_EQ(format_alerts_table({}), "no alerts pending or firing\n");
  const auto json = json::parse(format_alerts_json({firing}));
  ASSERT_TRUE(json);
  EXPECT_EQ(json->int_at("firing"), 1);
  const json::Value& a = json->find("alerts")->items().at(0);
  EXPECT_EQ(a.string_at("process"), "dht-node-3");
  EXPECT_EQ(a.find("labels")->string_at("name"), "dht-node-3");
  EXPECT_GT(a.double_at("sinceSeconds"), 1e8);
  EXPECT_LT(seconds_since("garbage"), 0);
}

TEST(Layout, ServiceSlotsAreSkippedByLaterProcesses) {
  ClusterRecord cluster;
  cluster.base_port = 7000;
  EXPECT_EQ(port_slot(cluster, 5), 5);
  cluster.service_slot = 4;
  EXPECT_EQ(port_slot(cluster, 3), 3);
  EXPECT_EQ(port_slot(cluster, 4), 4 + kServiceSlots);
  cluster.dir = "/c";
  const ProcessRecord added = make_process(cluster, {"dht-node-9", "node"}, 4, "127.0.0.1:7000");
  const auto listen = std::find(added.argv.begin(), added.argv.end(), "--listen");
  ASSERT_NE(listen, added.argv.end());
  EXPECT_EQ(*(listen + 1), "127.0.0.1:" + std::to_string(7000 + 2 * (4 + kServiceSlots)));
}

}  // namespace
}  // namespace yz::cluster
