#!/usr/bin/env bash
# Runs per second of `yzsim explore` for incident-15 and race-5 under each
# strategy, on 1 thread and on 2, and the time exhaustive takes to cover
# race-5. Not a test: it prints a table. Wall-clock figures move with the
# machine's load, so read the 1-thread vs 2-thread ratio from one run.
#
#   tests/bench/explore_bench.sh [build/bin/yzsim] [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
yzsim=${1:-build/bin/yzsim}
runs=${2:-400}

rate() {  # scenario strategy jobs extra...
  local scenario=$1 strategy=$2 jobs=$3
  shift 3
  local args=(explore "sim/scenarios/$scenario.textproto" --strategy "$strategy" --jobs "$jobs" --json)
  [ "$strategy" != exhaustive ] && args+=(--runs "$runs")
  "$yzsim" "${args[@]}" "$@" 2>/dev/null |
    python3 -c 'import json,sys; r=json.load(sys.stdin); print("%d runs, %.1f runs/s, %.2f s, %d failing" % (r["runs"], r["runs_per_second"], r["wall_seconds"], r["failing_runs"]))'
}

printf '%-12s %-11s %-7s %s\n' scenario strategy threads result
for scenario in incident-15 race-5; do
  for strategy in random pct swarm; do
    for jobs in 1 2; do
      printf '%-12s %-11s %-7s %s\n' "$scenario" "$strategy" "$jobs" \
        "$(rate "$scenario" "$strategy" "$jobs" --fault early_return_race)"
    done
  done
done
for bound in 1 2; do
  for jobs in 1 2; do
    printf '%-12s %-11s %-7s %s\n' race-5 "exh. b=$bound" "$jobs" \
      "$(rate race-5 exhaustive "$jobs" --bound "$bound" --fault early_return_race)"
  done
done
printf '%-12s %-11s %-7s %s\n' race-5 "exh. b=2" 2 "$(rate race-5 exhaustive 2 --bound 2) (fixed)"
