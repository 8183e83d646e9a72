#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "roles/json/json.h"

namespace yz::cluster::testing {

struct RunResult {
  int exit_code = -1;  // -1 when it did not exit normally
  std::string out;
  std::string err;
};

// Runs the yzctl under test (YZCTL_PATH) with `args` and collects its
// output; killed after `timeout`.
RunResult run_yzctl(const std::vector<std::string>& args,
                    std::chrono::seconds timeout = std::chrono::seconds(180));

// Polls `condition` every 200 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Whether `pid` still runs and was started at `start_ticks` (a zombie, or a
// later process that reused the pid, does not count).
bool pid_alive(int pid, std::uint64_t start_ticks);

// The first of `count` consecutive free ports on 127.0.0.1 below Linux's
// ephemeral range (32768 and up), where no port-0 socket can land; 0 if
// none was found.
int free_port_block(int count);

// A temporary folder per test and a cluster folder inside it. TearDown runs
// `yzctl down`, then checks by pid that no process the test ever saw in
// cluster.json survives, SIGKILLing (and failing on) any that does.
class YzctlTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // `yzctl COMMAND ARGS... --dir <dir>`; remembers the pids it then finds.
  RunResult yzctl(std::vector<std::string> args,
                  std::chrono::seconds timeout = std::chrono::seconds(180));
  // `status --json`, parsed.
  std::optional<json::Value> status_json(int* exit_code = nullptr);
  // The process `name` of a parsed status, or nullptr.
  static const json::Value* process(const json::Value& status, const std::string& name);

  // Records every pid now in cluster.json (processes and supervisor).
  void remember_pids();
  // The remembered processes that are still alive.
  std::vector<int> survivors() const;

  std::string root_;  // temporary folder
  std::string dir_;   // root_/cluster
  std::set<std::pair<int, std::uint64_t>> seen_;
};

}  // namespace yz::cluster::testing
