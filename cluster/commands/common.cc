#include "cluster/commands/common.h"

#include <filesystem>
#include <iostream>

#include "cluster/layout.h"
#include "cluster/lifecycle.h"

namespace yz::cluster::commands {

int failure(const std::string& message) {
  std::cerr << "yzctl: " << message << "\n";
  return kExitFailure;
}

int usage_error(const std::string& message) {
  std::cerr << "yzctl: " << message << "\n";
  return kExitUsage;
}

ClusterDir cluster_dir(const Args& args) {
  ClusterDir dir;
  dir.shown = args.get("--dir", kDefaultDir);
  while (dir.shown.size() > 1 && dir.shown.back() == '/') dir.shown.pop_back();
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(dir.shown, ec);
  dir.path = ec ? dir.shown : absolute.lexically_normal().string();
  while (dir.path.size() > 1 && dir.path.back() == '/') dir.path.pop_back();
  return dir;
}

std::string dir_flag(const ClusterDir& dir) {
  return dir.shown == kDefaultDir ? std::string() : " --dir " + dir.shown;
}

std::optional<ClusterRecord> load_cluster(const ClusterDir& dir, int* exit_code) {
  auto record = read_cluster(dir.path);
  if (!record.ok()) {
    *exit_code = absl::IsNotFound(record.status())
                     ? failure("no cluster in " + dir.shown + " (start one with yzctl up" +
                               dir_flag(dir) + ")")
                     : failure(std::string(record.status().message()));
    return std::nullopt;
  }
  record->dir = dir.path;
  return *std::move(record);
}

std::optional<ClusterRecord> load_cluster_with_prometheus(const ClusterDir& dir, int* exit_code) {
  auto record = load_cluster(dir, exit_code);
  if (record && record->prometheus_url.empty()) {
    *exit_code = failure("the cluster in " + dir.shown +
                         " has no Prometheus (start it with up --prometheus)");
    return std::nullopt;
  }
  return record;
}

int process_index(const ClusterRecord& cluster, const std::string& name, const ClusterDir& dir,
                  int* exit_code) {
  const int index = find_process(cluster, name);
  if (index >= 0) return index;
  std::string known;
  for (const ProcessRecord& p : cluster.processes) known += (known.empty() ? "" : ", ") + p.name;
  *exit_code = usage_error("unknown process '" + name + "' in " + dir.shown +
                           (known.empty() ? "" : " (known: " + known + ")"));
  return -1;
}

std::optional<std::chrono::milliseconds> grace_period(const Args& args, int* exit_code) {
  if (!args.has("--grace")) return kDefaultGrace;
  const auto parsed = parse_timeout(args.get("--grace"));
  if (!parsed) {
    *exit_code = usage_error("invalid --grace '" + args.get("--grace") +
                             "': expected a duration such as 5s");
  }
  return parsed;
}

}  // namespace yz::cluster::commands
