// yzctl put KEY VALUE and yzctl get KEY: the DHT's client API
// (proto/yz/v1/data.proto) through one member, by default the first joined
// DHT node of the cluster; prints where the value lives and how long it took.
#include <absl/strings/escaping.h>

#include <cstdio>
#include <iostream>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"
#include "cluster/data_client.h"
#include "cluster/health_view.h"
#include "cluster/process_control.h"
#include "roles/json/json.h"
#include "roles/runtime/data_limits.h"

namespace yz::cluster::commands {
namespace {

constexpr std::chrono::milliseconds kDefaultTimeout{10000};

const std::vector<FlagSpec> kFlags = {{"--dir"}, {"--via"}, {"--json", false}, {"--timeout"}};

// Words after a lone "--" are positional even when they start with '-'
// (yzctl put KEY -- -5).
Args parse_data_args(const std::vector<std::string>& argv, const std::string& command) {
  std::vector<std::string> flags = argv;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] != "--") continue;
    flags.assign(argv.begin(), argv.begin() + static_cast<long>(i));
    rest.assign(argv.begin() + static_cast<long>(i) + 1, argv.end());
    break;
  }
  Args args = parse_args(flags, kFlags, command);
  for (std::string& word : rest) args.positional.push_back(std::move(word));
  return args;
}

// "0.12 ms", "2.3 ms", "1250 ms": about three significant digits.
std::string ms(double value) {
  char text[32];
  std::snprintf(text, sizeof text,
                value < 10    ? "%.2f ms"
                : value < 100 ? "%.1f ms"
                              : "%.0f ms",
                value);
  return text;
}

// Text a terminal can show as it is: UTF-8 without control characters
// other than newline and tab.
bool printable(const std::string& data) {
  for (std::size_t i = 0; i < data.size();) {
    const std::size_t length = json::utf8_sequence_length(data, i);
    if (length == 0) return false;
    const auto c = static_cast<unsigned char>(data[i]);
    if (length == 1 && ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)) return false;
    i += length;
  }
  return true;
}

bool utf8(const std::string& data) {
  for (std::size_t i = 0; i < data.size();) {
    const std::size_t length = json::utf8_sequence_length(data, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// "value":"..." (when UTF-8) and "valueBase64":"..." members, without braces.
std::string data_members(const std::string& prefix, const std::string& data) {
  std::string out;
  if (utf8(data)) out += json::quote(prefix) + ":" + json::quote(data) + ",";
  out += json::quote(prefix + "Base64") + ":" + json::quote(absl::Base64Escape(data));
  return out;
}

std::string holder_json(const v1::Holder& h) {
  return "{\"name\":" + json::quote(h.name()) + ",\"nodeId\":" + json::quote(h.node_id()) +
         ",\"address\":" + json::quote(h.address()) + ",\"role\":" + json::quote(h.role()) + "}";
}

template <class Holders>
std::string holders_json(const Holders& holders) {
  std::string out = "[";
  for (const v1::Holder& h : holders) out += (out.size() > 1 ? "," : "") + holder_json(h);
  return out + "]";
}

template <class Holders>
std::string holder_names(const Holders& holders) {
  std::string out;
  for (const v1::Holder& h : holders) out += (out.empty() ? "" : ", ") + h.name();
  return out.empty() ? "none" : out;
}

std::string took_line(double took_ms, const std::string& via, double round_trip_ms) {
  return "took      " + ms(took_ms) + " in " + via + ", " + ms(round_trip_ms) +
         " round trip from yzctl\n";
}

// The member to ask: --via NAME, or the first joined DHT node (genesis or
// a bridge when no node is joined). Sets *exit_code when there is none.
const ProcessRecord* pick_member(const ClusterRecord& cluster, const Args& args,
                                 const ClusterDir& dir, int* exit_code) {
  if (args.has("--via")) {
    const std::string name = args.get("--via");
    const int index = process_index(cluster, name, dir, exit_code);
    if (index < 0) return nullptr;
    const ProcessRecord& p = cluster.processes[static_cast<std::size_t>(index)];
    if (p.role == "bootstrap") {
      *exit_code = usage_error("--via " + name +
                               ": the bootstrap is not a DHT member and holds no data; "
                               "name the genesis, a bridge or a node");
      return nullptr;
    }
    if (!is_alive(p) || p.listen.empty()) {
      *exit_code = failure(name + " is not running (yzctl start " + name + dir_flag(dir) + ")");
      return nullptr;
    }
    return &p;
  }
  const std::vector<ProcessView> views = probe_cluster(cluster);
  for (const char* role : {"node", "genesis", "bridge"}) {
    for (std::size_t i = 0; i < views.size(); ++i) {
      const ProcessView& v = views[i];
      if (v.record.role == role && v.join == JoinState::kJoined && !v.record.listen.empty())
        return &cluster.processes[i];
    }
  }
  *exit_code = failure("no DHT member of " + dir.shown + " has joined yet (see yzctl status" +
                       dir_flag(dir) + ")");
  return nullptr;
}

// The shared start of put and get: flags, timeout, cluster, member.
struct Setup {
  Args args;
  ClusterDir dir;
  std::optional<ClusterRecord> cluster;
  const ProcessRecord* via = nullptr;
  std::chrono::milliseconds timeout = kDefaultTimeout;
};

// Parses the words of `yzctl COMMAND` (`want` positional words, named in
// `shape`), the timeout, the cluster and the member to ask; returns -1 when
// all is set, else the exit status after printing why.
int set_up(const std::vector<std::string>& argv, const std::string& command, std::size_t want,
           const std::string& shape, Setup* s) {
  s->args = parse_data_args(argv, command);
  if (!s->args.error.empty()) return usage_error(s->args.error);
  if (s->args.positional.size() != want) {
    return usage_error("yzctl " + command + " takes " + shape + ", got " +
                       std::to_string(s->args.positional.size()) + " word" +
                       (s->args.positional.size() == 1 ? "" : "s") +
                       " (a value starting with '-' goes after --)");
  }
  if (std::string problem = runtime::key_problem(s->args.positional[0]); !problem.empty())
    return usage_error(problem);
  if (want > 1) {
    if (std::string problem = runtime::value_problem(s->args.positional[1]); !problem.empty())
      return usage_error(problem);
  }
  if (s->args.has("--timeout")) {
    const auto parsed = parse_timeout(s->args.get("--timeout"));
    if (!parsed || parsed->count() <= 0)
      return usage_error("invalid --timeout '" + s->args.get("--timeout") +
                         "': expected a duration such as 10s");
    s->timeout = *parsed;
  }
  s->dir = cluster_dir(s->args);
  int exit_code = 0;
  s->cluster = load_cluster(s->dir, &exit_code);
  // No cluster is bad input here: nothing could have been put or got.
  if (!s->cluster) return exit_code == kExitFailure ? kExitUsage : exit_code;
  s->via = pick_member(*s->cluster, s->args, s->dir, &exit_code);
  return s->via == nullptr ? exit_code : -1;
}

// Exit status of a call that gRPC refused (nothing was tried).
int rpc_failure(const std::string& command, const Setup& s, const DataReply& reply) {
  if (reply.code_name == "INVALID_ARGUMENT") return usage_error(reply.message);
  std::string why = reply.code_name + ": " + reply.message;
  if (reply.code_name == "DEADLINE_EXCEEDED")
    why = "no answer within " + s.args.get("--timeout", "10s") + " (--timeout)";
  if (reply.code_name == "UNIMPLEMENTED")
    why = "it does not serve the Data API (a build from before it?)";
  return failure(command + " via " + s.via->name + " (" + s.via->listen + ") failed: " + why);
}

}  // namespace

int put(const std::vector<std::string>& argv) {
  Setup s;
  if (const int code = set_up(argv, "put", 2, "KEY VALUE", &s); code >= 0) return code;
  const std::string& key = s.args.positional[0];
  v1::PutRequest request;
  request.set_key(key);
  request.set_value(s.args.positional[1]);
  v1::PutResponse r;
  const DataReply reply = call_put(*s.cluster, *s.via, request, s.timeout, &r);
  if (!reply.rpc_ok) return rpc_failure("put", s, reply);
  if (s.args.has("--json")) {
    std::cout << "{\"key\":" << json::quote(key) << ",\"keyId\":" << json::quote(r.key_id())
              << ",\"ok\":" << (r.ok() ? "true" : "false")
              << ",\"error\":" << json::quote(r.error())
              << ",\"message\":" << json::quote(r.message())
              << ",\"holders\":" << holders_json(r.holders()) << ",\"seq\":" << r.seq()
              << ",\"asked\":" << r.asked() << ",\"via\":" << json::quote(s.via->name)
              << ",\"tookMs\":" << json::number(r.took_ms())
              << ",\"roundTripMs\":" << json::number(reply.round_trip_ms) << "}\n";
  } else {
    // Holders as of the answer: stores to the rest of the k closest go on.
    std::cout << (r.ok() ? "stored    " : "failed    ") << json::quote(key) << " ("
              << request.value().size() << " bytes): " << r.holders_size() << " of " << r.asked()
              << " asked had stored it by the answer\n"
              << "holders   " << holder_names(r.holders()) << "\n"
              << took_line(r.took_ms(), s.via->name, reply.round_trip_ms) << "key id    "
              << r.key_id() << "\n"
              << "seq       " << r.seq() << "\n";
  }
  if (r.ok()) return 0;
  return failure("put " + json::quote(key) + " not acknowledged (" + r.error() +
                 "): " + r.message());
}

int get(const std::vector<std::string>& argv) {
  Setup s;
  if (const int code = set_up(argv, "get", 1, "KEY", &s); code >= 0) return code;
  const std::string& key = s.args.positional[0];
  v1::GetRequest request;
  request.set_key(key);
  v1::GetResponse r;
  const DataReply reply = call_get(*s.cluster, *s.via, request, s.timeout, &r);
  if (!reply.rpc_ok) return rpc_failure("get", s, reply);
  if (s.args.has("--json")) {
    std::string values = "[";
    for (const v1::Value& v : r.values()) {
      values += (values.size() > 1 ? "," : "") + std::string("{") + data_members("data", v.data()) +
                ",\"publisher\":" + json::quote(v.publisher()) +
                ",\"seq\":" + std::to_string(v.seq()) +
                ",\"expiresAtMs\":" + std::to_string(v.expires_at_ms()) + "}";
    }
    values += "]";
    std::cout << "{\"key\":" << json::quote(key) << ",\"keyId\":" << json::quote(r.key_id())
              << ",\"found\":" << (r.found() ? "true" : "false")
              << ",\"error\":" << json::quote(r.error())
              << ",\"message\":" << json::quote(r.message())
              << (r.found() ? "," + data_members("value", r.value()) : std::string())
              << ",\"values\":" << values << ",\"sources\":" << holders_json(r.sources())
              << ",\"asked\":" << r.asked() << ",\"via\":" << json::quote(s.via->name)
              << ",\"tookMs\":" << json::number(r.took_ms())
              << ",\"roundTripMs\":" << json::number(reply.round_trip_ms) << "}\n";
  } else if (r.found()) {
    if (printable(r.value())) {
      std::cout << "value     " << r.value() << "\n";
    } else {
      std::cout << "value     (" << r.value().size()
                << " bytes, not text: --json has them in base64)\n";
    }
    if (r.values_size() > 1)
      std::cout << "values    " << r.values_size()
                << " publishers put this key; the newest is shown (--json lists all)\n";
    const bool own_copy =
        r.asked() == 0 && r.sources_size() == 1 && r.sources(0).name() == s.via->name;
    std::cout << "from      " << holder_names(r.sources())
              << (own_copy ? " (its own copy)" : " (asked " + std::to_string(r.asked()) + ")")
              << "\n"
              << took_line(r.took_ms(), s.via->name, reply.round_trip_ms) << "key id    "
              << r.key_id() << "\n";
  }
  if (r.found()) return 0;
  return failure("get " + json::quote(key) + ": " + (r.error().empty() ? "not found" : r.error()) +
                 ": " + r.message() + " (" + ms(r.took_ms()) + " via " + s.via->name + ")");
}

}  // namespace yz::cluster::commands
