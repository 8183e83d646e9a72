#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cluster/args.h"
#include "cluster/cluster_state.h"

namespace yz::cluster::commands {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr char kDefaultDir[] = ".yz/cluster";

// Prints "yzctl: <message>" to stderr and returns the exit status.
int failure(const std::string& message);
int usage_error(const std::string& message);

// The folder a command works on: the --dir given (or .yz/cluster) as the
// user wrote it, for messages, and made absolute, for records.
struct ClusterDir {
  std::string shown;
  std::string path;
};
ClusterDir cluster_dir(const Args& args);
// " --dir D" when D is not the default, for the commands yzctl suggests.
std::string dir_flag(const ClusterDir& dir);

// --grace, or the default grace period; on a bad value prints the usage
// error, sets *exit_code and returns nullopt.
std::optional<std::chrono::milliseconds> grace_period(const Args& args, int* exit_code);

// Reads the cluster record; on failure prints why and sets *exit_code.
std::optional<ClusterRecord> load_cluster(const ClusterDir& dir, int* exit_code);
// As load_cluster, for the commands that ask the cluster's Prometheus (query,
// alerts): a cluster started without --prometheus is a failure naming the fix.
std::optional<ClusterRecord> load_cluster_with_prometheus(const ClusterDir& dir, int* exit_code);

// Index of the process NAME, or prints "unknown process" (with the known
// names) and sets *exit_code to the usage status.
int process_index(const ClusterRecord& cluster, const std::string& name, const ClusterDir& dir,
                  int* exit_code);

}  // namespace yz::cluster::commands
