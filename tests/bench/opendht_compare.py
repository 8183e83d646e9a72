#!/usr/bin/env python3
"""Side by side, in one run: a 15-node OpenDHT network (Debian's dhtnode) and
a yz cluster started by yzctl (bootstrap, genesis, 2 bridges, 15 nodes).

The same yardstick for both: time from the first spawn until every DHT node
knows at least 14 other peers (the size of the network), read from
dhtnode's "Known nodes: N good" and from each yz process's routing table
(yzctl status --json); also the time until every node knows 8 (OpenDHT's
bucket size), and resident memory per node.
A benchmark, not a test: it prints figures and judges nothing.

    apt-get install dhtnode        # once
    tests/bench/opendht_compare.py [--build-dir build]
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

NODES = 15
BASE_PORT = 41200


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class DhtNode:
    """One dhtnode process driven through its interactive prompt."""

    def __init__(self, port, bootstrap):
        args = ["dhtnode", "-p", str(port)]
        if bootstrap:
            args += ["-b", f"127.0.0.1:{bootstrap}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.good = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        in_ipv4 = False
        for line in self.proc.stdout:
            if line.startswith("IPv4 stats"):
                in_ipv4 = True
            m = re.search(r"Known nodes: (\d+) good", line)
            if m and in_ipv4:
                with self.lock:
                    self.good = int(m.group(1))
                in_ipv4 = False

    def ask(self):
        try:
            self.proc.stdin.write("ll\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def opendht():
    if shutil.which("dhtnode") is None:
        return {"error": "dhtnode not installed (apt-get install dhtnode)"}
    nodes = []
    start = time.monotonic()
    try:
        for i in range(NODES):
            nodes.append(DhtNode(BASE_PORT + i, BASE_PORT if i else None))
        full_at = eight_at = None
        deadline = start + 120
        while time.monotonic() < deadline:
            for n in nodes:
                n.ask()
            time.sleep(0.2)
            if eight_at is None and all(n.good >= 8 for n in nodes):
                eight_at = time.monotonic() - start
            if all(n.good >= NODES - 1 for n in nodes):
                full_at = time.monotonic() - start
                break
        rss = [rss_kib(n.proc.pid) for n in nodes]
        return {
            "nodes": NODES,
            "every_node_knows_8_s": round(eight_at, 2) if eight_at else None,
            "every_node_knows_14_s": round(full_at, 2) if full_at else "not within 120 s",
            "good_nodes_seen": sorted(n.good for n in nodes),
            "rss_mib_per_node_median": round(sorted(rss)[len(rss) // 2] / 1024, 1),
            "rss_mib_total": round(sum(rss) / 1024, 1),
        }
    finally:
        for n in nodes:
            n.stop()


def yz(build_dir):
    yzctl = os.path.join(build_dir, "bin", "yzctl")
    d = tempfile.mkdtemp(prefix="yz-compare-")
    try:
        start = time.monotonic()
        subprocess.run([yzctl, "up", "--dir", d, "--nodes", str(NODES)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([yzctl, "wait", "--healthy", "--timeout", "120s", "--dir", d], check=True,
                       stdout=subprocess.DEVNULL)
        healthy_at = time.monotonic() - start
        eight_at = full_at = None
        while time.monotonic() < start + 120:
            status = json.loads(subprocess.run([yzctl, "status", "--json", "--dir", d],
                                               capture_output=True, text=True).stdout)
            procs = status["processes"]
            nodes = [p for p in procs if p["role"] == "node"]
            known = [p["routingTableSize"] for p in nodes]
            if eight_at is None and min(known) >= 8:
                eight_at = time.monotonic() - start
            if min(known) >= NODES - 1:
                full_at = time.monotonic() - start
                break
            time.sleep(0.2)
        rss = [rss_kib(p["pid"]) for p in nodes]
        return {
            "processes": len(procs),
            "up_to_all_healthy_s": round(healthy_at, 2),
            "every_node_knows_8_s": round(eight_at, 2) if eight_at else None,
            "every_node_knows_14_s": round(full_at, 2) if full_at else "not within 120 s",
            "routing_entries_per_node_min": min(p["routingTableSize"] for p in nodes),
            "rss_mib_per_node_median": round(sorted(rss)[len(rss) // 2] / 1024, 1),
            "rss_mib_total": round(sum(rss_kib(p["pid"]) for p in procs) / 1024, 1),
        }
    finally:
        subprocess.run([yzctl, "down", "--dir", d, "--clean"], stdout=subprocess.DEVNULL)
        shutil.rmtree(d, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build")
    args = parser.parse_args()
    result = {"yz": yz(args.build_dir), "opendht": opendht()}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
