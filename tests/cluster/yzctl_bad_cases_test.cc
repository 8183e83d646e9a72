// Each way `yzctl` can be misused or fail, with its message, its exit status
// and no half-started cluster left behind.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>

#include "cluster/cluster_state.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A listening socket on 127.0.0.1:port (0: any free one), held until the end.
class HeldPort {
 public:
  explicit HeldPort(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 1) != 0) {
      return;
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~HeldPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// The first of `count` consecutive free ports below Linux's ephemeral range
// (32768 and up), where no other test's port-0 socket can land meanwhile.
int free_port_window(int count) {
  std::mt19937 random(static_cast<unsigned>(::getpid()));
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int first = 20000 + static_cast<int>(random() % 12000);
    bool all_free = true;
    for (int i = 0; i < count && all_free; ++i) all_free = HeldPort(first + i).port() != 0;
    if (all_free) return first;
  }
  return 0;
}

using YzctlBadCases = YzctlTest;

// The smallest cluster: bootstrap, genesis, one bridge, one node.
const std::vector<std::string> kSmall = {"up", "--nodes", "1", "--bridges", "1"};

TEST_F(YzctlBadCases, SecondUpOnALiveFolderIsRefused) {
  ASSERT_EQ(yzctl(kSmall).exit_code, 0);
  const RunResult again = yzctl(kSmall);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_TRUE(contains(again.err, "cluster in " + dir_ +
                                      " is running (4 processes); yzctl down "
                                      "--dir " +
                                      dir_ + " first"))
      << again.err;
  // The first cluster is untouched.
  EXPECT_EQ(yzctl({"wait", "--healthy", "--timeout", "30s"}).exit_code, 0);
}

TEST_F(YzctlBadCases, StalePidsAreReplaced) {
  ASSERT_EQ(yzctl(kSmall).exit_code, 0);
  const auto old = read_cluster(dir_);
  ASSERT_TRUE(old.ok()) << old.status();
  // Everything dies behind yzctl's back (a reboot, an OOM killer).
  for (const ProcessRecord& p : old->processes) ::kill(p.pid, SIGKILL);
  ASSERT_TRUE(eventually(
      [&] {
        for (const ProcessRecord& p : old->processes) {
          if (pid_alive(p.pid, p.start_ticks)) return false;
        }
        return true;
      },
      std::chrono::seconds(10)));
  const RunResult up = yzctl(kSmall);
  EXPECT_EQ(up.exit_code, 0) << up.err;
  EXPECT_TRUE(contains(
      up.out, "replaced the stale state in " + dir_ + " (4 recorded processes, none running)"))
      << up.out;
  EXPECT_EQ(yzctl({"wait", "--healthy", "--timeout", "30s"}).exit_code, 0);
}

TEST_F(YzctlBadCases, PortInUseStopsWhatWasStarted) {
  // The port bridge-node-1 would listen on (base + 2 * 2) is taken, so the
  // bootstrap and genesis start and must be stopped again.
  const int base = free_port_window(8);
  ASSERT_GT(base, 0);
  const HeldPort held(base + 4);
  ASSERT_EQ(held.port(), base + 4);
  const RunResult up =
      yzctl({"up", "--nodes", "1", "--bridges", "1", "--base-port", std::to_string(base)});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_TRUE(contains(up.err, "bridge-node-1 exited with status 2 before becoming ready"))
      << up.err;
  EXPECT_TRUE(contains(up.err, "127.0.0.1:" + std::to_string(held.port())) &&
              contains(up.err, "address already in use"))
      << up.err;
  EXPECT_TRUE(contains(up.err, "stopped the 2 processes already started")) << up.err;
  EXPECT_TRUE(survivors().empty());
  // status agrees: nothing runs.
  const RunResult status = yzctl({"status"});
  EXPECT_EQ(status.exit_code, 1);
  EXPECT_TRUE(contains(status.out, "genesis down, 0/1 bridges joined (1 down), bootstrap down"))
      << status.out;
}

TEST_F(YzctlBadCases, MissingBinaryIsNamed) {
  const std::string bin = root_ + "/no-such-bin";
  const RunResult up = yzctl({"up", "--bin-dir", bin});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_TRUE(contains(up.err, "missing binary " + bin + "/yz-bootstrap")) << up.err;
  EXPECT_FALSE(std::filesystem::exists(cluster_file(dir_)));
}

TEST_F(YzctlBadCases, ProcessThatNeverGetsReadyIsNamedWithItsLog) {
  // A bin dir whose genesis never writes ports.json.
  const std::string bin = root_ + "/bin";
  std::filesystem::create_directories(bin);
  const std::filesystem::path real = std::filesystem::path(YZCTL_PATH).parent_path();
  for (const char* role : {"yz-bootstrap", "yz-bridge", "yz-node"}) {
    std::filesystem::create_symlink(real / role, bin + "/" + role);
  }
  {
    std::ofstream script(bin + "/yz-genesis");
    script << "#!/bin/sh\necho fake genesis: listening nowhere\nexec sleep 600\n";
  }
  std::filesystem::permissions(bin + "/yz-genesis", std::filesystem::perms::owner_all);
  // The timeout applies to each process, the real bootstrap's too: 5 s leaves
  // a loaded CI machine room to start it.
  const RunResult up =
      yzctl({"up", "--nodes", "1", "--bridges", "1", "--bin-dir", bin, "--ready-timeout", "5s"});
  EXPECT_EQ(up.exit_code, 1);
  EXPECT_TRUE(contains(up.err, "genesis did not become ready within 5s (no ports.json yet)"))
      << up.err;
  EXPECT_TRUE(contains(up.err, "fake genesis: listening nowhere")) << up.err;
  EXPECT_TRUE(contains(up.err, "stopped the 2 processes already started")) << up.err;
  EXPECT_TRUE(survivors().empty());
}

TEST_F(YzctlBadCases, UnknownNamesAndBadFlagsAreUsageErrors) {
  ASSERT_EQ(yzctl(kSmall).exit_code, 0);
  for (const char* command : {"kill", "stop", "start", "restart", "logs", "metrics"}) {
    const RunResult r = yzctl({command, "dht-node-9"});
    EXPECT_EQ(r.exit_code, 2) << command;
    EXPECT_TRUE(contains(r.err, "unknown process 'dht-node-9' in " + dir_)) << command << r.err;
  }
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"up", "--nodes", "many"}, "invalid --nodes 'many'"},
      {{"up", "--bogus"}, "unknown flag --bogus for yzctl up"},
      {{"up", "--fault", "no_such_fault"}, "unknown fault 'no_such_fault'"},
      {{"up", "--time-scale", "0"}, "invalid --time-scale '0'"},
      {{"up", "--base-port", "65530"}, "invalid --base-port '65530'"},
      {{"up", "--nodes"}, "flag --nodes needs a value"},
      {{"up", "--role-flag", "k=many"}, "invalid --role-flag 'k=many': "},
      {{"up", "--role-flag", "listen=127.0.0.1:0"}, "yzctl sets --listen itself"},
      {{"up", "--role-flag", "k"}, "invalid --role-flag 'k': expected NAME=VALUE"},
      {{"wait", "--healthy", "--timeout", "60"}, "invalid --timeout '60'"},
      {{"wait"}, "yzctl wait needs a condition: --healthy"},
      {{"kill", "dht-node-1", "--signal", "NOPE"}, "unknown signal 'NOPE'"},
      {{"kill"}, "yzctl kill needs a process NAME"},
      {{"frobnicate"}, "unknown command 'frobnicate'"},
  };
  for (const Case& c : cases) {
    const RunResult r = yzctl(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args.front() << ": " << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << r.err;
    // One line, no usage dump.
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Bad flags start nothing: the cluster is as it was.
  EXPECT_EQ(yzctl({"wait", "--healthy", "--timeout", "30s"}).exit_code, 0);
}

TEST_F(YzctlBadCases, CommandsOnAFolderWithoutACluster) {
  for (const char* command : {"status", "kill", "logs"}) {
    std::vector<std::string> args = {command};
    if (std::string(command) != "status") args.push_back("genesis");
    const RunResult r = yzctl(args);
    EXPECT_EQ(r.exit_code, 1) << command;
    EXPECT_TRUE(contains(r.err, "no cluster in " + dir_)) << command << r.err;
  }
  // down is idempotent even there.
  const RunResult down = yzctl({"down"});
  EXPECT_EQ(down.exit_code, 0);
  EXPECT_TRUE(contains(down.out, "nothing is running")) << down.out;
}

}  // namespace
}  // namespace yz::cluster::testing
