#pragma once

#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/faults.h"
#include "roles/core/frame.h"
#include "roles/core/timing.h"
#include "roles/runtime/tls_files.h"

namespace yz::runtime {

// The version every role reports with --version.
std::string_view version();

// What every role process is started with.
struct RuntimeFlags {
  core::Role role = core::Role::kUnspecified;
  std::string listen = "127.0.0.1:0";
  std::string http = "127.0.0.1:0";
  // Where peers are told to dial this process; empty: see advertised_address.
  std::string advertise;
  std::string bootstrap;
  std::string name;
  std::string data_dir;
  core::FaultSet faults;
  // --delay-rules: read and checked at start (process_main); empty: none.
  std::string delay_rules_file;
  double delay_rules_time_scale = 1.0;
  core::Timing timing;
  core::LogLevel log_level = core::LogLevel::kWarn;
  enum class LogFormat { kText, kJson } log_format = LogFormat::kText;
  // From --bridge-auth-file or env BRIDGE_AUTH; never from the command line,
  // where every user of the machine could read it in `ps`.
  std::string bridge_auth;
  std::string bridge_auth_file;
  // From --genesis-auth-file or env GENESIS_AUTH, like bridge_auth: the
  // bootstrap designates genesis only to a register carrying it.
  std::string genesis_auth;
  std::string genesis_auth_file;
  bool check_config = false;
  // --tls-cert, --tls-key, --tls-ca: all three or none. With them, every
  // gRPC port speaks mutual TLS; `tls` then holds the checked PEM text.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  std::optional<TlsFiles> tls;
};

// The outcome of parse_flags. Exactly one of: `flags` set (exit_code 0, run);
// `output` set (exit_code 0, print to stdout and exit: --help, --version);
// `error` set (exit_code 2, print to stderr and exit). `error` is one line
// without a trailing newline; `output` ends with a newline.
struct FlagsParse {
  std::optional<RuntimeFlags> flags;
  int exit_code = 0;
  std::string output;
  std::string error;
};

// Parses a role process's arguments (without argv[0]). Each flag takes
// `--flag value` or `--flag=value`; a later occurrence wins, except --fault,
// which accumulates. A flag absent from `args` is read from the environment
// variable YZ_<NAME_IN_UPPER_SNAKE> (YZ_HEALTH_CHECK_INTERVAL, ...) when that
// is set and non-empty, else it keeps its default. `getenv` is injectable so
// tests need not touch the process environment.
FlagsParse parse_flags(core::Role role, const std::vector<std::string>& args,
                       const std::function<const char*(const char*)>& getenv = ::getenv);

// The address a process gives peers to dial it. --advertise when set (its
// port 0 standing for `bound_port`); else --listen's host with `bound_port`,
// except that a wildcard host (0.0.0.0, ::), which no peer can dial, is
// replaced by `hostname` (a container's hostname resolves on its network).
std::string advertised_address(const RuntimeFlags& flags, std::uint16_t bound_port,
                               std::string_view hostname);

// One row of the flag table, as --help shows it.
struct FlagInfo {
  std::string name;           // "--listen"
  std::string value_name;     // "HOST:PORT"; empty for switches
  std::string env_var;        // "YZ_LISTEN"; empty when the flag has no env form
  std::string help;           // one sentence
  std::string default_value;  // as the role would use it; empty when none
};

// Every flag `role` accepts, in --help order.
std::vector<FlagInfo> describe_flags(core::Role role);

// "health-check-interval" (or "--health-check-interval") -> "YZ_HEALTH_CHECK_INTERVAL".
std::string env_var_name(std::string_view flag_name);

// A validated HOST:PORT. IPv6 hosts are written in brackets ("[::1]:0") and
// stored without them.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};
std::optional<HostPort> parse_host_port(std::string_view text);
// The inverse of parse_host_port: brackets a host that contains ':'.
std::string format_host_port(std::string_view host, std::uint16_t port);

}  // namespace yz::runtime
