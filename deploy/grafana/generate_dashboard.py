"""Writes deploy/grafana/yz.json (the dashboard "yz") to stdout:

    deploy/grafana/generate_dashboard.py > deploy/grafana/yz.json

Every metric selector in every query gets the dashboard's `job` and
`namespace` variables (SEL below); legends name each process by its `name`
label (yzctl's targets, the Kubernetes pod, compose's service@address)."""
import json
import re
DS = {"type": "prometheus", "uid": "${datasource}"}
# The template variables every query filters on; `.*` (All) also matches a
# series without the label (compose and yzctl have no namespace).
SEL = 'job=~"$job", namespace=~"$namespace"'
_METRIC = re.compile(r'\b((?:yz|process)_[a-z_]+|ALERTS|up|yz:[a-z_:0-9]+)\b(?![(:])(\{([^}]*)\})?')


def q(expr):
    """expr with SEL added to every metric selector."""
    def add(m):
        inner = m.group(3)
        return m.group(1) + "{" + (inner + ", " + SEL if inner else SEL) + "}"
    return _METRIC.sub(add, expr)


panels = []
pid = [0]
def nid():
    pid[0] += 1
    return pid[0]
def target(expr, legend, ref, instant=False, fmt=None):
    t = {"datasource": DS, "expr": q(expr), "legendFormat": legend, "refId": ref}
    if instant:
        t["instant"] = True
        t["range"] = False
    if fmt:
        t["format"] = fmt
    return t
# The alerts row sits on top; the panels below it are laid out from y = 0
# and moved down by Y.
Y = [0]
def row(title, y):
    panels.append({"type": "row", "title": title, "id": nid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y + Y[0]}, "panels": []})
def table(title, desc, expr, x, y, w=24, h=6):
    panels.append({
        "type": "table", "title": title, "description": desc, "id": nid(), "datasource": DS,
        "gridPos": {"h": h, "w": w, "x": x, "y": y + Y[0]},
        "targets": [target(expr, "", "A", instant=True, fmt="table")],
        "options": {"showHeader": True, "footer": {"show": False}},
        "transformations": [{"id": "organize", "options": {
            "excludeByName": {"Time": True, "Value": True, "__name__": True, "alertstate": True},
            "indexByName": {"alertname": 0, "severity": 1, "name": 2, "instance": 3}}}],
        "fieldConfig": {"defaults": {}, "overrides": []}})
def stat(title, desc, expr, x, y, w=6, thresholds=None, unit="short"):
    panels.append({
        "type": "stat", "title": title, "description": desc, "id": nid(), "datasource": DS,
        "gridPos": {"h": 4, "w": w, "x": x, "y": y + Y[0]},
        "targets": [target(expr, "", "A", instant=True)],
        "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                    "colorMode": "background", "graphMode": "none", "textMode": "value"},
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": thresholds or [
            {"color": "green", "value": None}]}}, "overrides": []}})
def ts(title, desc, targets, x, y, w=12, h=8, unit="short", stack=False, thresholds=None, overrides=None):
    defaults = {"unit": unit, "custom": {"drawStyle": "line", "lineWidth": 1, "fillOpacity": 10,
                                         "showPoints": "never",
                                         "stacking": {"mode": "normal" if stack else "none", "group": "A"}}}
    if thresholds:
        defaults["thresholds"] = {"mode": "absolute", "steps": thresholds}
        defaults["custom"]["thresholdsStyle"] = {"mode": "line"}
    panels.append({
        "type": "timeseries", "title": title, "description": desc, "id": nid(), "datasource": DS,
        "gridPos": {"h": h, "w": w, "x": x, "y": y + Y[0]},
        "targets": [target(e, l, chr(65 + i)) for i, (e, l) in enumerate(targets)],
        "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []}})

RED = [{"color": "green", "value": None}, {"color": "red", "value": 1}]
FIRING = 'ALERTS{alertstate="firing", alertname=~"Yz.*"}'
row("Alerts (deploy/prometheus/rules; runbooks in docs/operations.md)", 0)
stat("Firing alerts", "yz alerts firing now (deploy/prometheus/rules/yz-alerts.yml); the table "
     "below names them. 0 in a correct system.",
     f"count({FIRING}) or vector(0)", 0, 1, thresholds=RED)
stat("Isolated DHT members", "Processes whose join state is isolated: past the start-up grace with no "
     "connected peer or an empty routing table (YzDhtNodeIsolated).",
     'sum(yz_state{state="isolated"}) or vector(0)', 6, 1, thresholds=RED)
stat("Frames dropped: no handler (5m)", "DHT frames dropped in the last 5 minutes because their link "
     "had no DHT listener (YzFramesDroppedNoHandler).",
     'sum(increase(yz_dht_messages_dropped_total{reason="no_handler"}[5m])) or vector(0)', 12, 1,
     thresholds=RED)
stat("Processes down", "Targets Prometheus cannot scrape (YzProcessDown).",
     'count(up{job=~".*yz.*"} == 0) or vector(0)', 18, 1, thresholds=RED)
table("Firing alerts", "ALERTS{alertstate=\"firing\"}: each firing yz alert with its severity and "
      "the process it names. The runbook for alert X is docs/operations.md#alert-x (lowercased).",
      FIRING, 0, 5)
ts("Peers missing a DHT handler", "yz_peers_missing_handler per process: peers with an established "
   "link that has no DHT listener, whatever table they sit in (YzPeersMissingDhtHandler). Any line "
   "above 0 is the incident's bug.",
   [("yz_peers_missing_handler", "{{name}}")], 0, 11, w=8, thresholds=RED)
ts("Frames dropped for want of a handler", "DHT frames per second dropped with reason no_handler, "
   "per process (YzFramesDroppedNoHandler).",
   [('rate(yz_dht_messages_dropped_total{reason="no_handler"}[$__rate_interval])', "{{name}}")],
   8, 11, w=8, unit="ops", thresholds=RED)
ts("Processes by join state", "yz_state: how many processes are joining, joined, isolated (past the "
   "start-up grace without peers or routing entries) or degraded (peers missing a handler).",
   [("sum by (state) (yz_state)", "{{state}}")], 16, 11, w=8, stack=True, overrides=[
       {"matcher": {"id": "byName", "options": state},
        "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": color}}]}
       for state, color in (("joined", "green"), ("joining", "blue"), ("isolated", "red"),
                            ("degraded", "orange"))])
Y[0] = 19
row("The incident's view", 0)
stat("Healthy processes", "Processes whose /health is 200 (yz_healthy = 1).",
     "sum(yz_healthy)", 0, 1)
stat("Unhealthy processes", "Processes whose /health is 503 (yz_healthy = 0). 0 in a correct system.",
     "count(yz_healthy == 0) or vector(0)", 6, 1, thresholds=RED)
stat("Peers missing a handler", "Peers with an established link that has no DHT listener, "
     "whatever table they sit in, summed over every process. 0 in a correct system; above 0 is the early_return_race signature.",
     "sum(yz_peers_missing_handler)", 12, 1, thresholds=RED)
stat("Isolated nodes", "Processes with 0 connected peers: the state the incident left 12 of 15 nodes in.",
     "count(yz_connected_peers == 0) or vector(0)", 18, 1, thresholds=RED)
ts("Healthy vs unhealthy processes", "How many processes pass their health rules over time.",
   [("sum(yz_healthy)", "healthy"), ("count(yz_healthy == 0) or vector(0)", "unhealthy")],
   0, 5, stack=True, overrides=[
       {"matcher": {"id": "byName", "options": "healthy"},
        "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": "green"}}]},
       {"matcher": {"id": "byName", "options": "unhealthy"},
        "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}]}])
ts("Healthy by role", "yz_healthy summed per role (the role comes from yz_build_info).",
   [("sum by (role) (yz_healthy * on (instance) group_left (role) yz_build_info)", "{{role}}")],
   12, 5)
row("Per node", 13)
ts("Connections per node", "Peers with an established link (yz_connected_peers).",
   [("yz_connected_peers", "{{name}}")], 0, 14)
ts("Routing entries per node", "Entries in the k-buckets (yz_routing_table_size).",
   [("yz_routing_table_size", "{{name}}")], 12, 14)
ts("Peers missing a handler per node", "yz_peers_missing_handler: peers with an established link "
   "that has no DHT listener, whatever table they sit in. Any line above 0 is the bug.",
   [("yz_peers_missing_handler", "{{name}}")], 0, 22, thresholds=RED)
ts("Links by direction", "Open peer links, inbound (accepted) and outbound (dialled), over all processes.",
   [("sum by (direction) (yz_links)", "{{direction}}")], 12, 22)
row("Frames and lookups", 30)
ts("Dropped frames by reason", "Frames dropped per second, by reason; no_handler means a frame "
   "arrived on a link with no DHT listener.",
   [("sum by (reason) (rate(yz_dht_messages_dropped_total[$__rate_interval]))", "{{reason}}")],
   0, 31, unit="ops")
ts("Frames received by type", "Frames received on peer links per second, by message type.",
   [("sum by (type) (rate(yz_dht_messages_received_total[$__rate_interval]))", "{{type}}")],
   12, 31, unit="ops")
ts("find_node latency", "Duration of complete iterative find_node lookups, over all processes.",
   [("histogram_quantile(0.5, sum by (le) (rate(yz_find_node_duration_seconds_bucket[$__rate_interval])))", "p50"),
    ("histogram_quantile(0.99, sum by (le) (rate(yz_find_node_duration_seconds_bucket[$__rate_interval])))", "p99"),
    ("sum(rate(yz_find_node_duration_seconds_sum[$__rate_interval])) / "
     "sum(rate(yz_find_node_duration_seconds_count[$__rate_interval]))", "mean")],
   0, 39, unit="s")
ts("find_node timeouts", "find_node queries per second that got no answer in time, per process.",
   [("rate(yz_find_node_timeouts_total[$__rate_interval])", "{{name}}")], 12, 39, unit="ops")
row("Onboarding", 47)
ts("Onboardings at the bootstrap", "Onboardings the bootstrap coordinated, by result.",
   [("sum by (result) (increase(yz_onboarding_total[$__rate_interval]))", "{{result}}")], 0, 48)
ts("Onboarding failures and failed health checks", "Newcomers told 'Onboarding failed: findNode "
   "timeout', and health checks that found no connected peer, per second.",
   [("sum(rate(yz_onboarding_failures_total[$__rate_interval]))", "onboarding failures"),
    ("sum(rate(yz_health_check_failures_total[$__rate_interval]))", "failed health checks")],
   12, 48, unit="ops")
ts("Invitations", "Invitations created (helpers) or brokered (bridges), by result.",
   [("sum by (result) (increase(yz_invitations_total[$__rate_interval]))", "{{result}}")], 0, 56)
ts("Refusals", "Bootstrap refusals and handshake rejections, by reason.",
   [("sum by (reason) (increase(yz_bootstrap_refused_total[$__rate_interval]))", "bootstrap: {{reason}}"),
    ("sum by (reason) (increase(yz_handshake_rejected_total[$__rate_interval]))", "handshake: {{reason}}")],
   12, 56)
row("Processes", 64)
ts("Resident memory", "process_resident_memory_bytes per process.",
   [("process_resident_memory_bytes", "{{name}}")], 0, 65, unit="bytes")
ts("Open file descriptors", "process_open_fds per process.",
   [("process_open_fds", "{{name}}")], 12, 65)
row("Diagnosis: lookups, onboarding, links, the bootstrap", 73)
ts("find_node timeout ratio", "Share of the find_node queries each process sent that got no answer in "
   "time (yz_find_node_timeouts_total / yz_find_node_queries_total; YzFindNodeTimeoutRatioHigh above 25%).",
   [("rate(yz_find_node_timeouts_total[$__rate_interval]) / rate(yz_find_node_queries_total[$__rate_interval])",
     "{{name}}")], 0, 74, unit="percentunit")
ts("Onboarding duration", "p50 and p99 of onboarding attempts by result: at the bootstrap (request to "
   "outcome) and at newcomers (asking the bootstrap to the introduction or the failure).",
   [(f"histogram_quantile({p}, sum by (le, role, result) (rate(yz_onboarding_duration_seconds_bucket"
     "[$__rate_interval]) * on (job, instance) group_left (role) yz_build_info))",
     f"p{int(p * 100)} {{{{role}}}} {{{{result}}}}") for p in (0.5, 0.99)],
   12, 74, unit="s")
ts("Ping round trip", "p50 and p99 of ping to pong on peer links, over all members.",
   [(f"histogram_quantile({p}, sum by (le) (rate(yz_ping_rtt_seconds_bucket[$__rate_interval])))",
     f"p{int(p * 100)}") for p in (0.5, 0.99)], 0, 82, unit="s")
ts("Emergency peer discovery", "Emergency peer discovery runs per second, by trigger (zero_connections: "
   "the incident's isolated nodes; few_connections).",
   [("sum by (trigger) (rate(yz_emergency_discovery_total[$__rate_interval]))", "{{trigger}}")],
   12, 82, unit="ops")
ts("Consecutive failed health checks", "yz_health_consecutive_failures per process (YzHealthChecksFailing "
   "at 3; /health turns 503 at 10).",
   [("yz_health_consecutive_failures", "{{name}}")], 0, 90, thresholds=[
       {"color": "green", "value": None}, {"color": "orange", "value": 3}, {"color": "red", "value": 10}])
ts("Members without a bootstrap link", "DHT members not holding a handshaken link to the bootstrap "
   "(yz_bootstrap_connected = 0).",
   [("count(yz_bootstrap_connected == 0) or vector(0)", "without a bootstrap link")], 12, 90)
ts("Bootstrap: members and bridges", "Members and bridges currently registered at the bootstrap.",
   [("yz_bootstrap_members", "members ({{name}})"), ("yz_bootstrap_bridges", "bridges ({{name}})")],
   0, 98)
ts("Bootstrap: bridge timeouts", "Onboarding requests a bridge did not answer within the per-bridge "
   "timeout, by bridge.",
   [("sum by (bridge) (increase(yz_bootstrap_bridge_timeouts_total[$__rate_interval]))", "{{bridge}}")],
   12, 98)
ts("Links closed by reason", "Peer links closed per second, by reason, over all members.",
   [("sum by (reason) (rate(yz_links_closed_total[$__rate_interval]))", "{{reason}}")], 0, 106, unit="ops")

def variable(name, label, query):
    """A query variable, multi-valued; All is `.*`, which also matches series
    without the label (compose and yzctl targets have no namespace)."""
    return {"name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": query, "refId": name}, "definition": query, "refresh": 2,
            "includeAll": True, "multi": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "hide": 0, "regex": "", "sort": 1, "options": []}


dash = {
    "uid": "yz", "title": "yz", "description": "The yz DHT network: the 2025-12-03 incident's view "
    "(healthy vs unhealthy nodes, connections, routing entries, dropped frames, find_node, peers "
    "missing a handler). Metrics are described in docs/operations.md.",
    "tags": ["yz", "dht"], "timezone": "utc", "schemaVersion": 39, "version": 1, "editable": True,
    "graphTooltip": 1, "refresh": "10s", "time": {"from": "now-30m", "to": "now"},
    "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                             "query": "prometheus", "current": {"text": "Prometheus", "value": "prometheus"},
                             "hide": 0, "refresh": 1, "regex": "", "options": []},
                            variable("job", "Job", "label_values(yz_build_info, job)"),
                            variable("namespace", "Namespace",
                                     'label_values(yz_build_info{job=~"$job"}, namespace)')]},
    "annotations": {"list": [{
        "name": "Firing alerts", "datasource": DS, "enable": True, "iconColor": "red",
        "expr": q(FIRING), "step": "30s", "titleFormat": "{{alertname}}",
        "textFormat": "{{severity}}: {{name}} ({{instance}})", "tagKeys": "alertname,severity",
        "useValueForTime": False}]},
    "links": [], "panels": panels,
}
print(json.dumps(dash, indent=2))
