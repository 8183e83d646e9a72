#!/usr/bin/python3
"""Put and get, side by side in one run: a yz cluster started by yzctl
(bootstrap, genesis, 2 bridges, N DHT nodes) and an N-node OpenDHT network
(Debian's dhtnode), with the same yardstick.

For each of --keys keys: a put through member i, then a get of it through
another member (i + N/2), each timed. yz: by the client (a gRPC round trip
to the Data service, generated from proto/yz/v1/data.proto alone) and by the
member (took_ms); OpenDHT: dhtnode's own "took" figure (in the node, like
yz's took_ms: dhtnode has no client protocol). Prints p50/p99 of each, and how
many gets found their value. A benchmark, not a test: it judges nothing.

    apt-get install dhtnode python3-grpcio python3-protobuf     # once (Debian's python3)
    tests/bench/data_plane_compare.py [--build-dir build] [--nodes 15] [--keys 200]
"""
import argparse
import importlib
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BASE_PORT = 41300


def pct(values, p):
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))], 3)


def summary(values):
    return {"n": len(values), "p50_ms": pct(values, 50), "p99_ms": pct(values, 99),
            "mean_ms": round(statistics.fmean(values), 3) if values else None}


def to_ms(number, unit):
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class DhtNode:
    """One dhtnode process driven through its interactive prompt."""

    TOOK = re.compile(r"^(?:>> )?(Put|Get): (success|failure|completed|found \d+ value\(s\)).*?"
                      r"(?:took|after) ([0-9.]+) ?(us|ms|s)\b")

    def __init__(self, port, bootstrap):
        args = ["dhtnode", "-p", str(port)]
        if bootstrap:
            args += ["-b", "127.0.0.1:%d" % bootstrap]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.lines = queue.Queue()
        self.good = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        in_ipv4 = False
        for line in self.proc.stdout:
            if line.startswith("IPv4 stats"):
                in_ipv4 = True
            m = re.search(r"Known nodes: (\d+) good", line)
            if m and in_ipv4:
                self.good = int(m.group(1))
                in_ipv4 = False
            self.lines.put(line.rstrip("\n"))

    def send(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def wait_for(self, what, timeout=10):
        """The first line of `what` ("Put"/"Get") with its result and took."""
        deadline = time.monotonic() + timeout
        found = False
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            m = self.TOOK.search(line)
            if not m or m.group(1) != what:
                continue
            if what == "Get" and m.group(2).startswith("found"):
                found = True  # the values line; the final "Get: success|failure" follows
                continue
            ok = found if what == "Get" else m.group(2) == "success"
            return {"ok": ok, "ms": to_ms(m.group(3), m.group(4))}
        return {"ok": False, "ms": None}

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def opendht(nodes_count, keys):
    if shutil.which("dhtnode") is None:
        return {"error": "dhtnode not installed (apt-get install dhtnode)"}
    nodes = []
    try:
        for i in range(nodes_count):
            nodes.append(DhtNode(BASE_PORT + i, BASE_PORT if i else None))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            for n in nodes:
                n.send("ll")
            time.sleep(0.3)
            if all(n.good >= min(8, nodes_count - 1) for n in nodes):
                break
        time.sleep(1)
        while True:  # drain start-up output
            if all(n.lines.empty() for n in nodes):
                break
            for n in nodes:
                while not n.lines.empty():
                    n.lines.get_nowait()
        puts, gets, found = [], [], 0
        for k in range(keys):
            a, b = nodes[k % nodes_count], nodes[(k + nodes_count // 2) % nodes_count]
            a.send("p bench-key-%d value-%d" % (k, k))
            put = a.wait_for("Put")
            if put["ms"] is not None:
                puts.append(put["ms"])
            b.send("g bench-key-%d" % k)
            get = b.wait_for("Get")
            if get["ms"] is not None:
                gets.append(get["ms"])
            found += get["ok"]
        return {"nodes": nodes_count, "put_in_node": summary(puts), "get_in_node": summary(gets),
                "gets_found": "%d of %d" % (found, keys)}
    finally:
        for n in nodes:
            n.stop()


def yz(build_dir, nodes_count, keys, proto, protoc):
    import grpc
    yzctl = os.path.join(build_dir, "bin", "yzctl")
    work = tempfile.mkdtemp(prefix="yz-data-bench-")
    d = os.path.join(work, "cluster")
    try:
        gen = os.path.join(work, "gen")
        os.makedirs(gen)
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(proto))))
        subprocess.run([protoc, "--proto_path=" + root, "--python_out=" + gen,
                        os.path.abspath(proto)], check=True)
        sys.path.insert(0, gen)
        pb = importlib.import_module("yz.v1.data_pb2")
        subprocess.run([yzctl, "up", "--dir", d, "--nodes", str(nodes_count)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([yzctl, "wait", "--healthy", "--timeout", "300s", "--dir", d], check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(d, "cluster.json")) as f:
            procs = json.load(f)["processes"]
        nodes = [p for p in procs if p["role"] == "node"]
        channels = [grpc.insecure_channel(p["listen"]) for p in nodes]
        put_calls = [c.unary_unary("/yz.v1.Data/Put", request_serializer=pb.PutRequest.SerializeToString,
                                   response_deserializer=pb.PutResponse.FromString) for c in channels]
        get_calls = [c.unary_unary("/yz.v1.Data/Get", request_serializer=pb.GetRequest.SerializeToString,
                                   response_deserializer=pb.GetResponse.FromString) for c in channels]
        for c in channels:  # connect before timing
            grpc.channel_ready_future(c).result(timeout=10)
        put_rt, put_in, get_rt, get_in, holders = [], [], [], [], []
        found = acked = local = 0
        n = len(nodes)
        for k in range(keys):
            a, b = k % n, (k + n // 2) % n
            t = time.perf_counter()
            r = put_calls[a](pb.PutRequest(key="bench-key-%d" % k, value=b"value-%d" % k), timeout=20)
            put_rt.append((time.perf_counter() - t) * 1000)
            put_in.append(r.took_ms)
            acked += r.ok
            holders.append(len(r.holders))
            t = time.perf_counter()
            g = get_calls[b](pb.GetRequest(key="bench-key-%d" % k), timeout=20)
            get_rt.append((time.perf_counter() - t) * 1000)
            get_in.append(g.took_ms)
            found += g.found and g.value == b"value-%d" % k
            local += g.asked == 0
        return {"processes": len(procs), "nodes": n,
                "put_round_trip": summary(put_rt), "put_in_node": summary(put_in),
                "get_round_trip": summary(get_rt), "get_in_node": summary(get_in),
                "puts_acknowledged": "%d of %d" % (acked, keys),
                "holders_per_put_median": statistics.median(holders) if holders else None,
                "gets_found": "%d of %d" % (found, keys),
                "gets_answered_from_own_copy": local}
    finally:
        subprocess.run([yzctl, "down", "--dir", d], stdout=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", default="build")
    parser.add_argument("--nodes", type=int, default=15)
    parser.add_argument("--keys", type=int, default=200)
    parser.add_argument("--proto", default=os.path.join(os.path.dirname(__file__), "..", "..",
                                                        "proto", "yz", "v1", "data.proto"))
    parser.add_argument("--protoc", default=shutil.which("protoc") or "protoc")
    parser.add_argument("--only", choices=["yz", "opendht"])
    args = parser.parse_args()
    result = {}
    if args.only != "opendht":
        result["yz"] = yz(args.build_dir, args.nodes, args.keys, args.proto, args.protoc)
    if args.only != "yz":
        result["opendht"] = opendht(args.nodes, args.keys)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    sys.exit(main())
