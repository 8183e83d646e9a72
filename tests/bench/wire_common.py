"""Shared pieces of silent_streams.py and hello_flood.py: yz's messages
generated from proto/ with protoc, the target process found in a yzctl
cluster (or given by hand), /metrics, /proc and log readers.

Needs Debian's python3-grpcio and python3-protobuf (and python3-cryptography
for hello_flood.py's keys), so the scripts run under /usr/bin/python3.
"""

import atexit
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

PEER_LINK_CONNECT = "/yz.v1.PeerLink/Connect"
BOOTSTRAP_CONNECT = "/yz.v1.Bootstrap/Connect"

# The counters these tools report, before and after, per label.
REPORTED_FAMILIES = (
    "yz_limited_total",
    "yz_handshake_rejected_total",
    "yz_links_closed_total",
    "yz_bootstrap_refused_total",
    "yz_dht_messages_dropped_total",
)


def need_modules():
    try:
        import grpc  # noqa: F401
        import google.protobuf  # noqa: F401
    except ImportError as error:
        sys.exit(
            f"{error}: run with Debian's /usr/bin/python3 and "
            "`apt-get install python3-grpcio python3-protobuf python3-cryptography`"
        )


def load_messages():
    """yz.v1 peer_pb2, generated now by protoc --python_out into a temp dir."""
    need_modules()
    out = tempfile.mkdtemp(prefix="yz-wire-py-")
    atexit.register(shutil.rmtree, out, True)
    protos = sorted(glob.glob(os.path.join(REPO, "proto", "yz", "v1", "*.proto")))
    subprocess.run(
        ["protoc", "-I", os.path.join(REPO, "proto"), f"--python_out={out}", *protos],
        check=True,
    )
    sys.path.insert(0, out)
    from yz.v1 import peer_pb2  # noqa: E402

    return peer_pb2


class Target:
    """One process under measurement: where it listens and what to read."""

    def __init__(self, name, role, pid, listen, http, log):
        self.name, self.role, self.pid = name, role, pid
        self.listen, self.http, self.log = listen, http, log

    def as_json(self):
        return {
            "name": self.name,
            "role": self.role,
            "pid": self.pid,
            "listen": self.listen,
            "http": self.http,
            "log": self.log,
        }


def add_target_flags(parser):
    parser.add_argument(
        "--cluster-dir",
        default=os.environ.get("YZ_CLUSTER_DIR", ".yz/cluster"),
        help="a `yzctl up --dir` folder (default .yz/cluster): targets are found "
        "by name in its cluster.json, logs are DIR/NAME/log",
    )
    parser.add_argument(
        "--address", help="instead of --cluster-dir: the target's gRPC host:port"
    )
    parser.add_argument("--pid", type=int, help="with --address: its pid (for VmRSS)")
    parser.add_argument("--http", help="with --address: its HTTP host:port (/metrics)")
    parser.add_argument("--log", help="with --address: the file its log goes to")
    parser.add_argument(
        "--role",
        choices=["bootstrap", "genesis", "bridge", "node"],
        help="with --address: its role (bootstrap: Bootstrap.Connect)",
    )


def resolve_targets(args, names):
    """Targets by name from the cluster, or the one given by --address."""
    if args.address:
        return [
            Target(
                args.address,
                args.role or "node",
                args.pid,
                args.address,
                args.http,
                args.log,
            )
        ]
    path = os.path.join(args.cluster_dir, "cluster.json")
    try:
        with open(path) as f:
            cluster = json.load(f)
    except OSError as error:
        sys.exit(f"cannot read {path} ({error}): start a cluster with `yzctl up --dir DIR` "
                 "and pass --cluster-dir DIR, or name the target with --address")
    by_name = {p["name"]: p for p in cluster["processes"]}
    nodes = sorted(
        (p["name"] for p in cluster["processes"] if p["role"] == "node"),
        key=lambda n: int(re.sub(r"\D", "", n) or 0),
    )
    targets = []
    for name in names:
        if name == "node":  # the middle node
            if not nodes:
                sys.exit("the cluster has no DHT node")
            name = nodes[(len(nodes) - 1) // 2]
        p = by_name.get(name)
        if p is None:
            sys.exit(f"no process {name} in {path}; there are {', '.join(by_name)}")
        listen = p.get("listen") or ""
        http = p.get("http") or ""
        if not listen or listen.endswith(":0") or not http or http.endswith(":0"):
            with open(os.path.join(p["dir"], "ports.json")) as f:
                ports = json.load(f)
            listen = ports.get("listen", listen)
            http = ports.get("http", http)
        targets.append(
            Target(name, p["role"], p["pid"], listen, http, os.path.join(p["dir"], "log"))
        )
    return targets


def method_for(target, service):
    if service == "auto":
        service = "bootstrap" if target.role == "bootstrap" else "peer"
    return BOOTSTRAP_CONNECT if service == "bootstrap" else PEER_LINK_CONNECT


def scrape(http):
    """{'name{labels}': value} of the target's /metrics; {} when unreachable."""
    if not http:
        return {}
    try:
        with urllib.request.urlopen(f"http://{http}/metrics", timeout=10) as reply:
            text = reply.read().decode()
    except OSError:
        return {}
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.rpartition(" ")
        try:
            out[key] = float(value)
        except ValueError:
            pass
    return out


def family_deltas(before, after, families=REPORTED_FAMILIES):
    """Series of `families` that moved, {'name{labels}': after - before}."""
    out = {}
    for key, value in after.items():
        name = key.split("{", 1)[0]
        if name in families:
            delta = value - before.get(key, 0.0)
            if delta:
                out[key] = delta
    return dict(sorted(out.items()))


def proc_status(pid, field):
    """A /proc/PID/status field in kB (VmRSS, VmHWM), or None."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class RssSampler:
    """Samples a process's VmRSS on its own thread every `interval` s."""

    def __init__(self, pid, interval=0.2):
        self.pid, self.interval = pid, interval
        self.samples = []  # (monotonic seconds, KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            rss = proc_status(self.pid, "VmRSS")
            if rss is not None:
                self.samples.append((time.monotonic(), rss))
            self._stop.wait(self.interval)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()

    def peak(self, since=None):
        values = [kib for t, kib in self.samples if since is None or t >= since]
        return max(values) if values else None

    def at(self, when):
        """The last sample taken at or before `when`."""
        last = None
        for t, kib in self.samples:
            if t > when:
                break
            last = kib
        return last


def log_size(path):
    try:
        return os.path.getsize(path) if path else None
    except OSError:
        return None


def log_tail(path, offset):
    """The log's text written since byte `offset`."""
    if not path or offset is None:
        return ""
    with open(path, "rb") as f:
        f.seek(offset)
        return f.read().decode("utf-8", "replace")


def count_events(text):
    """Lines by 'level event' (logfmt's level= and event= fields)."""
    counts = {}
    for line in text.splitlines():
        level = re.search(r"\blevel=(\S+)", line)
        event = re.search(r"\bevent=(\S+)", line)
        key = f"{level.group(1) if level else '?'} {event.group(1) if event else line[:40]}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def machine_state():
    load = os.getloadavg()
    return {
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "loadavg": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
        "commit": subprocess.run(
            ["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip(),
    }


def random_node_id():
    return os.urandom(20).hex()


def node_id_for_key(public_key):
    """A node id is the first 160 bits of SHA-256 of the raw public key."""
    return hashlib.sha256(public_key).digest()[:20].hex()


def handshake_message(side, nonce, signer_hex, other_hex):
    """The bytes each side of a peer handshake signs (roles/core/identity.cc)."""
    return (
        b"yz-handshake-v1\0"
        + side.encode()
        + nonce
        + bytes.fromhex(signer_hex)
        + bytes.fromhex(other_hex)
    )


def status_key(code, details):
    """'CODE: reason' of a stream's end, the reason cut at ':' (its code)."""
    name = code.name if hasattr(code, "name") else str(code)
    reason = (details or "").split(":", 1)[0].strip()[:60]
    return f"{name}: {reason}" if reason else name


def percentiles(values, qs=(0, 50, 90, 99, 100)):
    if not values:
        return {}
    values = sorted(values)
    out = {}
    for q in qs:
        i = min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))
        out[f"p{q}"] = round(values[i], 3)
    return out


def write_report(report, path):
    text = json.dumps(report, indent=2)
    print(text)
    if path:
        with open(path, "w") as f:
            f.write(text + "\n")
