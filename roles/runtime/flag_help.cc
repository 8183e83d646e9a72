#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roles/runtime/flags_internal.h"

namespace yz::runtime {
namespace flags_internal {
namespace {

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

}  // namespace

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

}  // namespace flags_internal

std::vector<FlagInfo> describe_flags(core::Role role) {
  using namespace flags_internal;  // NOLINT: the table is this function's subject
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

}  // namespace yz::runtime
