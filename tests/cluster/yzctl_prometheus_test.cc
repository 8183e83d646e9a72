// up --prometheus on a healthy cluster: Prometheus runs before the
// bootstrap with the alert rules, `up` returns once every process has been
// scraped, no label becomes exported_*, no alert fires once the nodes have
// joined, and add-node keeps clear of Prometheus's reserved port.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "cluster/cluster_state.h"
#include "cluster/http_client.h"
#include "cluster/prometheus_api.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

// Rows of a query table whose value column is exactly `value`.
int rows_with_value(const std::string& table, const std::string& value) {
  std::istringstream lines(table);
  std::string line;
  int rows = 0;
  std::getline(lines, line);  // header
  while (std::getline(lines, line)) {
    const auto last_space = line.find_last_of(' ');
    if (last_space != std::string::npos && line.substr(last_space + 1) == value) ++rows;
  }
  return rows;
}

class YzctlPrometheus : public YzctlTest {};

TEST_F(YzctlPrometheus, RecordsTheJoinPhaseAndStaysQuietOnAHealthyCluster) {
  if (access("/usr/bin/prometheus", X_OK) != 0) GTEST_SKIP() << "prometheus is not installed";
  // bootstrap, genesis, 2 bridges, 4 nodes; the ports of Prometheus come
  // right after theirs, and a node added later must skip them.
  constexpr int kProcesses = 8;
  const int base = free_port_block(2 * (kProcesses + 1 + kServiceSlots));
  ASSERT_GT(base, 0);
  const RunResult up = yzctl({"up", "--nodes", "4", "--time-scale", "10", "--prometheus",
                              "--base-port", std::to_string(base)});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("prometheus  http://127.0.0.1:" + std::to_string(base + 2 * kProcesses)),
            std::string::npos)
      << up.out;

  // `up` returned only once every process had been scraped.
  const RunResult sum = yzctl({"query", "sum(up)"});
  EXPECT_EQ(sum.out, "SERIES  VALUE\n{}      " + std::to_string(kProcesses) + "\n") << sum.out;
  const auto record = read_cluster(dir_);
  ASSERT_TRUE(record.ok()) << record.status();

  // Prometheus has been there since before the bootstrap: the bootstrap's
  // onboardings are all counted, not only those after a late first scrape.
  const RunResult onboarded =
      yzctl({"query", "sum by (result) (max_over_time(yz_onboarding_total[5m]))"});
  EXPECT_NE(onboarded.out.find("{result=\"success\"}"), std::string::npos) << onboarded.out;
  // The roles export every known series at 0 from their first scrape, so
  // increase() over the join phase counts the onboardings too.
  const RunResult increase =
      yzctl({"query", "sum(increase(yz_onboarding_total{result=\"success\"}[5m])) > 0", "--json"});
  EXPECT_NE(increase.out.find("\"resultType\":\"vector\""), std::string::npos) << increase.out;
  EXPECT_NE(increase.out.find("\"value\""), std::string::npos)
      << "no onboarding recorded: " << increase.out;

  // No stored label starts with exported_ (the roles' own `role` label and
  // the target's agree; honor_labels keeps one).
  const HttpReply labels = http_get(record->prometheus_url.substr(7), "/api/v1/labels");
  ASSERT_EQ(labels.status, 200) << labels.error;
  EXPECT_NE(labels.body.find("\"role\""), std::string::npos) << labels.body;
  EXPECT_EQ(labels.body.find("exported_"), std::string::npos) << labels.body;

  ASSERT_EQ(yzctl({"wait", "--healthy", "--timeout", "60s"}).exit_code, 0);
  // No alert fires on a joined cluster: watched for longer than the longest
  // scaled `for:` (1 m / 10), and nothing has fired since Prometheus started.
  const auto quiet_until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (std::chrono::steady_clock::now() < quiet_until) {
    const RunResult alerts = yzctl({"alerts"});
    ASSERT_EQ(alerts.exit_code, 0) << alerts.out << alerts.err;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  const RunResult ever =
      yzctl({"query", "count(max_over_time(ALERTS{alertstate=\"firing\"}[10m]))"});
  EXPECT_EQ(ever.out, "SERIES  VALUE\n") << "an alert fired on the healthy cluster:\n"
                                         << ever.out << yzctl({"alerts"}).out;
  // The rules are loaded (and scaled to the cluster's clock).
  const HttpReply rules = http_get(record->prometheus_url.substr(7), "/api/v1/rules");
  EXPECT_NE(rules.body.find("YzPeersMissingDhtHandler"), std::string::npos) << rules.body;

  // query prints every label of each series.
  const RunResult by_role = yzctl({"query", "sum by (role) (yz_healthy)"});
  EXPECT_NE(by_role.out.find("{role=\"bridge\"}  "), std::string::npos) << by_role.out;
  const RunResult bad = yzctl({"query", "sum(("});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE((bad.out + bad.err).find("query refused"), std::string::npos) << bad.out << bad.err;

  // add-node under --base-port takes the slot after Prometheus's, and
  // Prometheus scrapes it.
  const RunResult add = yzctl({"add-node"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  EXPECT_NE(add.out.find("listen 127.0.0.1:" + std::to_string(base + 2 * (kProcesses + 2))),
            std::string::npos)
      << add.out;
  std::string last;
  EXPECT_TRUE(eventually(
      [&] {
        last = yzctl({"query", "up{name=\"dht-node-5\"}"}).out;
        return rows_with_value(last, "1") == 1;
      },
      std::chrono::seconds(20)))
      << last;

  const int prometheus = record->prometheus_pid;
  ASSERT_GT(prometheus, 0);
  const RunResult down = yzctl({"down"});
  EXPECT_EQ(down.exit_code, 0);
  EXPECT_NE(down.out.find("and Prometheus"), std::string::npos) << down.out;
  EXPECT_FALSE(pid_alive(prometheus, record->prometheus_start_ticks));
}

}  // namespace
}  // namespace yz::cluster::testing
