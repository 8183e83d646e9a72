// yzctl logs and yzctl metrics: a process's log file and its /metrics.
#include <fstream>
#include <iostream>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/http_client.h"
#include "cluster/interrupt.h"
#include "cluster/layout.h"
#include "cluster/process_control.h"

namespace yz::cluster::commands {
namespace {

// Copies `in` from its current position to stdout; returns bytes copied.
std::streamoff copy_out(std::ifstream& in) {
  char buffer[65536];
  std::streamoff total = 0;
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    std::cout.write(buffer, in.gcount());
    total += in.gcount();
  }
  in.clear();  // EOF is not an error for a file that keeps growing
  std::cout.flush();
  return total;
}

std::streamoff file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<std::streamoff>(in.tellg()) : -1;
}

}  // namespace

int logs(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"-f", false}, {"--follow", false}}, "logs");
  if (!args.error.empty()) return usage_error(args.error);
  if (args.positional.size() != 1) return usage_error("yzctl logs takes one process NAME");
  const ClusterDir dir = cluster_dir(args);
  int exit_code = 0;
  const auto cluster = load_cluster(dir, &exit_code);
  if (!cluster) return exit_code;
  const int index = process_index(*cluster, args.positional.front(), dir, &exit_code);
  if (index < 0) return exit_code;
  const std::string path = log_path(cluster->processes[static_cast<std::size_t>(index)]);
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot read " + path);
  std::streamoff offset = copy_out(in);
  if (!args.has("-f") && !args.has("--follow")) return 0;
  catch_interrupts();
  while (!interrupted()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const std::streamoff size = file_size(path);
    if (size >= 0 && size < offset) {
      // Truncated or replaced (a new `up`): start from its beginning.
      in = std::ifstream(path, std::ios::binary);
      offset = 0;
    }
    offset += copy_out(in);
  }
  return 0;
}

int metrics(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}}, "metrics");
  if (!args.error.empty()) return usage_error(args.error);
  if (args.positional.size() != 1) return usage_error("yzctl metrics takes one process NAME");
  const ClusterDir dir = cluster_dir(args);
  int exit_code = 0;
  const auto cluster = load_cluster(dir, &exit_code);
  if (!cluster) return exit_code;
  const int index = process_index(*cluster, args.positional.front(), dir, &exit_code);
  if (index < 0) return exit_code;
  const ProcessRecord& record = cluster->processes[static_cast<std::size_t>(index)];
  if (!is_alive(record)) return failure(record.name + " is not running");
  const HttpReply reply = http_get(record.http, "/metrics");
  if (reply.status != 200) {
    return failure("GET http://" + record.http + "/metrics: " +
                   (reply.status == 0 ? reply.error : "status " + std::to_string(reply.status)));
  }
  std::cout << reply.body;
  return 0;
}

}  // namespace yz::cluster::commands
