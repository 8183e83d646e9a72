#include "tests/bench/runtime/link_bench.h"

#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <semaphore>
#include <sstream>
#include <thread>

#include "tests/integration/harness.h"

namespace yz::bench {
namespace {

using Clock = std::chrono::steady_clock;

std::int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

double Percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  // Nearest rank: the smallest sample with at least q of them at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double SelfCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string Number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

// The value of "Key:   123 kB" in a /proc status-like file.
long ProcField(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':')
      return std::strtol(line.c_str() + key.size() + 1, nullptr, 10);
  }
  return 0;
}

}  // namespace

LatencySummary Summarize(std::vector<double> samples) {
  LatencySummary s;
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.count = samples.size();
  s.min_us = samples.front();
  s.max_us = samples.back();
  s.p50_us = Percentile(samples, 0.50);
  s.p90_us = Percentile(samples, 0.90);
  s.p99_us = Percentile(samples, 0.99);
  s.p999_us = Percentile(samples, 0.999);
  double sum = 0;
  for (double v : samples) sum += v;
  s.mean_us = sum / static_cast<double>(samples.size());
  return s;
}

double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::vector<std::string> f;
  std::string field;
  while (fields >> field) f.push_back(field);
  // After the command: state is field 3, utime field 14, stime field 15.
  if (f.size() < 13) return 0;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(f[11]) + std::stod(f[12])) / ticks;
}

long ProcessContextSwitches(pid_t pid) {
  if (pid <= 0) return 0;
  long total = 0;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    const std::string status = task.path().string() + "/status";
    total += ProcField(status, "voluntary_ctxt_switches") +
             ProcField(status, "nonvoluntary_ctxt_switches");
  }
  return total;
}

MemoryFigures ReadMemory(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  MemoryFigures m;
  m.vm_rss_kib = ProcField(base + "/status", "VmRSS");
  m.rss_anon_kib = ProcField(base + "/status", "RssAnon");
  m.rss_file_kib = ProcField(base + "/status", "RssFile");
  m.vm_hwm_kib = ProcField(base + "/status", "VmHWM");
  m.threads = ProcField(base + "/status", "Threads");
  m.pss_kib = ProcField(base + "/smaps_rollup", "Pss");
  return m;
}

std::string TopMappingsJson(pid_t pid, int n) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/smaps");
  std::map<std::string, long> rss;
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ')) {
      // "start-end perms offset dev inode [path]": the path is the sixth field.
      std::istringstream fields(line);
      std::string skip, path;
      for (int i = 0; i < 5; ++i) fields >> skip;
      std::getline(fields >> std::ws, path);
      current = path.empty() ? "[anon]" : path;
    } else if (line.rfind("Rss:", 0) == 0) {
      rss[current] += std::strtol(line.c_str() + 4, nullptr, 10);
    }
  }
  std::vector<std::pair<long, std::string>> sorted;
  for (const auto& [path, kib] : rss) sorted.emplace_back(kib, path);
  std::sort(sorted.rbegin(), sorted.rend());
  std::string json = "{";
  for (int i = 0; i < n && i < static_cast<int>(sorted.size()); ++i) {
    if (i > 0) json += ",";
    json += json::quote(sorted[static_cast<std::size_t>(i)].second) + ":" +
            std::to_string(sorted[static_cast<std::size_t>(i)].first);
  }
  return json + "}";
}

struct FrameClient::Impl {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::PeerLink::Stub> stub;
  grpc::ClientContext context;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream;
  std::mutex write_mu;
  bool closed = false;
  // The stall watchdog: when the Read in progress started (0: none).
  std::atomic<std::int64_t> read_since_ns{0};
  std::atomic<bool> stalled{false};
  std::mutex watchdog_mu;
  std::condition_variable watchdog_cv;
  bool stopping = false;
  std::thread watchdog;
};

FrameClient::FrameClient(const std::string& address) : impl_(std::make_unique<Impl>()) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(1 << 20);
  args.SetMaxSendMessageSize(1 << 20);
  impl_->channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  impl_->stub = v1::PeerLink::NewStub(impl_->channel);
  impl_->stream = impl_->stub->Connect(&impl_->context);
}

FrameClient::~FrameClient() {
  if (impl_->watchdog.joinable()) {
    {
      std::lock_guard lock(impl_->watchdog_mu);
      impl_->stopping = true;
    }
    impl_->watchdog_cv.notify_all();
    impl_->watchdog.join();
  }
  if (!impl_->closed) {
    impl_->context.TryCancel();
    impl_->stream->Finish();
  }
}

bool FrameClient::Write(const v1::Frame& frame) {
  std::lock_guard lock(impl_->write_mu);
  return impl_->stream->Write(frame);
}

bool FrameClient::Read(v1::Frame* frame) {
  impl_->read_since_ns.store(NowNs(), std::memory_order_relaxed);
  const bool ok = impl_->stream->Read(frame);
  impl_->read_since_ns.store(0, std::memory_order_relaxed);
  return ok;
}

void FrameClient::SetStallTimeout(std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0 || impl_->watchdog.joinable()) return;
  impl_->watchdog = std::thread([impl = impl_.get(), timeout] {
    const std::int64_t limit_ns = std::chrono::nanoseconds(timeout).count();
    std::unique_lock lock(impl->watchdog_mu);
    while (!impl->watchdog_cv.wait_for(lock, std::chrono::milliseconds(100),
                                       [impl] { return impl->stopping; })) {
      const std::int64_t since = impl->read_since_ns.load(std::memory_order_relaxed);
      if (since != 0 && NowNs() - since > limit_ns && !impl->stalled) {
        impl->stalled = true;
        impl->context.TryCancel();
      }
    }
  });
}

bool FrameClient::Stalled() const { return impl_->stalled; }

std::string FrameClient::Close() {
  if (impl_->closed) return {};
  impl_->closed = true;
  {
    std::lock_guard lock(impl_->write_mu);
    impl_->stream->WritesDone();
  }
  v1::Frame ignored;
  while (impl_->stream->Read(&ignored)) {
  }
  return impl_->stream->Finish().error_message();
}

void FrameClient::Cancel() { impl_->context.TryCancel(); }

namespace {

// One request at a time; returns the round trip in microseconds, or a
// negative value when the stream broke.
double RoundTrip(FrameClient& client, const Protocol& protocol, std::uint64_t id,
                 v1::Frame& request, v1::Frame& response, std::uint64_t& unsolicited) {
  protocol.make_request(id, &request);
  const std::int64_t start = NowNs();
  if (!client.Write(request)) return -1;
  while (client.Read(&response)) {
    if (protocol.is_response(response)) {
      if (response.request_id() == id) return static_cast<double>(NowNs() - start) / 1e3;
      continue;  // a late answer to an earlier request
    }
    ++unsolicited;
    if (protocol.on_other) protocol.on_other(client, response);
  }
  return -1;
}

struct PipelineResult {
  double seconds = 0;
  std::vector<double> latencies_us;
  std::uint64_t unsolicited = 0;
  std::string error;
};

PipelineResult Pipeline(FrameClient& client, const Protocol& protocol, int count, int window,
                        std::uint64_t first_id) {
  PipelineResult result;
  std::vector<std::atomic<std::int64_t>> sent_at(static_cast<std::size_t>(count));
  std::vector<double> latencies(static_cast<std::size_t>(count), 0.0);
  std::counting_semaphore<1 << 20> slots(window);
  std::atomic<bool> broken{false};
  std::atomic<std::uint64_t> unsolicited{0};

  std::thread reader([&] {
    v1::Frame frame;
    int answered = 0;
    while (answered < count) {
      if (!client.Read(&frame)) {
        broken = true;
        slots.release(window);
        return;
      }
      if (!protocol.is_response(frame)) {
        ++unsolicited;
        if (protocol.on_other) protocol.on_other(client, frame);
        continue;
      }
      const std::uint64_t index = frame.request_id() - first_id;
      if (frame.request_id() < first_id || index >= static_cast<std::uint64_t>(count)) continue;
      latencies[index] =
          static_cast<double>(NowNs() - sent_at[index].load(std::memory_order_acquire)) / 1e3;
      ++answered;
      slots.release();
    }
  });

  v1::Frame request;
  const std::int64_t start = NowNs();
  for (int i = 0; i < count && !broken; ++i) {
    if (!slots.try_acquire_for(std::chrono::seconds(30))) {
      broken = true;
      break;
    }
    protocol.make_request(first_id + static_cast<std::uint64_t>(i), &request);
    sent_at[static_cast<std::size_t>(i)].store(NowNs(), std::memory_order_release);
    if (!client.Write(request)) broken = true;
  }
  if (broken) {
    // The reader may still wait for answers that will never come.
    client.Close();
    reader.join();
    result.error = "the stream broke during the pipelined phase";
    return result;
  }
  reader.join();
  result.seconds = static_cast<double>(NowNs() - start) / 1e9;
  result.latencies_us = std::move(latencies);
  result.unsolicited = unsolicited;
  return result;
}

}  // namespace

std::vector<LinkFigures> MeasureInterleaved(const std::vector<Target>& targets,
                                            const LinkOptions& options) {
  const std::size_t n = targets.size();
  std::vector<LinkFigures> figures(n);
  std::vector<std::uint64_t> next_id(n, 2);  // 1 may have been a probe
  std::vector<std::uint64_t> unsolicited(n, 0);
  std::vector<std::vector<double>> rtts(n), piped_latencies(n);
  v1::Frame request, response;
  auto broken = [&](std::size_t t) { return !figures[t].error.empty(); };

  for (std::size_t t = 0; t < n; ++t) {
    const Target& target = targets[t];
    for (int i = 0; i < options.warmup && !broken(t); ++i) {
      if (RoundTrip(*target.client, target.protocol, next_id[t]++, request, response,
                    unsolicited[t]) < 0)
        figures[t].error = "the stream broke during warm-up";
    }
    figures[t].request_bytes = request.ByteSizeLong();
    figures[t].response_bytes = response.ByteSizeLong();
  }

  const int blocks = std::max(1, options.blocks);
  std::vector<long> rtt_switches(n, 0), piped_switches(n, 0);
  for (int b = 0; b < blocks; ++b) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t t = (k + static_cast<std::size_t>(b)) % n;
      const Target& target = targets[t];
      const long switches0 = ProcessContextSwitches(target.server_pid);
      for (int i = 0; i < options.sequential / blocks && !broken(t); ++i) {
        const double rtt = RoundTrip(*target.client, target.protocol, next_id[t]++, request,
                                     response, unsolicited[t]);
        if (rtt < 0) {
          figures[t].error = "the stream broke during the sequential phase";
        } else {
          rtts[t].push_back(rtt);
        }
      }
      rtt_switches[t] += ProcessContextSwitches(target.server_pid) - switches0;
    }
  }
  for (int b = 0; b < blocks; ++b) {
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t t = (k + static_cast<std::size_t>(b)) % n;
      if (broken(t)) continue;
      const Target& target = targets[t];
      const int count = options.pipelined / blocks;
      const double server_cpu0 = ProcessCpuSeconds(target.server_pid);
      const long switches0 = ProcessContextSwitches(target.server_pid);
      const double client_cpu0 = SelfCpuSeconds();
      PipelineResult piped =
          Pipeline(*target.client, target.protocol, count, options.window, next_id[t]);
      const double server_cpu1 = ProcessCpuSeconds(target.server_pid);
      const double client_cpu1 = SelfCpuSeconds();
      piped_switches[t] += ProcessContextSwitches(target.server_pid) - switches0;
      next_id[t] += static_cast<std::uint64_t>(count);
      if (!piped.error.empty()) {
        figures[t].error = piped.error;
        continue;
      }
      LinkFigures& f = figures[t];
      f.pipelined_requests += static_cast<std::uint64_t>(count);
      f.pipelined_seconds += piped.seconds;
      f.server_cpu_seconds += server_cpu1 - server_cpu0;
      f.client_cpu_seconds += client_cpu1 - client_cpu0;
      unsolicited[t] += piped.unsolicited;
      piped_latencies[t].insert(piped_latencies[t].end(), piped.latencies_us.begin(),
                                piped.latencies_us.end());
    }
  }

  for (std::size_t t = 0; t < n; ++t) {
    LinkFigures& f = figures[t];
    if (broken(t) && targets[t].client->Stalled())
      f.error += " (no answer in time: the server dropped a request; its rate limits?)";
    if (broken(t)) continue;
    if (!rtts[t].empty())
      f.rtt_server_switches_per_request =
          static_cast<double>(rtt_switches[t]) / static_cast<double>(rtts[t].size());
    f.rtt = Summarize(std::move(rtts[t]));
    f.server_switches_per_request =
        static_cast<double>(piped_switches[t]) / static_cast<double>(f.pipelined_requests);
    f.window = options.window;
    f.blocks = blocks;
    f.requests_per_second = static_cast<double>(f.pipelined_requests) / f.pipelined_seconds;
    if (f.server_cpu_seconds > 0)
      f.requests_per_server_cpu_second =
          static_cast<double>(f.pipelined_requests) / f.server_cpu_seconds;
    f.pipelined_latency = Summarize(std::move(piped_latencies[t]));
    f.unsolicited_frames = unsolicited[t];
  }
  return figures;
}

double RunPipelined(FrameClient& client, const Protocol& protocol, int count, int window,
                    std::uint64_t first_request_id) {
  PipelineResult piped = Pipeline(client, protocol, count, window, first_request_id);
  return piped.error.empty() ? count / piped.seconds : 0;
}

std::string Json(const LatencySummary& s) {
  return "{\"count\":" + std::to_string(s.count) + ",\"min_us\":" + Number(s.min_us) +
         ",\"p50_us\":" + Number(s.p50_us) + ",\"p90_us\":" + Number(s.p90_us) +
         ",\"p99_us\":" + Number(s.p99_us) + ",\"p999_us\":" + Number(s.p999_us) +
         ",\"max_us\":" + Number(s.max_us) + ",\"mean_us\":" + Number(s.mean_us) + "}";
}

std::string Json(const MemoryFigures& m) {
  return "{\"vm_rss_kib\":" + std::to_string(m.vm_rss_kib) +
         ",\"rss_anon_kib\":" + std::to_string(m.rss_anon_kib) +
         ",\"rss_file_kib\":" + std::to_string(m.rss_file_kib) +
         ",\"pss_kib\":" + std::to_string(m.pss_kib) +
         ",\"vm_hwm_kib\":" + std::to_string(m.vm_hwm_kib) +
         ",\"threads\":" + std::to_string(m.threads) + "}";
}

std::string Json(const LinkFigures& f) {
  if (!f.error.empty()) return "{\"error\":" + json::quote(f.error) + "}";
  return "{\"request_bytes\":" + std::to_string(f.request_bytes) +
         ",\"response_bytes\":" + std::to_string(f.response_bytes) + ",\"rtt\":" + Json(f.rtt) +
         ",\"rtt_server_switches_per_request\":" + Number(f.rtt_server_switches_per_request) +
         ",\"pipelined\":{\"window\":" + std::to_string(f.window) +
         ",\"blocks\":" + std::to_string(f.blocks) +
         ",\"requests\":" + std::to_string(f.pipelined_requests) +
         ",\"seconds\":" + Number(f.pipelined_seconds) +
         ",\"requests_per_second\":" + Number(f.requests_per_second) +
         ",\"server_cpu_seconds\":" + Number(f.server_cpu_seconds) +
         ",\"client_cpu_seconds\":" + Number(f.client_cpu_seconds) +
         ",\"requests_per_server_cpu_second\":" + Number(f.requests_per_server_cpu_second) +
         ",\"server_switches_per_request\":" + Number(f.server_switches_per_request) +
         ",\"latency\":" + Json(f.pipelined_latency) +
         "},\"unsolicited_frames\":" + std::to_string(f.unsolicited_frames) + "}";
}

std::string LoadAverage() {
  std::string text = integration::read_file("/proc/loadavg");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

std::string MachineJson() {
  std::string model;
  {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (model.empty() && std::getline(in, line)) {
      if (line.rfind("model name", 0) == 0) model = line.substr(line.find(':') + 2);
    }
  }
  utsname u{};
  uname(&u);
  const long mem_kib = ProcField("/proc/meminfo", "MemTotal");
  return "{\"cpu\":" + json::quote(model) +
         ",\"online_cpus\":" + std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) +
         ",\"memory_mib\":" + std::to_string(mem_kib / 1024) +
         ",\"kernel\":" + json::quote(std::string(u.sysname) + " " + u.release) +
         ",\"grpc\":" + json::quote(grpc::Version()) + ",\"pinned\":false" +
         ",\"loadavg\":" + json::quote(LoadAverage()) + "}";
}

std::string RandomNodeIdHex() {
  unsigned char bytes[20];
  if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) {
    for (auto& b : bytes) b = static_cast<unsigned char>(std::rand());
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : bytes) {
    hex += kHex[b >> 4];
    hex += kHex[b & 15];
  }
  return hex;
}

std::function<void(std::uint64_t, v1::Frame*)> FindNodeRequests(int distinct) {
  auto targets = std::make_shared<std::vector<std::string>>();
  for (int i = 0; i < distinct; ++i) targets->push_back(RandomNodeIdHex());
  return [targets](std::uint64_t id, v1::Frame* out) {
    out->Clear();
    out->set_request_id(id);
    out->mutable_find_node()->set_target((*targets)[id % targets->size()]);
  };
}

void WithPerf(pid_t pid, const std::string& output, const std::string& log,
              const std::string& call_graph, const std::function<void()>& body) {
  integration::Child perf = integration::Child::spawn(
      {"/usr/bin/perf", "record", call_graph.empty() ? "-g" : "--call-graph=" + call_graph, "-p",
       std::to_string(pid), "-o", output},
      {}, log);
  // perf says nothing once attached; give it a moment to open its events.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  body();
  perf.signal(SIGINT);
  perf.wait(std::chrono::seconds(60));
}

EchoServer::EchoServer(const std::string& binary, const std::string& reply_file,
                       const std::string& dir)
    : mode_(reply_file.empty() ? "echo" : "canned") {
  const std::string port_file = dir + "/" + mode_ + ".port";
  const std::string log = dir + "/" + mode_ + ".log";
  std::vector<std::string> argv = {binary, "--serve", "--port-file", port_file};
  if (!reply_file.empty()) {
    argv.push_back("--reply-file");
    argv.push_back(reply_file);
  }
  unlink(port_file.c_str());
  child_ = integration::Child::spawn(argv, {}, log);
  if (!integration::eventually(
          [&] { return access(port_file.c_str(), R_OK) == 0 || !child_.running(); },
          std::chrono::seconds(10)) ||
      !child_.running()) {
    error_ = "the " + mode_ + " server did not start; see " + log;
    return;
  }
  const std::string port = integration::read_file(port_file);
  address_ = "127.0.0.1:" + port.substr(0, port.find('\n'));
}

EchoServer::~EchoServer() { child_.stop(); }

Protocol EchoProtocol() {
  Protocol protocol;
  protocol.make_request = FindNodeRequests();
  protocol.is_response = [](const v1::Frame& frame) {
    return frame.has_find_node() || frame.has_find_node_response();
  };
  return protocol;
}

v1::Frame SyntheticFindNodeResponse(int peers) {
  v1::Frame frame;
  auto* response = frame.mutable_find_node_response();
  for (int i = 0; i < peers; ++i) {
    auto* peer = response->add_nodes();
    peer->set_node_id(RandomNodeIdHex());
    auto* metadata = peer->mutable_metadata();
    metadata->set_role(v1::ROLE_NODE);
    metadata->set_address("127.0.0.1:" + std::to_string(40000 + i));
    metadata->set_protocol_version(1);
    metadata->set_build_id("yz-dev");
    metadata->set_name("dht-node-" + std::to_string(i + 1));
  }
  return frame;
}

}  // namespace yz::bench
