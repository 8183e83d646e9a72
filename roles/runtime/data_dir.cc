#include "roles/runtime/data_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "roles/json/json.h"

namespace yz::runtime {
namespace {

// A node_id file is 41 bytes; anything much larger is not one.
constexpr std::size_t kMaxNodeIdFileBytes = 4096;

std::string errno_text(int err) { return std::generic_category().message(err); }

std::string quoted(std::string_view path) { return "'" + std::string(path) + "'"; }

std::string dir_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Reads at most `limit` bytes; returns 0 or the errno value (EFBIG when the
// file is larger than `limit`).
int read_small_file(const std::string& path, std::size_t limit, std::string* content) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  content->clear();
  char buf[512];
  int err = 0;
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) break;
    content->append(buf, static_cast<std::size_t>(n));
    if (content->size() > limit) {
      err = EFBIG;
      break;
    }
  }
  ::close(fd);
  return err;
}

int write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

// Exactly 40 hex digits, then at most one newline. Either case: the file is
// the operator's, not the wire's, and an id written by hand in upper case
// names one id all the same; only the wire insists on the canonical form.
std::optional<core::NodeId> parse_node_id_file(std::string_view content) {
  if (!content.empty() && content.back() == '\n') content.remove_suffix(1);
  std::string lower(content);
  for (char& c : lower)
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
  return core::NodeId::from_hex(lower);
}

}  // namespace

std::string prepare_data_dir(const std::string& path) {
  if (path.empty()) return "data dir path is empty";
  // mkdir -p by hand rather than std::filesystem, to set 0700 on creation
  // (no window with a wider mode) and to report the failing component.
  for (std::size_t pos = 0; pos <= path.size();) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string::npos) slash = path.size();
    const std::string prefix = path.substr(0, slash);
    pos = slash + 1;
    if (prefix.empty() || prefix.back() == '/') continue;  // leading or doubled '/'
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
      const int err = errno;
      return "cannot create data dir " + quoted(path) +
             (prefix == path ? "" : " (at " + quoted(prefix) + ")") + ": " + errno_text(err);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return "cannot use data dir " + quoted(path) + ": " + errno_text(errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return "cannot use data dir " + quoted(path) + ": " + errno_text(ENOTDIR);
  }
  // access(W_OK) would answer for the real uid and ignore read-only mounts;
  // creating a file is the question the node will actually ask.
  std::string probe = path + "/.yz-write-probe-XXXXXX";
  std::vector<char> buf(probe.begin(), probe.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) {
    return "data dir " + quoted(path) + " is not writable: " + errno_text(errno);
  }
  ::close(fd);
  ::unlink(buf.data());
  return {};
}

std::string write_file_atomically(const std::string& path, std::string_view content,
                                  unsigned mode) {
  std::string tmp = path + ".tmp-XXXXXX";
  std::vector<char> buf(tmp.begin(), tmp.end());
  buf.push_back('\0');
  const int fd = ::mkstemp(buf.data());
  if (fd < 0) return errno_text(errno);
  const auto fail = [&buf, fd](int err) {
    ::close(fd);
    ::unlink(buf.data());
    return errno_text(err);
  };
  if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail(errno);
  if (const int err = write_all(fd, content); err != 0) return fail(err);
  // Without the sync a crash after the rename can leave an empty file.
  if (::fsync(fd) != 0) return fail(errno);
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(buf.data());
    return errno_text(err);
  }
  if (::rename(buf.data(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(buf.data());
    return errno_text(err);
  }
  // Best effort: persists the rename itself; the file is already complete.
  if (const int dir_fd = ::open(dir_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return {};
}

std::optional<core::NodeId> load_or_create_node_id(const std::string& dir,
                                                   const std::function<std::uint64_t()>& random,
                                                   std::string* error) {
  const std::string path = dir + "/node_id";
  const auto set_error = [error](std::string message) {
    if (error != nullptr) *error = std::move(message);
  };
  std::string content;
  const int err = read_small_file(path, kMaxNodeIdFileBytes, &content);
  if (err == 0 || err == EFBIG) {
    const auto id = err == 0 ? parse_node_id_file(content) : std::nullopt;
    if (!id) {
      set_error("node id file " + quoted(path) +
                " is corrupt (expected 40 hex digits); restore it, or remove it to start as a "
                "new node");
    }
    return id;
  }
  if (err != ENOENT) {
    set_error("cannot read node id file " + quoted(path) + ": " + errno_text(err));
    return std::nullopt;
  }
  const std::uint64_t a = random();
  const std::uint64_t b = random();
  const std::uint64_t c = random();
  const core::NodeId id = core::NodeId::from_words(a, b, c);
  if (const std::string why = write_file_atomically(path, id.to_hex() + "\n", 0600); !why.empty()) {
    set_error("cannot write node id file " + quoted(path) + ": " + why);
    return std::nullopt;
  }
  return id;
}

std::string write_ports_file(const std::string& dir, const std::string& listen,
                             const std::string& http, int pid) {
  const std::string path = dir + "/ports.json";
  const std::string content = "{\"listen\":" + json::quote(listen) +
                              ",\"http\":" + json::quote(http) + ",\"pid\":" + std::to_string(pid) +
                              "}\n";
  if (const std::string why = write_file_atomically(path, content, 0644); !why.empty()) {
    return "cannot write ports file " + quoted(path) + ": " + why;
  }
  return {};
}

}  // namespace yz::runtime
