#include "tests/cluster/yzctl_fixture.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/process_control.h"

extern char** environ;

namespace yz::cluster::testing {

RunResult run_yzctl(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  RunResult result;
  int out_pipe[2];
  int err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) return result;
  std::vector<std::string> argv = {YZCTL_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> raw;
  for (auto& a : argv) raw.push_back(a.data());
  raw.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, raw[0], &actions, nullptr, raw.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (rc != 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    result.err = "cannot start " + argv[0];
    return result;
  }
  // Both pipes are drained together, so neither can fill up and block yzctl.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  while (open_count > 0 && std::chrono::steady_clock::now() < deadline) {
    if (::poll(fds, 2, 200) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[4096];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<std::size_t>(n));
      } else {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  for (const pollfd& p : fds) {
    if (p.fd >= 0) ::close(p.fd);
  }
  if (open_count > 0) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

bool pid_alive(int pid, std::uint64_t start_ticks) {
  const auto stat = read_proc_stat(pid);
  return stat && stat->state != 'Z' && stat->state != 'X' &&
         (start_ticks == 0 || stat->start_ticks == start_ticks);
}

int free_port_block(int count) {
  const auto port_free = [](int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  };
  std::mt19937 random(static_cast<unsigned>(::getpid()) * 7919u);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int first = 20000 + static_cast<int>(random() % 12000);
    bool all_free = true;
    for (int i = 0; i < count && all_free; ++i) all_free = port_free(first + i);
    if (all_free) return first;
  }
  return 0;
}

void YzctlTest::SetUp() {
  std::string pattern = (std::filesystem::temp_directory_path() / "yzctl-test-XXXXXX").string();
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  root_ = pattern;
  dir_ = root_ + "/cluster";
}

void YzctlTest::TearDown() {
  if (root_.empty()) return;
  remember_pids();
  const RunResult down = run_yzctl({"down", "--dir", dir_});
  EXPECT_EQ(down.exit_code, 0) << down.err;
  const std::vector<int> left = survivors();
  for (const int pid : left) ::kill(pid, SIGKILL);
  EXPECT_TRUE(left.empty()) << left.size() << " processes survived yzctl down";
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

RunResult YzctlTest::yzctl(std::vector<std::string> args, std::chrono::seconds timeout) {
  args.push_back("--dir");
  args.push_back(dir_);
  RunResult result = run_yzctl(args, timeout);
  remember_pids();
  return result;
}

std::optional<json::Value> YzctlTest::status_json(int* exit_code) {
  const RunResult r = yzctl({"status", "--json"});
  if (exit_code != nullptr) *exit_code = r.exit_code;
  std::string why;
  auto json = json::parse(r.out, &why);
  EXPECT_TRUE(json.has_value()) << why << "\n" << r.out << r.err;
  return json;
}

const json::Value* YzctlTest::process(const json::Value& status, const std::string& name) {
  const json::Value* list = status.find("processes");
  if (list == nullptr) return nullptr;
  for (const json::Value& p : list->items()) {
    if (p.string_at("name") == name) return &p;
  }
  return nullptr;
}

void YzctlTest::remember_pids() {
  const auto cluster = read_cluster(dir_);
  if (!cluster.ok()) return;
  for (const ProcessRecord& p : cluster->processes) {
    if (p.pid > 0) seen_.insert({p.pid, p.start_ticks});
  }
  if (cluster->supervisor_pid > 0) {
    seen_.insert({cluster->supervisor_pid, cluster->supervisor_start_ticks});
  }
}

std::vector<int> YzctlTest::survivors() const {
  std::vector<int> out;
  for (const auto& [pid, ticks] : seen_) {
    if (pid_alive(pid, ticks)) out.push_back(pid);
  }
  return out;
}

}  // namespace yz::cluster::testing
