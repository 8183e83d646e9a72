// yzsim run --record, report --html and --perfetto: recording changes
// nothing, the files are the same bytes for the same seed, RUN.json reads
// back, and the pictures hold what the run did.
#include "sim/timeline.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "roles/json/json.h"
#include "sim/cli.h"
#include "sim/perfetto.h"
#include "sim/report.h"
#include "sim/report_html.h"
#include "tests/sim/sim_test_util.h"

namespace yz::sim {
namespace {

using testing::CommandOutcome;
using testing::yzsim;

using testing::early_return_race;
using testing::load_or_die;
using testing::run_once;
using testing::scenario_path;

RunRecord record_once(const Scenario& scenario, std::uint64_t seed, core::FaultSet faults,
                      std::ostream* trace = nullptr) {
  TimelineRecorder recorder;
  RunOptions options;
  options.seed = seed;
  options.faults = faults;
  options.trace = trace;
  options.recorder = &recorder;
  Simulator simulator(scenario, options);
  RunResult result = simulator.run();
  return {std::move(result), recorder.take(), {}};
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

TEST(Timeline, RecordingChangesNeitherTheRunNorItsHash) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  for (const auto& faults : {core::FaultSet{}, early_return_race()}) {
    for (std::uint64_t seed : {1, 7}) {
      const RunResult plain = run_once(scenario, seed, faults);
      const RunRecord recorded = record_once(scenario, seed, faults);
      EXPECT_EQ(plain.trace_hash, recorded.result.trace_hash) << "seed " << seed;
      EXPECT_EQ(to_json(plain), to_json(recorded.result)) << "seed " << seed;
    }
  }
}

TEST(Timeline, SameSeedSameBytes) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const RunRecord a = record_once(scenario, 3, early_return_race());
  const RunRecord b = record_once(scenario, 3, early_return_race());
  EXPECT_EQ(to_json(a), to_json(b));
  EXPECT_EQ(report_html(a), report_html(b));
  EXPECT_EQ(perfetto_json(a), perfetto_json(b));
  const RunRecord c = record_once(scenario, 4, early_return_race());
  EXPECT_NE(to_json(a), to_json(c));
}

TEST(Timeline, EveryDeliveredFrameOnceWithItsFate) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  for (const auto& faults : {core::FaultSet{}, early_return_race()}) {
    std::ostringstream trace;
    const RunRecord r = record_once(scenario, 1, faults, &trace);
    const Timeline& t = r.timeline;
    ASSERT_EQ(t.processes.size(), 19u);
    EXPECT_EQ(t.frames.size(), count(trace.str(), " frame link="));
    std::uint64_t dropped = 0;
    for (const auto& f : t.frames) {
      dropped += f.fate == Timeline::Fate::kDroppedNoHandler;
      ASSERT_GE(f.to, 0);
      ASSERT_LT(f.to, 19);
      ASSERT_GE(f.from, 0) << "step " << f.step;
      ASSERT_GT(f.sent_step, 0u) << "step " << f.step;
      EXPECT_LT(f.sent_step, f.step);
      EXPECT_LT(f.sent_t_ns, f.t_ns);
    }
    EXPECT_EQ(dropped, r.result.summary.dropped_no_handler);
    for (std::size_t i = 1; i < t.frames.size(); ++i)
      EXPECT_LT(t.frames[i - 1].step, t.frames[i].step);
    // The final sample of each process agrees with the health table.
    std::vector<const Timeline::HealthSample*> last(19, nullptr);
    for (const auto& h : t.health) last[h.process] = &h;
    for (std::size_t i = 0; i < 19; ++i) {
      ASSERT_NE(last[i], nullptr);
      EXPECT_EQ(last[i]->healthy, r.result.nodes[i].healthy) << t.processes[i].name;
      EXPECT_EQ(last[i]->connected_peers, r.result.nodes[i].connected_peers);
    }
  }
}

TEST(Timeline, TheIncidentsLinkIsUpWithoutAListener) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const RunRecord bad = record_once(scenario, 1, early_return_race());
  ASSERT_FALSE(bad.timeline.violations.empty());
  const auto& v = bad.timeline.violations.front();
  bool deaf_link_at_violation = false;
  for (const auto& l : bad.timeline.links)
    if (l.step == v.step && l.process == v.process && l.change == Timeline::LinkChange::kUp &&
        !l.listener)
      deaf_link_at_violation = true;
  EXPECT_TRUE(deaf_link_at_violation);

  const RunRecord good = record_once(scenario, 1, {});
  EXPECT_TRUE(good.timeline.violations.empty());
  EXPECT_FALSE(good.timeline.links.empty());
  for (const auto& l : good.timeline.links)
    if (l.change != Timeline::LinkChange::kDown) {
      EXPECT_TRUE(l.listener) << "step " << l.step;
    }
}

TEST(Timeline, RunJsonReadsBack) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const RunRecord r = record_once(scenario, 1, early_return_race());
  const std::string text = to_json(r);
  std::string error;
  const auto back = run_record_from_json(text, error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(to_json(*back), text);
  EXPECT_EQ(report_html(*back), report_html(r));
  EXPECT_EQ(perfetto_json(*back), perfetto_json(r));
  // The result is the --json object, unchanged.
  EXPECT_NE(text.find(to_json(r.result).substr(0, 200)), std::string::npos);
}

TEST(Timeline, RunJsonRefusesWhatItDidNotWrite) {
  std::string error;
  EXPECT_FALSE(run_record_from_json("{", error));
  EXPECT_NE(error.find("not JSON"), std::string::npos);
  EXPECT_FALSE(run_record_from_json("{\"scenario\":\"x\"}", error));
  EXPECT_NE(error.find("--record"), std::string::npos);

  const Scenario scenario = load_or_die("incident-15.textproto");
  const std::string good = to_json(record_once(scenario, 1, early_return_race()));
  // A frame row that names process 99.
  std::string bad = good;
  const auto at = bad.find("\"frames\":[\n[");
  ASSERT_NE(at, std::string::npos);
  const auto row_end = bad.find(']', at + 12);
  std::string row = bad.substr(at + 11, row_end - at - 10);
  std::string parse_error;
  auto parsed = json::parse(row, &parse_error);
  ASSERT_TRUE(parsed) << parse_error << " in " << row;
  std::string broken = "[" + parsed->items()[0].text() + "," + parsed->items()[1].text() + "," +
                       parsed->items()[2].text() + "," + parsed->items()[3].text() + ",99,0," +
                       parsed->items()[6].text() + ",\"ping\",0,\"handled\"]";
  bad.replace(at + 11, row.size(), broken);
  EXPECT_FALSE(run_record_from_json(bad, error));
  EXPECT_NE(error.find("out of range"), std::string::npos) << error;
  // A row of the wrong width.
  bad = good;
  bad.replace(at + 11, row.size(), "[1,2,3]");
  EXPECT_FALSE(run_record_from_json(bad, error));
  EXPECT_NE(error.find("wrong shape"), std::string::npos) << error;
}

TEST(Perfetto, OneTrackPerProcessSaneTimesEveryFrame) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  for (const auto& faults : {core::FaultSet{}, early_return_race()}) {
    std::ostringstream trace;
    const RunRecord r = record_once(scenario, 1, faults, &trace);
    std::string error;
    const auto doc = json::parse(perfetto_json(r), &error);
    ASSERT_TRUE(doc) << error;
    const json::Value* events = doc->find("traceEvents");
    ASSERT_TRUE(events != nullptr && events->is_array());
    std::set<std::uint64_t> named_pids;
    std::set<std::string> names;
    std::size_t received = 0, dropped = 0, flow_starts = 0, flow_ends = 0;
    double last_ts = -1;
    const double end_us = static_cast<double>(r.timeline.duration_ns) / 1000.0;
    for (const auto& e : events->items()) {
      const std::string ph = e.find("ph")->text();
      const std::uint64_t pid = e.find("pid")->as_uint();
      ASSERT_GE(pid, 1u);
      ASSERT_LE(pid, 19u);
      if (ph == "M") {
        if (e.find("name")->text() == "process_name") {
          EXPECT_TRUE(named_pids.insert(pid).second);
          names.insert(e.find("args")->find("name")->text());
        }
        continue;
      }
      const double ts = e.find("ts")->as_double();
      EXPECT_GE(ts, last_ts);  // written in time order
      EXPECT_GE(ts, 0.0);
      EXPECT_LE(ts, end_us);
      last_ts = ts;
      const std::string cat = e.find("cat")->text();
      if (ph == "X" && cat == "frame") {
        ++received;
        dropped += e.find("args")->find("fate")->text() == "dropped_no_handler";
      }
      if (ph == "X") {
        EXPECT_GE(e.find("dur")->as_double(), 0.0);
      }
      flow_starts += ph == "s";
      flow_ends += ph == "f";
    }
    EXPECT_EQ(named_pids.size(), 19u);
    EXPECT_TRUE(names.contains("dht-node-7 (node)"));
    EXPECT_EQ(received, r.timeline.frames.size());
    EXPECT_EQ(received, count(trace.str(), " frame link="));  // the run's own frame count
    EXPECT_EQ(dropped, r.result.summary.dropped_no_handler);
    EXPECT_EQ(flow_starts, received);
    EXPECT_EQ(flow_ends, received);
  }
}

TEST(ReportHtml, HasTheThreeSectionsAndALanePerProcess) {
  const Scenario scenario = load_or_die("incident-15.textproto");
  const std::string bad = report_html(record_once(scenario, 1, early_return_race()));
  for (const char* id : {"id=\"summary\"", "id=\"swimlanes\"", "id=\"link-graph\"",
                         "id=\"sequence\"", "id=\"moment\"", "id=\"moments\"", "id=\"run-data\""})
    EXPECT_NE(bad.find(id), std::string::npos) << id;
  EXPECT_EQ(count(bad, "<g class=\"lane\""), 19u);
  EXPECT_EQ(count(bad, "<g class=\"node "), 19u);
  EXPECT_NE(bad.find("id=\"violation-line\""), std::string::npos);
  EXPECT_GT(count(bad, "class=\"msg dropped\""), 0u);
  // Self-contained: nothing fetched.
  EXPECT_EQ(bad.find("http://"), bad.find("http://www.w3.org/"));
  EXPECT_EQ(bad.find("https://"), std::string::npos);
  EXPECT_EQ(bad.find(" src="), std::string::npos);

  const std::string good = report_html(record_once(scenario, 1, {}));
  EXPECT_EQ(count(good, "<g class=\"lane\""), 19u);
  EXPECT_EQ(good.find("id=\"violation-line\""), std::string::npos);
  EXPECT_EQ(good.find("class=\"msg dropped\""), std::string::npos);
}

TEST(ReportHtml, EscapesEveryName) {
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
  const std::string s = script_string("</script><!-- \"\\ \xe2\x80\xa8");
  EXPECT_EQ(s.find('<'), std::string::npos);
  EXPECT_EQ(s.find('>'), std::string::npos);
  EXPECT_EQ(s.find("\xe2\x80\xa8"), std::string::npos);
  std::string error;
  const auto back = json::parse(s, &error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(back->text(), "</script><!-- \"\\ \xe2\x80\xa8");

  // A run whose process names are hostile.
  RunRecord r;
  r.result.scenario = "<b>scenario</b>";
  r.timeline.duration_ns = core::kSecond;
  const std::string evil = "</script><script>alert(1)</script>";
  r.timeline.processes = {{evil, "node", "00"}, {"x\"onload=\"alert(2)", "node", "01"}};
  r.timeline.health = {{0, 0, 0, true, true, 1, 1, 0, false, true},
                       {0, 0, 1, true, false, 1, 1, 1, false, true}};
  r.timeline.links = {{5, 100, 1, 0, 7, Timeline::LinkChange::kUp, false}};
  r.timeline.frames = {{4, 90, 2, 50, 0, 1, 7, "ping<", 3, Timeline::Fate::kDroppedNoHandler}};
  r.timeline.violations = {{"peers_missing_handler", 1, 5, 100}};
  const std::string html = report_html(r);
  EXPECT_EQ(html.find("<script><script>"), std::string::npos);
  EXPECT_EQ(html.find("alert(1)</script>"), std::string::npos);
  EXPECT_EQ(html.find("\"onload=\""), std::string::npos);
  EXPECT_EQ(html.find("<b>scenario"), std::string::npos);
  EXPECT_EQ(count(html, "<script"), 2u);
  EXPECT_EQ(count(html, "</script>"), 2u);
  EXPECT_EQ(count(html, "<g class=\"lane\""), 2u);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ReportCli, RecordThenReportSameBytesAcrossProcesses) {
  const std::string dir = ::testing::TempDir();
  const std::string scenario = scenario_path("incident-15.textproto");
  std::string files[2][3];
  for (int i = 0; i < 2; ++i) {
    const std::string base = dir + "/yz-timeline-" + std::to_string(i);
    const CommandOutcome run =
        yzsim("run " + scenario + " --fault early_return_race --json --record " + base +
              ".json --perfetto " + base + ".run.perfetto.json");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    // --json prints the same object with or without --record.
    EXPECT_EQ(run.output, yzsim("run " + scenario + " --fault early_return_race --json").output);
    const CommandOutcome report = yzsim("report " + base + ".json --html " + base +
                                        ".html --perfetto " + base + ".perfetto.json");
    ASSERT_EQ(report.exit_code, 0) << report.output;
    files[i][0] = slurp(base + ".json");
    files[i][1] = slurp(base + ".html");
    files[i][2] = slurp(base + ".perfetto.json");
    EXPECT_EQ(files[i][2], slurp(base + ".run.perfetto.json"));
  }
  for (int k = 0; k < 3; ++k) {
    EXPECT_GT(files[0][k].size(), 10000u) << k;
    EXPECT_EQ(files[0][k], files[1][k]) << k;
  }
}

TEST(ReportCli, ParsesTheFlags) {
  const CliParse run = parse_cli({"run", "s", "--record", "a.json", "--perfetto", "b.json"});
  ASSERT_TRUE(run.options) << run.error;
  EXPECT_EQ(run.options->record_path, "a.json");
  EXPECT_EQ(run.options->perfetto_path, "b.json");
  const CliParse report = parse_cli({"report", "a.json", "--html", "r.html"});
  ASSERT_TRUE(report.options) << report.error;
  EXPECT_EQ(report.options->command, "report");
  EXPECT_EQ(report.options->scenario_path, "a.json");
  EXPECT_EQ(report.options->html_path, "r.html");
  EXPECT_NE(parse_cli({"report", "a.json"}).error.find("--html"), std::string::npos);
  EXPECT_NE(parse_cli({"report"}).error.find("RUN.json"), std::string::npos);
  EXPECT_NE(parse_cli({"report", "a.json", "--seed", "2"}).error.find("unknown flag '--seed'"),
            std::string::npos);
  EXPECT_NE(parse_cli({"report", "a.json", "--html"}).error.find("--html needs"),
            std::string::npos);
  EXPECT_NE(parse_cli({"explore", "s", "--runs", "2", "--record", "x"}).error.find("--record"),
            std::string::npos);
  EXPECT_NE(usage().find("yzsim report RUN.json"), std::string::npos);
}

TEST(ReportCli, RefusesBadUse) {
  EXPECT_EQ(yzsim("report").exit_code, 2);
  const CommandOutcome no_output = yzsim("report x.json");
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_NE(no_output.output.find("--html"), std::string::npos);
  const CommandOutcome missing = yzsim("report /nonexistent/run.json --html /dev/null");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("cannot read"), std::string::npos);
  const CommandOutcome scenario_given =
      yzsim("report " + scenario_path("incident-15.textproto") + " --html /dev/null");
  EXPECT_EQ(scenario_given.exit_code, 2);
  EXPECT_NE(scenario_given.output.find("not JSON"), std::string::npos);
  EXPECT_EQ(yzsim("run x --record").exit_code, 2);
  EXPECT_EQ(yzsim("explore x --runs 2 --record y").exit_code, 2);
}

}  // namespace
}  // namespace yz::sim
