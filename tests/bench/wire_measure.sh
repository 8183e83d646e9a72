#!/usr/bin/env bash
# Issue 13's "measure and report", in one command: for each build given, a
# small yzctl cluster (bootstrap, genesis, bridges, nodes), silent_streams.py
# (10,000 silent streams on the bootstrap and on a node) and hello_flood.py
# (2,000 refused hellos on a node), the cluster stopped by yzctl down; then
# find_node_bench with both builds in the same run.
#
#   bash tests/bench/wire_measure.sh --out DIR [--bin-dir build/bin]
#        [--before-bin-dir build/before-bin] [--nodes 5] [--bridges 2]
#        [--skip-find-node] [--find-node-args "--ready-runs 3"]
#
# --bin-dir: the build measured ("after"; default build/bin). It must hold
# yzctl, the four role binaries and, for find_node_bench, find_node_bench and
# grpc_echo_baseline. --before-bin-dir: another build's yzctl and role
# binaries ("before"), measured first with the same tools and passed to
# find_node_bench --before-bin-dir. Everything lands in DIR: one JSON and one
# log per tool and build, machine.txt (uptime before and after each step).
set -euo pipefail
cd "$(dirname "$0")/../.."

out=""
bin_dir=build/bin
before_bin_dir=""
nodes=5
bridges=2
skip_find_node=0
find_node_args=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --bin-dir) bin_dir=$2; shift 2 ;;
    --before-bin-dir) before_bin_dir=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --bridges) bridges=$2; shift 2 ;;
    --skip-find-node) skip_find_node=1; shift ;;
    --find-node-args) find_node_args=$2; shift 2 ;;
    *) echo "usage: $0 --out DIR [--bin-dir D] [--before-bin-dir D] [--nodes N] [--bridges N] [--skip-find-node] [--find-node-args ARGS]" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "$0: --out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
bin_dir=$(cd "$bin_dir" && pwd)
[ -z "$before_bin_dir" ] || before_bin_dir=$(cd "$before_bin_dir" && pwd)
py=/usr/bin/python3

note() { echo "$(date -u +%H:%M:%S) $* | load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt" >&2; }

cluster_dir=""
down() {
  if [ -n "$cluster_dir" ] && [ -f "$cluster_dir/cluster.json" ]; then
    "$cluster_yzctl" down --dir "$cluster_dir" >&2 || true
  fi
  cluster_dir=""
}
trap down EXIT

# One build: its cluster, both tools, the cluster down.
measure_build() {
  local label=$1 dir=$2
  cluster_yzctl=$dir/yzctl
  cluster_dir=$out/cluster-$label
  rm -rf "$cluster_dir"
  note "[$label] yzctl up --nodes $nodes --bridges $bridges ($dir)"
  "$cluster_yzctl" up --dir "$cluster_dir" --nodes "$nodes" --bridges "$bridges" > "$out/yzctl-up-$label.log" 2>&1
  "$cluster_yzctl" wait --healthy --timeout 60s --dir "$cluster_dir" >> "$out/yzctl-up-$label.log" 2>&1 ||
    note "[$label] not every process healthy and joined after 60 s (measuring anyway)"
  sleep 3
  note "[$label] silent_streams.py"
  $py tests/bench/silent_streams.py --cluster-dir "$cluster_dir" \
    --out "$out/silent_streams-$label.json" > /dev/null 2> "$out/silent_streams-$label.log" ||
    note "[$label] silent_streams.py failed (see its log)"
  note "[$label] hello_flood.py"
  $py tests/bench/hello_flood.py --cluster-dir "$cluster_dir" \
    --out "$out/hello_flood-$label.json" > /dev/null 2> "$out/hello_flood-$label.log" ||
    note "[$label] hello_flood.py failed (see its log)"
  note "[$label] hello_flood.py --batch 250 --wait 180"
  $py tests/bench/hello_flood.py --cluster-dir "$cluster_dir" --batch 250 --wait 180 \
    --out "$out/hello_flood-batched-$label.json" > /dev/null 2> "$out/hello_flood-batched-$label.log" ||
    note "[$label] hello_flood.py --batch 250 failed (see its log)"
  note "[$label] yzctl down"
  down
}

note "start: $(nproc) cpus, $(uname -r), commit $(git rev-parse --short HEAD)"
if [ -n "$before_bin_dir" ]; then measure_build before "$before_bin_dir"; fi
measure_build after "$bin_dir"

if [ "$skip_find_node" = 0 ]; then
  args=()
  [ -z "$before_bin_dir" ] || args+=(--before-bin-dir "$before_bin_dir")
  # shellcheck disable=SC2206
  args+=($find_node_args)
  note "find_node_bench ${args[*]}"
  nice -n 0 "$bin_dir/find_node_bench" "${args[@]}" > "$out/find_node_bench.json" 2> "$out/find_node_bench.log" ||
    note "find_node_bench failed (see its log)"
fi
note "done"

# The headline figures.
$py - "$out" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
for path in sorted(glob.glob(os.path.join(out, "silent_streams-*.json"))):
    label = os.path.basename(path)[len("silent_streams-"):-5]
    for r in json.load(open(path))["runs"]:
        rss = r["vm_rss_kib"]
        print(f"[{label}] silent {r['target']['name']}: VmRSS {rss['idle_before']} -> peak "
              f"{rss['peak_while_held']} KiB; ended by server {r['ended_by_server']}/{r['streams']}, "
              f"all after {r['all_closed_after_seconds']} s; {r['end_statuses']}; "
              f"{r['metric_deltas']}; load {r['machine_after']['loadavg']}")
for path in sorted(glob.glob(os.path.join(out, "hello_flood-*.json"))):
    label = os.path.basename(path)[len("hello_flood-"):-5]  # [batched-]before/after
    for r in json.load(open(path))["runs"]:
        print(f"[{label}] flood {r['mode']} on {r['target']['name']}: log +{r['log_bytes']} B, "
              f"{r['log_lines']} lines; {r['end_statuses']}; load {r['machine_after']['loadavg']}")
path = os.path.join(out, "find_node_bench.json")
if os.path.exists(path) and os.path.getsize(path):
    d = json.load(open(path))
    y = d.get("yz_find_node", {})
    print(f"find_node: yz p50 {y.get('rtt', {}).get('p50_us')} us, "
          f"{y.get('pipelined', {}).get('requests_per_second')} req/s; "
          f"yz/canned {d.get('ratio_to_canned')}; yz/before {d.get('ratio_to_before')}")
EOF
