#include "roles/runtime/flags.h"

#include <cctype>
#include <set>
#include <utility>

#include "roles/runtime/flags_internal.h"

#ifndef YZ_VERSION
#define YZ_VERSION "0.1.0"
#endif

namespace yz::runtime {
namespace {

using namespace flags_internal;  // NOLINT: the parser's own vocabulary

FlagsParse fail(std::string error) {
  FlagsParse result;
  result.exit_code = 2;
  result.error = std::move(error);
  return result;
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
  if (flags.timing.put_write_quorum > flags.timing.k) {
    return fail("--put-write-quorum " + std::to_string(flags.timing.put_write_quorum) +
                " exceeds --k " + std::to_string(flags.timing.k) +
                ": a put stores on at most k holders, so it could never be acknowledged");
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
