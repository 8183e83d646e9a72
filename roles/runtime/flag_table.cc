#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "roles/runtime/duration.h"
#include "roles/runtime/flags_internal.h"
#include "roles/runtime/logger.h"

namespace yz::runtime::flags_internal {
namespace {

template <typename T>
std::optional<T> parse_positive(std::string_view text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  if (value == 0 || value > std::numeric_limits<T>::max()) return std::nullopt;
  return static_cast<T>(value);
}

Setter address_setter(std::string RuntimeFlags::*field, bool allow_port_zero) {
  return [field, allow_port_zero](std::string_view value, RuntimeFlags& flags) -> std::string {
    const auto parsed = parse_host_port(value);
    if (!parsed) {
      return "expected HOST:PORT with a port 0-65535 (IPv6 in brackets, e.g. [::1]:4000)";
    }
    if (!allow_port_zero && parsed->port == 0) {
      return "port 0 only makes sense for listening; give the server's real port";
    }
    flags.*field = std::string(value);
    return {};
  };
}

Flag duration_flag(std::string name, core::Duration core::Timing::*field, std::string help) {
  Flag flag;
  flag.name = std::move(name);
  flag.value_name = "DURATION";
  flag.help = std::move(help);
  flag.set = [field](std::string_view value, RuntimeFlags& flags) -> std::string {
    const auto parsed = parse_duration(value);
    if (!parsed) return "expected a duration such as 250ms, 30s, 2m or 1h (a bare number is ms)";
    // A zero period would spin the timer loop or expire everything at once.
    if (*parsed == 0) return "must be greater than zero";
    flags.timing.*field = *parsed;
    return {};
  };
  flag.show = [field](const RuntimeFlags& defaults) {
    return format_duration(defaults.timing.*field);
  };
  return flag;
}

template <typename T>
Flag count_flag(std::string name, T core::Timing::*field, std::string help) {
  Flag flag;
  flag.name = std::move(name);
  flag.value_name = "N";
  flag.help = std::move(help);
  flag.set = [field](std::string_view value, RuntimeFlags& flags) -> std::string {
    const auto parsed = parse_positive<T>(value);
    if (!parsed) {
      return "expected a positive integer up to " + std::to_string(std::numeric_limits<T>::max());
    }
    flags.timing.*field = *parsed;
    return {};
  };
  flag.show = [field](const RuntimeFlags& defaults) {
    return std::to_string(defaults.timing.*field);
  };
  return flag;
}

Flag limit_flag(std::string name, std::uint32_t core::Limits::*field, std::string help) {
  Flag flag;
  flag.name = std::move(name);
  flag.value_name = "N";
  flag.help = std::move(help);
  flag.set = [field](std::string_view value, RuntimeFlags& flags) -> std::string {
    const auto parsed = parse_positive<std::uint32_t>(value);
    if (!parsed) {
      return "expected a positive integer up to " +
             std::to_string(std::numeric_limits<std::uint32_t>::max());
    }
    flags.timing.limits.*field = *parsed;
    return {};
  };
  flag.show = [field](const RuntimeFlags& defaults) {
    return std::to_string(defaults.timing.limits.*field);
  };
  return flag;
}

std::string valid_fault_names() {
  std::string out;
  for (const auto& info : core::all_faults()) {
    if (!out.empty()) out += ", ";
    out += info.name;
  }
  return out;
}

}  // namespace

std::string process_name(core::Role role) { return "yz-" + std::string(core::role_name(role)); }

bool needs_bridge_auth(core::Role role) {
  // Bridges present the secret; the bootstrap checks it.
  return role == core::Role::kBridge || role == core::Role::kBootstrap;
}

bool needs_genesis_auth(core::Role role) {
  // Genesis presents the secret; the bootstrap checks it.
  return role == core::Role::kGenesis || role == core::Role::kBootstrap;
}

std::string show(std::string_view value) {
  std::string out = "'";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "'";
}

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

std::vector<Flag> flag_table(core::Role role) {
  std::vector<Flag> table;
  const auto add = [&table](std::string name, std::string value_name, std::string help, Setter set,
                            Shower show) {
    table.push_back(Flag{std::move(name), std::move(value_name), std::move(help), Kind::kValue,
                         true, std::move(set), std::move(show)});
  };
  const auto add_no_value = [&table](std::string name, std::string help, Kind kind) {
    table.push_back(Flag{std::move(name), "", std::move(help), kind, false, nullptr, nullptr});
  };

  add("listen", "HOST:PORT",
      "Address for peer links; port 0 picks a free one, written to <data-dir>/ports.json.",
      address_setter(&RuntimeFlags::listen, true), [](const RuntimeFlags& d) { return d.listen; });
  add("http", "HOST:PORT",
      "Address for /health, /metrics and /status; port 0 picks a free one, written to "
      "<data-dir>/ports.json.",
      address_setter(&RuntimeFlags::http, true), [](const RuntimeFlags& d) { return d.http; });
  add("advertise", "HOST:PORT",
      "Address peers are told to dial; port 0 means the port --listen got. Unset: --listen's "
      "address, with this machine's hostname in place of a wildcard host (0.0.0.0, [::]).",
      address_setter(&RuntimeFlags::advertise, true),
      [](const RuntimeFlags& d) { return d.advertise; });
  add("bootstrap", "HOST:PORT",
      role == core::Role::kBootstrap ? "Another bootstrap's address (unused by yz-bootstrap)."
                                     : "The bootstrap server's address (required).",
      address_setter(&RuntimeFlags::bootstrap, false),
      [](const RuntimeFlags& d) { return d.bootstrap; });
  add(
      "name", "NAME", "This process's name in logs, metrics and peer metadata.",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        // The name becomes a path component of the default data dir and a
        // metrics label, so keep it to characters safe in both.
        if (value.empty() || value.size() > 64 || value == "." || value == "..") {
          return "expected 1-64 characters of A-Z a-z 0-9 . _ -";
        }
        for (const char c : value) {
          if (!is_name_char(c)) return "expected 1-64 characters of A-Z a-z 0-9 . _ -";
        }
        flags.name = std::string(value);
        return {};
      },
      [](const RuntimeFlags& d) { return d.name; });
  add(
      "data-dir", "DIR", "Where the node id and ports.json live; created (mode 0700) if missing.",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        if (value.empty()) return "expected a directory path";
        flags.data_dir = std::string(value);
        return {};
      },
      [](const RuntimeFlags& d) { return d.data_dir; });
  add(
      "fault", "NAME",
      "Turn on a named fault that reproduces a bug of the original system; repeatable, or "
      "comma-separated (" +
          valid_fault_names() + ").",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        std::size_t start = 0;
        while (true) {
          const std::size_t comma = value.find(',', start);
          const std::string_view item =
              value.substr(start, comma == std::string_view::npos ? value.npos : comma - start);
          const auto fault = core::fault_from_name(item);
          if (!fault) {
            // Name the bad item only when it is not the whole value, which
            // the caller already shows.
            return "unknown fault" + (item == value ? "" : " " + show(item)) +
                   "; valid faults: " + valid_fault_names();
          }
          flags.faults.enable(*fault);
          if (comma == std::string_view::npos) return {};
          start = comma + 1;
        }
      },
      [](const RuntimeFlags&) { return std::string(); });
  add(
      "delay-rules", "FILE",
      "Hold chosen received frames for a while, to force an ordering the simulator found "
      "(text proto yz.v1.DelayRules, proto/yz/v1/delay_rules.proto; only rules naming this "
      "process's --name apply). Off when unset.",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        if (value.empty()) return "expected a file path";
        flags.delay_rules_file = std::string(value);
        return {};
      },
      [](const RuntimeFlags&) { return std::string(); });
  add(
      "delay-rules-time-scale", "S",
      "Divides every duration in --delay-rules (a file written in scenario time, on processes "
      "sped up S times).",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        const std::string text(value);
        char* end = nullptr;
        const double scale = text.empty() ? 0 : std::strtod(text.c_str(), &end);
        if (text.empty() || end != text.c_str() + text.size() || !(scale > 0) ||
            !std::isfinite(scale) || scale > 1e6)
          return "expected a positive number up to 1000000, such as 10 or 0.5";
        flags.delay_rules_time_scale = scale;
        return {};
      },
      [](const RuntimeFlags& d) {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%g", d.delay_rules_time_scale);
        return std::string(buffer);
      });

  table.push_back(duration_flag("health-check-interval", &core::Timing::health_check_interval,
                                "How often a health check runs; one with 0 peers is a failure."));
  table.push_back(count_flag("health-failure-limit", &core::Timing::health_failure_limit,
                             "Consecutive failed health checks that make a node unhealthy."));
  table.push_back(duration_flag("startup-grace", &core::Timing::startup_grace,
                                "A node counts as healthy with no peers for this long after it "
                                "starts."));
  table.push_back(duration_flag("find-node-timeout-connected",
                                &core::Timing::find_node_timeout_connected,
                                "find_node timeout to a peer with an open link."));
  table.push_back(duration_flag("find-node-timeout", &core::Timing::find_node_timeout,
                                "find_node timeout to a peer with no link yet (covers the dial)."));
  table.push_back(duration_flag("onboarding-bridge-timeout",
                                &core::Timing::onboarding_bridge_timeout,
                                "How long the bootstrap waits for each bridge's "
                                "get_onboarding_peer."));
  table.push_back(duration_flag("invitation-timeout", &core::Timing::invitation_timeout,
                                "How long a bridge waits for each helper's "
                                "create_invitation_for_peer."));
  table.push_back(duration_flag("invitation-expiry", &core::Timing::invitation_expiry,
                                "Lifetime of a signed invitation."));
  table.push_back(duration_flag("emergency-throttle", &core::Timing::emergency_throttle,
                                "Least time between emergency peer discoveries at 0 "
                                "connections."));
  table.push_back(duration_flag("emergency-throttle-connected",
                                &core::Timing::emergency_throttle_connected,
                                "Least time between emergency peer discoveries with some "
                                "connections."));
  table.push_back(count_flag("emergency-min-connections", &core::Timing::emergency_min_connections,
                             "Fewer connections than this (and few routing entries) start "
                             "emergency peer discovery."));
  table.push_back(count_flag("emergency-min-routing-entries",
                             &core::Timing::emergency_min_routing_entries,
                             "Fewer routing entries than this (and few connections) start "
                             "emergency peer discovery."));
  table.push_back(duration_flag("onboarding-give-up", &core::Timing::onboarding_give_up,
                                "A newcomer that heard nothing of its onboarding for this long "
                                "asks again."));
  table.push_back(duration_flag("handshake-timeout", &core::Timing::handshake_timeout,
                                "A link whose handshake has not finished by then is closed."));
  table.push_back(
      count_flag("k", &core::Timing::k, "Kademlia bucket size and lookup result size."));
  table.push_back(
      count_flag("alpha", &core::Timing::alpha, "Parallel requests per lookup step (at most k)."));
  table.push_back(count_flag("helper-candidates", &core::Timing::helper_candidates,
                             "Onboarding helpers a bridge tries for one newcomer."));
  // The data plane (issue 17).
  table.push_back(duration_flag("value-ttl", &core::Timing::value_ttl,
                                "Lifetime of a value from its put; holders drop it then."));
  table.push_back(duration_flag("republish-interval", &core::Timing::republish_interval,
                                "How often a holder pushes the values it holds to the k closest "
                                "peers it knows."));
  table.push_back(count_flag("put-write-quorum", &core::Timing::put_write_quorum,
                             "Holders that must store a value before its put is acknowledged."));
  table.push_back(duration_flag("put-timeout", &core::Timing::put_timeout,
                                "Budget of a put whose client gives no deadline."));
  table.push_back(duration_flag("get-timeout", &core::Timing::get_timeout,
                                "Budget of a get whose client gives no deadline."));
  // Limits (roles/core/rate_limit.h); over one, the peer is slowed or dropped
  // and yz_limited_total{limit} counts it.
  table.push_back(limit_flag("limit-frames-per-second", &core::Limits::frames_per_second,
                             "Frames one link may deliver per second; more are dropped."));
  table.push_back(limit_flag("limit-frames-burst", &core::Limits::frames_burst,
                             "Frames one link may deliver at once; a link that sends this many "
                             "over the limit in a row is closed."));
  table.push_back(limit_flag("limit-lookups-per-second", &core::Limits::lookups_per_second,
                             "find_node requests answered per peer per second."));
  table.push_back(limit_flag("limit-lookups-burst", &core::Limits::lookups_burst,
                             "find_node requests answered per peer at once."));
  table.push_back(limit_flag("limit-registrations-per-second",
                             &core::Limits::registrations_per_second,
                             "Registrations the bootstrap accepts per second."));
  table.push_back(limit_flag("limit-registrations-burst", &core::Limits::registrations_burst,
                             "Registrations the bootstrap accepts at once."));
  table.push_back(limit_flag("max-inbound-links", &core::Limits::max_inbound_links,
                             "Links a DHT member accepts at once; more are closed."));
  table.push_back(limit_flag("max-bootstrap-links", &core::Limits::max_bootstrap_links,
                             "Links the bootstrap accepts at once; more are closed."));
  table.push_back(limit_flag("max-unauthenticated-links", &core::Limits::max_unauthenticated_links,
                             "Accepted links still in their handshake, from all addresses "
                             "together; more are closed."));
  table.push_back(limit_flag("max-unauthenticated-per-address",
                             &core::Limits::max_unauthenticated_per_address,
                             "Accepted links still in their handshake from one address; more are "
                             "closed."));
  table.push_back(limit_flag("max-value-bytes", &core::Limits::max_value_bytes,
                             "Largest value's data, in bytes; a value must fit a 1 MiB frame."));
  table.push_back(limit_flag("max-values-per-node", &core::Limits::max_values_per_node,
                             "Values this process holds at most; more stores are refused."));
  table.push_back(limit_flag("max-value-bytes-per-node", &core::Limits::max_value_bytes_per_node,
                             "Bytes of values (keys and data) this process holds at most."));
  table.push_back(limit_flag("max-values-per-publisher", &core::Limits::max_values_per_publisher,
                             "Values of one publisher this process holds at most."));
  table.push_back(limit_flag("max-value-bytes-per-publisher",
                             &core::Limits::max_value_bytes_per_publisher,
                             "Bytes of one publisher's values this process holds at most."));

  add(
      "log-level", "LEVEL", "Least severe log level written: debug, info, warn or error.",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        const auto level = parse_log_level(value);
        if (!level) return "expected debug, info, warn or error";
        flags.log_level = *level;
        return {};
      },
      [](const RuntimeFlags& d) { return std::string(log_level_name(d.log_level)); });
  add(
      "log-format", "FORMAT", "Log line format: text (logfmt) or json (one object per line).",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        if (value == "text") {
          flags.log_format = RuntimeFlags::LogFormat::kText;
        } else if (value == "json") {
          flags.log_format = RuntimeFlags::LogFormat::kJson;
        } else {
          return "expected text or json";
        }
        return {};
      },
      [](const RuntimeFlags& d) {
        return std::string(d.log_format == RuntimeFlags::LogFormat::kJson ? "json" : "text");
      });
  add(
      "bridge-auth-file", "PATH",
      needs_bridge_auth(role)
          ? "File holding the shared bridge secret (else env BRIDGE_AUTH; one is required)."
          : "File holding the shared bridge secret (used only by yz-bridge and yz-bootstrap).",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        if (value.empty()) return "expected a file path";
        flags.bridge_auth_file = std::string(value);
        return {};
      },
      [](const RuntimeFlags&) { return std::string(); });
  add(
      "genesis-auth-file", "PATH",
      needs_genesis_auth(role)
          ? "File holding the genesis secret (else env GENESIS_AUTH; one is required)."
          : "File holding the genesis secret (used only by yz-genesis and yz-bootstrap).",
      [](std::string_view value, RuntimeFlags& flags) -> std::string {
        if (value.empty()) return "expected a file path";
        flags.genesis_auth_file = std::string(value);
        return {};
      },
      [](const RuntimeFlags&) { return std::string(); });

  const auto tls_file = [&add](std::string name, std::string RuntimeFlags::*field,
                               std::string help) {
    add(
        std::move(name), "FILE", std::move(help),
        [field](std::string_view value, RuntimeFlags& flags) -> std::string {
          if (value.empty()) return "expected a file path";
          flags.*field = std::string(value);
          return {};
        },
        [](const RuntimeFlags&) { return std::string(); });
  };
  tls_file("tls-cert", &RuntimeFlags::tls_cert,
           "PEM certificate (chain) of this process for TLS on the gRPC port and to peers; "
           "with --tls-key and --tls-ca, or none of them (plain gRPC).");
  tls_file("tls-key", &RuntimeFlags::tls_key,
           "PEM private key of --tls-cert (unencrypted; keep it mode 0600).");
  tls_file("tls-ca", &RuntimeFlags::tls_ca,
           "PEM CA certificate(s) that every peer's certificate must chain to: mutual TLS, "
           "both ways.");

  add_no_value("check-config", "Validate the flags and the data dir, then exit 0.", Kind::kSwitch);
  add_no_value("help", "Print this help and exit.", Kind::kAction);
  add_no_value("version", "Print the version and exit.", Kind::kAction);
  return table;
}

RuntimeFlags defaults_for(core::Role role) {
  RuntimeFlags flags;
  flags.role = role;
  flags.name = std::string(core::role_name(role));
  flags.data_dir = ".yz/" + flags.name;
  return flags;
}

}  // namespace yz::runtime::flags_internal
