// BRIDGE_AUTH over real processes: a bridge with the wrong shared secret is
// refused by the bootstrap (bad_auth, counted) and never listed as a
// bridge; one with the right secret registers. GENESIS_AUTH the same way:
// a genesis with the wrong secret is refused (bad_genesis_auth, counted)
// and never designated; one with the right secret is.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "tests/integration/harness.h"

namespace yz::integration {
namespace {

using std::chrono::seconds;

class BridgeAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("yz-bridge-auth");
    bootstrap_ =
        Child::spawn({binary("yz-bootstrap"), "--data-dir", dir_ + "/bootstrap", "--listen",
                      "127.0.0.1:0", "--http", "127.0.0.1:0", "--log-level", "info"},
                     {{"BRIDGE_AUTH", "the-right-secret"}, {"GENESIS_AUTH", kTestGenesisAuth}},
                     dir_ + "/bootstrap.log");
    ASSERT_TRUE(
        eventually([&] { return port_of(dir_ + "/bootstrap", "listen").has_value(); }, seconds(20)))
        << read_file(dir_ + "/bootstrap.log");
    address_ = *port_of(dir_ + "/bootstrap", "listen");
    http_ = *port_of(dir_ + "/bootstrap", "http");
  }

  Child bridge(const std::string& name, const std::string& secret) {
    return Child::spawn(
        {binary("yz-bridge"), "--data-dir", dir_ + "/" + name, "--bootstrap", address_, "--name",
         name, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"},
        {{"BRIDGE_AUTH", secret}}, dir_ + "/" + name + ".log");
  }

  Child genesis(const std::string& name, const std::string& secret) {
    return Child::spawn(
        {binary("yz-genesis"), "--data-dir", dir_ + "/" + name, "--bootstrap", address_, "--name",
         name, "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--log-level", "info"},
        {{"GENESIS_AUTH", secret}}, dir_ + "/" + name + ".log");
  }

  double bootstrap_metric(const std::string& series) {
    return metric_value(http_get(http_, "/metrics").body, series).value_or(0);
  }

  std::string dir_, address_, http_;
  Child bootstrap_;
};

TEST_F(BridgeAuth, WrongSecretIsRefusedAndCountedRightSecretRegisters) {
  const std::string bad_auth = "yz_bootstrap_refused_total{reason=\"bad_auth\"}";
  Child wrong = bridge("bridge-wrong", "a-wrong-secret");
  EXPECT_TRUE(eventually([&] { return bootstrap_metric(bad_auth) >= 1; }, seconds(20)))
      << read_file(dir_ + "/bootstrap.log");
  // Counted by the bootstrap before its error frame reaches the bridge.
  EXPECT_TRUE(eventually(
      [&] { return read_file(dir_ + "/bridge-wrong.log").find("bad_auth") != std::string::npos; },
      seconds(20)))
      << read_file(dir_ + "/bridge-wrong.log");

  const double refused = bootstrap_metric(bad_auth);

  Child right = bridge("bridge-right", "the-right-secret");
  std::string short_id;
  ASSERT_TRUE(eventually(
      [&] {
        short_id = read_file(dir_ + "/bridge-right/node_id").substr(0, 8);
        return short_id.size() == 8;
      },
      seconds(20)));
  // The bootstrap logs the registration of the bridge with the right secret.
  EXPECT_TRUE(eventually(
      [&] {
        const std::string log = read_file(dir_ + "/bootstrap.log");
        for (std::size_t at = log.find("registered"); at != std::string::npos;
             at = log.find("registered", at + 1)) {
          const std::size_t end = log.find('\n', at);
          if (log.substr(at, end - at).find(short_id) != std::string::npos) return true;
        }
        return false;
      },
      seconds(20)))
      << read_file(dir_ + "/bootstrap.log");
  EXPECT_EQ(bootstrap_metric(bad_auth), refused);
}

TEST_F(BridgeAuth, GenesisWithTheWrongSecretIsRefusedAndCountedTheRightOneIsDesignated) {
  const std::string bad = "yz_bootstrap_refused_total{reason=\"bad_genesis_auth\"}";
  EXPECT_EQ(bootstrap_metric(bad), 0);
  {
    Child wrong = genesis("genesis-wrong", "a-wrong-secret");
    EXPECT_TRUE(eventually([&] { return bootstrap_metric(bad) >= 1; }, seconds(20)))
        << read_file(dir_ + "/bootstrap.log");
    // The bootstrap counts the refusal before its error frame reaches the
    // genesis, so the genesis may log it a moment after the count shows.
    EXPECT_TRUE(eventually(
        [&] {
          return read_file(dir_ + "/genesis-wrong.log").find("bad_genesis_auth") !=
                 std::string::npos;
        },
        seconds(20)))
        << read_file(dir_ + "/genesis-wrong.log");
    EXPECT_EQ(read_file(dir_ + "/bootstrap.log").find("genesis_designated"), std::string::npos)
        << read_file(dir_ + "/bootstrap.log");
    wrong.stop();
  }
  const double refused = bootstrap_metric(bad);
  Child right = genesis("genesis-right", kTestGenesisAuth);
  EXPECT_TRUE(eventually(
      [&] {
        return read_file(dir_ + "/bootstrap.log").find("genesis_joined") != std::string::npos;
      },
      seconds(20)))
      << read_file(dir_ + "/bootstrap.log");
  EXPECT_EQ(bootstrap_metric(bad), refused);
}

}  // namespace
}  // namespace yz::integration
