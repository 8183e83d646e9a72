#include "roles/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/metrics/registry.h"
#include "roles/metrics/text_serializer.h"
#include "tests/unit/promtool_check.h"

namespace yz::metrics {
namespace {

using ::testing::HasSubstr;

// The value of the unlabelled sample `name` on `page`, if present.
std::optional<double> Sample(const std::string& page, const std::string& name) {
  const std::string prefix = name + " ";
  std::istringstream lines(page);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return std::strtod(line.c_str() + prefix.size(), nullptr);
  }
  return std::nullopt;
}

double CpuSecondsUsed() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Spins (never sleeps) until this process has used `seconds` more CPU time.
void BurnCpu(double seconds) {
  const double until = CpuSecondsUsed() + seconds;
  volatile std::uint64_t sink = 0;
  while (CpuSecondsUsed() < until) {
    for (int i = 0; i < 100000; ++i) sink = sink + static_cast<std::uint64_t>(i);
  }
}

TEST(ProcessMetricsTest, ReportsPlausibleValues) {
  Registry registry;
  AddProcessMetrics(registry);
  const std::string page = SerializeText(registry);

  const auto resident = Sample(page, "process_resident_memory_bytes");
  const auto virtual_bytes = Sample(page, "process_virtual_memory_bytes");
  const auto open_fds = Sample(page, "process_open_fds");
  const auto max_fds = Sample(page, "process_max_fds");
  const auto start = Sample(page, "process_start_time_seconds");
  const auto cpu = Sample(page, "process_cpu_seconds_total");
  ASSERT_TRUE(resident && virtual_bytes && open_fds && max_fds && start && cpu) << page;

  EXPECT_GT(*resident, 0);
  EXPECT_GE(*virtual_bytes, *resident);
  EXPECT_GE(*open_fds, 3);  // stdin, stdout, stderr at least
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  EXPECT_EQ(*max_fds, static_cast<double>(limit.rlim_cur));
  EXPECT_GE(*cpu, 0);  // a fresh process may not have used a whole clock tick yet

  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_LE(*start, now + 1);
  EXPECT_GT(*start, now - 24 * 3600);
  EXPECT_THAT(page, HasSubstr("# TYPE process_cpu_seconds_total counter\n"));
  EXPECT_THAT(page, HasSubstr("# TYPE process_start_time_seconds gauge\n"));
}

TEST(ProcessMetricsTest, OpenFdsFollowsDescriptors) {
  Registry registry;
  AddProcessMetrics(registry);
  const auto before = Sample(SerializeText(registry), "process_open_fds");
  const int fds[] = {::dup(0), ::dup(1), ::dup(2)};
  const auto during = Sample(SerializeText(registry), "process_open_fds");
  for (int fd : fds) ::close(fd);
  ASSERT_TRUE(before && during);
  for (int fd : fds) ASSERT_GE(fd, 0);
  EXPECT_EQ(*during, *before + 3);
}

// Also guards against a second AddProcessMetrics adding a second collect
// callback, which would count every CPU tick twice.
TEST(ProcessMetricsTest, CpuSecondsTracksUsageAndIsNotDoubleCounted) {
  Registry registry;
  AddProcessMetrics(registry);
  AddProcessMetrics(registry);
  BurnCpu(0.3);
  const double used_before = CpuSecondsUsed();
  const auto first = Sample(SerializeText(registry), "process_cpu_seconds_total");
  const double used_after = CpuSecondsUsed();
  ASSERT_TRUE(first.has_value());
  // /proc counts in clock ticks (10 ms), getrusage in microseconds.
  EXPECT_GE(*first, used_before - 0.05);
  EXPECT_LE(*first, used_after + 0.05);

  BurnCpu(0.1);
  const auto second = Sample(SerializeText(registry), "process_cpu_seconds_total");
  ASSERT_TRUE(second.has_value());
  EXPECT_GE(*second, *first + 0.05);
}

TEST(ProcessMetricsTest, BuildInfoIsOneWithVersionAndRole) {
  Registry registry;
  AddBuildInfo(registry, "1.2.3", "node");
  const std::string page = SerializeText(registry);
  EXPECT_THAT(page, HasSubstr("# TYPE yz_build_info gauge\n"));
  EXPECT_THAT(page, HasSubstr("\nyz_build_info{role=\"node\",version=\"1.2.3\"} 1\n"));
}

using yz::test_support::kPromtool;
using yz::test_support::promtool_check;

TEST(ProcessMetricsTest, PromtoolAcceptsThePage) {
  ASSERT_TRUE(std::filesystem::exists(kPromtool)) << kPromtool << " missing: run scripts/setup";
  Registry registry;
  AddProcessMetrics(registry);
  AddBuildInfo(registry, "0.1.0", "bootstrap");
  const std::string page = SerializeText(registry);
  std::string output;
  EXPECT_EQ(promtool_check(page, output), 0) << output << "\n--- page ---\n" << page;
}

}  // namespace
}  // namespace yz::metrics
