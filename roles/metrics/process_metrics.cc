#include "roles/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdint>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "roles/metrics/types.h"

namespace yz::metrics {
namespace {

constexpr const char* kCpuSeconds = "process_cpu_seconds_total";

// Fields of /proc/self/stat after the command name, which is wrapped in
// parentheses and may itself hold spaces and ')', so parsing starts after the
// last ')'. Index 0 is field 3 (state) of proc(5).
std::vector<std::string> ReadStatFields() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  const auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  return fields;
}

// proc(5) numbers fields from 1, with the command name as field 2.
std::optional<std::uint64_t> StatField(const std::vector<std::string>& fields, std::size_t number) {
  const std::size_t index = number - 3;
  if (index >= fields.size()) return std::nullopt;
  try {
    return std::stoull(fields[index]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

long ClockTicksPerSecond() {
  const long ticks = ::sysconf(_SC_CLK_TCK);
  return ticks > 0 ? ticks : 100;
}

std::optional<std::uint64_t> BootTimeSeconds() {
  std::ifstream in("/proc/stat");
  for (std::string key; in >> key;) {
    if (key == "btime") {
      std::uint64_t seconds = 0;
      if (in >> seconds) return seconds;
      return std::nullopt;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

std::optional<double> StartTimeSeconds() {
  const auto start_ticks = StatField(ReadStatFields(), 22);
  const auto boot = BootTimeSeconds();
  if (!start_ticks || !boot) return std::nullopt;
  return static_cast<double>(*boot) +
         static_cast<double>(*start_ticks) / static_cast<double>(ClockTicksPerSecond());
}

std::size_t CountOpenFds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  std::size_t count = 0;
  // The directory's own descriptor is counted too, as other clients do.
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(dir);
  return count;
}

struct ProcessState {
  Counter* cpu_seconds = nullptr;
  Gauge* resident_bytes = nullptr;
  Gauge* virtual_bytes = nullptr;
  Gauge* open_fds = nullptr;
  Gauge* max_fds = nullptr;
  // The counter can only be incremented, so each collection adds the CPU
  // time used since the previous one. Kept in ticks so that repeated
  // conversions do not accumulate rounding error.
  std::uint64_t cpu_ticks_seen = 0;
  long ticks_per_second = ClockTicksPerSecond();
  long page_size = ::sysconf(_SC_PAGESIZE);
};

void Collect(ProcessState& state) {
  const auto fields = ReadStatFields();
  const auto utime = StatField(fields, 14);
  const auto stime = StatField(fields, 15);
  if (utime && stime) {
    const std::uint64_t ticks = *utime + *stime;
    if (ticks > state.cpu_ticks_seen) {
      state.cpu_seconds->Increment(static_cast<double>(ticks - state.cpu_ticks_seen) /
                                   static_cast<double>(state.ticks_per_second));
      state.cpu_ticks_seen = ticks;
    }
  }

  std::ifstream statm("/proc/self/statm");
  std::uint64_t size_pages = 0;
  std::uint64_t resident_pages = 0;
  if (statm >> size_pages >> resident_pages && state.page_size > 0) {
    const auto page = static_cast<double>(state.page_size);
    state.virtual_bytes->Set(static_cast<double>(size_pages) * page);
    state.resident_bytes->Set(static_cast<double>(resident_pages) * page);
  }

  state.open_fds->Set(static_cast<double>(CountOpenFds()));

  // Re-read every time: the limit can be raised at run time (setrlimit,
  // prlimit), and process_max_fds is only useful next to the current count.
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    state.max_fds->Set(static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace

void AddProcessMetrics(Registry& registry) {
  // Once at start-up, so a full collection to look for the family is cheap.
  for (const auto& family : registry.Collect()) {
    if (family.name == kCpuSeconds) return;
  }

  auto state = std::make_shared<ProcessState>();
  state->cpu_seconds = &BuildCounter()
                            .Name(kCpuSeconds)
                            .Help("Total user and system CPU time spent in seconds.")
                            .Register(registry)
                            .Add({});
  state->resident_bytes = &BuildGauge()
                               .Name("process_resident_memory_bytes")
                               .Help("Resident memory size in bytes.")
                               .Register(registry)
                               .Add({});
  state->virtual_bytes = &BuildGauge()
                              .Name("process_virtual_memory_bytes")
                              .Help("Virtual memory size in bytes.")
                              .Register(registry)
                              .Add({});
  state->open_fds = &BuildGauge()
                         .Name("process_open_fds")
                         .Help("Number of open file descriptors.")
                         .Register(registry)
                         .Add({});
  state->max_fds = &BuildGauge()
                        .Name("process_max_fds")
                        .Help("Maximum number of open file descriptors.")
                        .Register(registry)
                        .Add({});
  // Constant for the life of the process, so it is read once here.
  auto& start_time = BuildGauge()
                         .Name("process_start_time_seconds")
                         .Help("Start time of the process since unix epoch in seconds.")
                         .Register(registry)
                         .Add({});
  if (const auto seconds = StartTimeSeconds()) start_time.Set(*seconds);

  registry.AddCollectCallback([state] { Collect(*state); });
}

void AddBuildInfo(Registry& registry, const std::string& version, const std::string& role) {
  BuildGauge()
      .Name("yz_build_info")
      .Help("Always 1; labelled with the build version and the role of this process.")
      .Register(registry)
      .Add({{"version", version}, {"role", role}})
      .Set(1);
}

}  // namespace yz::metrics
