#include "roles/runtime/endpoints.h"

#include <charconv>
#include <cstdint>
#include <string_view>
#include <utility>

#include "roles/core/frame.h"
#include "roles/metrics/text_serializer.h"

namespace yz::runtime {
namespace {

constexpr std::string_view kJsonContentType = "application/json";
constexpr std::string_view kAllowed = "GET, HEAD";

// Length of the well-formed UTF-8 sequence starting at text[i], or 0 when it
// is malformed (overlong forms, surrogates and code points above U+10FFFF
// included), following the table in Unicode 15 section 3.9.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return length;
}

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
  out += JsonString(core::role_name(status.role));
  out += ",\"nodeId\":";
  out += JsonString(status.node_id.to_hex());
  out += ",\"name\":";
  out += JsonString(status.name);
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

std::string JsonString(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() + 2);
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      if (const std::size_t length = Utf8SequenceLength(text, i); length > 0) {
        out.append(text.substr(i, length));
        i += length;
      } else {
        out += "\\ufffd";
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
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
