// The role binaries refuse bad configuration the same way every time: exit
// status 2 and one clear line, before they touch the network.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

extern char** environ;

namespace yz::integration {
namespace {

constexpr char kBridgeAuth[] = "bad-config-test-secret";

struct Exit {
  int code = -1;  // the exit status, or -1 when the process did not exit by itself
  std::string output;

  int lines() const { return static_cast<int>(std::count(output.begin(), output.end(), '\n')); }
  bool mentions(const std::string& text) const { return output.find(text) != std::string::npos; }
};

std::ostream& operator<<(std::ostream& out, const Exit& exit) {
  return out << "exit " << exit.code << ", output:\n" << exit.output;
}

// A TCP socket bound to 127.0.0.1 on an ephemeral port and listening, with
// no SO_REUSEPORT, so nobody else can listen there while it lives.
class HeldPort {
 public:
  HeldPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = 0;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(fd_, 1) != 0 || getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
      return;
    port_ = ntohs(addr.sin_port);
  }
  HeldPort(const HeldPort&) = delete;
  HeldPort& operator=(const HeldPort&) = delete;
  ~HeldPort() {
    if (fd_ >= 0) close(fd_);
  }
  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class BadConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    // Only the flags a test gives may count: drop YZ_* and BRIDGE_AUTH that
    // the environment running the tests might carry.
    std::vector<std::string> inherited;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string entry(*e);
      const std::string key = entry.substr(0, entry.find('='));
      if (key.rfind("YZ_", 0) == 0 || key == "BRIDGE_AUTH" || key == "GENESIS_AUTH")
        inherited.push_back(key);
    }
    for (const auto& key : inherited) unsetenv(key.c_str());
    dir_ = make_temp_dir("yz-bad-config");
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // Runs yz-<role> with `args` and waits for it to exit by itself.
  Exit run(const std::string& role, const std::vector<std::string>& args,
           const std::map<std::string, std::string>& env = {}) {
    std::vector<std::string> argv = {binary("yz-" + role)};
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = dir_ + "/run-" + std::to_string(++runs_) + ".log";
    Child child = Child::spawn(argv, env, log);
    Exit exit;
    if (child.pid() <= 0) {
      exit.output = "cannot start " + argv[0];
      return exit;
    }
    const auto status = child.wait(std::chrono::seconds(20));
    if (status && WIFEXITED(*status)) exit.code = WEXITSTATUS(*status);
    if (!status) child.stop();  // it did not refuse: it is serving, so stop it
    exit.output = read_file(log);
    return exit;
  }

  // The flags of a node that would start: everything valid, ports free.
  std::vector<std::string> valid_node_flags(const std::string& name) const {
    return {"--name",      name,     "--data-dir",  dir_ + "/" + name, "--listen",
            "127.0.0.1:0", "--http", "127.0.0.1:0", "--bootstrap",     "127.0.0.1:9"};
  }

  // The node's flags with one replaced.
  std::vector<std::string> node_flags_with(const std::string& name, const std::string& flag,
                                           const std::string& value) const {
    std::vector<std::string> args = valid_node_flags(name);
    for (std::size_t i = 0; i + 1 < args.size(); i += 2)
      if (args[i] == flag) args[i + 1] = value;
    return args;
  }

  std::string dir_;
  int runs_ = 0;
};

TEST_F(BadConfig, UnknownFlagExits2WithOneLineNamingIt) {
  for (const std::string role : {"node", "genesis", "bridge", "bootstrap"}) {
    SCOPED_TRACE("yz-" + role);
    const Exit exit = run(role, {"--no-such-flag", "1"}, {{"BRIDGE_AUTH", kBridgeAuth}});
    EXPECT_EQ(exit.code, 2) << exit;
    EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
    EXPECT_TRUE(exit.mentions("--no-such-flag")) << exit;
    EXPECT_TRUE(exit.mentions("yz-" + role + ":")) << "the line should name the program; " << exit;
  }
}

TEST_F(BadConfig, InvalidFlagValueExits2WithOneLine) {
  const Exit exit = run("node", node_flags_with("n1", "--listen", "not-an-address"));
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions("--listen")) << exit;
  EXPECT_TRUE(exit.mentions("not-an-address")) << exit;
}

TEST_F(BadConfig, NodeWithoutBootstrapExits2WithOneLine) {
  const Exit exit =
      run("node", {"--data-dir", dir_ + "/n", "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"});
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions("--bootstrap")) << exit;
}

TEST_F(BadConfig, DataDirUnderARegularFileExits2NamingThePath) {
  const std::string file = dir_ + "/plain-file";
  std::ofstream(file) << "not a directory\n";
  const std::string data_dir = file + "/sub";
  const Exit exit = run("node", node_flags_with("n1", "--data-dir", data_dir));
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions(data_dir)) << exit;
  EXPECT_TRUE(exit.mentions("Not a directory")) << exit;
}

TEST_F(BadConfig, DataDirThatIsAFileExits2NamingThePath) {
  const std::string file = dir_ + "/plain-file";
  std::ofstream(file) << "not a directory\n";
  const Exit exit = run("node", node_flags_with("n1", "--data-dir", file));
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions(file)) << exit;
}

// The node id is derived from <data-dir>/identity.key; node_id is only a
// copy written for people and yzctl, so the key file is what must be sound.
TEST_F(BadConfig, CorruptIdentityKeyExits2NamingTheFile) {
  const std::string data_dir = dir_ + "/n1";
  ASSERT_EQ(mkdir(data_dir.c_str(), 0700), 0);
  std::ofstream(data_dir + "/identity.key") << "this is not a key\n";
  ASSERT_EQ(chmod((data_dir + "/identity.key").c_str(), 0600), 0);
  const Exit exit = run("node", node_flags_with("n1", "--data-dir", data_dir));
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions(data_dir + "/identity.key")) << exit;
  EXPECT_TRUE(exit.mentions("not an Ed25519 private key")) << exit;
}

TEST_F(BadConfig, IdentityKeyOpenToOthersExits2NamingTheFile) {
  const std::string data_dir = dir_ + "/n1";
  ASSERT_EQ(mkdir(data_dir.c_str(), 0700), 0);
  std::ofstream(data_dir + "/identity.key") << "whatever\n";
  ASSERT_EQ(chmod((data_dir + "/identity.key").c_str(), 0644), 0);
  const Exit exit = run("node", node_flags_with("n1", "--data-dir", data_dir));
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions(data_dir + "/identity.key")) << exit;
  EXPECT_TRUE(exit.mentions("0644")) << exit;
}

TEST_F(BadConfig, UnwritableDataDirExits2NamingThePath) {
  if (geteuid() == 0) GTEST_SKIP() << "root writes through directory permissions";
  const std::string data_dir = dir_ + "/read-only";
  ASSERT_EQ(mkdir(data_dir.c_str(), 0500), 0);
  const Exit exit = run("node", node_flags_with("n1", "--data-dir", data_dir));
  chmod(data_dir.c_str(), 0700);
  EXPECT_EQ(exit.code, 2) << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions(data_dir)) << exit;
}

TEST_F(BadConfig, ListenPortInUseExits2NamingTheAddress) {
  HeldPort held;
  ASSERT_GT(held.port(), 0);
  const Exit exit = run("node", node_flags_with("n1", "--listen", held.address()));
  EXPECT_EQ(exit.code, 2) << "--listen on a port another socket listens on; " << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions("--listen " + held.address())) << exit;
  EXPECT_TRUE(exit.mentions("address already in use")) << exit;
}

TEST_F(BadConfig, HttpPortInUseExits2NamingTheAddress) {
  HeldPort held;
  ASSERT_GT(held.port(), 0);
  const Exit exit = run("node", node_flags_with("n1", "--http", held.address()));
  EXPECT_EQ(exit.code, 2) << "--http on a port another socket listens on; " << exit;
  EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
  EXPECT_TRUE(exit.mentions("--http " + held.address())) << exit;
  EXPECT_TRUE(exit.mentions("address already in use")) << exit;
}

TEST_F(BadConfig, CheckConfigWithValidFlagsExits0) {
  const Exit exit = run("node", [&] {
    auto args = valid_node_flags("n1");
    args.push_back("--check-config");
    return args;
  }());
  EXPECT_EQ(exit.code, 0) << exit;
  EXPECT_TRUE(exit.mentions("configuration ok")) << exit;
  // It validated the data dir without starting: no ports file.
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/n1/ports.json"));
}

TEST_F(BadConfig, HelpExits0AndListsTheFlags) {
  const Exit exit = run("node", {"--help"});
  EXPECT_EQ(exit.code, 0) << exit;
  EXPECT_TRUE(exit.mentions("--listen")) << exit;
  EXPECT_TRUE(exit.mentions("--bootstrap")) << exit;
  EXPECT_TRUE(exit.mentions("--data-dir")) << exit;
}

TEST_F(BadConfig, VersionExits0) {
  const Exit exit = run("node", {"--version"});
  EXPECT_EQ(exit.code, 0) << exit;
  EXPECT_EQ(exit.lines(), 1) << exit;
  EXPECT_EQ(exit.output.rfind("yz-node ", 0), 0u) << exit;
}

TEST_F(BadConfig, BridgeWithoutBridgeAuthExits2NamingIt) {
  for (const std::string role : {"bridge", "bootstrap"}) {
    SCOPED_TRACE("yz-" + role);
    const Exit exit = run(role, valid_node_flags(role));
    EXPECT_EQ(exit.code, 2) << exit;
    EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
    EXPECT_TRUE(exit.mentions("BRIDGE_AUTH")) << exit;
  }
}

TEST_F(BadConfig, GenesisOrBootstrapWithoutGenesisAuthExits2NamingIt) {
  for (const std::string role : {"genesis", "bootstrap"}) {
    SCOPED_TRACE("yz-" + role);
    const Exit exit = run(role, valid_node_flags(role), {{"BRIDGE_AUTH", kBridgeAuth}});
    EXPECT_EQ(exit.code, 2) << exit;
    EXPECT_EQ(exit.lines(), 1) << "expected exactly one line; " << exit;
    EXPECT_TRUE(exit.mentions("GENESIS_AUTH")) << exit;
    EXPECT_TRUE(exit.mentions("--genesis-auth-file")) << exit;
  }
  const Exit on_command_line =
      run("genesis", {"--genesis-auth", "topsecret"}, {{"GENESIS_AUTH", "g"}});
  EXPECT_EQ(on_command_line.code, 2) << on_command_line;
  EXPECT_TRUE(on_command_line.mentions("refusing --genesis-auth")) << on_command_line;
  EXPECT_FALSE(on_command_line.mentions("topsecret")) << on_command_line;
}

}  // namespace
}  // namespace yz::integration
