#pragma once

#include <absl/status/statusor.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "roles/core/frame.h"
#include "roles/runtime/flags.h"
#include "roles/runtime/tls_files.h"

// What flags.cc's parser, flag_help.cc and flag_secrets.cc share: the table
// of flags each role takes (flag_table.cc), its help text and where secrets
// and TLS files come from. Not for use outside roles/runtime/flags*.
namespace yz::runtime::flags_internal {

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

// "yz-<role>", as the program names itself in help and errors.
std::string process_name(core::Role role);
bool needs_bridge_auth(core::Role role);
bool needs_genesis_auth(core::Role role);
// Quotes a user-supplied value for an error line, escaping control
// characters so that the error stays on one line.
std::string show(std::string_view value);
// A letter, digit, '-', '.' or '_': what names and host names are made of.
bool is_name_char(char c);

// Every flag `role` takes, in --help's order.
std::vector<Flag> flag_table(core::Role role);
// The flags a role starts with before any argument or variable is applied,
// with the defaults that depend on others (name, data dir) filled in.
RuntimeFlags defaults_for(core::Role role);

// --help's text.
std::string help_text(core::Role role);

// A shared secret from its file (named on the command line or in `source`)
// or else from env `env_var`; one of them is required. Fails with the error
// line.
absl::StatusOr<std::string> load_secret(const std::string& what, const std::string& file,
                                        const std::string& source, const char* env_var,
                                        core::Role role,
                                        const std::function<const char*(const char*)>& getenv);
// All three TLS files or none; when given, read and checked (tls_files.h).
// Returns "" or the error line.
std::string check_tls(RuntimeFlags& flags, const TlsSources& sources);

}  // namespace yz::runtime::flags_internal
