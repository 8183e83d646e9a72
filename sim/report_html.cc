#include "sim/report_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "roles/json/json.h"
#include "sim/report.h"

namespace yz::sim {
namespace {

// Coordinates with one decimal: short, and the same bytes for the same run.
std::string num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

std::string seconds(std::int64_t ns, int decimals = 3) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.*f s", decimals, static_cast<double>(ns) / 1e9);
  return buffer;
}

std::string hex64(std::uint64_t v) {
  char buffer[20];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

const char* state_class(bool running, bool healthy) {
  return !running ? "not-started" : healthy ? "healthy" : "unhealthy";
}

// Virtual-time axis ticks: about ten, at 1, 2 or 5 times a power of ten seconds.
std::int64_t tick_step(std::int64_t duration) {
  const double target = static_cast<double>(duration) / 10.0;
  double step = 1e6;  // 1 ms
  for (;;) {
    for (double m : {1.0, 2.0, 5.0})
      if (step * m >= target) return static_cast<std::int64_t>(step * m);
    step *= 10;
  }
}

constexpr const char* kStyle = R"CSS(
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 16px 24px; color: #1d2330; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 6px; border-bottom: 1px solid #d8dde6; padding-bottom: 2px; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; }
#summary dl { display: grid; grid-template-columns: max-content auto; gap: 2px 12px; margin: 8px 0; }
#summary dt { color: #5a6475; }
#summary dd { margin: 0; }
.bad { color: #b3261e; font-weight: 600; }
.good { color: #1b7f3b; font-weight: 600; }
.legend span { display: inline-block; margin-right: 14px; }
.sw { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: -1px; border-radius: 2px; }
svg text { font-family: inherit; font-size: 11px; fill: #1d2330; }
.seg.healthy, .sw.healthy { fill: #8fd19e; background: #8fd19e; }
.seg.unhealthy, .sw.unhealthy { fill: #f28b82; background: #f28b82; }
.seg.not-started, .sw.not-started { fill: #e4e7ec; background: #e4e7ec; }
.lane .conn { fill: none; stroke: #1d3f72; stroke-width: 1; }
.lane .count { font-size: 10px; fill: #1d3f72; }
.lane:hover .label { font-weight: 700; }
.axis line { stroke: #c4cad4; }
.axis text { fill: #5a6475; font-size: 10px; }
.violation-marker { stroke: #b3261e; stroke-width: 1.5; stroke-dasharray: 4 3; }
.violation-dot { fill: #b3261e; }
#cursor { stroke: #3a6ff7; stroke-width: 1.5; }
#graph-controls { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 6px 0; }
#moment { width: 420px; }
.node circle { stroke: #1d2330; stroke-width: 1; }
.node.healthy circle { fill: #8fd19e; }
.node.unhealthy circle { fill: #f28b82; }
.node.not-started circle { fill: #e4e7ec; }
.node.violating circle { stroke: #b3261e; stroke-width: 3; }
.node text.role { font-size: 9px; text-anchor: middle; dominant-baseline: central; }
.edge line { stroke-width: 1.6; }
.edge .half.ok { stroke: #4a6785; }
.edge .half.no-listener { stroke: #d93025; stroke-dasharray: 5 3; stroke-width: 2.4; }
.edge .half.absent { stroke: #b8c0cc; stroke-dasharray: 1 3; }
.edge.control line { stroke: #c4cad4; stroke-dasharray: 2 4; stroke-width: 1; }
#sequence .lifeline { stroke: #c4cad4; }
#sequence .participant rect { fill: #eef1f6; stroke: #8a94a6; }
#sequence .participant.focus rect { fill: #fde7e5; stroke: #b3261e; }
#sequence .participant text { text-anchor: middle; font-weight: 600; }
.msg line { stroke: #4a6785; stroke-width: 1.2; }
.msg text { font-size: 10px; }
.msg.dropped line { stroke: #d93025; stroke-width: 2; stroke-dasharray: 5 3; }
.msg.dropped text { fill: #b3261e; font-weight: 700; }
.msg.discarded line { stroke: #b8c0cc; }
.msg .when { fill: #5a6475; }
.note text { font-size: 10px; font-style: italic; fill: #5a6475; }
.note.no-listener text { fill: #b3261e; font-weight: 600; }
#violation-line line { stroke: #b3261e; stroke-width: 1.5; stroke-dasharray: 6 3; }
#violation-line text { fill: #b3261e; font-weight: 700; }
.none { color: #5a6475; font-style: italic; }
)CSS";

// The link graph's script: rebuilds edges and node colours for the step the
// slider or the list picks, from the embedded link events and health samples.
constexpr const char* kScript = R"JS(
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('run-data').textContent);
  const NS = 'http://www.w3.org/2000/svg';
  const slider = document.getElementById('moment');
  const list = document.getElementById('moments');
  const label = document.getElementById('graph-time');
  const stats = document.getElementById('graph-stats');
  const edges = document.getElementById('edges');
  const cursor = document.getElementById('cursor');
  const secs = (ns) => (ns / 1e9).toFixed(3) + ' s';

  // Every step at which the picture can change, in order.
  const stepSet = new Set([0, D.end_step]);
  const timeOf = new Map([[0, 0], [D.end_step, D.duration_ns]]);
  for (const e of D.links) { stepSet.add(e[0]); timeOf.set(e[0], e[1]); }
  for (const h of D.health) { stepSet.add(h[0]); timeOf.set(h[0], h[1]); }
  for (const v of D.violations) { stepSet.add(v[0]); timeOf.set(v[0], v[1]); }
  const steps = Array.from(stepSet).sort((a, b) => a - b);
  slider.min = 0;
  slider.max = steps.length - 1;

  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function draw(step) {
    // Link ends and process states after `step`.
    const ends = new Map();
    for (const e of D.links) {
      if (e[0] > step) break;
      const key = e[2] + ':' + e[4];
      if (e[5] === 2) ends.delete(key); else ends.set(key, { p: e[2], peer: e[3], lis: e[6] === 1 });
    }
    const state = D.names.map(() => null);
    for (const h of D.health) {
      if (h[0] > step) break;
      state[h[2]] = h;
    }
    const pairs = new Map();
    for (const end of ends.values()) {
      if (end.peer < 0) continue;
      const a = Math.min(end.p, end.peer), b = Math.max(end.p, end.peer);
      const key = a + '-' + b;
      if (!pairs.has(key)) pairs.set(key, { a: a, b: b, ends: new Map() });
      pairs.get(key).ends.set(end.p, end);
    }
    while (edges.firstChild) edges.removeChild(edges.firstChild);
    if (D.bootstrap >= 0) {
      state.forEach((h, i) => {
        if (!h || !h[5] || i === D.bootstrap) return;
        const g = el('g', { 'class': 'edge control', 'data-a': D.names[i], 'data-b': D.names[D.bootstrap] });
        g.appendChild(el('line', { x1: D.pos[i][0], y1: D.pos[i][1], x2: D.pos[D.bootstrap][0], y2: D.pos[D.bootstrap][1] }));
        g.appendChild(el('title', {}, D.names[i] + ' \u2194 ' + D.names[D.bootstrap] + ': coordination link'));
        edges.appendChild(g);
      });
    }
    let total = 0, deaf = 0;
    const keys = Array.from(pairs.keys()).sort();
    for (const key of keys) {
      const pair = pairs.get(key);
      const pa = D.pos[pair.a], pb = D.pos[pair.b];
      const mid = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2];
      let missing = false;
      const words = [];
      const half = (p, from) => {
        const end = pair.ends.get(p);
        let cls = 'absent';
        if (end) { cls = end.lis ? 'ok' : 'no-listener'; if (!end.lis) missing = true; }
        words.push(D.names[p] + (end ? (end.lis ? ': DHT listener' : ': NO DHT listener') : ': no link'));
        return el('line', { 'class': 'half ' + cls, x1: from[0], y1: from[1], x2: mid[0], y2: mid[1] });
      };
      const la = half(pair.a, pa), lb = half(pair.b, pb);
      const g = el('g', { 'class': 'edge' + (missing ? ' no-listener' : ''),
                          'data-a': D.names[pair.a], 'data-b': D.names[pair.b] });
      g.appendChild(la);
      g.appendChild(lb);
      g.appendChild(el('title', {}, words.join('; ')));
      edges.appendChild(g);
      ++total;
      if (missing) ++deaf;
    }
    D.names.forEach((name, i) => {
      const node = document.getElementById('node-' + i);
      const h = state[i];
      const cls = !h || !h[3] ? 'not-started' : h[4] ? 'healthy' : 'unhealthy';
      node.setAttribute('class', 'node ' + cls + (D.violating.includes(i) && h && D.violations.some((v) => v[2] === i && v[0] <= step) ? ' violating' : ''));
    });
    const t = timeOf.has(step) ? timeOf.get(step) : 0;
    label.textContent = 't = ' + secs(t) + ' (step ' + step + ')';
    stats.textContent = total + ' peer links, ' + deaf + ' with an end that has no DHT listener';
    const x = D.x0 + (D.duration_ns > 0 ? t / D.duration_ns : 0) * D.w;
    cursor.setAttribute('x1', x);
    cursor.setAttribute('x2', x);
    document.getElementById('link-graph').setAttribute('data-step', step);
  }

  function pick(step) {
    let i = steps.findIndex((s) => s >= step);
    if (i < 0) i = steps.length - 1;
    slider.value = i;
    draw(steps[i]);
  }
  slider.addEventListener('input', () => draw(steps[Number(slider.value)]));
  list.addEventListener('change', () => pick(Number(list.value)));
  // report.html#step=N opens at step N (a link to a moment); otherwise the
  // first violation, or the end of a run without one.
  const wanted = /step=(\d+)/.exec(window.location.hash);
  pick(wanted ? Number(wanted[1]) : D.default_step);
})();
)JS";

// A record `yzctl up --scenario --record` or `yzctl record` wrote from real
// processes: no trace hash, steps that are rounds of /status, no frames.
struct RealRun {
  double time_scale = 1;
  std::int64_t sample_rounds = 0;
};
std::optional<RealRun> real_run(const RunRecord& record) {
  if (record.result_json.empty()) return std::nullopt;
  const auto result = json::parse(record.result_json);
  if (!result || result->string_at("source") != "real") return std::nullopt;
  return RealRun{result->double_at("time_scale", 1.0), result->int_at("sample_rounds")};
}

void summary(std::ostringstream& out, const RunRecord& record) {
  const RunResult& r = record.result;
  const Timeline& t = record.timeline;
  const std::optional<RealRun> real = real_run(record);
  std::uint64_t dropped = 0;
  for (const auto& f : t.frames) dropped += f.fate == Timeline::Fate::kDroppedNoHandler;
  // Real processes report their own count; the frames themselves are not seen.
  if (real)
    for (const auto& node : r.nodes) dropped += node.dropped_no_handler;
  std::string faults;
  for (std::size_t i = 0; i < r.faults.size(); ++i) faults += (i ? ", " : "") + r.faults[i];
  out << "<header id=\"summary\"><h1>" << (real ? "real processes" : "yzsim run") << ": "
      << html_escape(r.scenario) << "</h1><dl>"
      << "<dt>seed</dt><dd class=\"mono\">" << r.seed << "</dd>"
      << "<dt>faults</dt><dd class=\"mono\">" << html_escape(faults.empty() ? "none" : faults)
      << "</dd>";
  if (real) {
    out << "<dt>recorded</dt><dd>" << real->sample_rounds << " rounds of /status over "
        << seconds(t.duration_ns, 0) << " of scenario time (time scale "
        << json::number(real->time_scale) << "); frames not observed</dd>";
  } else {
    out << "<dt>trace hash</dt><dd class=\"mono\">" << hex64(r.trace_hash) << "</dd>"
        << "<dt>events</dt><dd>" << r.events << " steps over " << seconds(t.duration_ns, 0)
        << " of virtual time, " << t.frames.size() << " frames delivered</dd>";
  }
  out << "<dt>health at the end</dt><dd><span class=\"" << (r.summary.unhealthy ? "bad" : "good")
      << "\">" << r.summary.healthy << " healthy, " << r.summary.unhealthy
      << " unhealthy</span></dd>"
      << "<dt>frames dropped, no DHT listener</dt><dd class=\"" << (dropped ? "bad" : "good")
      << "\">" << dropped << "</dd>";
  if (r.value_checks.any()) {
    const ValueCheckResult& v = r.value_checks;
    out << "<dt>value checks</dt><dd id=\"value-checks\"><span class=\""
        << (v.values_lost + v.gets_failed > 0 ? "bad" : "good") << "\">"
        << html_escape(value_checks_text(v)) << "</span></dd>";
  }
  out << "<dt>invariants</dt><dd>";
  if (t.violations.empty()) {
    out << "<span class=\"good\">none violated</span>";
  } else {
    // The first of each kind per process can be one per process: the first
    // dozen say enough; the swimlanes mark them all.
    constexpr std::size_t kListed = 12;
    out << "<ul id=\"violations\">";
    for (std::size_t i = 0; i < t.violations.size() && i < kListed; ++i) {
      const auto& v = t.violations[i];
      out << "<li class=\"violation\"><span class=\"bad\">" << html_escape(v.invariant)
          << "</span> first broke on <b>"
          << html_escape(v.process >= 0 ? t.processes[v.process].name : "?") << "</b> at step "
          << v.step << " (t = " << seconds(v.t_ns, 6) << ")</li>";
    }
    if (t.violations.size() > kListed)
      out << "<li>and " << t.violations.size() - kListed
          << " more (red dots in the swimlanes)</li>";
    out << "</ul>";
  }
  out << "</dd></dl></header>\n";
}

constexpr double kLabelW = 130, kPlotW = 900, kLaneH = 20, kLaneGap = 4, kAxisH = 26;

void swimlanes(std::ostringstream& out, const Timeline& t) {
  const std::size_t n = t.processes.size();
  const double width = kLabelW + kPlotW + 70;
  const double height = kAxisH + static_cast<double>(n) * (kLaneH + kLaneGap) + 8;
  const double duration = static_cast<double>(std::max<std::int64_t>(t.duration_ns, 1));
  const auto x = [&](std::int64_t ns) {
    return kLabelW + static_cast<double>(ns) / duration * kPlotW;
  };
  std::uint64_t max_conn = 1;
  for (const auto& h : t.health) max_conn = std::max(max_conn, h.connected_peers);

  out << "<section id=\"swimlanes\"><h2>Health over virtual time</h2>"
      << "<p class=\"legend\"><span><i class=\"sw healthy\"></i>healthy</span>"
      << "<span><i class=\"sw unhealthy\"></i>unhealthy</span>"
      << "<span><i class=\"sw not-started\"></i>not started</span>"
      << "<span>line: connected peers (0.." << max_conn << "; the number at the right is the "
      << "count at the end)</span><span>red dashes: first violation</span>"
      << "<span>blue: the moment the link graph shows</span></p>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\">\n";
  // Axis.
  out << "<g class=\"axis\">";
  const std::int64_t step = tick_step(t.duration_ns);
  for (std::int64_t tick = 0; tick <= t.duration_ns; tick += step)
    out << "<line x1=\"" << num(x(tick)) << "\" y1=\"" << num(kAxisH - 6) << "\" x2=\""
        << num(x(tick)) << "\" y2=\"" << num(height - 4) << "\"/><text x=\"" << num(x(tick))
        << "\" y=\"" << num(kAxisH - 10) << "\" text-anchor=\"middle\">"
        << seconds(tick, step % 1'000'000'000 == 0 ? 0 : 3) << "</text>";
  out << "</g>\n";

  std::vector<std::vector<const Timeline::HealthSample*>> by_process(n);
  for (const auto& h : t.health) by_process[h.process].push_back(&h);
  for (std::size_t p = 0; p < n; ++p) {
    const double top = kAxisH + static_cast<double>(p) * (kLaneH + kLaneGap);
    const auto& samples = by_process[p];
    out << "<g class=\"lane\" id=\"lane-" << p << "\" data-process=\""
        << html_escape(t.processes[p].name) << "\" data-role=\"" << html_escape(t.processes[p].role)
        << "\">";
    out << "<text class=\"label\" x=\"4\" y=\"" << num(top + kLaneH / 2 + 4) << "\">"
        << html_escape(t.processes[p].name) << "</text>";
    // Stretches of one state, merged.
    for (std::size_t i = 0; i < samples.size();) {
      std::size_t j = i + 1;
      while (j < samples.size() && samples[j]->running == samples[i]->running &&
             samples[j]->healthy == samples[i]->healthy)
        ++j;
      const std::int64_t from = samples[i]->t_ns;
      const std::int64_t until = j < samples.size() ? samples[j]->t_ns : t.duration_ns;
      const char* cls = state_class(samples[i]->running, samples[i]->healthy);
      out << "<rect class=\"seg " << cls << "\" x=\"" << num(x(from)) << "\" y=\"" << num(top)
          << "\" width=\"" << num(std::max(x(until) - x(from), 0.0)) << "\" height=\""
          << num(kLaneH) << "\"><title>" << html_escape(t.processes[p].name) << ": " << cls
          << " from " << seconds(from) << " to " << seconds(until) << "</title></rect>";
      i = j;
    }
    // Connected peers, a step line.
    if (!samples.empty()) {
      const auto y = [&](std::uint64_t c) {
        return top + kLaneH - 2 -
               static_cast<double>(c) / static_cast<double>(max_conn) * (kLaneH - 4);
      };
      out << "<polyline class=\"conn\" points=\"";
      double last_y = y(samples.front()->connected_peers);
      out << num(x(samples.front()->t_ns)) << "," << num(last_y);
      for (const auto* s : samples) {
        const double ny = y(s->connected_peers);
        if (ny == last_y) continue;
        out << " " << num(x(s->t_ns)) << "," << num(last_y) << " " << num(x(s->t_ns)) << ","
            << num(ny);
        last_y = ny;
      }
      out << " " << num(x(t.duration_ns)) << "," << num(last_y) << "\"/>";
      out << "<text class=\"count\" x=\"" << num(kLabelW + kPlotW + 6) << "\" y=\""
          << num(top + kLaneH / 2 + 4) << "\">" << samples.back()->connected_peers
          << " conn</text>";
    }
    for (const auto& v : t.violations)
      if (v.process == static_cast<int>(p))
        out << "<circle class=\"violation-dot\" cx=\"" << num(x(v.t_ns)) << "\" cy=\""
            << num(top + kLaneH / 2) << "\" r=\"4\"><title>" << html_escape(v.invariant)
            << " broke at step " << v.step << " (t = " << seconds(v.t_ns, 6)
            << ")</title></circle>";
    out << "</g>\n";
  }
  if (!t.violations.empty()) {
    const double vx = x(t.violations.front().t_ns);
    out << "<line class=\"violation-marker\" x1=\"" << num(vx) << "\" y1=\"" << num(kAxisH - 6)
        << "\" x2=\"" << num(vx) << "\" y2=\"" << num(height - 4) << "\"/>";
  }
  out << "<line id=\"cursor\" x1=\"" << num(kLabelW) << "\" y1=\"" << num(kAxisH - 6) << "\" x2=\""
      << num(kLabelW) << "\" y2=\"" << num(height - 4) << "\"/>";
  out << "</svg></section>\n";
}

// The circle sits in a wider box so the names beside it fit.
constexpr double kGraphW = 800, kGraphH = 600, kGraphRadius = 240;

std::pair<double, double> graph_pos(std::size_t i, std::size_t n) {
  const double angle = -M_PI / 2 + 2 * M_PI * static_cast<double>(i) / static_cast<double>(n);
  return {kGraphW / 2 + kGraphRadius * std::cos(angle),
          kGraphH / 2 + kGraphRadius * std::sin(angle)};
}

void link_graph(std::ostringstream& out, const Timeline& t) {
  const std::size_t n = t.processes.size();
  out << "<section id=\"link-graph\"><h2>Peer links at <span id=\"graph-time\"></span></h2>"
      << "<div id=\"graph-controls\"><label>moment <input type=\"range\" id=\"moment\" "
         "min=\"0\" max=\"0\" value=\"0\"></label><label>jump to <select id=\"moments\">";
  for (const auto& v : t.violations)
    out << "<option value=\"" << v.step << "\">" << html_escape(v.invariant) << " on "
        << html_escape(v.process >= 0 ? t.processes[v.process].name : "?") << " (step " << v.step
        << ", t = " << seconds(v.t_ns) << ")</option>";
  std::set<std::uint64_t> listed;
  for (const auto& l : t.links)
    if (l.change == Timeline::LinkChange::kUp && !l.listener && listed.size() < 20 &&
        listed.insert(l.step).second)
      out << "<option value=\"" << l.step
          << "\">link up without a DHT listener: " << html_escape(t.processes[l.process].name)
          << " to " << html_escape(l.peer >= 0 ? t.processes[l.peer].name : "?") << " (step "
          << l.step << ", t = " << seconds(l.t_ns) << ")</option>";
  for (std::int64_t minute = 60; minute * core::kSecond < t.duration_ns; minute += 60) {
    // The last step at or before each minute, for a quick tour.
    std::uint64_t step = 0;
    for (const auto& h : t.health)
      if (h.t_ns <= minute * core::kSecond) step = h.step;
    out << "<option value=\"" << step << "\">t = " << minute << " s</option>";
  }
  std::uint64_t end_step = 0;
  for (const auto& h : t.health) end_step = std::max(end_step, h.step);
  out << "<option value=\"" << end_step << "\">end of the run</option>";
  out << "</select></label><span id=\"graph-stats\"></span></div>"
      << "<p class=\"legend\"><span>solid: both ends have a DHT listener</span>"
      << "<span style=\"color:#d93025\">red dashes: the half at an end with NO DHT listener "
         "(class no-listener)</span><span>dotted grey: coordination link to the bootstrap, or "
         "an end that has not (yet) counted the link</span><span>thick red ring: a process that "
         "broke an invariant</span></p>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(kGraphW) << "\" height=\""
      << num(kGraphH) << "\" viewBox=\"0 0 " << num(kGraphW) << " " << num(kGraphH)
      << "\"><g id=\"edges\"></g><g id=\"nodes\">";
  for (std::size_t i = 0; i < n; ++i) {
    const auto [px, py] = graph_pos(i, n);
    const double angle = std::atan2(py - kGraphH / 2, px - kGraphW / 2);
    const double lx = px + 22 * std::cos(angle), ly = py + 22 * std::sin(angle) + 4;
    const char* anchor = std::cos(angle) > 0.3    ? "start"
                         : std::cos(angle) < -0.3 ? "end"
                                                  : "middle";
    const std::string& role = t.processes[i].role;
    const std::string letter = role == "bootstrap" ? "BS"
                               : role == "genesis" ? "G"
                               : role == "bridge"  ? "BR"
                                                   : "N";
    out << "<g class=\"node not-started\" id=\"node-" << i << "\" data-process=\""
        << html_escape(t.processes[i].name) << "\"><circle cx=\"" << num(px) << "\" cy=\""
        << num(py) << "\" r=\"13\"/><text class=\"role\" x=\"" << num(px) << "\" y=\"" << num(py)
        << "\">" << letter << "</text><text x=\"" << num(lx) << "\" y=\"" << num(ly)
        << "\" text-anchor=\"" << anchor << "\">" << html_escape(t.processes[i].name)
        << "</text><title>" << html_escape(t.processes[i].name) << " (" << html_escape(role)
        << ")</title></g>";
  }
  out << "</g></svg></section>\n";
}

void sequence(std::ostringstream& out, const Timeline& t) {
  out << "<section id=\"sequence\"><h2>Messages around the first violation</h2>";
  if (t.violations.empty() || t.violations.front().process < 0) {
    out << "<p class=\"none\">No invariant was violated in this run: there is no violation to "
           "show the messages around.</p></section>\n";
    return;
  }
  const Timeline::Violation& v = t.violations.front();
  const int focus = v.process;
  constexpr std::size_t kBefore = 40, kAfter = 20;
  std::vector<const Timeline::FrameRecord*> before, after;
  for (const auto& f : t.frames) {
    if (f.from != focus && f.to != focus) continue;
    if (f.step <= v.step) {
      before.push_back(&f);
    } else if (after.size() < kAfter) {
      after.push_back(&f);
    }
  }
  if (before.size() > kBefore) before.erase(before.begin(), before.end() - kBefore);
  std::vector<const Timeline::FrameRecord*> frames = before;
  frames.insert(frames.end(), after.begin(), after.end());
  const std::uint64_t first_step = frames.empty() ? v.step : std::min(frames.front()->step, v.step);
  const std::uint64_t last_step = frames.empty() ? v.step : std::max(frames.back()->step, v.step);

  // Rows: frames and the focus process's link changes, in step order; link
  // changes go before the frames of their step (the step's frame came first,
  // but its link change is what the frame caused: shown right after it).
  struct Row {
    std::uint64_t step;
    int order;
    const Timeline::FrameRecord* frame;
    const Timeline::LinkEvent* link;
  };
  std::vector<Row> rows;
  for (const auto* f : frames) rows.push_back({f->step, 0, f, nullptr});
  for (const auto& l : t.links)
    if (l.process == focus && l.step >= first_step && l.step <= last_step)
      rows.push_back({l.step, 1, nullptr, &l});
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.step != b.step ? a.step < b.step : a.order < b.order;
  });

  std::set<int> parts{focus};
  for (const auto* f : frames) {
    if (f->from >= 0) parts.insert(f->from);
    parts.insert(f->to);
  }
  std::map<int, double> col;
  const double left = 150;
  const double colw = std::clamp(900.0 / static_cast<double>(parts.size()), 90.0, 150.0);
  {
    double cx = left + colw / 2;
    for (int p : parts) {
      col[p] = cx;
      cx += colw;
    }
  }
  const double rowh = 20, top = 50;
  // Room on the right of the focus lifeline for the link notes.
  const double width =
      std::max(left + colw * static_cast<double>(parts.size()) + 20, col[focus] + 280);
  const double height = top + rowh * static_cast<double>(rows.size() + 1) + 30;
  std::uint64_t dropped = 0;
  for (const auto* f : frames) dropped += f->fate == Timeline::Fate::kDroppedNoHandler;
  out << "<p>The " << frames.size() << " frames to and from <b>"
      << html_escape(t.processes[focus].name) << "</b> delivered up to " << kBefore
      << " before and " << kAfter << " after its first violation (step " << v.step
      << ", t = " << seconds(v.t_ns, 6) << "), with its link changes in between; " << dropped
      << " of them were dropped for want of a DHT listener (red).</p>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << num(width) << "\" height=\""
      << num(height) << "\" viewBox=\"0 0 " << num(width) << " " << num(height) << "\">"
      << "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" "
         "markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 "
         "L10,5 L0,10 z\" fill=\"#4a6785\"/></marker><marker id=\"arrow-dropped\" viewBox=\"0 0 "
         "10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" "
         "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" "
         "fill=\"#d93025\"/></marker></defs>";
  for (int p : parts) {
    out << "<g class=\"participant" << (p == focus ? " focus" : "") << "\" data-process=\""
        << html_escape(t.processes[p].name) << "\"><line class=\"lifeline\" x1=\"" << num(col[p])
        << "\" y1=\"" << num(top - 12) << "\" x2=\"" << num(col[p]) << "\" y2=\"" << num(height - 6)
        << "\"/><rect x=\"" << num(col[p] - colw / 2 + 4) << "\" y=\"6\" "
        << "width=\"" << num(colw - 8) << "\" height=\"24\" rx=\"4\"/><text x=\"" << num(col[p])
        << "\" y=\"22\">" << html_escape(t.processes[p].name) << "</text></g>";
  }
  double y = top;
  bool line_drawn = false;
  const auto violation_line = [&]() {
    out << "<g id=\"violation-line\" data-step=\"" << v.step << "\"><line x1=\"4\" y1=\"" << num(y)
        << "\" x2=\"" << num(width - 4) << "\" y2=\"" << num(y) << "\"/><text x=\"" << num(left)
        << "\" y=\"" << num(y - 3) << "\">"
        << "first violation: " << html_escape(v.invariant) << " on "
        << html_escape(t.processes[focus].name) << " at step " << v.step << "</text></g>";
    y += rowh;
    line_drawn = true;
  };
  for (const Row& row : rows) {
    if (!line_drawn && row.step > v.step) violation_line();
    if (row.link != nullptr) {
      const auto& l = *row.link;
      const bool deaf = l.change != Timeline::LinkChange::kDown && !l.listener;
      out << "<g class=\"note" << (deaf ? " no-listener" : "") << "\" data-step=\"" << l.step
          << "\"><text x=\"" << num(col[focus] + 6) << "\" y=\"" << num(y + 4) << "\">link "
          << link_change_name(l.change) << " to "
          << html_escape(l.peer >= 0 ? t.processes[l.peer].name : "?")
          << (l.change == Timeline::LinkChange::kDown ? ""
              : l.listener                            ? " (DHT listener)"
                                                      : " (NO DHT listener)")
          << "</text></g>";
    } else {
      const auto& f = *row.frame;
      const bool dropped_frame = f.fate == Timeline::Fate::kDroppedNoHandler;
      const char* cls = dropped_frame                          ? " dropped"
                        : f.fate == Timeline::Fate::kDiscarded ? " discarded"
                                                               : "";
      const double x2 = col[f.to];
      const double x1 = f.from >= 0 ? col[f.from] : x2 - colw / 2;
      const double dir = x2 >= x1 ? 1 : -1;
      std::string what = f.type;
      if (f.request_id != 0) what += " #" + std::to_string(f.request_id);
      out << "<g class=\"msg" << cls << "\" data-step=\"" << f.step << "\" data-type=\""
          << html_escape(f.type) << "\"><title>step " << f.step << ", t = " << seconds(f.t_ns, 6)
          << ": " << html_escape(f.from >= 0 ? t.processes[f.from].name : "?") << " \u2192 "
          << html_escape(t.processes[f.to].name) << " " << html_escape(what) << " ("
          << fate_name(f.fate) << ")</title><text class=\"when\" x=\"4\" y=\"" << num(y + 4)
          << "\">" << seconds(f.t_ns, 6) << "</text><line x1=\"" << num(x1) << "\" y1=\"" << num(y)
          << "\" x2=\"" << num(x2 - dir * 2) << "\" y2=\"" << num(y) << "\" marker-end=\"url(#"
          << (dropped_frame ? "arrow-dropped" : "arrow") << ")\"/>"
          << "<text x=\"" << num((x1 + x2) / 2) << "\" y=\"" << num(y - 3)
          << "\" text-anchor=\"middle\">" << html_escape(what)
          << (dropped_frame ? " \u2715 dropped" : "") << "</text></g>";
    }
    y += rowh;
  }
  if (!line_drawn) violation_line();
  out << "</svg></section>\n";
}

void data_script(std::ostringstream& out, const Timeline& t, std::uint64_t end_step) {
  const std::size_t n = t.processes.size();
  int bootstrap = -1;
  for (std::size_t i = 0; i < n; ++i)
    if (t.processes[i].role == "bootstrap") bootstrap = static_cast<int>(i);
  out << "<script type=\"application/json\" id=\"run-data\">{\"names\":[";
  for (std::size_t i = 0; i < n; ++i) out << (i ? "," : "") << script_string(t.processes[i].name);
  out << "],\"pos\":[";
  for (std::size_t i = 0; i < n; ++i) {
    const auto [px, py] = graph_pos(i, n);
    out << (i ? "," : "") << "[" << num(px) << "," << num(py) << "]";
  }
  out << "],\"bootstrap\":" << bootstrap << ",\"duration_ns\":" << t.duration_ns
      << ",\"x0\":" << num(kLabelW) << ",\"w\":" << num(kPlotW) << ",\"end_step\":" << end_step
      << ",\"default_step\":" << (t.violations.empty() ? end_step : t.violations.front().step)
      << ",\"violations\":[";
  std::set<int> violating;
  for (std::size_t i = 0; i < t.violations.size(); ++i) {
    const auto& v = t.violations[i];
    out << (i ? "," : "") << "[" << v.step << "," << v.t_ns << "," << v.process << ","
        << script_string(v.invariant) << "]";
    violating.insert(v.process);
  }
  out << "],\"violating\":[";
  bool first = true;
  for (int p : violating) {
    out << (first ? "" : ",") << p;
    first = false;
  }
  // Links: [step, t_ns, process, peer, link, change (0 up, 1 listener, 2 down), listener].
  out << "],\"links\":[";
  for (std::size_t i = 0; i < t.links.size(); ++i) {
    const auto& l = t.links[i];
    out << (i ? "," : "") << "[" << l.step << "," << l.t_ns << "," << l.process << "," << l.peer
        << "," << l.link << "," << static_cast<int>(l.change) << "," << int{l.listener} << "]";
  }
  // Health: [step, t_ns, process, running, healthy, bootstrap_connected].
  out << "],\"health\":[";
  for (std::size_t i = 0; i < t.health.size(); ++i) {
    const auto& h = t.health[i];
    out << (i ? "," : "") << "[" << h.step << "," << h.t_ns << "," << h.process << ","
        << int{h.running} << "," << int{h.healthy} << "," << int{h.bootstrap_connected} << "]";
  }
  out << "]}</script>\n";
}

}  // namespace

std::string html_escape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string script_string(const std::string& s) {
  return json::quote(s, json::Quoting::kHtmlScript);
}

std::string report_html(const RunRecord& record) {
  const Timeline& t = record.timeline;
  std::uint64_t end_step = record.result.events;
  for (const auto& h : t.health) end_step = std::max(end_step, h.step);
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      << "<meta name=\"generator\" content=\"yzsim report\">"
      << "<title>yzsim: " << html_escape(record.result.scenario) << " seed " << record.result.seed
      << "</title><style>" << kStyle << "</style></head><body>\n";
  summary(out, record);
  swimlanes(out, t);
  link_graph(out, t);
  sequence(out, t);
  data_script(out, t, end_step);
  out << "<script>" << kScript << "</script>\n</body></html>\n";
  return out.str();
}

}  // namespace yz::sim
