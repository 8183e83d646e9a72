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

#include "cluster/args.h"
#include "cluster/cluster_state.h"
#include "cluster/layout.h"
#include "cluster/process_control.h"

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

  std::string error;
  const auto read = read_cluster(dir.path(), &error);
  ASSERT_TRUE(read) << error;
  EXPECT_EQ(read->faults, record.faults);
  EXPECT_EQ(read->time_scale, 2.5);
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
  std::string error;
  EXPECT_FALSE(read_cluster(dir.path(), &error));
  EXPECT_NE(error.find("no cluster in " + dir.path()), std::string::npos) << error;
  std::ofstream(dir.path() + "/cluster.json") << "{\"something\": \"else\"}";
  EXPECT_FALSE(read_cluster(dir.path(), &error));
  EXPECT_NE(error.find("is not a yzctl cluster record"), std::string::npos) << error;
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
  const std::vector<std::string> want = {"/b/yz-bootstrap", "--name",       "bootstrap",
                                         "--data-dir",      "/c/bootstrap", "--listen",
                                         "127.0.0.1:7000",  "--http",       "127.0.0.1:7001",
                                         "--log-level",     "info",         "--bridge-auth-file",
                                         "/c/bridge_auth"};
  EXPECT_EQ(bootstrap.argv, want);

  ProcessRecord node = make_process(cluster, members[4], 4, "127.0.0.1:7000");
  const std::string joined = [&] {
    std::string s;
    for (const auto& a : node.argv) s += a + " ";
    return s;
  }();
  EXPECT_NE(joined.find("--listen 127.0.0.1:7008 --http 127.0.0.1:7009"), std::string::npos);
  EXPECT_NE(joined.find("--bootstrap 127.0.0.1:7000 --fault early_return_race"), std::string::npos);
  EXPECT_EQ(joined.find("bridge-auth"), std::string::npos) << "only bootstrap and bridges";

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

}  // namespace
}  // namespace yz::cluster
