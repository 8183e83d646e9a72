#include "roles/runtime/flags.h"

#include <absl/status/statusor.h>
#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <limits>
#include <set>
#include <system_error>
#include <utility>

#include "roles/runtime/duration.h"
#include "roles/runtime/logger.h"

#ifndef YZ_VERSION
#define YZ_VERSION "0.1.0"
#endif

namespace yz::runtime {
namespace {

// Validates a value and stores it; returns "" or why the value is bad (the
// caller adds which flag or variable it came from).
using Setter = std::function<std::string(std::string_view value, RuntimeFlags& flags)>;
// The default as --help shows it, from a RuntimeFlags holding the defaults.
using Shower = std::function<std::string(const RuntimeFlags& defaults)>;

enum class Kind {
  kValue,
  kSwitch,  // no value; sets a bool
  kAction,  // no value; answers at once (--help, --version)
};

struct Flag {
  std::string name;  // without the dashes
  std::string value_name;
  std::string help;
  Kind kind = Kind::kValue;
  // Readable from YZ_<NAME>. Off for per-invocation actions, which would
  // make every process started with that environment exit at once.
  bool from_env = true;
  Setter set;
  Shower show;
};

constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string process_name(core::Role role) { return "yz-" + std::string(core::role_name(role)); }

bool needs_bridge_auth(core::Role role) {
  // Bridges present the secret; the bootstrap checks it.
  return role == core::Role::kBridge || role == core::Role::kBootstrap;
}

bool needs_genesis_auth(core::Role role) {
  // Genesis presents the secret; the bootstrap checks it.
  return role == core::Role::kGenesis || role == core::Role::kBootstrap;
}

// Quotes a user-supplied value for an error line, escaping control
// characters so that the error stays on one line.
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

std::string errno_text(int err) { return std::generic_category().message(err); }

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

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

// The flags a role starts with before any argument or variable is applied,
// with the defaults that depend on others (name, data dir) filled in.
RuntimeFlags defaults_for(core::Role role) {
  RuntimeFlags flags;
  flags.role = role;
  flags.name = std::string(core::role_name(role));
  flags.data_dir = ".yz/" + flags.name;
  return flags;
}

// Word-wraps `text` into lines of at most `width` columns (a longer word
// keeps its own line), each starting with `indent`.
std::string wrap(std::string_view text, std::string_view indent, std::size_t width) {
  std::string out;
  std::string line(indent);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view word = text.substr(pos, end - pos);
    pos = end + 1;
    if (word.empty()) continue;
    if (line.size() > indent.size() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line = std::string(indent);
    }
    if (line.size() > indent.size()) line += ' ';
    line += word;
  }
  return out + line + "\n";
}

std::string help_text(core::Role role) {
  const std::string program = process_name(role);
  std::string out = "Usage: " + program + " [flags]\n\n";
  out +=
      "Each flag takes `--flag VALUE` or `--flag=VALUE`. A flag not given is read from the\n"
      "environment variable shown, when set and non-empty.\n\n";
  for (const FlagInfo& info : describe_flags(role)) {
    out += "  " + info.name;
    if (!info.value_name.empty()) out += " " + info.value_name;
    std::string text = info.help;
    std::string notes;
    if (!info.default_value.empty()) notes = "default " + info.default_value;
    if (!info.env_var.empty()) notes += (notes.empty() ? "" : "; ") + ("env " + info.env_var);
    if (!notes.empty()) text += " (" + notes + ")";
    out += "\n" + wrap(text, "      ", 80);
  }
  out +=
      "\nThe bridge secret comes from --bridge-auth-file or env BRIDGE_AUTH, and the genesis\n"
      "secret from --genesis-auth-file or env GENESIS_AUTH, never from the command line\n"
      "(where `ps` shows it to every user).\n"
      "Exit status 2: a bad flag or TLS file, an unusable data dir or a port in use.\n";
  return out;
}

FlagsParse fail(std::string error) {
  FlagsParse result;
  result.exit_code = 2;
  result.error = std::move(error);
  return result;
}

// A secret file's content, or why it cannot be read (the errno text or
// its size).
absl::StatusOr<std::string> read_secret_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::FailedPreconditionError(errno_text(errno));
  std::string content;
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return absl::FailedPreconditionError(errno_text(err));
    }
    if (n == 0) break;
    content.append(buf, static_cast<std::size_t>(n));
    if (content.size() > kMaxSecretBytes) {
      ::close(fd);
      return absl::FailedPreconditionError("larger than " + std::to_string(kMaxSecretBytes) +
                                           " bytes");
    }
  }
  ::close(fd);
  return content;
}

// Secrets written with `echo` or mounted from a Kubernetes Secret often end
// in a newline that is not part of the secret.
std::string trim_trailing_newlines(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// A shared secret from its file (named on the command line or in `source`)
// or else from env `env_var`; one of them is required. Fails with the error
// line.
absl::StatusOr<std::string> load_secret(const std::string& what, const std::string& file,
                                        const std::string& source, const char* env_var,
                                        core::Role role,
                                        const std::function<const char*(const char*)>& getenv) {
  std::string secret;
  if (!file.empty()) {
    absl::StatusOr<std::string> content = read_secret_file(file);
    if (!content.ok()) {
      return absl::FailedPreconditionError("cannot read " + source + " " + show(file) + ": " +
                                           std::string(content.status().message()));
    }
    secret = trim_trailing_newlines(*std::move(content));
    if (secret.empty()) {
      return absl::FailedPreconditionError(source + " " + show(file) + " holds an empty secret");
    }
  } else if (const char* env = getenv(env_var); env != nullptr && *env != '\0') {
    secret = trim_trailing_newlines(env);
  }
  if (secret.empty()) {
    return absl::FailedPreconditionError("missing the " + what + " secret, which " +
                                         process_name(role) + " requires: set --" + what +
                                         "-auth-file PATH or env " + env_var);
  }
  return secret;
}

// All three TLS files or none; when given, read and checked (tls_files.h).
std::string check_tls(RuntimeFlags& flags, const TlsSources& sources) {
  const std::pair<const std::string*, const std::string*> parts[] = {
      {&flags.tls_cert, &sources.cert},
      {&flags.tls_key, &sources.key},
      {&flags.tls_ca, &sources.ca}};
  std::string given;
  std::string missing;
  for (const auto& [path, source] : parts) {
    std::string& list = path->empty() ? missing : given;
    list += (list.empty() ? "" : ", ") + *source;
  }
  if (given.empty()) return {};
  if (!missing.empty()) {
    return "TLS needs --tls-cert, --tls-key and --tls-ca together: " + given + " given, " +
           missing + " missing";
  }
  TlsFiles files;
  if (std::string error =
          load_tls_files(flags.tls_cert, flags.tls_key, flags.tls_ca, sources, &files);
      !error.empty())
    return error;
  flags.tls = std::move(files);
  return {};
}

}  // namespace

std::string_view version() { return YZ_VERSION; }

std::string env_var_name(std::string_view flag_name) {
  while (!flag_name.empty() && flag_name.front() == '-') flag_name.remove_prefix(1);
  std::string out = "YZ_";
  for (const char c : flag_name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::optional<HostPort> parse_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    // Brackets are only for IPv6 (with an optional %zone).
    if (host.find(':') == std::string_view::npos) return std::nullopt;
    for (const char c : host) {
      if (!is_name_char(c) && c != ':' && c != '%') return std::nullopt;
    }
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // An unbracketed IPv6 address is ambiguous: which ':' starts the port?
    for (const char c : host) {
      if (!is_name_char(c)) return std::nullopt;
    }
  }
  if (host.empty() || port.empty() || port.size() > 5) return std::nullopt;
  unsigned value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

std::string format_host_port(std::string_view host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

std::string advertised_address(const RuntimeFlags& flags, std::uint16_t bound_port,
                               std::string_view hostname) {
  const auto parsed = parse_host_port(flags.advertise.empty() ? flags.listen : flags.advertise);
  if (!parsed) return format_host_port(hostname, bound_port);
  std::string host = parsed->host;
  if (flags.advertise.empty() && (host == "0.0.0.0" || host == "::")) host = std::string(hostname);
  return format_host_port(host, parsed->port == 0 ? bound_port : parsed->port);
}

std::vector<FlagInfo> describe_flags(core::Role role) {
  const RuntimeFlags defaults = defaults_for(role);
  std::vector<FlagInfo> out;
  for (const Flag& flag : flag_table(role)) {
    FlagInfo info;
    info.name = "--" + flag.name;
    info.value_name = flag.value_name;
    if (flag.from_env) info.env_var = env_var_name(flag.name);
    info.help = flag.help;
    if (flag.show) info.default_value = flag.show(defaults);
    out.push_back(std::move(info));
  }
  return out;
}

FlagsParse parse_flags(core::Role role, const std::vector<std::string>& args,
                       const std::function<const char*(const char*)>& getenv) {
  const std::vector<Flag> table = flag_table(role);
  RuntimeFlags flags;
  flags.role = role;
  std::set<std::string> given;
  std::string auth_file_source = "--bridge-auth-file";
  std::string genesis_auth_file_source = "--genesis-auth-file";
  TlsSources tls_sources;

  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h") return FlagsParse{std::nullopt, 0, help_text(role), {}};
    if (arg.size() < 2 || arg[0] != '-') {
      return fail("unexpected argument " + show(arg) + " (see --help)");
    }
    const bool double_dash = arg[1] == '-';
    std::string_view body = std::string_view(arg).substr(double_dash ? 2 : 1);
    std::optional<std::string_view> inline_value;
    if (const std::size_t eq = body.find('='); eq != std::string_view::npos) {
      inline_value = body.substr(eq + 1);
      body = body.substr(0, eq);
    }
    const std::string name(body);
    // Refused by name, before the unknown-flag error could echo the value.
    if (name == "bridge-auth") {
      return fail(
          "refusing --bridge-auth: a secret on the command line is visible to every user in "
          "`ps`; use --bridge-auth-file PATH or env BRIDGE_AUTH");
    }
    if (name == "genesis-auth") {
      return fail(
          "refusing --genesis-auth: a secret on the command line is visible to every user in "
          "`ps`; use --genesis-auth-file PATH or env GENESIS_AUTH");
    }
    const Flag* flag = nullptr;
    for (const Flag& candidate : table) {
      if (candidate.name == name) flag = &candidate;
    }
    if (!double_dash || flag == nullptr) {
      return fail("unknown flag " + show((double_dash ? "--" : "-") + name) + " (see --help)");
    }

    if (flag->kind != Kind::kValue) {
      if (inline_value) return fail("flag --" + name + " takes no value");
      if (name == "help") return FlagsParse{std::nullopt, 0, help_text(role), {}};
      if (name == "version") {
        return FlagsParse{
            std::nullopt, 0, process_name(role) + " " + std::string(version()) + "\n", {}};
      }
      if (name == "check-config") flags.check_config = true;
      continue;
    }

    std::string_view value;
    if (inline_value) {
      value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
      value = args[++i];
    } else {
      // A following "--flag" is far more likely a forgotten value than a
      // value that starts with dashes (which --flag=VALUE still allows).
      return fail("flag --" + name + " needs a value (" + flag->value_name + ")");
    }
    if (const std::string why = flag->set(value, flags); !why.empty()) {
      return fail("invalid --" + name + " " + show(value) + ": " + why);
    }
    given.insert(name);
  }

  for (const Flag& flag : table) {
    if (!flag.from_env || given.count(flag.name) != 0) continue;
    const std::string var = env_var_name(flag.name);
    const char* raw = getenv(var.c_str());
    // Empty counts as unset: compose files and shells often define a
    // variable as empty to mean "not configured".
    if (raw == nullptr || *raw == '\0') continue;
    if (const std::string why = flag.set(raw, flags); !why.empty()) {
      return fail("invalid " + var + " " + show(raw) + ": " + why);
    }
    if (flag.name == "bridge-auth-file") auth_file_source = var;
    if (flag.name == "genesis-auth-file") genesis_auth_file_source = var;
    if (flag.name == "tls-cert") tls_sources.cert = var;
    if (flag.name == "tls-key") tls_sources.key = var;
    if (flag.name == "tls-ca") tls_sources.ca = var;
  }

  if (flags.name.empty()) flags.name = std::string(core::role_name(role));
  if (flags.data_dir.empty()) flags.data_dir = ".yz/" + flags.name;

  if (role != core::Role::kBootstrap && flags.bootstrap.empty()) {
    return fail("missing --bootstrap HOST:PORT (or env " + env_var_name("bootstrap") + "), which " +
                process_name(role) + " requires");
  }
  if (flags.timing.alpha > flags.timing.k) {
    return fail("--alpha " + std::to_string(flags.timing.alpha) + " exceeds --k " +
                std::to_string(flags.timing.k) +
                ": a lookup step cannot ask more peers than a bucket holds");
  }

  if (needs_bridge_auth(role)) {
    auto secret = load_secret("bridge", flags.bridge_auth_file, auth_file_source, "BRIDGE_AUTH",
                              role, getenv);
    if (!secret.ok()) return fail(std::string(secret.status().message()));
    flags.bridge_auth = *std::move(secret);
  }
  if (needs_genesis_auth(role)) {
    auto secret = load_secret("genesis", flags.genesis_auth_file, genesis_auth_file_source,
                              "GENESIS_AUTH", role, getenv);
    if (!secret.ok()) return fail(std::string(secret.status().message()));
    flags.genesis_auth = *std::move(secret);
  }

  if (std::string error = check_tls(flags, tls_sources); !error.empty()) return fail(error);

  FlagsParse result;
  result.flags = std::move(flags);
  return result;
}

}  // namespace yz::runtime
