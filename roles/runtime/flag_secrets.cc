#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "roles/runtime/flags_internal.h"

namespace yz::runtime::flags_internal {
namespace {

constexpr std::size_t kMaxSecretBytes = 64 * 1024;

std::string errno_text(int err) { return std::generic_category().message(err); }

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

}  // namespace

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

}  // namespace yz::runtime::flags_internal
