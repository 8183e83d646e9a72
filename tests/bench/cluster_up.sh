#!/usr/bin/env bash
# Times `yzctl up` to all-healthy and sums the cluster's resident memory, for
# a given number of DHT nodes (default: 15 and 100). A benchmark, not a test.
#
#   tests/bench/cluster_up.sh [NODES...]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/build yzctl yz-bootstrap yz-genesis yz-bridge yz-node >/dev/null
yzctl=${YZ_BUILD_DIR:-build}/bin/yzctl
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(15 100)

for nodes in "${sizes[@]}"; do
  dir=$(mktemp -d /tmp/yz-bench-XXXXXX)
  start=$(date +%s.%N)
  "$yzctl" up --dir "$dir" --nodes "$nodes" >/dev/null
  "$yzctl" wait --healthy --timeout 120s --dir "$dir" >/dev/null
  end=$(date +%s.%N)
  rss_kib=$(python3 - "$dir" <<'PY'
import json, sys
total = 0
for p in json.load(open(sys.argv[1] + "/cluster.json"))["processes"]:
    try:
        for line in open(f"/proc/{p['pid']}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    except OSError:
        pass
print(total)
PY
)
  printf '{"nodes": %d, "processes": %d, "up_to_all_healthy_s": %.2f, "total_rss_mib": %.0f}\n' \
    "$nodes" $((nodes + 4)) "$(echo "$end - $start" | bc)" "$(echo "$rss_kib / 1024" | bc -l)"
  "$yzctl" down --dir "$dir" --clean >/dev/null
done
