"""Every overlay in deploy/kubernetes/overlays renders with `kubectl
kustomize`, and the rendered objects have the shape the issue asks for: a
namespace; the bootstrap as a Deployment with a Service and a persistent data dir; genesis and the
bridges as StatefulSets of 1 and 2; the DHT nodes as a StatefulSet with a
headless Service and a persistent volume on the data dir; probes on /health;
a PodDisruptionBudget; scrape annotations; the size each overlay names; and,
in early-return-race, the fault on every member.

Nothing rendered needs a CRD or overwrites an operator's object: no
PodMonitor or PrometheusRule (the optional component
components/prometheus-operator adds both, checked here on every overlay,
its PrometheusRule equal to deploy/prometheus/rules and to its generator's
output) and no Secret (the bridge secret is created by the operator).
"""

import glob
import os
import subprocess
import sys
import tempfile
import unittest

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402

COMPONENT = lib.deploy_path("kubernetes", "components", "prometheus-operator")
CRD_KINDS = {"PodMonitor", "PrometheusRule", "ServiceMonitor"}
SIZES = {"size-15": 15, "size-100": 100, "size-1000": 1000, "early-return-race": 15}


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def container(workload):
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def env_names(workload):
    return {e["name"]: e for e in container(workload).get("env", [])}


class KustomizeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rendered = {os.path.basename(o): lib.kustomize(o) for o in lib.overlays()}

    def test_every_overlay_is_listed(self):
        self.assertEqual(sorted(self.rendered), sorted(SIZES))
        for name, objects in sorted(self.rendered.items()):
            kinds = {}
            for o in objects:
                kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
            print(f"{name}: {len(objects)} objects {dict(sorted(kinds.items()))}")

    def test_shape(self):
        for overlay, objects in self.rendered.items():
            with self.subTest(overlay=overlay):
                namespace = "yz-incident" if overlay == "early-return-race" else "yz"
                find(objects, "Namespace", namespace)
                for o in objects:
                    if o["kind"] != "Namespace":
                        self.assertEqual(o["metadata"].get("namespace"), namespace, o["metadata"]["name"])
                bootstrap = find(objects, "Deployment", "bootstrap")
                self.assertEqual(bootstrap["spec"]["replicas"], 1)
                # The trust anchor's key outlives the pod.
                volumes = {v["name"]: v for v in bootstrap["spec"]["template"]["spec"]["volumes"]}
                claim = volumes["data"].get("persistentVolumeClaim", {}).get("claimName")
                self.assertEqual(claim, "bootstrap-data", volumes["data"])
                find(objects, "PersistentVolumeClaim", "bootstrap-data")
                mounts = {m["name"]: m["mountPath"] for m in container(bootstrap)["volumeMounts"]}
                self.assertEqual(mounts.get("data"), lib.DATA_DIR)
                find(objects, "Service", "bootstrap")
                self.assertEqual(find(objects, "StatefulSet", "genesis")["spec"]["replicas"], 1)
                self.assertEqual(find(objects, "StatefulSet", "bridge-node")["spec"]["replicas"], 2)
                nodes = find(objects, "StatefulSet", "dht-node")
                self.assertEqual(nodes["spec"]["replicas"], SIZES[overlay])
                service = find(objects, "Service", nodes["spec"]["serviceName"])
                self.assertEqual(service["spec"]["clusterIP"], "None")
                claims = [c["metadata"]["name"] for c in nodes["spec"]["volumeClaimTemplates"]]
                mounts = {m["name"]: m["mountPath"] for m in container(nodes)["volumeMounts"]}
                self.assertIn(mounts.get(claims[0]), (lib.DATA_DIR,))
                pdbs = [o for o in objects if o["kind"] == "PodDisruptionBudget"]
                self.assertTrue(any(p["spec"]["selector"]["matchLabels"].items()
                                    <= nodes["spec"]["template"]["metadata"]["labels"].items()
                                    for p in pdbs), "no PodDisruptionBudget selects the DHT nodes")
                # A bare cluster accepts every object; apply -k leaves the
                # operator's bridge secret alone.
                self.assertEqual([o["kind"] for o in objects if o["kind"] in CRD_KINDS], [])
                self.assertEqual([o["metadata"]["name"] for o in objects if o["kind"] == "Secret"], [])
                secret_users = {}
                for workload in lib.workloads(objects):
                    for volume in workload["spec"]["template"]["spec"].get("volumes", []):
                        if "secret" in volume:
                            secret_users.setdefault(volume["secret"]["secretName"], set()).add(
                                workload["metadata"]["name"])
                # Each operator secret goes to exactly the roles that need it.
                self.assertEqual(secret_users, {"yz-bridge-auth": {"bootstrap", "bridge-node"},
                                                "yz-genesis-auth": {"bootstrap", "genesis"}})

    def test_probes_and_scrape_annotations(self):
        for overlay, objects in self.rendered.items():
            for workload in lib.workloads(objects):
                name = workload["metadata"]["name"]
                with self.subTest(overlay=overlay, workload=name):
                    c = container(workload)
                    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
                    self.assertEqual(c["readinessProbe"]["httpGet"]["path"], "/health")
                    self.assertEqual(c["readinessProbe"]["httpGet"]["port"], "http")
                    incident_node = overlay == "early-return-race" and name == "dht-node"
                    if incident_node:
                        self.assertNotIn("livenessProbe", c)
                    else:
                        self.assertEqual(c["livenessProbe"]["httpGet"]["path"], "/health")
                    annotations = workload["spec"]["template"]["metadata"]["annotations"]
                    self.assertEqual(annotations["prometheus.io/scrape"], "true")
                    self.assertEqual(int(annotations["prometheus.io/port"]), ports["http"])
                    env = dict(lib.image_env(), **lib.k8s_env(c, name + "-0"))
                    self.assertEqual(int(env["YZ_HTTP"].rsplit(":", 1)[1]), ports["http"])
                    self.assertEqual(int(env["YZ_LISTEN"].rsplit(":", 1)[1]), ports["grpc"])
                    security = workload["spec"]["template"]["spec"]["securityContext"]
                    self.assertTrue(security["runAsNonRoot"])

    def test_fault_only_in_the_incident_overlay(self):
        for overlay, objects in self.rendered.items():
            for workload in lib.workloads(objects):
                name = workload["metadata"]["name"]
                fault = env_names(workload).get("YZ_FAULT", {}).get("value")
                with self.subTest(overlay=overlay, workload=name):
                    if overlay == "early-return-race" and name == "bootstrap":
                        # The original's timeout budget, the bootstrap's part
                        # of the incident (issue 14).
                        self.assertEqual(fault, "short_bridge_wait")
                    elif overlay == "early-return-race":
                        self.assertEqual(fault, "early_return_race")
                    else:
                        self.assertIsNone(fault)


def with_component(overlay, namespace):
    """Renders `overlay` plus the prometheus-operator component, the way an
    operator's own kustomization would combine them (docs/operations.md): the
    component's objects are in namespace yz unless that kustomization moves
    them."""
    kustomization = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                     "resources": [], "components": []}
    if namespace != "yz":
        kustomization["namespace"] = namespace
    with tempfile.TemporaryDirectory(prefix="yz-kustomize-") as root:
        kustomization["resources"].append(os.path.relpath(overlay, root))
        kustomization["components"].append(os.path.relpath(COMPONENT, root))
        with open(os.path.join(root, "kustomization.yaml"), "w") as f:
            yaml.safe_dump(kustomization, f)
        return lib.kustomize(root)


class PrometheusOperatorComponentTest(unittest.TestCase):
    def test_base_has_no_crd_objects(self):
        objects = lib.kustomize(lib.deploy_path("kubernetes", "base"))
        self.assertFalse({o["kind"] for o in objects} & (CRD_KINDS | {"Secret"}))

    def test_component_adds_podmonitor_and_rules(self):
        for overlay in lib.overlays():
            name = os.path.basename(overlay)
            namespace = "yz-incident" if name == "early-return-race" else "yz"
            with self.subTest(overlay=name):
                objects = with_component(overlay, namespace)
                plain = lib.kustomize(overlay)
                self.assertEqual(len(objects), len(plain) + 2)
                monitor = find(objects, "PodMonitor", "yz")
                rule = find(objects, "PrometheusRule", "yz")
                for o in (monitor, rule):
                    self.assertEqual(o["metadata"]["namespace"], namespace)
                nodes = find(objects, "StatefulSet", "dht-node")
                self.assertLessEqual(monitor["spec"]["selector"]["matchLabels"].items(),
                                     nodes["spec"]["template"]["metadata"]["labels"].items())
                ports = {p["name"] for p in container(nodes)["ports"]}
                (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
                self.assertIn(endpoint["port"], ports)
                self.assertIn({"sourceLabels": ["__meta_kubernetes_pod_name"], "targetLabel": "name"},
                              endpoint["relabelings"])
                groups = []
                for path in sorted(glob.glob(lib.deploy_path("prometheus", "rules", "*.yml"))):
                    with open(path) as f:
                        groups.extend(yaml.safe_load(f)["groups"])
                self.assertEqual(rule["spec"]["groups"], groups,
                                 "the PrometheusRule differs from deploy/prometheus/rules")

    def test_prometheusrule_matches_its_generator(self):
        generated = subprocess.run([sys.executable, os.path.join(COMPONENT, "generate_prometheusrule.py")],
                                   capture_output=True, text=True, check=True).stdout
        with open(os.path.join(COMPONENT, "prometheusrule.yaml")) as f:
            self.assertEqual(generated, f.read(),
                             "prometheusrule.yaml is stale: run generate_prometheusrule.py > prometheusrule.yaml")


if __name__ == "__main__":
    unittest.main(verbosity=2)
