"""Shared pieces of the deploy/ checks: where things are, reading the
Dockerfile, compose and Kubernetes files the way their engines do, and
running the real role binaries.

Every test takes the repository root and the build's bin/ directory from the
environment (YZ_SOURCE_DIR, YZ_BIN_DIR), which CTest sets.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import tempfile
import time
import urllib.request

import yaml

SOURCE_DIR = os.environ.get(
    "YZ_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
)
BIN_DIR = os.path.abspath(os.environ.get("YZ_BIN_DIR", os.path.join(SOURCE_DIR, "build", "bin")))
DEPLOY_DIR = os.path.join(SOURCE_DIR, "deploy")
ROLE_BINARIES = ["yz-bootstrap", "yz-genesis", "yz-bridge", "yz-node"]
# The image's data dir, which every deployment mounts a volume on.
DATA_DIR = "/var/lib/yz"
# Where the image keeps yzsim's scenarios (sim/scenarios).
IMAGE_SCENARIOS = "/usr/local/share/yz/scenarios"


def deploy_path(*parts):
    return os.path.join(DEPLOY_DIR, *parts)


def binary(name):
    path = os.path.join(BIN_DIR, os.path.basename(name))
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is not built (ninja {os.path.basename(name)})")
    return path


# ---- metric names ----

# Series Prometheus itself makes, which no process exports.
PROMETHEUS_NAMES = {"up", "ALERTS", "ALERTS_FOR_STATE"}

# Issue 12's new metrics (/work/contract-12.md), exported once the metrics
# branch lands. A name here is accepted only while roles/ does not name it;
# once it does, the live-scrape checks hold it to the real exposition.
ISSUE_12_METRICS = {
    "yz_state", "yz_fault_enabled", "yz_find_node_queries_total", "yz_emergency_discovery_total",
    "yz_bootstrap_connected", "yz_health_consecutive_failures", "yz_onboarding_duration_seconds",
    "yz_links_closed_total", "yz_ping_rtt_seconds", "yz_bootstrap_bridge_timeouts_total",
    "yz_bootstrap_members", "yz_bootstrap_bridges",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def source_metric_names():
    """Every "yz_..." / "process_..." string literal in roles/ (where the
    metric names are defined)."""
    names = set()
    for root, _, files in os.walk(os.path.join(SOURCE_DIR, "roles")):
        for name in files:
            if name.endswith((".cc", ".h", ".cmake")):
                with open(os.path.join(root, name), errors="replace") as f:
                    names |= set(re.findall(r'"((?:yz|process)_[a-z0-9_]+)"', f.read()))
    return names


def family_of(name, families):
    """The family a sample name belongs to (histogram suffixes removed)."""
    if name in families:
        return name
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and name[: -len(suffix)] in families:
            return name[: -len(suffix)]
    return None


def pending_metric_names():
    """Sample names of ISSUE_12_METRICS that roles/ does not name yet."""
    missing = ISSUE_12_METRICS - source_metric_names()
    return missing | {m + s for m in missing for s in HISTOGRAM_SUFFIXES}


def rule_groups():
    groups = []
    rules_dir = deploy_path("prometheus", "rules")
    for name in sorted(os.listdir(rules_dir)):
        if name.endswith(".yml"):
            with open(os.path.join(rules_dir, name)) as f:
                groups.extend(yaml.safe_load(f)["groups"])
    return groups


def recorded_names():
    return {rule["record"] for group in rule_groups() for rule in group["rules"] if "record" in rule}


# ---- Dockerfile ----


def dockerfile_stages(path=None):
    """[(from_line, name, [(instruction, argument)])] with continuation lines
    joined and comments dropped."""
    path = path or deploy_path("Dockerfile")
    with open(path) as f:
        text = f.read()
    logical = []
    current = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    stages = []
    for line in logical:
        instruction, _, argument = line.partition(" ")
        instruction = instruction.upper()
        argument = argument.strip()
        if instruction == "FROM":
            words = argument.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append((words[0], name, []))
        elif stages:
            stages[-1][2].append((instruction, argument))
    return stages


def image_env():
    """The ENV of the Dockerfile's final (runtime) stage."""
    env = {}
    for instruction, argument in dockerfile_stages()[-1][2]:
        if instruction != "ENV":
            continue
        for item in shlex.split(argument):
            key, eq, value = item.partition("=")
            if not eq:
                raise AssertionError(f"ENV {argument!r}: use the KEY=VALUE form")
            env[key] = value
    return env


# ---- compose ----

_VAR = re.compile(r"\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value, variables):
    """Compose's variable interpolation: $VAR, ${VAR}, ${VAR:-default},
    ${VAR-default}, ${VAR:?error}, ${VAR?error}, and $$ for a literal $."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1) or match.group(4)
        op, arg = match.group(2), match.group(3)
        present = name in variables
        set_non_empty = present and variables[name] != ""
        if op in (":-", "-"):
            use_default = not set_non_empty if op == ":-" else not present
            return arg if use_default else variables[name]
        if op in (":?", "?"):
            missing = not set_non_empty if op == ":?" else not present
            if missing:
                raise ValueError(f"required variable {name} is missing a value: {arg}")
            return variables[name]
        return variables.get(name, "")

    return _VAR.sub(replace, value)


def _interpolate_tree(node, variables):
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [_interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_tree(value, variables) for key, value in node.items()}
    return node


def load_compose(variables, path=None):
    """compose.yaml as `docker compose config` would see it (anchors and
    merge keys resolved by the YAML loader, variables interpolated)."""
    path = path or deploy_path("compose.yaml")
    with open(path) as f:
        return _interpolate_tree(yaml.safe_load(f), variables)


def compose_environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        out = {}
        for item in env:
            key, eq, value = item.partition("=")
            out[key] = value if eq else os.environ.get(key, "")
        return out
    return {key: "" if value is None else str(value) for key, value in env.items()}


def as_argv(command):
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


# ---- Kubernetes ----


def kustomize(directory):
    """Renders a kustomization with `kubectl kustomize`; returns the objects."""
    result = subprocess.run(
        ["kubectl", "kustomize", directory], capture_output=True, text=True, timeout=120
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def overlays():
    root = deploy_path("kubernetes", "overlays")
    return sorted(os.path.join(root, d) for d in os.listdir(root))


def workloads(objects):
    return [o for o in objects if o["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job")]


_K8S_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\$")


def k8s_env(container, pod_name, pod_ip="10.244.0.7", annotations=None):
    """A container's env as the kubelet builds it: downward-API fields filled
    in (`annotations`: the pod's), $(VAR) references to earlier variables
    expanded."""
    env = {}
    for item in container.get("env", []):
        if "value" in item:
            raw = str(item["value"])

            def replace(match):
                if match.group(0) == "$$":
                    return "$"
                name = match.group(1)
                return env.get(name, match.group(0))

            env[item["name"]] = _K8S_REF.sub(replace, raw)
            continue
        source = item.get("valueFrom", {})
        field = source.get("fieldRef", {}).get("fieldPath")
        if field == "metadata.name":
            env[item["name"]] = pod_name
        elif field == "metadata.namespace":
            env[item["name"]] = "yz"
        elif field == "status.podIP":
            env[item["name"]] = pod_ip
        elif field and field.startswith("metadata.annotations['") and field.endswith("']"):
            key = field[len("metadata.annotations['"):-2]
            if key not in (annotations or {}):
                raise AssertionError(f"{container['name']}: env {item['name']}: no annotation {key}")
            env[item["name"]] = annotations[key]
        else:
            raise AssertionError(f"{container['name']}: env {item['name']}: unhandled {source}")
    return env


# ---- running the role binaries ----


def clean_env(extra):
    """A minimal environment (no YZ_* or BRIDGE_AUTH from the caller's shell)
    plus `extra`."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def run_check_config(argv, env, timeout=30):
    """Runs argv (its first word a role binary name or path) from the build
    with --check-config. Returns (exit code, stdout + stderr)."""
    full = [binary(argv[0])] + list(argv[1:]) + ["--check-config"]
    result = subprocess.run(
        full, env=clean_env(env), capture_output=True, text=True, timeout=timeout, cwd=tempfile.gettempdir()
    )
    return result.returncode, (result.stdout + result.stderr).strip()


def eventually(condition, timeout, what):
    """Polls `condition` every 50 ms until it returns a truthy value, which is
    returned; raises naming `what` at the deadline. Never a fixed sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class Processes:
    """Role processes this test started; stop() ends each by its PID."""

    def __init__(self, root):
        self.root = root
        self.children = []

    def start(self, role_binary, name, args, env):
        data_dir = os.path.join(self.root, name)
        log = open(os.path.join(self.root, name + ".log"), "w")
        argv = [binary(role_binary), "--name", name, "--data-dir", data_dir,
                "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0"] + args
        child = subprocess.Popen(argv, env=clean_env(env), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.children.append(child)
        ports_file = os.path.join(data_dir, "ports.json")

        def ports():
            if child.poll() is not None:
                raise AssertionError(f"{name} exited with {child.returncode}: "
                                     + open(os.path.join(self.root, name + ".log")).read())
            try:
                with open(ports_file) as f:
                    return json.load(f)
            except (OSError, ValueError):
                return None

        return eventually(ports, 30, f"{ports_file}")

    def stop(self):
        for child in self.children:
            if child.poll() is None:
                os.kill(child.pid, signal.SIGTERM)
        for child in self.children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()


def http_get(host_port, path, timeout=5):
    try:
        with urllib.request.urlopen(f"http://{host_port}{path}", timeout=timeout) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""
