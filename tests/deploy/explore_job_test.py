"""deploy/kubernetes/explore renders with `kubectl kustomize` into an Indexed
Job of yzsim shards and a suspended merge Job sharing a ReadWriteMany
volume, and its commands work: the rendered shard command, run for every
completion index as the kubelet would build it (env expanded, the volume and
the image's scenario directory mapped to temporary and source directories),
and then the rendered merge command, give the single-machine result of the
same exploration, with the same saved traces, on a small exploration.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402

EXPLORE = lib.deploy_path("kubernetes", "explore")
INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
_K8S_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")
# The small exploration the commands are run on: 3 shards of 24 runs, with
# faults on so that there are failures and traces to save.
SMALL = {"SCENARIO": "race-5", "RUNS": "24", "SHARDS": "3", "JOBS": "1"}


def find(objects, kind, name):
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}"
    return matches[0]


def only_container(job):
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return container


def with_env(container, values):
    """The container with some env values replaced (as a kustomize patch would)."""
    env = []
    for item in container["env"]:
        if item["name"] in values:
            item = {"name": item["name"], "value": values[item["name"]]}
        env.append(item)
    return dict(container, env=env)


def expand(words, env):
    """$(VAR) in command and args, as the kubelet expands them."""
    return [_K8S_REF.sub(lambda m: env.get(m.group(1), m.group(0)), w) for w in words]


def without_wall_time(text):
    return re.sub(r'"jobs":\d+|"wall_seconds":[-0-9.e+]+|"runs_per_second":[-0-9.e+]+', "", text)


def files_in(directory):
    out = {}
    for name in sorted(os.listdir(directory)):
        with open(os.path.join(directory, name), "rb") as f:
            out[name] = f.read()
    return out


class ExploreJobTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.objects = lib.kustomize(EXPLORE)
        cls.explore = find(cls.objects, "Job", "yzsim-explore")
        cls.merge = find(cls.objects, "Job", "yzsim-merge")

    def test_shape(self):
        find(self.objects, "Namespace", "yz-explore")
        for o in self.objects:
            if o["kind"] != "Namespace":
                self.assertEqual(o["metadata"].get("namespace"), "yz-explore", o["metadata"]["name"])
        self.assertEqual(sorted(o["kind"] for o in self.objects),
                         ["Job", "Job", "Namespace", "PersistentVolumeClaim"])
        claim = find(self.objects, "PersistentVolumeClaim", "explore-results")
        self.assertEqual(claim["spec"]["accessModes"], ["ReadWriteMany"])

        spec = self.explore["spec"]
        self.assertEqual(spec["completionMode"], "Indexed")
        env = {e["name"]: e for e in only_container(self.explore)["env"]}
        self.assertEqual(spec["completions"], int(env["SHARDS"]["value"]),
                         "the Job's completions and SHARDS must agree")
        self.assertLessEqual(spec["parallelism"], spec["completions"])
        self.assertEqual(env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"],
                         f"metadata.annotations['{INDEX_ANNOTATION}']")
        args = only_container(self.explore)["args"]
        self.assertEqual(only_container(self.explore)["command"], ["yzsim"])
        self.assertEqual(args[0], "explore")
        self.assertIn("$(JOB_COMPLETION_INDEX)/$(SHARDS)", args)
        self.assertNotIn("suspend", spec)
        self.assertTrue(self.merge["spec"]["suspend"], "the merge waits to be resumed")

        for job in (self.explore, self.merge):
            pod = job["spec"]["template"]["spec"]
            self.assertEqual(pod["restartPolicy"], "Never")
            self.assertTrue(pod["securityContext"]["runAsNonRoot"])
            (volume,) = pod["volumes"]
            self.assertEqual(volume["persistentVolumeClaim"]["claimName"], "explore-results")
            (mount,) = only_container(job)["volumeMounts"]
            self.assertEqual(mount["mountPath"], "/results")

    def test_shards_and_merge_give_the_single_run(self):
        yzsim = lib.binary("yzsim")
        root = tempfile.mkdtemp(prefix="yz-explore-job-")
        try:
            results = os.path.join(root, "results")
            os.makedirs(results)

            def local(word):
                # The pod's paths in their stand-ins on this machine.
                word = word.replace("/results", results)
                return word.replace(lib.IMAGE_SCENARIOS, os.path.join(lib.SOURCE_DIR, "sim", "scenarios"))

            container = with_env(only_container(self.explore), SMALL)
            shards = int(SMALL["SHARDS"])
            for index in range(shards):
                env = lib.k8s_env(container, f"yzsim-explore-{index}",
                                  annotations={INDEX_ANNOTATION: str(index)})
                argv = [local(w) for w in expand(container["command"] + container["args"], env)]
                self.assertEqual(argv[0], "yzsim")
                self.assertIn(f"{index}/{shards}", argv)
                result = subprocess.run([yzsim] + argv[1:] + ["--fault", "early_return_race"],
                                        capture_output=True, text=True, timeout=120, cwd=root)
                self.assertEqual(result.returncode, 0, result.stderr)

            merge = only_container(self.merge)
            self.assertEqual(merge["command"][:2], ["/bin/sh", "-c"])
            (script,) = merge["args"]
            env = lib.clean_env({})
            env["PATH"] = os.path.dirname(yzsim) + os.pathsep + env["PATH"]
            result = subprocess.run(["/bin/sh", "-c", local(script)], env=env, capture_output=True,
                                    text=True, timeout=120, cwd=root)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(os.path.join(results, "merged.json")) as f:
                merged = f.read()
            self.assertEqual(result.stdout, merged)

            # The same exploration on one machine, in one process.
            env = lib.k8s_env(container, "single", annotations={INDEX_ANNOTATION: "0"})
            argv = [local(w) for w in expand(container["command"] + container["args"], env)]
            cut = argv.index("--shard")
            single_dir = os.path.join(root, "single")
            single = subprocess.run([yzsim] + argv[1:cut] + ["--fault", "early_return_race", "--json",
                                                             "--save", single_dir],
                                    capture_output=True, text=True, timeout=120, cwd=root)
            self.assertEqual(single.returncode, 0, single.stderr)
            self.assertEqual(without_wall_time(merged), without_wall_time(single.stdout))
            traces = files_in(single_dir)
            self.assertTrue(traces, "the small exploration saved no trace: nothing was compared")
            self.assertEqual(files_in(os.path.join(results, "traces")), traces)
            print(f"{shards} shards merged = one run: {len(traces)} traces, {merged.strip()[:120]}...")
        finally:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
