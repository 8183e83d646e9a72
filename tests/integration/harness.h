#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace yz::integration {

// GENESIS_AUTH for the bootstrap and genesis the tests start.
inline constexpr char kTestGenesisAuth[] = "integration-test-genesis-secret";

// A child process the test started. The destructor stops it (SIGTERM, then
// SIGKILL after a grace period) and reaps it, so no test leaves one behind.
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  ~Child();

  // Starts `argv[0]` with `argv`, extra environment `env`, and stdout and
  // stderr appended to `log_path`.
  static Child spawn(const std::vector<std::string>& argv,
                     const std::map<std::string, std::string>& env, const std::string& log_path);

  pid_t pid() const { return pid_; }
  bool running();
  void signal(int sig);
  // Waits for the exit; returns the wait status, or nullopt at the deadline.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL if still running after `grace`; returns the status.
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes. A bounded
// wait on an observable condition, never a fixed sleep.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

struct HttpReply {
  int status = 0;  // 0 when the request failed
  std::string body;
};
HttpReply http_get(const std::string& host_port, const std::string& path);

std::string read_file(const std::string& path);
// "listen" / "http" from <data_dir>/ports.json, once it exists.
std::optional<std::string> port_of(const std::string& data_dir, const std::string& key);

// Members of the JSON object /health, /status or ports.json returns (read
// with roles/json): a string's value or a number's or literal's text.
std::optional<std::string> json_field(const std::string& json, const std::string& key);
long json_number(const std::string& json, const std::string& key, long fallback = -1);
bool json_true(const std::string& json, const std::string& key);

// The value of one Prometheus sample line `name{labels} value` (exact
// match of name plus labels as printed), or nullopt.
std::optional<double> metric_value(const std::string& exposition, const std::string& series);

std::string make_temp_dir(const std::string& prefix);
std::string binary(const std::string& name);  // path in the build's bin/
// Where binary() looks from now on ("" restores the build's bin/): a
// benchmark starts a second cluster from another build's binaries.
void set_bin_dir(const std::string& dir);

}  // namespace yz::integration
