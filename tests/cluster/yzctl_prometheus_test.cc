// up --prometheus: a real Prometheus server scrapes every process through
// the file_sd target list, and yzctl query reads it back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "cluster/cluster_state.h"
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

TEST_F(YzctlPrometheus, ScrapesEveryProcessAndAnswersQueries) {
  if (access("/usr/bin/prometheus", X_OK) != 0) GTEST_SKIP() << "prometheus is not installed";
  const RunResult up = yzctl({"up", "--nodes", "3", "--time-scale", "10", "--prometheus"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("prometheus  http://127.0.0.1:"), std::string::npos) << up.out;
  constexpr int kProcesses = 7;  // bootstrap, genesis, 2 bridges, 3 nodes

  // Prometheus applies new file_sd targets every 5 s; allow several rounds.
  std::string last;
  EXPECT_TRUE(eventually(
      [&] {
        last = yzctl({"query", "up"}).out;
        return rows_with_value(last, "1") == kProcesses;
      },
      std::chrono::seconds(60)))
      << last;
  EXPECT_TRUE(eventually(
      [&] {
        last = yzctl({"query", "sum(yz_healthy)"}).out;
        return rows_with_value(last, std::to_string(kProcesses)) == 1;
      },
      std::chrono::seconds(60)))
      << last;

  const RunResult bad = yzctl({"query", "sum(("});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE((bad.out + bad.err).find("query refused"), std::string::npos) << bad.out << bad.err;

  std::string error;
  const auto record = read_cluster(dir_, &error);
  ASSERT_TRUE(record) << error;
  const int prometheus = record->prometheus_pid;
  ASSERT_GT(prometheus, 0);
  const RunResult down = yzctl({"down"});
  EXPECT_EQ(down.exit_code, 0);
  EXPECT_NE(down.out.find("and Prometheus"), std::string::npos) << down.out;
  EXPECT_FALSE(pid_alive(prometheus, record->prometheus_start_ticks));
}

}  // namespace
}  // namespace yz::cluster::testing
