#!/usr/bin/env python3
"""The Data API (proto/yz/v1/data.proto) called as an outsider would.

Only the .proto file and Debian's python3-grpcio / python3-protobuf: the
messages are generated at run time with `protoc --python_out` into a
temporary folder and the calls are made by method path
(channel.unary_unary('/yz.v1.Data/Put', ...)), with no yz code.

It starts a small cluster with `yzctl up` (127.0.0.1, ephemeral ports),
reads each member's gRPC address from cluster.json, and checks what
data.proto promises: a put through one member is found through every
other, acknowledged by min(W, holders possible) holders, with the key's id
as documented; the status codes of bad input, of the bootstrap (no Data
service) and of a missing key; a client that cancels or whose deadline
passes leaves the member serving. Every process started is stopped with
`yzctl down` and then checked by PID (SIGKILL and failure for a survivor).
"""

import argparse
import hashlib
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
import urllib.request

import grpc

W = 3  # the write quorum of data.proto


def run(cmd, timeout=180):
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return result.returncode, result.stdout, result.stderr


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Failures:
    def __init__(self):
        self.count = 0

    def check(self, ok, what):
        print("%s %s" % ("PASS" if ok else "FAIL", what), flush=True)
        if not ok:
            self.count += 1
        return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--yzctl", required=True)
    parser.add_argument("--proto", required=True, help="proto/yz/v1/data.proto")
    parser.add_argument("--protoc", required=True)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="yz-data-api-")
    cluster_dir = os.path.join(work, "cluster")
    pids = set()
    failures = Failures()
    try:
        # The messages, from the proto alone.
        proto_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(args.proto))))
        out = os.path.join(work, "gen")
        os.makedirs(out)
        code, _, err = run([args.protoc, "--proto_path=" + proto_root, "--python_out=" + out,
                            os.path.abspath(args.proto)])
        if code != 0:
            print("protoc failed: " + err)
            return 1
        sys.path.insert(0, out)
        pb = importlib.import_module("yz.v1.data_pb2")

        code, stdout, err = run([args.yzctl, "up", "--nodes", "3", "--bridges", "1",
                                 "--time-scale", "10", "--dir", cluster_dir])
        record = os.path.join(cluster_dir, "cluster.json")
        if os.path.exists(record):
            with open(record) as f:
                pids.update(p["pid"] for p in json.load(f)["processes"] if p["pid"])
        if not failures.check(code == 0, "yzctl up"):
            print(stdout + err)
            return 1
        code, stdout, err = run([args.yzctl, "wait", "--healthy", "--timeout", "90s",
                                 "--dir", cluster_dir])
        if not failures.check(code == 0, "every member joined"):
            print(stdout + err)
            return 1
        with open(record) as f:
            processes = json.load(f)["processes"]
        pids.update(p["pid"] for p in processes if p["pid"])
        members = [p for p in processes if p["role"] != "bootstrap"]
        bootstrap = [p for p in processes if p["role"] == "bootstrap"][0]
        holders_possible = len([p for p in members if p["role"] != "bridge"])

        channels = {p["name"]: grpc.insecure_channel(p["listen"]) for p in processes}

        def method(name, service_method, request_type, response_type):
            return channels[name].unary_unary(
                "/yz.v1.Data/" + service_method,
                request_serializer=request_type.SerializeToString,
                response_deserializer=response_type.FromString)

        def put(name, key, value, timeout=10):
            return method(name, "Put", pb.PutRequest, pb.PutResponse)(
                pb.PutRequest(key=key, value=value), timeout=timeout)

        def get(name, key, timeout=10):
            return method(name, "Get", pb.GetRequest, pb.GetResponse)(
                pb.GetRequest(key=key), timeout=timeout)

        names = [p["name"] for p in members]
        for i in range(10):
            key = "outsider-%d" % i
            value = os.urandom(64) + b"\x00 binary"
            via = names[i % len(names)]
            stored = put(via, key, value)
            failures.check(stored.ok and stored.error == "",
                           "put %s via %s: ok (%s)" % (key, via, stored.message))
            failures.check(len(stored.holders) >= min(W, holders_possible),
                           "put %s: %d holders >= %d" % (key, len(stored.holders),
                                                         min(W, holders_possible)))
            failures.check(all(h.role != "bridge" for h in stored.holders),
                           "put %s: no bridge holds it" % key)
            failures.check(stored.key_id == hashlib.sha256(key.encode()).digest()[:20].hex(),
                           "put %s: key id is SHA-256(key)[:20]" % key)
            failures.check(stored.via.name == via, "put %s: via names %s" % (key, via))
            for other in names:
                if other == via:
                    continue
                found = get(other, key)
                failures.check(found.found and found.value == value and
                               len(found.values) == 1 and found.values[0].seq == stored.seq and
                               found.values[0].publisher == stored.via.node_id and
                               len(found.sources) >= 1,
                               "get %s via %s: found, same bytes, publisher %s" %
                               (key, other, via))

        missing = get(names[0], "nobody-put-this")
        failures.check(not missing.found and missing.error == "not_found" and missing.message,
                       "get of a missing key: OK status, found=false, error not_found")

        def status_of(call):
            try:
                call()
            except grpc.RpcError as error:
                return error.code(), error.details()
            return grpc.StatusCode.OK, ""

        code, details = status_of(lambda: put(names[0], "", b"v"))
        failures.check(code == grpc.StatusCode.INVALID_ARGUMENT and details == "key is empty",
                       "empty key: INVALID_ARGUMENT 'key is empty' (%s %s)" % (code, details))
        code, details = status_of(lambda: put(names[0], "k", b"v" * 65537))
        failures.check(code == grpc.StatusCode.INVALID_ARGUMENT and "65537 bytes" in details,
                       "oversized value: INVALID_ARGUMENT naming its size (%s)" % details)
        # The member counted both refusals as failed puts of its clients.
        member0 = [p for p in members if p["name"] == names[0]][0]
        with urllib.request.urlopen("http://%s/metrics" % member0["http"], timeout=10) as reply:
            metrics = reply.read().decode()
        errors = [line for line in metrics.splitlines()
                  if line.startswith('yz_puts_total{') and 'result="error"' in line]
        failures.check(errors and float(errors[0].split()[-1]) >= 2,
                       "refused puts counted in yz_puts_total{result=\"error\"} (%s)" % errors)
        code, details = status_of(lambda: get(bootstrap["name"], "k"))
        failures.check(code == grpc.StatusCode.UNIMPLEMENTED,
                       "the bootstrap serves no Data: UNIMPLEMENTED (%s)" % code)

        # Clients that give up: a cancel, and deadlines too short to meet.
        for name in names:
            future = method(name, "Put", pb.PutRequest, pb.PutResponse).future(
                pb.PutRequest(key="cancelled-" + name, value=b"x"), timeout=10)
            future.cancel()
            code, _ = status_of(lambda: get(name, "outsider-0", timeout=0.002))
            failures.check(code in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.OK),
                           "2 ms deadline via %s: DEADLINE_EXCEEDED or an answer (%s)" %
                           (name, code))
        for p in members:
            failures.check(alive(p["pid"]), "%s still runs after the cancels" % p["name"])
            found = get(p["name"], "outsider-1")
            failures.check(found.found, "%s still answers after the cancels" % p["name"])

        for c in channels.values():
            c.close()
        return 1 if failures.count else 0
    except Exception:  # noqa: BLE001 - any error fails the test with its trace
        traceback.print_exc()
        return 1
    finally:
        code, stdout, err = run([args.yzctl, "down", "--dir", cluster_dir])
        if code != 0:
            print("yzctl down: " + stdout + err)
        survivors = [pid for pid in pids if alive(pid)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        if survivors:
            print("FAIL processes outlived yzctl down: %s" % survivors)
            failures.count += 1
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
