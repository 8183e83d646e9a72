// Shared pieces of the runtime benchmarks: one client over PeerLink.Connect
// that measures request/response round trips and pipelined throughput
// against any server (a yz process or the raw gRPC echo baseline), the
// baseline server process, and readers for what /proc says about a process.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "roles/json/json.h"
#include "tests/integration/harness.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::bench {

// Percentiles of a set of samples, in microseconds.
struct LatencySummary {
  std::size_t count = 0;
  double min_us = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double p999_us = 0;
  double max_us = 0;
  double mean_us = 0;
};
LatencySummary Summarize(std::vector<double> samples_us);

// CPU time (user + system) a process has used so far, in seconds.
double ProcessCpuSeconds(pid_t pid);
// Context switches (voluntary and not) of all a process's threads so far.
long ProcessContextSwitches(pid_t pid);

// Memory of a process as /proc reports it, in KiB (0 when unreadable).
struct MemoryFigures {
  long vm_rss_kib = 0;    // VmRSS: resident, shared library pages included
  long rss_anon_kib = 0;  // RssAnon: the process's own heap and stacks
  long rss_file_kib = 0;  // RssFile: mapped files (binary, shared libraries)
  long pss_kib = 0;       // Pss from smaps_rollup: shared pages split between sharers
  long vm_hwm_kib = 0;    // VmHWM: peak resident
  long threads = 0;
};
MemoryFigures ReadMemory(pid_t pid);
// The `n` mappings (files, or [heap], [anon], ...) with the most resident
// memory, from /proc/<pid>/smaps, as a JSON object of KiB.
std::string TopMappingsJson(pid_t pid, int n);

// A client end of one PeerLink.Connect stream (synchronous gRPC API). One
// thread may read while another writes; Write is serialised internally.
class FrameClient {
 public:
  explicit FrameClient(const std::string& address);
  ~FrameClient();
  FrameClient(const FrameClient&) = delete;
  FrameClient& operator=(const FrameClient&) = delete;

  bool Write(const v1::Frame& frame);
  bool Read(v1::Frame* frame);
  // Half-closes and waits for the server's status; returns its message.
  std::string Close();
  // Cancels the call: a blocked Read returns false.
  void Cancel();
  // Cancels the call when one Read has waited longer than `timeout` (0, the
  // default: never), so a server that drops requests (its rate limits) ends
  // a measurement with an error instead of hanging it.
  void SetStallTimeout(std::chrono::milliseconds timeout);
  // The stall timeout cancelled the call.
  bool Stalled() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// How the measurement loop talks to a server.
struct Protocol {
  // The request to send with this id.
  std::function<void(std::uint64_t request_id, v1::Frame* out)> make_request;
  // True when `frame` answers one of our requests (its request_id is then
  // the request's). Any other frame goes to `on_other`.
  std::function<bool(const v1::Frame& frame)> is_response;
  // A frame the server sent on its own (a yz node may ask us find_node, or
  // ping): the callback may answer through the client.
  std::function<void(FrameClient& client, const v1::Frame& frame)> on_other;
};

// find_node requests whose targets cycle through `distinct` random ids.
std::function<void(std::uint64_t, v1::Frame*)> FindNodeRequests(int distinct = 256);

// find_node requests; an echo server's answer is the request itself, a
// canned server's a find_node_response.
Protocol EchoProtocol();

struct LinkOptions {
  int warmup = 2000;       // round trips per target before measuring
  int sequential = 20000;  // ping-pongs per target, one at a time
  int pipelined = 200000;  // requests per target with `window` in flight
  int window = 64;
  // Each phase runs in this many blocks that take the targets in turn.
  int blocks = 10;
  // perf's --call-graph for profiled passes; empty: -g (frame pointers).
  std::string perf_call_graph;
};

struct LinkFigures {
  std::size_t request_bytes = 0;
  std::size_t response_bytes = 0;
  LatencySummary rtt;
  double rtt_server_switches_per_request = 0;  // server context switches
  // Pipelined phase.
  int window = 0;
  int blocks = 0;
  std::uint64_t pipelined_requests = 0;
  double pipelined_seconds = 0;
  double requests_per_second = 0;
  double server_cpu_seconds = 0;              // user + system of the server process
  double client_cpu_seconds = 0;              // of this process (client threads)
  double requests_per_server_cpu_second = 0;  // the "one core" figure
  double server_switches_per_request = 0;     // context switches, all threads
  LatencySummary pipelined_latency;           // per request, under load
  std::uint64_t unsolicited_frames = 0;       // frames the server sent on its own
  std::string error;                          // empty on success
};

// One server under measurement, through a connected (and, for a yz process,
// handshaken) client.
struct Target {
  std::string name;
  FrameClient* client = nullptr;
  Protocol protocol;
  pid_t server_pid = 0;  // for the server's CPU time
};

// A warm-up of each target, then the sequential round trips, then the
// pipelined requests; each phase in `blocks` blocks that take the targets in
// turn (starting with a different one each block), so drift in the load of
// the machine falls on every target alike. Returns each target's figures.
std::vector<LinkFigures> MeasureInterleaved(const std::vector<Target>& targets,
                                            const LinkOptions& options);

// Only the pipelined phase (for a profiler to watch); returns requests/s.
double RunPipelined(FrameClient& client, const Protocol& protocol, int count, int window,
                    std::uint64_t first_request_id);

// Runs `body` while `perf record -g` (or --call-graph `call_graph`) samples
// process `pid` into `output`.
void WithPerf(pid_t pid, const std::string& output, const std::string& log,
              const std::string& call_graph, const std::function<void()>& body);

// A grpc_echo_baseline --serve process, stopped by the destructor.
class EchoServer {
 public:
  // `binary` is grpc_echo_baseline; echo, or canned with `reply_file`. The
  // port file and log go to `dir`.
  EchoServer(const std::string& binary, const std::string& reply_file, const std::string& dir);
  ~EchoServer();
  EchoServer(const EchoServer&) = delete;
  EchoServer& operator=(const EchoServer&) = delete;

  const std::string& error() const { return error_; }
  const std::string& mode() const { return mode_; }
  const std::string& address() const { return address_; }
  pid_t pid() const { return child_.pid(); }

 private:
  std::string mode_;
  std::string address_;
  std::string error_;
  integration::Child child_;
};

// JSON helpers for the reports (strings are quoted with json::quote).
std::string Json(const LatencySummary& s);
std::string Json(const MemoryFigures& m);
std::string Json(const LinkFigures& f);
// CPU model and count, memory, kernel, gRPC version and the load average
// (other work on the machine shows there), as a JSON object.
std::string MachineJson();
// /proc/loadavg, e.g. "0.52 0.40 0.31 2/180 12345".
std::string LoadAverage();

// A find_node_response of `peers` made-up peers shaped like a real one, for a
// baseline that has no real answer to copy.
v1::Frame SyntheticFindNodeResponse(int peers);
// 40 random lowercase hex digits.
std::string RandomNodeIdHex();

}  // namespace yz::bench
