// What one yz process costs and serves, against a bare gRPC stream measured
// in the same run. Not a test: it prints figures (JSON on stdout, a summary
// on stderr) and never fails on their values.
//
//   find_node_bench [--nodes 20] [--bridges 1] [--target dht-node-10]
//                   [--warmup 2000] [--sequential 20000] [--pipelined 200000]
//                   [--window 64] [--blocks 10] [--ready-runs 10] [--settle 5]
//                   [--perf-dir DIR [--perf-call-graph dwarf]]
//                   [--before-bin-dir DIR]
//
// 1. Starts bootstrap, genesis, the bridges and the nodes as real processes
//    on 127.0.0.1 (tests/integration/local_cluster.h), waits until every one
//    is healthy, lets them settle and reads each one's resident memory.
// 2. Opens PeerLink.Connect to the target node as a DHT peer would
//    (dht_peer_hello, then dht_peer_connected) and measures find_node: round
//    trips one at a time (p50/p99) and requests per second with a window of
//    requests in flight, answers matched by request_id.
// 3. Measures two grpc_echo_baseline servers the same way, in the same run,
//    interleaved with the node in blocks: one echoing the request ("echo"),
//    one answering with the node's real find_node_response bytes ("canned");
//    prints yz's ratio to each.
//    With --before-bin-dir, a second cluster of that build's binaries is
//    started too and its node joins the same blocks as "yz-before", so a
//    change's cost is a ratio within one run (yz / yz-before).
// 4. Times start-to-ready of each role, --ready-runs times with fresh data
//    dirs: spawn -> /health 200 and, for a bootstrap, nothing more; for a
//    genesis (with a fresh bootstrap of its own), registered; for one more
//    bridge or node joining the running cluster, connectedPeers > 0.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/identity.h"
#include "tests/bench/runtime/link_bench.h"
#include "tests/integration/hostile_client.h"
#include "tests/integration/local_cluster.h"

namespace yz::bench {
namespace {

using Clock = std::chrono::steady_clock;
using integration::ClusterOptions;
using integration::HttpReply;
using integration::LocalCluster;

// The secrets tests/integration/local_cluster.cc gives its processes
// (BRIDGE_AUTH, GENESIS_AUTH), read from the running bootstrap's
// environment, so a bridge or genesis started here is accepted without this
// file repeating them.
std::map<std::string, std::string>& Secrets() {
  static std::map<std::string, std::string> secrets;
  return secrets;
}

void CopySecretsFrom(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
  std::string entry;
  while (std::getline(in, entry, '\0')) {
    for (const char* name : {"BRIDGE_AUTH=", "GENESIS_AUTH="}) {
      const std::string prefix = name;
      if (entry.rfind(prefix, 0) == 0)
        Secrets()[prefix.substr(0, prefix.size() - 1)] = entry.substr(prefix.size());
    }
  }
}

// A rate no bench reaches (the flags take up to 2^32 - 1; 0 would switch
// the check off rather than pass it).
constexpr char kNoLimit[] = "1000000000";

struct Options {
  int nodes = 20;
  int bridges = 1;
  std::string target;  // default: the middle node
  LinkOptions link;
  int ready_runs = 10;
  int settle_seconds = 5;
  std::string perf_dir;
  // Another build's bin/ (yz-bootstrap, ...): a second cluster of those
  // binaries, whose node is measured in the same blocks as "yz-before".
  std::string before_bin_dir;
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string Num(double value) {
  std::ostringstream out;
  out.precision(6);
  out << value;
  return out.str();
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

bool Ready(const HttpReply& reply, bool needs_peers) {
  if (reply.status != 200 || !integration::json_true(reply.body, "healthy")) return false;
  if (!needs_peers) return true;
  return integration::json_number(reply.body, "connectedPeers") > 0 &&
         integration::json_number(reply.body, "routingTableSize") > 0;
}

bool AllReady(LocalCluster& cluster) {
  for (auto& m : cluster.members())
    if (!Ready(cluster.health(m), m.role != "bootstrap")) return false;
  return true;
}

// The answer and unsolicited-frame handling of a DHT peer.
Protocol YzProtocol() {
  Protocol protocol;
  protocol.make_request = FindNodeRequests();
  protocol.is_response = [](const v1::Frame& frame) { return frame.has_find_node_response(); };
  protocol.on_other = [](FrameClient& client, const v1::Frame& frame) {
    // The node may look us up in its own lookups, or ping: answer like a
    // peer with an empty routing table, so nothing waits on us.
    v1::Frame reply;
    reply.set_request_id(frame.request_id());
    if (frame.has_find_node()) {
      reply.mutable_find_node_response();
    } else if (frame.has_ping()) {
      reply.mutable_pong();
    } else {
      return;
    }
    client.Write(reply);
  };
  return protocol;
}

// Reads until `accept` says yes, or gives up after `timeout` (cancelling the
// call, which the caller then discards).
bool ReadUntil(FrameClient& client, const std::function<bool(const v1::Frame&)>& accept,
               std::chrono::milliseconds timeout, v1::Frame* out) {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false;
  std::thread watchdog([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, timeout, [&] { return finished; })) client.Cancel();
  });
  bool ok = false;
  while (client.Read(out)) {
    if (accept(*out)) {
      ok = true;
      break;
    }
  }
  {
    std::lock_guard lock(mu);
    finished = true;
  }
  cv.notify_all();
  watchdog.join();
  return ok;
}

// A fresh key for the bench's peer: four words from the kernel.
std::shared_ptr<const core::Identity> RandomIdentity() {
  std::random_device random;
  auto word = [&] { return (std::uint64_t{random()} << 32) | random(); };
  return core::Identity::from_words(word(), word(), word(), word());
}

// The signed handshake of roles/core/handshake_auth.h, as a member dials:
// our hello carries our key and a fresh nonce; the node's
// dht_peer_connected must prove its id by signing that nonce; our
// dht_peer_proof signs the node's nonce and shows a membership chain rooted
// at the bootstrap's key (the one-link chain the bootstrap gives a bridge,
// minted by tests/integration/hostile_client.h from the bootstrap's key
// file, which this bench can read because it started the bootstrap).
std::string SignedHandshake(FrameClient& client, const core::Identity& key,
                            const core::CredentialChain& chain) {
  v1::Frame hello;
  auto* h = hello.mutable_dht_peer_hello();
  h->set_peer_id(key.node_id().to_hex());
  h->set_public_key(key.public_key());
  std::string nonce(core::kNonceBytes, '\0');
  std::random_device random;
  for (char& c : nonce) c = static_cast<char>(random());
  h->set_nonce(nonce);
  auto* metadata = h->mutable_metadata();
  metadata->set_role(v1::ROLE_NODE);
  metadata->set_address("127.0.0.1:1");  // never dialled back successfully
  metadata->set_protocol_version(1);
  metadata->set_build_id("yz-bench");
  metadata->set_name("find-node-bench");
  v1::Frame frame;
  if (!client.Write(hello)) return "the node ended the stream before our hello";
  if (!ReadUntil(
          client, [](const v1::Frame& f) { return f.has_dht_peer_connected() || f.has_error(); },
          std::chrono::seconds(5), &frame) ||
      !frame.has_dht_peer_connected())
    return "handshake failed: " + frame.ShortDebugString();
  const auto& connected = frame.dht_peer_connected();
  const auto node = core::NodeId::from_hex(connected.node_id());
  if (!node || core::node_id_for_key(connected.public_key()) != *node ||
      !core::verify_signature(connected.public_key(),
                              core::handshake_message('A', nonce, *node, key.node_id()),
                              connected.signature()))
    return "the node's dht_peer_connected does not prove its id";
  v1::Frame proof;
  proof.mutable_dht_peer_proof()->set_signature(
      key.sign(core::handshake_message('D', connected.nonce(), key.node_id(), *node)));
  integration::hostile::put_chain(chain, proof.mutable_dht_peer_proof()->mutable_chain());
  if (!client.Write(proof)) return "the node ended the stream before our proof";
  return {};
}

// A handshaken link to `address` whose DHT listener answers find_node, and
// one real answer. Retries with a fresh key a few times.
std::unique_ptr<FrameClient> ConnectAsPeer(const std::string& address, v1::Frame* answer,
                                           std::string* error) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto client = std::make_unique<FrameClient>(address);
    const auto key = RandomIdentity();
    const core::CredentialChain chain = integration::hostile::insider_chain(*key);
    if (chain.empty()) {
      *error = "no bootstrap key to mint a membership chain with";
      return nullptr;
    }
    if (std::string why = SignedHandshake(*client, *key, chain); !why.empty()) {
      *error = why;
      continue;
    }
    v1::Frame probe;
    probe.set_request_id(1);
    probe.mutable_find_node()->set_target(RandomNodeIdHex());
    v1::Frame refusal;
    if (!client->Write(probe) ||
        !ReadUntil(
            *client,
            [&](const v1::Frame& f) {
              if (f.has_error()) refusal = f;
              return f.has_error() || (f.has_find_node_response() && f.request_id() == 1);
            },
            std::chrono::seconds(5), answer) ||
        !answer->has_find_node_response()) {
      *error = "no find_node_response on a fresh link" +
               (refusal.has_error() ? ": " + refusal.ShortDebugString() : std::string());
      continue;
    }
    error->clear();
    return client;
  }
  return nullptr;
}

// What "ready" means for a role that just started.
enum class Readiness {
  kServing,     // /health 200 (the bootstrap)
  kRegistered,  // and registered with the bootstrap (genesis)
  kLinked,      // and at least one established peer link (bridge, node)
};

struct ReadyRun {
  double listening_ms = 0;  // ports.json written: gRPC and HTTP listening
  double ready_ms = 0;      // spawn -> ready (see Readiness)
  long connected_peers = 0;
  MemoryFigures memory;  // right when ready
  std::string error;
};

bool IsReady(const HttpReply& reply, Readiness readiness) {
  if (reply.status != 200 || !integration::json_true(reply.body, "healthy")) return false;
  switch (readiness) {
    case Readiness::kServing:
      return true;
    case Readiness::kRegistered:
      return integration::json_true(reply.body, "bootstrapConnected");
    case Readiness::kLinked:
      return integration::json_number(reply.body, "connectedPeers") > 0;
  }
  return false;
}

// `argv` with the values of --name and --data-dir replaced.
std::vector<std::string> Renamed(std::vector<std::string> argv, const std::string& name,
                                 const std::string& data_dir) {
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == "--name") argv[i + 1] = name;
    if (argv[i] == "--data-dir") argv[i + 1] = data_dir;
  }
  return argv;
}

// Spawns `argv` (whose --data-dir is `data_dir`), polls every 2 ms, stops it
// once ready.
ReadyRun TimeStart(const std::vector<std::string>& argv, const std::string& data_dir,
                   const std::string& log, Readiness readiness) {
  ReadyRun result;
  const auto start = Clock::now();
  integration::Child child = integration::Child::spawn(argv, Secrets(), log);
  std::string http;
  const auto deadline = start + std::chrono::seconds(60);
  while (Clock::now() < deadline && child.running()) {
    if (http.empty()) {
      if (auto port = integration::port_of(data_dir, "http")) {
        http = *port;
        result.listening_ms = Ms(Clock::now() - start);
      }
    }
    if (!http.empty()) {
      const HttpReply reply = integration::http_get(http, "/health");
      if (IsReady(reply, readiness)) {
        result.ready_ms = Ms(Clock::now() - start);
        result.connected_peers = integration::json_number(reply.body, "connectedPeers");
        result.memory = ReadMemory(child.pid());
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (result.ready_ms == 0) result.error = argv.front() + " was not ready within 60 s; see " + log;
  child.stop();
  return result;
}

// Start-to-ready of `runs` fresh processes of one role; JSON and a log line.
std::string TimeRole(LocalCluster& cluster, const std::string& role, int runs, std::ostream& log) {
  std::vector<double> listening, ready;
  std::ostringstream json;
  json << "{\"runs\":[";
  const std::string dir = cluster.dir() + "/ready";
  std::filesystem::create_directories(dir);
  for (int run = 1; run <= runs; ++run) {
    const std::string name = "ready-" + role + "-" + std::to_string(run);
    const std::string data_dir = dir + "/" + name;
    ReadyRun r;
    if (role == "bootstrap") {
      // A fresh bootstrap of its own: serving is all it has to do.
      r = TimeStart(Renamed(cluster.member("bootstrap").argv, name, data_dir), data_dir,
                    data_dir + ".log", Readiness::kServing);
    } else if (role == "genesis") {
      // A fresh network: its own bootstrap first (not timed), then genesis.
      const std::string boot_dir = data_dir + "-bootstrap";
      integration::Child boot = integration::Child::spawn(
          Renamed(cluster.member("bootstrap").argv, name + "-bootstrap", boot_dir), Secrets(),
          boot_dir + ".log");
      integration::eventually([&] { return integration::port_of(boot_dir, "listen").has_value(); },
                              std::chrono::seconds(10));
      std::vector<std::string> argv = Renamed(cluster.member("genesis").argv, name, data_dir);
      for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == "--bootstrap")
          argv[i + 1] = integration::port_of(boot_dir, "listen").value_or("");
      r = TimeStart(argv, data_dir, data_dir + ".log", Readiness::kRegistered);
      boot.stop();
    } else {
      // One more bridge or node, joining the running cluster.
      const std::string model = role == "bridge" ? "bridge-node-1" : "dht-node-1";
      r = TimeStart(Renamed(cluster.member(model).argv, name, data_dir), data_dir,
                    data_dir + ".log", Readiness::kLinked);
    }
    json << (run == 1 ? "" : ",");
    if (!r.error.empty()) {
      json << "{\"error\":" << json::quote(r.error) << "}";
      log << "  " << role << " start-to-ready run " << run << ": " << r.error << "\n";
      continue;
    }
    listening.push_back(r.listening_ms);
    ready.push_back(r.ready_ms);
    json << "{\"listening_ms\":" << Num(r.listening_ms) << ",\"ready_ms\":" << Num(r.ready_ms)
         << ",\"connected_peers\":" << r.connected_peers << ",\"memory\":" << Json(r.memory) << "}";
    // Let the cluster see it go before the next one comes.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  json << "],\"listening_ms_median\":" << Num(Median(listening))
       << ",\"ready_ms_median\":" << Num(Median(ready));
  if (!ready.empty()) {
    const auto [lo, hi] = std::minmax_element(ready.begin(), ready.end());
    json << ",\"ready_ms_min\":" << Num(*lo) << ",\"ready_ms_max\":" << Num(*hi);
    log << "  " << role << ": median " << Num(Median(ready)) << " ms [" << Num(*lo) << ".."
        << Num(*hi) << "] over " << ready.size() << " runs; listening after "
        << Num(Median(listening)) << " ms\n";
  }
  json << "}";
  return json.str();
}

std::string Ratio(double numerator, double denominator) {
  return denominator > 0 ? Num(numerator / denominator) : "null";
}

std::string Ratios(const LinkFigures& yz, const LinkFigures& base) {
  const double yz_cpu = yz.server_cpu_seconds / static_cast<double>(yz.pipelined_requests);
  const double base_cpu = base.server_cpu_seconds / static_cast<double>(base.pipelined_requests);
  return "{\"rtt_p50\":" + Ratio(yz.rtt.p50_us, base.rtt.p50_us) +
         ",\"rtt_p99\":" + Ratio(yz.rtt.p99_us, base.rtt.p99_us) +
         ",\"requests_per_second\":" + Ratio(yz.requests_per_second, base.requests_per_second) +
         ",\"server_cpu_per_request\":" + Ratio(yz_cpu, base_cpu) + "}";
}

int Run(const Options& options) {
  std::ostringstream json;
  std::ostream& log = std::cerr;
  json << "{\"machine\":" << MachineJson();

  // 1. The cluster.
  ClusterOptions cluster_options;
  cluster_options.nodes = options.nodes;
  cluster_options.bridges = options.bridges;
  cluster_options.common_flags = {"--health-check-interval", "1s", "--startup-grace", "10s"};
  // The bench's one link asks far faster than any peer may (50 find_node a
  // second, 500 frames): limits so high they never bite, yet still
  // checked on every frame, so their cost is in the figures.
  cluster_options.dht_flags = {
      "--limit-frames-per-second",  kNoLimit, "--limit-frames-burst",  kNoLimit,
      "--limit-lookups-per-second", kNoLimit, "--limit-lookups-burst", kNoLimit};
  LocalCluster cluster(cluster_options);
  const auto t0 = Clock::now();
  if (std::string error = cluster.start(); !error.empty()) {
    std::cerr << "find_node_bench: " << error << "\n";
    return 1;
  }
  const double launched_ms = Ms(Clock::now() - t0);
  if (!integration::eventually([&] { return AllReady(cluster); }, std::chrono::seconds(120))) {
    std::cerr << "find_node_bench: the cluster did not become healthy in 120 s; logs in "
              << cluster.dir() << "\n";
    return 1;
  }
  const double healthy_ms = Ms(Clock::now() - t0);
  log << "cluster of " << cluster.members().size() << " processes: launched in " << launched_ms
      << " ms, all healthy after " << healthy_ms << " ms; settling " << options.settle_seconds
      << " s\n";
  std::this_thread::sleep_for(std::chrono::seconds(options.settle_seconds));
  json << ",\"cluster\":{\"processes\":" << cluster.members().size()
       << ",\"launched_ms\":" << Num(launched_ms) << ",\"all_healthy_ms\":" << Num(healthy_ms)
       << ",\"dir\":" << json::quote(cluster.dir()) << "}";

  // Idle memory of every process, and a summary per role.
  std::map<std::string, std::vector<double>> rss_by_role, pss_by_role, anon_by_role;
  json << ",\"idle_memory\":{";
  bool first = true;
  for (auto& m : cluster.members()) {
    const MemoryFigures memory = ReadMemory(m.child.pid());
    rss_by_role[m.role].push_back(static_cast<double>(memory.vm_rss_kib));
    pss_by_role[m.role].push_back(static_cast<double>(memory.pss_kib));
    anon_by_role[m.role].push_back(static_cast<double>(memory.rss_anon_kib));
    json << (first ? "" : ",") << json::quote(m.name) << ":" << Json(memory);
    first = false;
  }
  json << "},\"idle_memory_by_role\":{";
  first = true;
  log << "idle VmRSS by role (median [min..max] MiB; PSS median; RssAnon median):\n";
  for (const char* role : {"bootstrap", "genesis", "bridge", "node"}) {
    auto& rss = rss_by_role[role];
    if (rss.empty()) continue;
    const auto [lo, hi] = std::minmax_element(rss.begin(), rss.end());
    json << (first ? "" : ",") << "\"" << role << "\":{\"processes\":" << rss.size()
         << ",\"vm_rss_kib_median\":" << Num(Median(rss)) << ",\"vm_rss_kib_min\":" << Num(*lo)
         << ",\"vm_rss_kib_max\":" << Num(*hi)
         << ",\"pss_kib_median\":" << Num(Median(pss_by_role[role]))
         << ",\"rss_anon_kib_median\":" << Num(Median(anon_by_role[role])) << "}";
    first = false;
    log << "  " << role << " x" << rss.size() << ": " << Num(Median(rss) / 1024) << " ["
        << Num(*lo / 1024) << ".." << Num(*hi / 1024) << "]; PSS "
        << Num(Median(pss_by_role[role]) / 1024) << "; anon "
        << Num(Median(anon_by_role[role]) / 1024) << "\n";
  }
  json << "}";
  json << ",\"idle_rss_by_mapping_kib\":{\"dht-node-1\":"
       << TopMappingsJson(cluster.member("dht-node-1").child.pid(), 12) << "}";

  // 2. A peer link to the target node.
  const std::string target_name = options.target.empty()
                                      ? "dht-node-" + std::to_string(std::max(1, options.nodes / 2))
                                      : options.target;
  LocalCluster::Member& target = cluster.member(target_name);
  const std::string address = integration::port_of(target.data_dir, "listen").value_or("");
  CopySecretsFrom(cluster.member("bootstrap").child.pid());
  if (std::string why =
          integration::hostile::load_bootstrap_key(cluster.member("bootstrap").data_dir);
      !why.empty()) {
    std::cerr << "find_node_bench: cannot read the bootstrap's key: " << why << "\n";
    return 1;
  }
  v1::Frame real_answer;
  std::string connect_error;
  std::unique_ptr<FrameClient> yz_client = ConnectAsPeer(address, &real_answer, &connect_error);
  if (!yz_client) {
    std::cerr << "find_node_bench: " << connect_error << "\n";
    return 1;
  }
  real_answer.set_request_id(0);
  const std::string work_dir = cluster.dir() + "/bench";
  std::filesystem::create_directories(work_dir);
  const std::string reply_file = work_dir + "/real-find-node-response.bin";
  {
    std::ofstream out(reply_file, std::ios::binary);
    real_answer.SerializeToOstream(&out);
  }
  log << "linked to " << target.name << " at " << address << "; its find_node_response lists "
      << real_answer.find_node_response().nodes_size() << " peers (" << real_answer.ByteSizeLong()
      << " bytes)\n";

  // 2b. The same cluster from --before-bin-dir, and the same link to its node.
  std::unique_ptr<LocalCluster> before_cluster;
  std::unique_ptr<FrameClient> before_client;
  pid_t before_pid = 0;
  MemoryFigures before_idle;
  if (!options.before_bin_dir.empty()) {
    integration::set_bin_dir(options.before_bin_dir);
    before_cluster = std::make_unique<LocalCluster>(cluster_options);
    const std::string error = before_cluster->start();
    integration::set_bin_dir("");
    if (!error.empty()) {
      std::cerr << "find_node_bench: the cluster of " << options.before_bin_dir << ": " << error
                << "\n";
      return 1;
    }
    if (!integration::eventually([&] { return AllReady(*before_cluster); },
                                 std::chrono::seconds(120))) {
      std::cerr << "find_node_bench: the cluster of " << options.before_bin_dir
                << " did not become healthy in 120 s; logs in " << before_cluster->dir() << "\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(options.settle_seconds));
    LocalCluster::Member& before_target = before_cluster->member(target_name);
    const std::string before_address =
        integration::port_of(before_target.data_dir, "listen").value_or("");
    if (std::string why =
            integration::hostile::load_bootstrap_key(before_cluster->member("bootstrap").data_dir);
        !why.empty()) {
      std::cerr << "find_node_bench: cannot read the before bootstrap's key: " << why << "\n";
      return 1;
    }
    v1::Frame before_answer;
    before_client = ConnectAsPeer(before_address, &before_answer, &connect_error);
    if (!before_client) {
      std::cerr << "find_node_bench: the node of " << options.before_bin_dir << ": "
                << connect_error << "\n";
      return 1;
    }
    before_pid = before_target.child.pid();
    before_idle = ReadMemory(before_pid);
    log << "linked to " << before_target.name << " of " << options.before_bin_dir << " at "
        << before_address << "; its find_node_response lists "
        << before_answer.find_node_response().nodes_size() << " peers ("
        << before_answer.ByteSizeLong() << " bytes)\n";
    json << ",\"before\":{\"bin_dir\":" << json::quote(options.before_bin_dir)
         << ",\"dir\":" << json::quote(before_cluster->dir())
         << ",\"answer_peers\":" << before_answer.find_node_response().nodes_size()
         << ",\"idle_memory\":" << Json(before_idle) << "}";
  }

  // 3. yz and both baselines, interleaved in blocks, one client each.
  const std::string echo_binary = integration::binary("grpc_echo_baseline");
  EchoServer echo(echo_binary, "", work_dir);
  EchoServer canned(echo_binary, reply_file, work_dir);
  for (const EchoServer* server : {&echo, &canned}) {
    if (!server->error().empty()) {
      std::cerr << "find_node_bench: " << server->error() << "\n";
      return 1;
    }
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));
  const MemoryFigures echo_idle = ReadMemory(echo.pid());
  const MemoryFigures canned_idle = ReadMemory(canned.pid());
  FrameClient echo_client(echo.address());
  FrameClient canned_client(canned.address());
  for (FrameClient* client : {yz_client.get(), &echo_client, &canned_client, before_client.get()})
    if (client != nullptr) client->SetStallTimeout(std::chrono::seconds(15));
  const Protocol yz_protocol = YzProtocol();
  std::vector<Target> targets = {
      {"yz", yz_client.get(), yz_protocol, target.child.pid()},
      {"echo", &echo_client, EchoProtocol(), echo.pid()},
      {"canned", &canned_client, EchoProtocol(), canned.pid()},
  };
  if (before_client) targets.push_back({"yz-before", before_client.get(), yz_protocol, before_pid});
  log << "measuring yz " << target.name << (before_client ? ", yz-before" : "")
      << ", grpc echo and grpc canned, interleaved in " << options.link.blocks << " blocks...\n";
  const std::vector<LinkFigures> figures = MeasureInterleaved(targets, options.link);
  const LinkFigures& yz = figures[0];
  const LinkFigures& echo_figures = figures[1];
  const LinkFigures& canned_figures = figures[2];
  const MemoryFigures yz_loaded = ReadMemory(target.child.pid());
  const MemoryFigures echo_loaded = ReadMemory(echo.pid());
  const MemoryFigures canned_loaded = ReadMemory(canned.pid());
  const LinkFigures before_figures = before_client ? figures[3] : LinkFigures{};
  const MemoryFigures before_loaded = before_client ? ReadMemory(before_pid) : MemoryFigures{};

  if (!options.perf_dir.empty()) {
    for (const Target& t : {targets[0], targets[2]}) {
      log << "profiling " << t.name << " under pipelined load...\n";
      WithPerf(t.server_pid, options.perf_dir + "/" + t.name + ".perf.data",
               options.perf_dir + "/perf-" + t.name + ".log", options.link.perf_call_graph, [&] {
                 RunPipelined(*t.client, t.protocol, options.link.pipelined, options.link.window,
                              1u << 30);
               });
    }
  }
  yz_client->Close();
  echo_client.Close();
  canned_client.Close();
  if (before_client) before_client->Close();

  json << ",\"target\":{\"name\":" << json::quote(target.name)
       << ",\"address\":" << json::quote(address)
       << ",\"answer_peers\":" << real_answer.find_node_response().nodes_size()
       << ",\"loaded_memory\":" << Json(yz_loaded) << "}";
  json << ",\"yz_find_node\":" << Json(yz);
  json << ",\"baseline_echo\":{\"idle_memory\":" << Json(echo_idle)
       << ",\"loaded_memory\":" << Json(echo_loaded) << ",\"link\":" << Json(echo_figures) << "}";
  json << ",\"baseline_canned\":{\"idle_memory\":" << Json(canned_idle)
       << ",\"loaded_memory\":" << Json(canned_loaded) << ",\"link\":" << Json(canned_figures)
       << "}";
  const bool all_ok =
      yz.error.empty() && echo_figures.error.empty() && canned_figures.error.empty();
  if (all_ok) {
    json << ",\"ratio_to_echo\":" << Ratios(yz, echo_figures)
         << ",\"ratio_to_canned\":" << Ratios(yz, canned_figures);
  }
  if (before_client) {
    json << ",\"yz_before_find_node\":" << Json(before_figures)
         << ",\"yz_before_loaded_memory\":" << Json(before_loaded);
    if (all_ok && before_figures.error.empty())
      json << ",\"ratio_to_before\":" << Ratios(yz, before_figures)
           << ",\"before_ratio_to_canned\":" << Ratios(before_figures, canned_figures);
  }

  auto line = [&](const char* label, const LinkFigures& f) {
    if (!f.error.empty()) {
      log << "  " << label << ": " << f.error << "\n";
      return;
    }
    log << "  " << label << ": " << f.request_bytes << "B->" << f.response_bytes << "B  rtt p50 "
        << Num(f.rtt.p50_us) << " us p99 " << Num(f.rtt.p99_us) << " us;  "
        << Num(f.requests_per_second) << " req/s (window " << f.window << "), server "
        << Num(f.server_cpu_seconds) << " cpu-s = " << Num(f.requests_per_server_cpu_second)
        << " req/cpu-s; server context switches/request " << Num(f.rtt_server_switches_per_request)
        << " sequential, " << Num(f.server_switches_per_request) << " pipelined\n";
  };
  log << "results:\n";
  line("grpc echo  ", echo_figures);
  line("grpc canned", canned_figures);
  line("yz node    ", yz);
  if (before_client) line("yz before  ", before_figures);
  if (all_ok) {
    for (const auto& [label, base] :
         {std::pair<const char*, const LinkFigures*>{"echo", &echo_figures},
          std::pair<const char*, const LinkFigures*>{"canned", &canned_figures},
          std::pair<const char*, const LinkFigures*>{"before", &before_figures}}) {
      if (base == &before_figures && (!before_client || !before_figures.error.empty())) continue;
      log << "  yz / " << label << ": rtt p50 x" << Num(yz.rtt.p50_us / base->rtt.p50_us)
          << ", p99 x" << Num(yz.rtt.p99_us / base->rtt.p99_us) << ", req/s x"
          << Num(yz.requests_per_second / base->requests_per_second) << ", server cpu/req x"
          << Num(base->requests_per_server_cpu_second / yz.requests_per_server_cpu_second) << "\n";
    }
  }
  log << "  grpc echo server idle VmRSS " << Num(echo_idle.vm_rss_kib / 1024.0) << " MiB\n";

  // 4. Start-to-ready of each role.
  log << "start-to-ready (spawn -> /health 200 and ready for the role):\n";
  json << ",\"start_to_ready\":{";
  first = true;
  for (const char* role : {"bootstrap", "genesis", "bridge", "node"}) {
    json << (first ? "" : ",") << "\"" << role
         << "\":" << TimeRole(cluster, role, options.ready_runs, log);
    first = false;
  }
  json << "},\"loadavg_at_end\":" << json::quote(LoadAverage()) << "}";
  std::cout << json.str() << "\n";
  return 0;
}

int Usage() {
  std::cerr
      << "usage: find_node_bench [--nodes N] [--bridges N] [--target NAME] [--warmup N]\n"
         "         [--sequential N] [--pipelined N] [--window W] [--blocks N] [--ready-runs N]\n"
         "         [--settle SECONDS] [--perf-dir DIR [--perf-call-graph dwarf]]\n"
         "         [--before-bin-dir DIR]\n";
  return 2;
}

}  // namespace
}  // namespace yz::bench

int main(int argc, char** argv) {
  yz::bench::Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return yz::bench::Usage();
    const std::string value = argv[++i];
    if (arg == "--nodes") {
      options.nodes = std::stoi(value);
    } else if (arg == "--bridges") {
      options.bridges = std::stoi(value);
    } else if (arg == "--target") {
      options.target = value;
    } else if (arg == "--warmup") {
      options.link.warmup = std::stoi(value);
    } else if (arg == "--sequential") {
      options.link.sequential = std::stoi(value);
    } else if (arg == "--pipelined") {
      options.link.pipelined = std::stoi(value);
    } else if (arg == "--window") {
      options.link.window = std::stoi(value);
    } else if (arg == "--blocks") {
      options.link.blocks = std::stoi(value);
    } else if (arg == "--ready-runs") {
      options.ready_runs = std::stoi(value);
    } else if (arg == "--settle") {
      options.settle_seconds = std::stoi(value);
    } else if (arg == "--perf-dir") {
      options.perf_dir = value;
    } else if (arg == "--before-bin-dir") {
      options.before_bin_dir = value;
    } else if (arg == "--perf-call-graph") {
      options.link.perf_call_graph = value;
    } else {
      return yz::bench::Usage();
    }
  }
  // A peer that closes its stream must not take the bench down with it.
  signal(SIGPIPE, SIG_IGN);
  return yz::bench::Run(options);
}
