#include "roles/runtime/endpoints.h"

#include <charconv>
#include <cstdint>
#include <string_view>
#include <utility>

#include "roles/core/frame.h"
#include "roles/json/json.h"
#include "roles/metrics/text_serializer.h"

namespace yz::runtime {
namespace {

constexpr std::string_view kJsonContentType = "application/json";
constexpr std::string_view kAllowed = "GET, HEAD";

void AppendNumber(std::string& out, std::uint64_t value) { out += std::to_string(value); }

void AppendSeconds(std::string& out, core::Duration duration) {
  // Shortest text that reads back as the same double: "1.5", not "1.500000".
  char buffer[32];
  const double seconds = static_cast<double>(duration) / static_cast<double>(core::kSecond);
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), seconds);
  out.append(buffer, result.ptr);
}

void AppendBool(std::string& out, bool value) { out += value ? "true" : "false"; }

// Members shared by /health and /status, without braces.
void AppendHealthFields(std::string& out, const core::ProcessStatus& status) {
  out += "\"healthy\":";
  AppendBool(out, status.healthy);
  out += ",\"uptime\":";
  AppendSeconds(out, status.uptime);
  out += ",\"connectedPeers\":";
  AppendNumber(out, status.connected_peers);
  out += ",\"routingTableSize\":";
  AppendNumber(out, status.routing_table_size);
  out += ",\"healthFailures\":";
  AppendNumber(out, status.health_failures);
  out += ",\"peersMissingHandler\":";
  AppendNumber(out, status.peers_missing_handler);
  out += ",\"bootstrapConnected\":";
  AppendBool(out, status.bootstrap_connected);
  out += ",\"role\":";
  out += json::quote(core::role_name(status.role));
  out += ",\"nodeId\":";
  out += json::quote(status.node_id.to_hex());
  out += ",\"name\":";
  out += json::quote(status.name);
  // Whether the process has joined (see core/join_state.h); "healthy" keeps
  // the original's rule for compatibility.
  out += ",\"state\":";
  out += json::quote(core::join_state_name(status.state));
  // Why it is not joined (core/join_state.h): "none" when it is;
  // "peers_drop_frames" and "network_slow" tell the two isolations apart.
  out += ",\"reason\":";
  out += json::quote(core::health_reason_name(status.reason));
  out += ",\"uptimeSeconds\":";
  AppendSeconds(out, status.uptime);
}

HttpResponse Json(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = kJsonContentType;
  response.body = std::move(body);
  response.body += '\n';
  return response;
}

HttpResponse Health(core::Process& process) {
  const core::ProcessStatus status = process.status();
  std::string body = "{";
  AppendHealthFields(body, status);
  body += '}';
  return Json(status.healthy ? 200 : 503, std::move(body));
}

HttpResponse Status(core::Process& process, const ExtraStatusFields& extra) {
  const core::ProcessStatus status = process.status();
  std::string body = "{";
  AppendHealthFields(body, status);
  body += ",\"member\":";
  AppendBool(body, status.member);
  body += ",\"droppedNoHandler\":";
  AppendNumber(body, status.dropped_no_handler);
  body += ",\"findNodeTimeouts\":";
  AppendNumber(body, status.find_node_timeouts);
  body += ",\"lateAnswers\":";
  AppendNumber(body, status.late_answers);
  body += ",\"onboardingFailures\":";
  AppendNumber(body, status.onboarding_failures);
  if (extra) {
    if (std::string more = extra(); !more.empty()) {
      body += ',';
      body += more;
    }
  }
  body += '}';
  return Json(200, std::move(body));
}

HttpResponse Metrics(metrics::Registry& registry) {
  HttpResponse response;
  response.content_type = metrics::kTextContentType;
  response.body = metrics::SerializeText(registry);
  return response;
}

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

}  // namespace

std::string build_status_fields(std::string_view build_id, std::uint32_t protocol_version) {
  std::string out = "\"buildId\":";
  out += json::quote(build_id);
  out += ",\"protocolVersion\":";
  AppendNumber(out, protocol_version);
  return out;
}

HttpResponse handle_endpoint(const HttpRequest& request, core::Process& process,
                             metrics::Registry& registry, const ExtraStatusFields& extra) {
  std::string_view path = request.target;
  if (const auto query = path.find('?'); query != std::string_view::npos) {
    path = path.substr(0, query);
  }
  const bool known = path == "/metrics" || path == "/health" || path == "/status";
  if (!known) return Text(404, "not found\n");
  if (request.method != "GET" && request.method != "HEAD") {
    HttpResponse response = Text(405, "method not allowed\n");
    response.headers.emplace_back("Allow", kAllowed);
    return response;
  }
  if (path == "/metrics") return Metrics(registry);
  if (path == "/health") return Health(process);
  return Status(process, extra);
}

}  // namespace yz::runtime
