#!/usr/bin/env python3
"""Writes a promtool unit-test file (incident.yml, healthy.yml) from a capture
of a real yzctl cluster's Prometheus:

    yzctl up --dir D --nodes 15 --prometheus [--fault early_return_race] --time-scale 10
    python3 capture.py http://127.0.0.1:PORT capture.json 90    # query_range, 1 s steps
    make_tests.py incident faulted.json > incident.yml
    make_tests.py healthy healthy.json > healthy.yml

The clusters ran with --time-scale 10, so one wall-clock second is ten seconds
of the real-time clock the rules are written for: each 1 s sample is one
10 s step of the test, and a counter's per-step increments become its
real-time rate.

Series main's processes did not export at capture time (issue 12's metrics
branch adds them) are synthesised from the real ones, consistently:
  yz_state{state}                 the contract's rule on yz_peers_missing_handler,
                                  yz_connected_peers, yz_routing_table_size (every
                                  captured sample is past the 6 s scaled start-up
                                  grace); the bootstrap is always joined
  yz_find_node_queries_total      yz_find_node_timeouts_total + find_node_response
                                  frames received (a query is answered or times out)
  yz_health_consecutive_failures  yz_health_check_failures_total since its last
                                  unchanged step (a check that found a peer)
  yz_onboarding_total{result="failure"} at 0 where absent (every known series
                                  is exported at 0 from the first scrape)
"""

import json
import os
import re
import sys
import textwrap

import yaml

PROCESSES = ["bootstrap", "bridge-node-1", "dht-node-1", "dht-node-5", "dht-node-9"]
TOTAL_STEPS = [0]
EXPORTED = ["missing", "dropped", "timeouts", "onboarding", "hcf", "healthy", "conn", "rt", "up"]


def compress(values):
    """promtool expanding notation: runs of a constant step as a+bxn."""
    out, i = [], 0
    while i < len(values):
        j = i
        if i + 1 < len(values):
            step = values[i + 1] - values[i]
            while j + 1 < len(values) and values[j + 1] - values[j] == step:
                j += 1
        if j - i >= 2:
            out.append(f"{fmt(values[i])}{'+' if step >= 0 else '-'}{fmt(abs(step))}x{j - i}")
            i = j + 1
        else:
            out.append(fmt(values[i]))
            i += 1
    return " ".join(out)


def fmt(v):
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def main():
    kind, path = sys.argv[1], sys.argv[2]
    capture = json.load(open(path))
    start = capture["start"]
    series = {}  # (name, labels tuple) -> [values by step]

    def add(name, metric, values):
        labels = {k: v for k, v in metric.items() if k != "__name__"}
        series[(name, tuple(sorted(labels.items())))] = values

    def by_step(result):
        out = {}
        for t, v in result["values"]:
            out[round(float(t) - start)] = float(v)
        steps = sorted(out)
        return [out[s] for s in steps], steps[0]

    offsets = {}
    picked = {}
    for key in EXPORTED + ["fnresp"]:
        for r in capture["result"][key]:
            m = r["metric"]
            if m.get("name") not in PROCESSES:
                continue
            if key == "fnresp":
                if m.get("type") == "find_node_response":
                    picked[("fnresp", m["name"])] = by_step(r)[0]
                continue
            values, first = by_step(r)
            offsets[m["name"]] = first
            picked[(key, m["name"])] = values
            add(m["__name__"], m, values)
    # Synthesised series.
    base = {}
    for (name, labels) in list(series):
        if name == "yz_healthy":
            base[dict(labels)["name"]] = dict(labels)
    for proc, labels in base.items():
        if proc == "bootstrap":
            n = len(picked[("healthy", proc)])
            for state in ("joining", "joined", "isolated", "degraded"):
                add("yz_state", dict(labels, state=state), [1.0 if state == "joined" else 0.0] * n)
            have = {dict(l).get("result") for (nm, l) in series if nm == "yz_onboarding_total"}
            if "failure" not in have:
                add("yz_onboarding_total", dict(labels, result="failure"), [0.0] * n)
            continue
        missing = picked[("missing", proc)]
        conn = picked[("conn", proc)]
        rt = picked[("rt", proc)]
        states = []
        for mh, c, r in zip(missing, conn, rt):
            states.append("degraded" if mh > 0 else "joined" if c > 0 and r > 0 else "isolated")
        for state in ("joining", "joined", "isolated", "degraded"):
            add("yz_state", dict(labels, state=state), [1.0 if s == state else 0.0 for s in states])
        timeouts = picked[("timeouts", proc)]
        answered = picked.get(("fnresp", proc), [0.0] * len(timeouts))
        answered = (answered + [answered[-1]] * len(timeouts))[:len(timeouts)]
        add("yz_find_node_queries_total", labels, [t + a for t, a in zip(timeouts, answered)])
        failures = picked[("hcf", proc)]
        consecutive, run = [], 0.0
        for i, f in enumerate(failures):
            if i > 0:
                run = run + (f - failures[i - 1]) if f > failures[i - 1] else run
            else:
                run = f if conn[0] == 0 else 0.0
            consecutive.append(run)
        add("yz_health_consecutive_failures", labels, consecutive)

    TOTAL_STEPS[0] = max(offsets.get(dict(l).get("name"), 0) + len(v) for (n, l), v in series.items())
    print("---\n# yamllint disable rule:line-length")
    print(f"# Generated by make_tests.py {kind} from a capture of a real cluster (see")
    print("# make_tests.py for the run and which series are synthesised). Do not edit.")
    print("rule_files:\n  - ../yz-recording.yml\n  - ../yz-alerts.yml")
    print("evaluation_interval: 10s\ntests:\n  - name: " + kind + "\n    interval: 10s\n    input_series:")
    for (name, labels), values in sorted(series.items()):
        proc = dict(labels).get("name")
        lead = offsets.get(proc, 0)
        text = ("_ " * lead) + compress(values)
        if lead + len(values) < TOTAL_STEPS[0]:
            text += " stale"  # the target went away: Prometheus marks its series stale
        selector = name + "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"
        print(f"      - series: '{selector}'")
        words, line = text.split(" "), ""
        lines = []
        for w in words:
            if len(line) + len(w) + 1 > 80:
                lines.append(line)
                line = w
            else:
                line = (line + " " + w).strip()
        lines.append(line)
        print("        values: >-")
        for ln in lines:
            print("          " + ln)
    alert_tests(kind, series)


# What fires on the incident capture, and when; the healthy capture fires nothing.
# (alertname, eval_time, [process names]); extra labels come from the series.
INCIDENT = [
    # The page within a minute: the capture starts with the fault already on.
    ("YzPeersMissingDhtHandler", "1m10s", ["dht-node-1"]),
    ("YzFramesDroppedNoHandler", "1m10s", ["dht-node-1"]),
    ("YzDhtNodeIsolated", "1m10s", ["dht-node-5", "dht-node-9"]),
    ("YzPeersMissingDhtHandler", "8m", ["dht-node-1"]),
    ("YzFramesDroppedNoHandler", "8m", ["dht-node-1"]),
    ("YzDhtNodeIsolated", "8m", ["dht-node-5", "dht-node-9"]),
    ("YzOnboardingFailureRatioHigh", "8m", ["bootstrap"]),
    ("YzFindNodeTimeoutRatioHigh", "8m", ["bridge-node-1"]),
    ("YzHealthChecksFailing", "8m", ["dht-node-5", "dht-node-9"]),
    ("YzProcessDown", "8m", []),
    # dht-node-9 was stopped (yzctl kill) at step 77: down, and its other
    # series gone stale.
    ("YzProcessDown", "14m40s", ["dht-node-9"]),
    ("YzDhtNodeIsolated", "14m40s", ["dht-node-5"]),
]
EXTRA_LABELS = {"YzFramesDroppedNoHandler": {"reason": "no_handler"},
                "YzDhtNodeIsolated": {"state": "isolated"}}
VALUES = {("YzPeersMissingDhtHandler", "dht-node-1"): "5"}


def render(template, labels, value):
    out = re.sub(r"\{\{ if \$labels\.name \}\}\{\{ \$labels\.name \}\}\{\{ else \}\}"
                 r"\{\{ \$labels\.instance \}\}\{\{ end \}\}",
                 labels.get("name") or labels["instance"], template)
    out = re.sub(r"\{\{ \$labels\.([a-z_]+) \}\}", lambda m: labels.get(m.group(1), ""), out)
    if "{{" in out.replace("{{ $value }}", ""):
        raise SystemExit(f"make_tests.py cannot render {template!r}")
    return out.replace("{{ $value }}", value)


def alert_tests(kind, series):
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "yz-alerts.yml")) as f:
        alerts = {r["alert"]: r for g in yaml.safe_load(f)["groups"] for r in g["rules"]}
    targets = {}
    for (name, labels) in series:
        if name == "up":
            targets[dict(labels)["name"]] = dict(labels)
    if kind == "incident":
        cases = INCIDENT
    else:
        cases = [(a, t, []) for t in ("1m10s", "5m", "8m", "14m40s") for a in alerts]
    print("    alert_rule_test:")
    for alertname, eval_time, processes in cases:
        print(f"      - eval_time: {eval_time}\n        alertname: {alertname}")
        if not processes:
            continue
        print("        exp_alerts:")
        rule = alerts[alertname]
        for proc in processes:
            labels = dict(targets[proc], **EXTRA_LABELS.get(alertname, {}))
            labels = dict(labels, **rule["labels"])
            print("          - exp_labels:")
            for k, v in sorted(labels.items()):
                print(f"              {k}: {json.dumps(v)}")
            print("            exp_annotations:")
            for k, v in rule["annotations"].items():
                text = render(v, labels, VALUES.get((alertname, proc), ""))
                print(f"              {k}: >-")
                for ln in textwrap.wrap(text, 76, break_long_words=False, break_on_hyphens=False):
                    print("                " + ln)


if __name__ == "__main__":
    main()
