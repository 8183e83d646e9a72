#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "roles/json/json.h"

namespace yz::cluster {

// Reading a Prometheus server through its HTTP API (GET only).

// `{__name__="up", instance="127.0.0.1:1", job="yz"}` style text of a
// series' `metric` object: the metric name first (outside the braces, as
// PromQL writes it), then every other label in the order Prometheus sent
// them (sorted by name). An aggregate with no labels is `{}`.
std::string series_text(const json::Value& metric);

// Runs an instant PromQL query and renders the result: a table (one row per
// series: every label, then the value), or with `as_json` Prometheus's own
// `data` object ({"resultType":...,"result":[...]}) unchanged. `error` is
// set instead when the server is unreachable or refuses the query.
struct QueryOutcome {
  std::string table;
  std::string error;
  int series = 0;
};
QueryOutcome query_prometheus(const std::string& url, std::string_view promql,
                              bool as_json = false);

// The instant vector of `promql` as (labels, value) pairs, for callers that
// decide on the values; `error` set as above.
struct Sample {
  json::Value metric;
  double value = 0;
};
std::vector<Sample> query_samples(const std::string& url, std::string_view promql,
                                  std::string* error);

// One alert from /api/v1/alerts.
struct Alert {
  std::string name;       // alertname
  std::string target;     // the process it names: label `name`, else `instance`, else ""
  std::string state;      // pending | firing
  std::string active_at;  // RFC 3339, when it became pending
  std::string severity;
  std::string summary;
  json::Value labels;
};
std::vector<Alert> fetch_alerts(const std::string& url, std::string* error);

// Seconds since an RFC 3339 UTC time ("2025-12-03T10:00:01.234Z"), or a
// negative number when it cannot be read.
double seconds_since(const std::string& rfc3339);

// `yzctl alerts`'s table and JSON.
std::string format_alerts_table(const std::vector<Alert>& alerts);
std::string format_alerts_json(const std::vector<Alert>& alerts);

}  // namespace yz::cluster
