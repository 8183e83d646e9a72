#include "cluster/readiness.h"

#include <fstream>
#include <sstream>
#include <thread>

#include "cluster/http_client.h"
#include "cluster/interrupt.h"
#include "cluster/layout.h"
#include "cluster/process_control.h"
#include "roles/runtime/duration.h"

namespace yz::cluster {
namespace {

using Clock = std::chrono::steady_clock;
// Short enough that 19 processes start in well under a second of polling.
constexpr auto kPoll = std::chrono::milliseconds(10);
constexpr auto kProbeTimeout = std::chrono::milliseconds(1000);
constexpr int kLogTailLines = 8;

std::string seconds_text(std::chrono::milliseconds d) {
  return runtime::format_duration(static_cast<core::Duration>(d.count()) * core::kMillisecond);
}

std::string with_log_tail(const ProcessRecord& record, const std::string& message) {
  const std::string tail = tail_lines(log_path(record), kLogTailLines);
  if (tail.empty()) return message + " (its log " + log_path(record) + " is empty)";
  std::string out = message + "; last lines of " + log_path(record) + ":";
  std::istringstream lines(tail);
  std::string line;
  while (std::getline(lines, line)) out += "\n    " + line;
  return out;
}

// What the role still lacks before the next process may rely on it; "" when
// nothing.
std::string role_lacks(const ProcessRecord& record, const json::Value& status) {
  if (record.role == "genesis" && !status.bool_at("member")) return "not yet a DHT member";
  if (record.role == "bridge") {
    if (!status.bool_at("bootstrapConnected")) return "not yet registered with the bootstrap";
    if (status.int_at("connectedPeers") <= 0) return "not yet linked to a DHT member";
  }
  return {};
}

}  // namespace

std::optional<json::Value> get_json(const std::string& http, const std::string& path,
                                    std::chrono::milliseconds timeout) {
  if (http.empty()) return std::nullopt;
  const HttpReply reply = http_get(http, path, timeout);
  if (reply.status == 0) return std::nullopt;
  auto json = json::parse(reply.body);
  if (!json || !json->is_object()) return std::nullopt;
  return json;
}

std::optional<Ports> read_ports(const ProcessRecord& record) {
  std::ifstream in(ports_path(record));
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  const auto json = json::parse(buffer.str());
  if (!json || !json->is_object()) return std::nullopt;
  Ports ports;
  ports.listen = json->string_at("listen");
  ports.http = json->string_at("http");
  ports.pid = static_cast<int>(json->int_at("pid"));
  if (ports.listen.empty() || ports.http.empty() || ports.pid != record.pid) return std::nullopt;
  return ports;
}

std::string wait_ready(ProcessRecord& record, std::chrono::milliseconds timeout, bool role_ready) {
  const auto deadline = Clock::now() + timeout;
  std::string waiting_for = "no ports.json yet";
  while (true) {
    if (const auto status = reap_if_exited(record.pid)) {
      const std::string why = last_line(log_path(record));
      return record.name + " " + describe_wait_status(*status) + " before becoming ready" +
             (why.empty() ? " (its log is empty)" : ": " + why);
    }
    if (interrupted()) return "interrupted while waiting for " + record.name;
    if (const auto ports = read_ports(record)) {
      record.listen = ports->listen;
      record.http = ports->http;
      // /health answers 200 or 503 with JSON; either means it is up.
      if (!get_json(ports->http, "/health", kProbeTimeout)) {
        waiting_for = "/health at " + ports->http + " not answering";
      } else if (!role_ready || (record.role != "genesis" && record.role != "bridge")) {
        return {};
      } else if (const auto status = get_json(ports->http, "/status", kProbeTimeout)) {
        waiting_for = role_lacks(record, *status);
        if (waiting_for.empty()) return {};
      }
    }
    if (Clock::now() >= deadline) {
      return with_log_tail(record, record.name + " did not become ready within " +
                                       seconds_text(timeout) + " (" + waiting_for + ")");
    }
    std::this_thread::sleep_for(kPoll);
  }
}

JoinOutcome wait_joined(const ProcessRecord& record, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (true) {
    if (interrupted()) return JoinOutcome::kUndecided;
    if (const auto status = get_json(record.http, "/status", kProbeTimeout)) {
      if (status->bool_at("member")) return JoinOutcome::kMember;
      if (status->int_at("onboardingFailures") > 0) return JoinOutcome::kOnboardingFailed;
    } else if (reap_if_exited(record.pid) || !is_alive(ref_of(record))) {
      return JoinOutcome::kDied;
    }
    if (Clock::now() >= deadline) return JoinOutcome::kUndecided;
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace yz::cluster
