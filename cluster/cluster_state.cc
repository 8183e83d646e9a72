#include "cluster/cluster_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <system_error>

#include "cluster/prometheus.h"
#include "roles/json/json.h"
#include "roles/runtime/data_dir.h"

namespace yz::cluster {
namespace {

// Bumped when a field changes meaning, so an old yzctl refuses a newer file
// instead of misreading it.
constexpr int kFormatVersion = 1;

std::string strings_json(const std::vector<std::string>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += json::quote(values[i]);
  }
  return out + "]";
}

std::string process_json(const ProcessRecord& p) {
  std::string out = "    {";
  out += "\"name\": " + json::quote(p.name);
  out += ", \"role\": " + json::quote(p.role);
  out += ", \"dir\": " + json::quote(p.dir);
  out += ", \"pid\": " + std::to_string(p.pid);
  out += ", \"startTicks\": " + std::to_string(p.start_ticks);
  out += ", \"state\": " + json::quote(p.state);
  out += ", \"restarts\": " + std::to_string(p.restarts);
  out += ", \"listen\": " + json::quote(p.listen);
  out += ", \"http\": " + json::quote(p.http);
  out += ",\n     \"argv\": " + strings_json(p.argv) + "}";
  return out;
}

ProcessRecord process_from(const json::Value& j) {
  ProcessRecord p;
  p.name = j.string_at("name");
  p.role = j.string_at("role");
  p.dir = j.string_at("dir");
  p.argv = j.strings_at("argv");
  p.pid = static_cast<int>(j.int_at("pid"));
  p.start_ticks = j.uint_at("startTicks");
  p.state = j.string_at("state", "stopped");
  p.restarts = static_cast<std::uint32_t>(j.uint_at("restarts"));
  p.listen = j.string_at("listen");
  p.http = j.string_at("http");
  return p;
}

}  // namespace

std::string cluster_file(const std::string& dir) { return dir + "/cluster.json"; }

absl::StatusOr<ClusterRecord> read_cluster(const std::string& dir) {
  const std::string path = cluster_file(dir);
  std::ifstream in(path);
  if (!in) {
    const int err = errno;
    return absl::Status(
        err == ENOENT ? absl::StatusCode::kNotFound : absl::StatusCode::kFailedPrecondition,
        "no cluster in " + dir + " (" + path + ": " + std::generic_category().message(err) + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string why;
  const auto json = json::parse(buffer.str(), &why);
  if (!json || !json->is_object() || json->find("processes") == nullptr) {
    return absl::FailedPreconditionError(path + " is not a yzctl cluster record" +
                                         (why.empty() ? "" : ": " + why));
  }
  if (const auto version = json->int_at("version", 0); version != kFormatVersion) {
    return absl::FailedPreconditionError(path + " has format version " + std::to_string(version) +
                                         "; this yzctl reads " + std::to_string(kFormatVersion));
  }
  ClusterRecord record;
  record.dir = json->string_at("dir", dir);
  record.faults = json->strings_at("faults");
  record.time_scale = json->double_at("timeScale", 1.0);
  record.role_flags = json->strings_at("roleFlags");
  record.base_port = static_cast<int>(json->int_at("basePort"));
  record.bin_dir = json->string_at("binDir");
  record.tls = json->bool_at("tls");
  record.supervisor_pid = static_cast<int>(json->int_at("supervisorPid"));
  record.supervisor_start_ticks = json->uint_at("supervisorStartTicks");
  record.prometheus_pid = static_cast<int>(json->int_at("prometheusPid"));
  record.prometheus_start_ticks = json->uint_at("prometheusStartTicks");
  record.prometheus_url = json->string_at("prometheusUrl");
  record.prometheus_port = static_cast<int>(json->int_at("prometheusPort"));
  record.alertmanager_port = static_cast<int>(json->int_at("alertmanagerPort"));
  record.receiver_port = static_cast<int>(json->int_at("receiverPort"));
  record.service_slot = static_cast<int>(json->int_at("serviceSlot", -1));
  record.alertmanager_pid = static_cast<int>(json->int_at("alertmanagerPid"));
  record.alertmanager_start_ticks = json->uint_at("alertmanagerStartTicks");
  record.alertmanager_url = json->string_at("alertmanagerUrl");
  record.receiver_pid = static_cast<int>(json->int_at("receiverPid"));
  record.receiver_start_ticks = json->uint_at("receiverStartTicks");
  for (const json::Value& item : json->find("processes")->items()) {
    record.processes.push_back(process_from(item));
  }
  return record;
}

std::string write_cluster(const ClusterRecord& record) {
  std::string out = "{\n";
  out += "  \"version\": " + std::to_string(kFormatVersion) + ",\n";
  out += "  \"dir\": " + json::quote(record.dir) + ",\n";
  out += "  \"binDir\": " + json::quote(record.bin_dir) + ",\n";
  out += "  \"faults\": " + strings_json(record.faults) + ",\n";
  out += "  \"timeScale\": " + json::number(record.time_scale) + ",\n";
  out += "  \"roleFlags\": " + strings_json(record.role_flags) + ",\n";
  out += "  \"basePort\": " + std::to_string(record.base_port) + ",\n";
  out += std::string("  \"tls\": ") + (record.tls ? "true" : "false") + ",\n";
  out += "  \"supervisorPid\": " + std::to_string(record.supervisor_pid) + ",\n";
  out += "  \"supervisorStartTicks\": " + std::to_string(record.supervisor_start_ticks) + ",\n";
  out += "  \"prometheusPid\": " + std::to_string(record.prometheus_pid) + ",\n";
  out += "  \"prometheusStartTicks\": " + std::to_string(record.prometheus_start_ticks) + ",\n";
  out += "  \"prometheusUrl\": " + json::quote(record.prometheus_url) + ",\n";
  out += "  \"prometheusPort\": " + std::to_string(record.prometheus_port) + ",\n";
  out += "  \"alertmanagerPort\": " + std::to_string(record.alertmanager_port) + ",\n";
  out += "  \"receiverPort\": " + std::to_string(record.receiver_port) + ",\n";
  out += "  \"serviceSlot\": " + std::to_string(record.service_slot) + ",\n";
  out += "  \"alertmanagerPid\": " + std::to_string(record.alertmanager_pid) + ",\n";
  out += "  \"alertmanagerStartTicks\": " + std::to_string(record.alertmanager_start_ticks) + ",\n";
  out += "  \"alertmanagerUrl\": " + json::quote(record.alertmanager_url) + ",\n";
  out += "  \"receiverPid\": " + std::to_string(record.receiver_pid) + ",\n";
  out += "  \"receiverStartTicks\": " + std::to_string(record.receiver_start_ticks) + ",\n";
  out += "  \"processes\": [\n";
  for (std::size_t i = 0; i < record.processes.size(); ++i) {
    out += process_json(record.processes[i]);
    out += i + 1 < record.processes.size() ? ",\n" : "\n";
  }
  out += "  ]\n}\n";
  const std::string path = cluster_file(record.dir);
  if (std::string why = runtime::write_file_atomically(path, out, 0644); !why.empty()) {
    return "cannot write " + path + ": " + why;
  }
  // The file_sd target list is a view of this record: written with it, so a
  // restart, a new port or an added node reaches Prometheus too.
  return write_prometheus_targets(record);
}

ClusterLock::ClusterLock(const std::string& dir) {
  // O_CLOEXEC matters: a role process that inherited this descriptor would
  // hold the lock for as long as it runs.
  fd_ = ::open((dir + "/cluster.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) return;
  while (::flock(fd_, LOCK_EX) != 0) {
    if (errno == EINTR) continue;
    ::close(fd_);
    fd_ = -1;
    return;
  }
}

ClusterLock::~ClusterLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the flock
}

}  // namespace yz::cluster
