import json
DS = {"type": "prometheus", "uid": "${datasource}"}
panels = []
pid = [0]
def nid():
    pid[0] += 1
    return pid[0]
def target(expr, legend, ref, instant=False, fmt=None):
    t = {"datasource": DS, "expr": expr, "legendFormat": legend, "refId": ref}
    if instant:
        t["instant"] = True
        t["range"] = False
    if fmt:
        t["format"] = fmt
    return t
def row(title, y):
    panels.append({"type": "row", "title": title, "id": nid(), "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
def stat(title, desc, expr, x, y, w=6, thresholds=None, unit="short"):
    panels.append({
        "type": "stat", "title": title, "description": desc, "id": nid(), "datasource": DS,
        "gridPos": {"h": 4, "w": w, "x": x, "y": y},
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
        "gridPos": {"h": h, "w": w, "x": x, "y": y},
        "targets": [target(e, l, chr(65 + i)) for i, (e, l) in enumerate(targets)],
        "options": {"legend": {"displayMode": "table", "placement": "right", "calcs": ["lastNotNull"]},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []}})

RED = [{"color": "green", "value": None}, {"color": "red", "value": 1}]
row("The incident's view", 0)
stat("Healthy processes", "Processes whose /health is 200 (yz_healthy = 1).",
     "sum(yz_healthy)", 0, 1)
stat("Unhealthy processes", "Processes whose /health is 503 (yz_healthy = 0). 0 in a correct system.",
     "count(yz_healthy == 0) or vector(0)", 6, 1, thresholds=RED)
stat("Peers missing a handler", "Connected routing-table peers whose link has no DHT listener, summed "
     "over every process. 0 in a correct system; above 0 is the early_return_race signature.",
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
   [("yz_connected_peers", "{{instance}}")], 0, 14)
ts("Routing entries per node", "Entries in the k-buckets (yz_routing_table_size).",
   [("yz_routing_table_size", "{{instance}}")], 12, 14)
ts("Peers missing a handler per node", "yz_peers_missing_handler: connected routing-table peers whose "
   "link has no DHT listener. Any line above 0 is the bug.",
   [("yz_peers_missing_handler", "{{instance}}")], 0, 22, thresholds=RED)
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
   [("rate(yz_find_node_timeouts_total[$__rate_interval])", "{{instance}}")], 12, 39, unit="ops")
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
   [("process_resident_memory_bytes", "{{instance}}")], 0, 65, unit="bytes")
ts("Open file descriptors", "process_open_fds per process.",
   [("process_open_fds", "{{instance}}")], 12, 65)

dash = {
    "uid": "yz", "title": "yz", "description": "The yz DHT network: the 2025-12-03 incident's view "
    "(healthy vs unhealthy nodes, connections, routing entries, dropped frames, find_node, peers "
    "missing a handler). Metrics are described in docs/operations.md.",
    "tags": ["yz", "dht"], "timezone": "utc", "schemaVersion": 39, "version": 1, "editable": True,
    "graphTooltip": 1, "refresh": "10s", "time": {"from": "now-30m", "to": "now"},
    "templating": {"list": [{"name": "datasource", "label": "Prometheus", "type": "datasource",
                             "query": "prometheus", "current": {"text": "Prometheus", "value": "prometheus"},
                             "hide": 0, "refresh": 1, "regex": "", "options": []}]},
    "annotations": {"list": []}, "links": [], "panels": panels,
}
print(json.dumps(dash, indent=2))
