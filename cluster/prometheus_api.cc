#include "cluster/prometheus_api.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <tuple>

#include "cluster/http_client.h"
#include "cluster/prometheus.h"

namespace yz::cluster {
namespace {

constexpr auto kApiTimeout = std::chrono::milliseconds(10000);

std::string host_port_of(const std::string& url) {
  const std::string prefix = "http://";
  return url.rfind(prefix, 0) == 0 ? url.substr(prefix.size()) : url;
}

// GET `path`, checked down to {"status":"success","data":...}. Returns the
// whole parsed body (data inside), or nullopt with `error` set.
std::optional<json::Value> api_get(const std::string& url, const std::string& path,
                                   std::string* error) {
  const HttpReply reply = http_get(host_port_of(url), path, kApiTimeout);
  if (reply.status == 0) {
    *error = "prometheus at " + url + " did not answer: " + reply.error;
    return std::nullopt;
  }
  std::string parse_error;
  auto json = json::parse(reply.body, &parse_error);
  if (!json) {
    *error = "prometheus answered HTTP " + std::to_string(reply.status) +
             " with something that is not JSON: " + parse_error;
    return std::nullopt;
  }
  if (json->string_at("status") != "success") {
    *error = "query refused: " + json->string_at("error", "HTTP " + std::to_string(reply.status));
    return std::nullopt;
  }
  if (json->find("data") == nullptr) {
    *error = "prometheus answered without data";
    return std::nullopt;
  }
  return json;
}

// The value of a vector element ("value": [ts, "v"]) or, for a matrix, of
// its last sample.
std::string value_text(const json::Value& series) {
  if (const json::Value* v = series.find("value"); v != nullptr && v->items().size() == 2)
    return v->items()[1].as_string();
  if (const json::Value* values = series.find("values");
      values != nullptr && !values->items().empty()) {
    const auto& last = values->items().back();
    if (last.items().size() == 2) return last.items()[1].as_string();
  }
  return {};
}

std::string pad(std::string text, std::size_t width) {
  if (text.size() < width) text += std::string(width - text.size(), ' ');
  return text;
}

std::string age_text(double seconds) {
  if (seconds < 0) return "?";
  const auto s = static_cast<long>(seconds);
  char buf[32];
  if (s < 120) {
    std::snprintf(buf, sizeof buf, "%lds ago", s);
  } else if (s < 7200) {
    std::snprintf(buf, sizeof buf, "%ldm%02lds ago", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldh%02ldm ago", s / 3600, (s / 60) % 60);
  }
  return buf;
}

}  // namespace

std::string series_text(const json::Value& metric) {
  std::string name;
  std::string labels;
  for (const auto& [key, value] : metric.members()) {
    if (key == "__name__") {
      name = value.as_string();
      continue;
    }
    labels += (labels.empty() ? "" : ", ") + key + "=" + json::quote(value.as_string());
  }
  return name + "{" + labels + "}";
}

QueryOutcome query_prometheus(const std::string& url, std::string_view promql, bool as_json) {
  QueryOutcome out;
  const auto json = api_get(url, "/api/v1/query?query=" + url_encode(promql), &out.error);
  if (!json) return out;
  const json::Value& data = *json->find("data");
  const json::Value* result = data.find("result");
  if (result == nullptr) {
    out.error = "prometheus answered without data.result";
    return out;
  }
  const std::string type = data.string_at("resultType");
  if (as_json) {
    out.table = data.compact() + "\n";
    out.series =
        type == "scalar" || type == "string" ? 1 : static_cast<int>(result->items().size());
    return out;
  }
  if (type == "scalar" || type == "string") {
    const auto& value = result->items();
    out.table = value.size() == 2 ? value[1].as_string() + "\n" : "\n";
    out.series = 1;
    return out;
  }
  // Vector (or matrix, shown by its last sample): every label, then the value.
  std::vector<std::pair<std::string, std::string>> rows;
  std::size_t width = 6;
  for (const json::Value& series : result->items()) {
    const json::Value* metric = series.find("metric");
    std::string labels = metric != nullptr ? series_text(*metric) : "{}";
    width = std::max(width, labels.size());
    rows.emplace_back(std::move(labels), value_text(series));
  }
  std::string table = pad("SERIES", width + 2) + "VALUE\n";
  for (const auto& [labels, value] : rows) table += pad(labels, width + 2) + value + "\n";
  out.table = std::move(table);
  out.series = static_cast<int>(rows.size());
  return out;
}

std::vector<Sample> query_samples(const std::string& url, std::string_view promql,
                                  std::string* error) {
  std::vector<Sample> out;
  const auto json = api_get(url, "/api/v1/query?query=" + url_encode(promql), error);
  if (!json) return out;
  const json::Value* result = json->find("data")->find("result");
  if (result == nullptr) return out;
  for (const json::Value& series : result->items()) {
    Sample s;
    if (const json::Value* metric = series.find("metric")) s.metric = *metric;
    s.value = json::parse(value_text(series)).value_or(json::Value()).as_double();
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<Alert> fetch_alerts(const std::string& url, std::string* error) {
  std::vector<Alert> out;
  const auto json = api_get(url, "/api/v1/alerts", error);
  if (!json) return out;
  const json::Value* alerts = json->find("data")->find("alerts");
  if (alerts == nullptr) return out;
  for (const json::Value& a : alerts->items()) {
    Alert alert;
    if (const json::Value* labels = a.find("labels")) {
      alert.labels = *labels;
      alert.name = labels->string_at("alertname");
      alert.target = labels->string_at("name", labels->string_at("instance"));
      alert.severity = labels->string_at("severity");
    }
    if (const json::Value* annotations = a.find("annotations"))
      alert.summary = annotations->string_at("summary");
    alert.state = a.string_at("state");
    alert.active_at = a.string_at("activeAt");
    out.push_back(std::move(alert));
  }
  // Firing first, then by name and process, so the table reads the same
  // from one refresh to the next.
  std::sort(out.begin(), out.end(), [](const Alert& x, const Alert& y) {
    return std::tie(x.state, x.name, x.target) < std::tie(y.state, y.name, y.target);
  });
  return out;
}

double seconds_since(const std::string& rfc3339) {
  std::tm tm{};
  double fraction = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  double second = 0;
  if (std::sscanf(rfc3339.c_str(), "%d-%d-%dT%d:%d:%lf", &year, &month, &day, &hour, &minute,
                  &second) != 6)
    return -1;
  // Prometheus writes UTC ("Z"); other offsets are not expected here.
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = static_cast<int>(second);
  fraction = second - static_cast<double>(tm.tm_sec);
  const double at = static_cast<double>(::timegm(&tm)) + fraction;
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return now - at;
}

std::string format_alerts_table(const std::vector<Alert>& alerts) {
  if (alerts.empty()) return "no alerts pending or firing\n";
  std::vector<std::vector<std::string>> rows = {
      {"ALERT", "PROCESS", "STATE", "SEVERITY", "SINCE", "SUMMARY"}};
  for (const Alert& a : alerts) {
    rows.push_back({a.name, a.target.empty() ? "-" : a.target,
                    a.state == "firing" ? "FIRING" : a.state, a.severity.empty() ? "-" : a.severity,
                    age_text(seconds_since(a.active_at)), a.summary});
  }
  std::vector<std::size_t> width(rows.front().size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c)
      line += c + 1 < row.size() ? pad(row[c], width[c] + 2) : row[c];
    out += line + "\n";
  }
  int firing = 0;
  for (const Alert& a : alerts) firing += a.state == "firing" ? 1 : 0;
  out += "\n" + std::to_string(firing) + " firing, " + std::to_string(alerts.size() - firing) +
         " pending\n";
  return out;
}

std::string format_alerts_json(const std::vector<Alert>& alerts) {
  std::string out = "{\"alerts\":[";
  int firing = 0;
  for (std::size_t i = 0; i < alerts.size(); ++i) {
    const Alert& a = alerts[i];
    firing += a.state == "firing" ? 1 : 0;
    out += i > 0 ? ",\n  " : "\n  ";
    out += "{\"alert\":" + json::quote(a.name);
    out += ",\"process\":" + json::quote(a.target);
    out += ",\"state\":" + json::quote(a.state);
    out += ",\"severity\":" + json::quote(a.severity);
    out += ",\"activeAt\":" + json::quote(a.active_at);
    out += ",\"sinceSeconds\":" + json::number(seconds_since(a.active_at));
    out += ",\"summary\":" + json::quote(a.summary);
    out += ",\"labels\":{";
    bool first = true;
    for (const auto& [key, value] : a.labels.members()) {
      out += (first ? "" : ",") + json::quote(key) + ":" + json::quote(value.as_string());
      first = false;
    }
    out += "}}";
  }
  out += alerts.empty() ? "]" : "\n]";
  out += ",\"firing\":" + std::to_string(firing) +
         ",\"pending\":" + std::to_string(static_cast<int>(alerts.size()) - firing) + "}\n";
  return out;
}

}  // namespace yz::cluster
