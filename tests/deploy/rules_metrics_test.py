"""deploy/prometheus/rules against the code and the docs: every metric name a
rule uses is one roles/ defines (read from the source tree, so issue 12's new
metrics count as soon as the metrics branch lands; until then they are
accepted from the contract's list, deploy_lib.ISSUE_12_METRICS), a recording
rule of these files, or one of Prometheus's own; the contract's alerts are
all there with severity, summary and description naming the process, and a
runbook_url whose anchor is a section of docs/operations.md; every alert
fires in a promtool test of tests/incident.yml (the isolation-cause alerts of issue 14 in
tests/isolation_causes.yml, whose series the capture predates) and is checked
silent in tests/healthy.yml.
"""

import os
import re
import sys
import unittest

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy_lib as lib  # noqa: E402
from dashboard_metrics_test import metric_names  # noqa: E402

CONTRACT_ALERTS = {
    "YzPeersMissingDhtHandler": "critical", "YzFramesDroppedNoHandler": "critical",
    "YzDhtNodeIsolated": "critical", "YzOnboardingFailureRatioHigh": "warning",
    "YzFindNodeTimeoutRatioHigh": "warning", "YzHealthChecksFailing": "warning",
    "YzProcessDown": "critical",
}
NAME = "{{ if $labels.name }}{{ $labels.name }}{{ else }}{{ $labels.instance }}{{ end }}"


def github_anchor(heading):
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


class RulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rules = [r for g in lib.rule_groups() for r in g["rules"]]
        cls.alerts = {r["alert"]: r for r in cls.rules if "alert" in r}

    def test_every_metric_is_defined(self):
        source = lib.source_metric_names()
        pending = lib.pending_metric_names()
        known = lib.PROMETHEUS_NAMES | lib.recorded_names()
        used = set()
        for rule in self.rules:
            for name in metric_names(rule["expr"]):
                used.add(name)
                if name in known or name in pending:
                    continue
                self.assertIsNotNone(lib.family_of(name, source),
                                     f"{rule.get('alert') or rule.get('record')} uses {name}, "
                                     "which roles/ does not define")
        print(f"{len(self.rules)} rules use {len(used)} names; not in roles/ yet "
              f"(issue 12's metrics branch): {sorted(used & pending) or 'none'}")

    def test_contract_alerts(self):
        self.assertLessEqual(set(CONTRACT_ALERTS), set(self.alerts))
        self.assertEqual(self.alerts["YzPeersMissingDhtHandler"]["expr"].strip(),
                         "yz_peers_missing_handler > 0")
        self.assertEqual(self.alerts["YzPeersMissingDhtHandler"]["for"], "1m")
        self.assertEqual(self.alerts["YzDhtNodeIsolated"]["for"], "1m")
        self.assertIn('yz_state{state="isolated"} == 1', self.alerts["YzDhtNodeIsolated"]["expr"])
        for name, severity in CONTRACT_ALERTS.items():
            self.assertEqual(self.alerts[name]["labels"]["severity"], severity, name)

    def test_annotations_and_runbooks(self):
        with open(os.path.join(lib.SOURCE_DIR, "docs", "operations.md")) as f:
            anchors = {github_anchor(m) for m in re.findall(r"^#+ (.*)$", f.read(), re.M)}
        for name, rule in self.alerts.items():
            with self.subTest(alert=name):
                self.assertIn(rule["labels"]["severity"], ("critical", "warning", "info"))
                annotations = rule["annotations"]
                for key in ("summary", "description"):
                    self.assertIn(NAME, annotations[key])
                url = annotations["runbook_url"]
                self.assertEqual(url, "docs/operations.md#alert-" + name.lower())
                self.assertIn(url.split("#")[1], anchors, f"{url}: no such section")

    def test_every_alert_has_incident_and_healthy_tests(self):
        tests_dir = lib.deploy_path("prometheus", "rules", "tests")
        fired, silent = set(), set()
        for name in sorted(os.listdir(tests_dir)):
            if not name.endswith(".yml"):
                continue
            with open(os.path.join(tests_dir, name)) as f:
                doc = yaml.safe_load(f)
            for test in doc["tests"]:
                for case in test.get("alert_rule_test", []):
                    if case.get("exp_alerts"):
                        if name in ("incident.yml", "isolation_causes.yml"):
                            fired.add(case["alertname"])
                    elif name == "healthy.yml":
                        silent.add(case["alertname"])
        self.assertEqual(fired, set(self.alerts), "alerts without an incident test that fires them")
        self.assertEqual(silent, set(self.alerts), "alerts not checked silent on the healthy series")

    def test_isolation_causes_are_told_apart(self):
        # Issue 14: each cause's alert fires on its own series and is checked
        # silent on the other's.
        with open(lib.deploy_path("prometheus", "rules", "tests", "isolation_causes.yml")) as f:
            doc = yaml.safe_load(f)
        outcome = {}
        for test in doc["tests"]:
            for case in test["alert_rule_test"]:
                outcome[(test["name"], case["alertname"])] = bool(case.get("exp_alerts"))
        drops, slow = ("isolated because peers drop our frames",
                       "isolated because the network is slow")
        self.assertTrue(outcome[(drops, "YzDhtNodeIsolatedPeersDropFrames")])
        self.assertFalse(outcome[(drops, "YzDhtNodeIsolatedNetworkSlow")])
        self.assertFalse(outcome[(drops, "YzAnswersArriveLate")])
        self.assertTrue(outcome[(slow, "YzDhtNodeIsolatedNetworkSlow")])
        self.assertTrue(outcome[(slow, "YzAnswersArriveLate")])
        self.assertFalse(outcome[(slow, "YzDhtNodeIsolatedPeersDropFrames")])
        self.assertFalse(outcome[(slow, "YzFramesDroppedNoHandler")])


if __name__ == "__main__":
    unittest.main(verbosity=2)
