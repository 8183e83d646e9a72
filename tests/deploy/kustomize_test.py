"""Every overlay in deploy/kubernetes/overlays renders with `kubectl
kustomize`, and the rendered objects have the shape the issue asks for: a
namespace; the bootstrap as a Deployment with a Service and a persistent data dir; genesis and the
bridges as StatefulSets of 1 and 2; the DHT nodes as a StatefulSet with a
headless Service and a persistent volume on the data dir; probes on /health;
a PodDisruptionBudget; scrape annotations and a PodMonitor; the size each
overlay names; and, in early-return-race, the fault on every member.
"""

import os
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402

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
                find(objects, "PodMonitor", "yz")

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
                    if overlay == "early-return-race" and name != "bootstrap":
                        self.assertEqual(fault, "early_return_race")
                    else:
                        self.assertIsNone(fault)


if __name__ == "__main__":
    unittest.main(verbosity=2)
