#include "cluster/lifecycle.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "cluster/layout.h"
#include "roles/runtime/data_dir.h"
#include "roles/runtime/logger.h"

namespace yz::cluster {
namespace {

// A marker in the log, so that `yzctl logs` shows where each run begins.
void mark_start(const ProcessRecord& record) {
  const int fd = ::open(log_path(record).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string line = "yzctl: starting " + record.name + " at " +
                           runtime::format_timestamp(std::chrono::system_clock::now()) + "\n";
  [[maybe_unused]] const ssize_t n = ::write(fd, line.data(), line.size());
  ::close(fd);
}

}  // namespace

std::string launch(ProcessRecord& record) {
  if (std::string why = runtime::prepare_data_dir(record.dir); !why.empty()) return why;
  // Readiness reads ports.json; one left by the previous run must not pass.
  ::unlink(ports_path(record).c_str());
  mark_start(record);
  const Spawned spawned = spawn_detached(record.argv, log_path(record));
  if (spawned.pid == 0) return spawned.error;
  record.pid = spawned.pid;
  record.start_ticks = spawned.start_ticks;
  record.state = "running";
  // Best effort: cluster.json is the record yzctl relies on; the pid file is
  // for people and scripts.
  runtime::write_file_atomically(pid_path(record), std::to_string(spawned.pid) + "\n", 0644);
  return {};
}

StopOutcome stop_records(const std::vector<ProcessRecord*>& records,
                         std::chrono::milliseconds grace, bool own_children) {
  std::vector<ProcessRef> refs;
  for (const ProcessRecord* record : records) {
    ProcessRef ref = ref_of(*record);
    ref.own_child = own_children;
    refs.push_back(ref);
  }
  const StopOutcome outcome = stop_processes(refs, grace);
  for (ProcessRecord* record : records) {
    record->state = "stopped";
    // A survivor of SIGKILL keeps its pid, so that the next command still
    // sees and reports it.
    if (std::find(outcome.survivors.begin(), outcome.survivors.end(), record->pid) !=
        outcome.survivors.end()) {
      continue;
    }
    record->pid = 0;
    record->start_ticks = 0;
    ::unlink(pid_path(*record).c_str());
  }
  return outcome;
}

}  // namespace yz::cluster
