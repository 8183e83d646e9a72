// yzctl query 'PROMQL' [--json]: asks the cluster's Prometheus through its
// HTTP API; prints every label of each series, or Prometheus's own data.
#include <iostream>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/prometheus_api.h"

namespace yz::cluster::commands {

int query(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--dir"}, {"--json", false}}, "query");
  if (!args.error.empty()) return usage_error(args.error);
  if (args.positional.size() != 1) return usage_error("yzctl query takes one PROMQL expression");
  const ClusterDir dir = cluster_dir(args);
  int exit_code = 0;
  const auto cluster = load_cluster_with_prometheus(dir, &exit_code);
  if (!cluster) return exit_code;
  const QueryOutcome outcome =
      query_prometheus(cluster->prometheus_url, args.positional.front(), args.has("--json"));
  if (!outcome.error.empty()) return failure(outcome.error);
  std::cout << outcome.table;
  return 0;
}

}  // namespace yz::cluster::commands
