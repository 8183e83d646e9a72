"""Every container and unit command line in deploy/ runs against the real
role binaries with --check-config: compose.yaml (as docker compose would
interpolate it, with the image's ENV underneath), every rendered kustomize
overlay (env as the kubelet builds it, volumes mapped to temporary
directories, the Secret's files written out), and the systemd unit
templates with their example environment files. Each must exit 0; a
deliberately broken configuration must exit 2 with a one-line reason.
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402

COMPOSE_VARS = {"BRIDGE_AUTH": "compose-test-secret", "GENESIS_AUTH": "compose-test-genesis-secret"}


def yz_services(compose):
    """The compose services that run a role binary (built from deploy/Dockerfile)."""
    out = {}
    for name, service in compose["services"].items():
        build = service.get("build") or {}
        if isinstance(build, dict) and build.get("dockerfile") == "deploy/Dockerfile":
            out[name] = service
    return out


class Sandbox:
    """Temporary directories standing in for the container's volumes."""

    def __init__(self):
        self.root = tempfile.mkdtemp(prefix="yz-deploy-check-")
        self.mounts = {}

    def mount(self, container_path, files=None):
        host = os.path.join(self.root, f"m{len(self.mounts)}")
        os.makedirs(host, mode=0o700)
        for name, content in (files or {}).items():
            with open(os.path.join(host, name), "w") as f:
                f.write(content)
        self.mounts[container_path.rstrip("/")] = host
        return host

    def map_path(self, value):
        """A container path under a mount -> the same path in its stand-in."""
        for container_path, host in sorted(self.mounts.items(), key=lambda m: -len(m[0])):
            if value == container_path or value.startswith(container_path + "/"):
                return host + value[len(container_path):]
        return value

    def map_env(self, env):
        return {key: self.map_path(value) for key, value in env.items()}

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)


class ComposeTest(unittest.TestCase):
    def run_service(self, name, service, variables_note):
        env = dict(lib.image_env())
        env.update(lib.compose_environment(service))
        argv = lib.as_argv(service["command"])
        self.assertIn(argv[0], lib.ROLE_BINARIES, f"{name}: command {argv}")
        sandbox = Sandbox()
        try:
            sandbox.mount(lib.DATA_DIR)
            code, output = lib.run_check_config(argv, sandbox.map_env(env))
        finally:
            sandbox.close()
        self.assertEqual(code, 0, f"compose {name} ({variables_note}): {argv} -> {output}")
        self.assertIn("configuration ok", output)
        return argv[0]

    def test_every_service_passes_check_config(self):
        compose = lib.load_compose(COMPOSE_VARS)
        services = yz_services(compose)
        self.assertEqual(
            sorted(services), ["bootstrap", "bridge-node-1", "bridge-node-2", "dht-node", "genesis"]
        )
        self.assertEqual(int(services["dht-node"]["deploy"]["replicas"]), 15)
        roles = {name: self.run_service(name, s, "defaults") for name, s in services.items()}
        self.assertEqual(sorted(set(roles.values())), sorted(lib.ROLE_BINARIES))
        print(f"compose: {len(services)} yz services pass --check-config")

    def test_fault_and_size_variables(self):
        compose = lib.load_compose(dict(COMPOSE_VARS, YZ_FAULT="early_return_race", YZ_NODES="100",
                                        YZ_BOOTSTRAP_FAULT="short_bridge_wait"))
        services = yz_services(compose)
        self.assertEqual(int(services["dht-node"]["deploy"]["replicas"]), 100)
        for name, service in services.items():
            # The bootstrap's own fault (the original's timeout budget) is
            # YZ_BOOTSTRAP_FAULT; the members' is YZ_FAULT.
            fault = "short_bridge_wait" if name == "bootstrap" else "early_return_race"
            self.assertEqual(lib.compose_environment(service)["YZ_FAULT"], fault)
            self.run_service(name, service, "YZ_FAULT=" + fault)

    def test_bridge_auth_is_required_by_compose(self):
        with self.assertRaisesRegex(ValueError, "BRIDGE_AUTH"):
            lib.load_compose({"GENESIS_AUTH": "g"})

    def test_genesis_auth_is_required_by_compose_and_given_to_bootstrap_and_genesis(self):
        with self.assertRaisesRegex(ValueError, "GENESIS_AUTH"):
            lib.load_compose({"BRIDGE_AUTH": "b"})
        services = yz_services(lib.load_compose(COMPOSE_VARS))
        holders = sorted(name for name, service in services.items()
                         if "GENESIS_AUTH" in lib.compose_environment(service))
        self.assertEqual(holders, ["bootstrap", "genesis"])

    def test_broken_configuration_exits_2_with_a_reason(self):
        services = yz_services(lib.load_compose(dict(COMPOSE_VARS, YZ_FAULT="early_return_rase")))
        env = dict(lib.image_env(), **lib.compose_environment(services["dht-node"]))
        sandbox = Sandbox()
        try:
            sandbox.mount(lib.DATA_DIR)
            code, output = lib.run_check_config(["yz-node"], sandbox.map_env(env))
            self.assertEqual(code, 2, output)
            self.assertRegex(output, r"^yz-node: invalid YZ_FAULT 'early_return_rase': unknown fault")
            self.assertEqual(len(output.splitlines()), 1, output)
            del env["YZ_BOOTSTRAP"]
            env["YZ_FAULT"] = ""
            code, output = lib.run_check_config(["yz-node"], sandbox.map_env(env))
            self.assertEqual(code, 2, output)
            self.assertIn("missing --bootstrap HOST:PORT (or env YZ_BOOTSTRAP)", output)
        finally:
            sandbox.close()


class ComposeStructureTest(unittest.TestCase):
    def setUp(self):
        self.compose = lib.load_compose(COMPOSE_VARS)

    def test_dependencies_exist_and_health_conditions_have_a_healthcheck(self):
        services = self.compose["services"]
        yz = yz_services(self.compose)
        for name, service in services.items():
            depends = service.get("depends_on") or {}
            for target in depends:
                self.assertIn(target, services, f"{name} depends on unknown {target}")
                if isinstance(depends, dict) and depends[target].get("condition") == "service_healthy":
                    # The image's HEALTHCHECK serves compose's health condition.
                    self.assertIn(target, yz, f"{name} waits for {target}'s health, which has none")
        order = ["bootstrap", "genesis", "bridge-node-1", "dht-node"]
        for before, after in zip(order, order[1:]):
            self.assertIn(before, services[after]["depends_on"])

    def test_volumes_and_mounted_files_exist(self):
        declared = set(self.compose.get("volumes") or {})
        for name, service in self.compose["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith("."):
                    path = os.path.normpath(lib.deploy_path(source))
                    self.assertTrue(os.path.exists(path), f"{name} mounts missing {path}")
                else:
                    self.assertIn(source, declared, f"{name} uses undeclared volume {source}")

    def test_prometheus_scrapes_every_yz_service_on_the_http_port(self):
        with open(lib.deploy_path("prometheus", "prometheus.yml")) as f:
            config = yaml.safe_load(f)
        (job,) = config["scrape_configs"]
        (sd,) = job["dns_sd_configs"]
        self.assertEqual(sorted(sd["names"]), sorted(yz_services(self.compose)))
        self.assertEqual(int(lib.image_env()["YZ_HTTP"].rsplit(":", 1)[1]), sd["port"])


class KubernetesTest(unittest.TestCase):
    def run_container(self, overlay, workload, container, secrets):
        sandbox = Sandbox()
        try:
            spec = workload["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in spec.get("volumes", [])}
            for claim in workload["spec"].get("volumeClaimTemplates", []):
                volumes[claim["metadata"]["name"]] = {"name": claim["metadata"]["name"], "pvc": True}
            for mount in container.get("volumeMounts", []):
                volume = volumes.get(mount["name"])
                self.assertIsNotNone(volume, f"{workload['metadata']['name']}: mount {mount['name']}")
                files = None
                if "secret" in volume:
                    secret = secrets[volume["secret"]["secretName"]]
                    files = dict(secret.get("stringData", {}))
                    for key, value in secret.get("data", {}).items():
                        files[key] = base64.b64decode(value).decode()
                sandbox.mount(mount["mountPath"], files)
            self.assertIn(lib.DATA_DIR, sandbox.mounts, f"{workload['metadata']['name']}: no data volume")
            name = workload["metadata"]["name"]
            pod = f"{name}-0" if workload["kind"] == "StatefulSet" else f"{name}-5d8f7c9b4-x2x7q"
            env = dict(lib.image_env(), **lib.k8s_env(container, pod))
            argv = list(container.get("command", [])) + list(container.get("args", []))
            self.assertIn(argv[0], lib.ROLE_BINARIES, f"{name}: command {argv}")
            for key, value in env.items():
                self.assertNotRegex(value, r"\$\(", f"{name}: {key}={value} left unexpanded")
            code, output = lib.run_check_config(argv, sandbox.map_env(env))
        finally:
            sandbox.close()
        self.assertEqual(code, 0, f"{os.path.basename(overlay)} {name}: {argv} -> {output}")
        return argv[0]

    def test_every_overlay_container_passes_check_config(self):
        for overlay in lib.overlays():
            with self.subTest(overlay=os.path.basename(overlay)):
                objects = lib.kustomize(overlay)
                secrets = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Secret"}
                # The bridge secret is the operator's (kubectl create secret), not rendered.
                secrets.setdefault("yz-bridge-auth", {"stringData": {"bridge-auth": "operator-secret"}})
                secrets.setdefault("yz-genesis-auth",
                                   {"stringData": {"genesis-auth": "operator-genesis-secret"}})
                roles = []
                for workload in lib.workloads(objects):
                    for container in workload["spec"]["template"]["spec"]["containers"]:
                        roles.append(self.run_container(overlay, workload, container, secrets))
                self.assertEqual(sorted(roles), sorted(lib.ROLE_BINARIES))
                print(f"{os.path.basename(overlay)}: {len(roles)} containers pass --check-config")

    def test_bridge_without_its_secret_exits_2(self):
        objects = lib.kustomize(lib.overlays()[0])
        bridge = next(o for o in objects if o["metadata"]["name"] == "bridge-node"
                      and o["kind"] == "StatefulSet")
        container = bridge["spec"]["template"]["spec"]["containers"][0]
        sandbox = Sandbox()
        try:
            sandbox.mount(lib.DATA_DIR)
            sandbox.mount("/run/secrets/yz")  # mounted, but the key is missing
            env = sandbox.map_env(dict(lib.image_env(), **lib.k8s_env(container, "bridge-node-0")))
            code, output = lib.run_check_config(container["command"], env)
        finally:
            sandbox.close()
        self.assertEqual(code, 2, output)
        self.assertRegex(output, r"^yz-bridge: cannot read YZ_BRIDGE_AUTH_FILE .*bridge-auth")

    def test_genesis_without_its_secret_exits_2(self):
        objects = lib.kustomize(lib.overlays()[0])
        genesis = next(o for o in objects if o["metadata"]["name"] == "genesis"
                       and o["kind"] == "StatefulSet")
        container = genesis["spec"]["template"]["spec"]["containers"][0]
        sandbox = Sandbox()
        try:
            sandbox.mount(lib.DATA_DIR)
            sandbox.mount("/run/secrets/yz-genesis")  # mounted, but the key is missing
            env = sandbox.map_env(dict(lib.image_env(), **lib.k8s_env(container, "genesis-0")))
            code, output = lib.run_check_config(container["command"], env)
        finally:
            sandbox.close()
        self.assertEqual(code, 2, output)
        self.assertRegex(output, r"^yz-genesis: cannot read YZ_GENESIS_AUTH_FILE .*genesis-auth")


class SystemdTest(unittest.TestCase):
    def parse_unit(self, path):
        service = {}
        section = None
        with open(path) as f:
            lines = f.read().splitlines()
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            service.setdefault((section, key), []).append(value)
        return service

    def read_env_file(self, path):
        env = {}
        with open(path) as f:
            lines = f.read().splitlines()
        for line in lines:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                env[key] = value
        return env

    def test_every_unit_template_passes_check_config(self):
        units = sorted(f for f in os.listdir(lib.deploy_path("systemd")) if f.endswith(".service"))
        self.assertEqual(units, [f"{b}@.service" for b in sorted(lib.ROLE_BINARIES)])
        for unit in units:
            with self.subTest(unit=unit):
                instance = "dht-node-1"
                fields = self.parse_unit(lib.deploy_path("systemd", unit))
                env = {}
                for assignment in fields[("Service", "Environment")]:
                    key, _, value = assignment.replace("%i", instance).partition("=")
                    env[key] = value
                env_files = [f.lstrip("-") for f in fields[("Service", "EnvironmentFile")]]
                self.assertEqual(env_files, ["/etc/yz/yz.env", "/etc/yz/%i.env"])
                env.update(self.read_env_file(lib.deploy_path("systemd", "yz.env.example")))
                env.update(self.read_env_file(lib.deploy_path("systemd", "dht-node-1.env.example")))
                sandbox = Sandbox()
                try:
                    sandbox.mount("/var/lib/yz/" + instance)
                    sandbox.mount("/etc/yz", {"bridge-auth": "systemd-test-secret\n",
                                              "genesis-auth": "systemd-test-genesis-secret\n"})
                    (exec_start,) = fields[("Service", "ExecStart")]
                    argv = exec_start.split()
                    self.assertEqual(argv[0], "/usr/local/bin/" + unit.split("@")[0])
                    (pre,) = fields[("Service", "ExecStartPre")]
                    self.assertEqual(pre.split(), argv + ["--check-config"])
                    code, output = lib.run_check_config(argv, sandbox.map_env(env))
                finally:
                    sandbox.close()
                self.assertEqual(code, 0, f"{unit}: {output}")
                self.assertEqual(fields[("Service", "RestartPreventExitStatus")], ["2"])
                self.assertRegex(fields[("Service", "User")][0], r"^(?!root$)")


class SystemdAnalyzeTest(unittest.TestCase):
    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is not installed")
    def test_units_verify_clean(self):
        """`systemd-analyze verify` on an instance of each template, with
        ExecStart pointing at the build's binary; any warning fails."""
        root = tempfile.mkdtemp(prefix="yz-deploy-units-")
        try:
            paths = []
            for role_binary in lib.ROLE_BINARIES:
                with open(lib.deploy_path("systemd", f"{role_binary}@.service")) as f:
                    text = f.read().replace(f"/usr/local/bin/{role_binary}", lib.binary(role_binary))
                for name in (f"{role_binary}@.service", f"{role_binary}@t1.service"):
                    with open(os.path.join(root, name), "w") as f:
                        f.write(text)
                paths.append(os.path.join(root, f"{role_binary}@t1.service"))
            result = subprocess.run(["systemd-analyze", "verify"] + paths, capture_output=True,
                                    text=True, env=lib.clean_env({"SYSTEMD_LOG_LEVEL": "notice"}),
                                    timeout=60)
            output = (result.stdout + result.stderr).strip()
            self.assertEqual((result.returncode, output), (0, ""), output)
        finally:
            shutil.rmtree(root, ignore_errors=True)


class DocsTest(unittest.TestCase):
    def setUp(self):
        with open(os.path.join(lib.SOURCE_DIR, "docs", "operations.md")) as f:
            self.docs = f.read()

    def test_every_flag_variable_is_documented(self):
        for role_binary in lib.ROLE_BINARIES:
            result = subprocess.run([lib.binary(role_binary), "--help"], capture_output=True,
                                    text=True, env=lib.clean_env({}), check=True)
            variables = set(re.findall(r"env (YZ_[A-Z0-9_]+)", result.stdout))
            self.assertGreater(len(variables), 20)
            for variable in sorted(variables):
                self.assertIn(f"`{variable}`", self.docs, f"{role_binary} --help lists {variable}")

    def test_documented_defaults_match_help(self):
        result = subprocess.run([lib.binary("yz-node"), "--help"], capture_output=True, text=True,
                                env=lib.clean_env({}), check=True)
        text = " ".join(result.stdout.split())
        defaults = dict((env, default) for default, env in
                        re.findall(r"\(default (\S+); env (YZ_[A-Z0-9_]+)\)", text))
        rows = re.findall(r"\n\| `--[^|]*` \| `(YZ_[A-Z0-9_]+)` \| `([^`]*)`", self.docs)
        self.assertGreater(len(rows), 15)
        for variable, documented in rows:
            if variable in ("YZ_NAME", "YZ_DATA_DIR"):
                continue  # per role
            self.assertEqual(documented, defaults.get(variable), f"default of {variable}")

    def test_every_compose_variable_is_documented(self):
        with open(lib.deploy_path("compose.yaml")) as f:
            variables = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", f.read()))
        self.assertIn("BRIDGE_AUTH", variables)
        self.assertIn("GENESIS_AUTH", variables)
        for variable in sorted(variables):
            self.assertRegex(self.docs, rf"\n\| `{variable}` \|", f"compose variable {variable}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
