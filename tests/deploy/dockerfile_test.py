"""deploy/Dockerfile, checked without a container engine: a Debian 12 build
stage that runs scripts/setup, a Debian 12 runtime stage that copies the four
role binaries and yzsim (with its scenarios, for deploy/kubernetes/explore),
runs as a non-root user and has a HEALTHCHECK on /health, and
whose apt-get install provides every shared library the real binaries link
against (ldd on build/bin, each library mapped to its package with dpkg -S).
"""

import os
import re
import shlex
import subprocess
import sys
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402

IMAGE_BINARIES = lib.ROLE_BINARIES + ["yzsim"]


def runtime_packages(instructions):
    packages = set()
    for instruction, argument in instructions:
        if instruction != "RUN":
            continue
        for command in re.split(r"&&|;", argument):
            words = shlex.split(command)
            if words[:2] == ["apt-get", "install"]:
                packages.update(w for w in words[2:] if not w.startswith("-"))
    return packages


def linked_libraries(path):
    result = subprocess.run(["ldd", path], capture_output=True, text=True, check=True)
    libraries = []
    for line in result.stdout.splitlines():
        match = re.match(r"\s*(\S+) => (/\S+)", line)
        if match:
            libraries.append((match.group(1), match.group(2)))
        elif "=> not found" in line:
            raise AssertionError(f"{path}: {line.strip()}")
    return libraries


def candidates(library_path):
    """The path as ldd gives it and resolved, each with and without the
    merged-/usr prefix: dpkg knows a library by the path its package ships."""
    out = []
    for path in (library_path, os.path.realpath(library_path)):
        out += [path, path[len("/usr"):] if path.startswith("/usr/") else "/usr" + path]
    return out


def owning_packages(library_paths):
    """{library path: Debian package}, from one `dpkg -S` call."""
    wanted = sorted({c for p in library_paths for c in candidates(p)})
    result = subprocess.run(["dpkg", "-S"] + wanted, capture_output=True, text=True)
    owner = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        owner[path.strip()] = package.split(":")[0].strip()
    out = {}
    for path in library_paths:
        found = [owner[c] for c in candidates(path) if c in owner]
        if not found:
            raise AssertionError(f"no Debian package ships {path} (dpkg -S)")
        out[path] = found[0]
    return out


class DockerfileTest(unittest.TestCase):
    def setUp(self):
        self.stages = lib.dockerfile_stages()
        self.assertGreaterEqual(len(self.stages), 2, "a multi-stage build")
        self.build = self.stages[0]
        self.runtime = self.stages[-1]

    def test_both_stages_are_debian_12(self):
        self.assertEqual(self.build[0], "debian:12")
        self.assertRegex(self.runtime[0], r"^debian:12(-slim)?$")

    def test_build_stage_uses_scripts_setup_and_builds_the_roles(self):
        runs = " ".join(a for i, a in self.build[2] if i == "RUN")
        self.assertIn("bash scripts/setup", runs)
        for name in IMAGE_BINARIES:
            self.assertIn(name, runs)

    def test_runtime_copies_exactly_the_role_binaries_and_yzsim(self):
        copied = []
        for instruction, argument in self.runtime[2]:
            if instruction == "COPY" and argument.startswith(f"--from={self.build[1]}"):
                copied += [os.path.basename(p) for p in argument.split()[1:-1]]
        self.assertEqual(sorted(copied), sorted(IMAGE_BINARIES))
        copies = [a.split() for i, a in self.runtime[2] if i == "COPY"]
        self.assertIn(["sim/scenarios", lib.IMAGE_SCENARIOS], copies)

    def test_runtime_runs_as_non_root_with_a_healthcheck(self):
        users = [a for i, a in self.runtime[2] if i == "USER"]
        self.assertTrue(users, "no USER in the runtime stage")
        self.assertNotIn(users[-1].split(":")[0], ("root", "0"))
        checks = [a for i, a in self.runtime[2] if i == "HEALTHCHECK"]
        self.assertEqual(len(checks), 1)
        self.assertIn("yz-healthcheck", checks[0])
        copies = " ".join(a for i, a in self.runtime[2] if i == "COPY")
        self.assertIn("deploy/yz-healthcheck", copies)
        self.assertTrue(os.access(lib.deploy_path("yz-healthcheck"), os.X_OK))
        env = lib.image_env()
        self.assertEqual(env["YZ_DATA_DIR"], lib.DATA_DIR)
        self.assertRegex(env["YZ_HTTP"], r"^0\.0\.0\.0:\d+$")
        self.assertRegex(env["YZ_LISTEN"], r"^0\.0\.0\.0:\d+$")

    def test_runtime_packages_provide_every_linked_library(self):
        packages = runtime_packages(self.runtime[2])
        self.assertTrue(packages, "the runtime stage installs no packages")
        libraries = {}
        for name in IMAGE_BINARIES:
            libraries.update(linked_libraries(lib.binary(name)))
        owner = owning_packages(sorted(libraries.values()))
        needed = {}
        for soname, path in libraries.items():
            needed.setdefault(owner[path], set()).add(soname)
        missing = {p: sorted(s) for p, s in needed.items() if p not in packages}
        self.assertFalse(
            missing,
            "the runtime stage's apt-get install lacks "
            + "; ".join(f"{p} (for {', '.join(s)})" for p, s in sorted(missing.items())),
        )
        unneeded = sorted(packages - set(needed))
        self.assertFalse(unneeded, f"runtime packages no binary links against: {unneeded}")
        print(f"{len(needed)} runtime packages cover the libraries of {len(IMAGE_BINARIES)} binaries")

    def test_dockerignore_keeps_the_build_dir_out(self):
        with open(lib.deploy_path("Dockerfile.dockerignore")) as f:
            patterns = f.read().split()
        self.assertIn("build/", patterns)


if __name__ == "__main__":
    unittest.main(verbosity=2)
