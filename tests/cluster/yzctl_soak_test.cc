// The kill -9 soak (issue 17, item 4): a cluster yzctl starts takes kValues
// puts through the Data service of its members; then DHT nodes are
// SIGKILLed and restarted one at a time, never two down at once, while
// acknowledged keys are read through the live members; at the end every
// acknowledged key is read back with its data. Values live in memory only:
// a restarted holder is re-filled by its peers' republishing, which runs
// every kRepublishInterval here (--role-flag) instead of every hour.
//
// Bounded: kKills rounds, each waiting on observable state (yzctl wait,
// /metrics) with generous limits; no assertion depends on how fast this
// machine is. Latencies are printed, never asserted.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cluster/cluster_state.h"
#include "cluster/http_client.h"
#include "tests/cluster/yzctl_fixture.h"
#include "yz/v1/data.grpc.pb.h"

namespace yz::cluster::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kNodes = 11;
constexpr int kBridges = 2;
constexpr std::size_t kValues = 1000;
// Small against the cluster (12 possible holders), so that a value has
// few holders and a restarted one matters; W = 3 of them acknowledge.
constexpr std::size_t kK = 4;
constexpr char kRepublishInterval[] = "5s";
constexpr int kKills = 20;
constexpr std::size_t kSampleGets = 60;  // per kill, while the node is down
constexpr int kClientThreads = 4;
constexpr auto kCallDeadline = std::chrono::seconds(20);

std::string value_of(std::size_t i) {
  return "soak value " + std::to_string(i) + " " + std::string(i % 97, 'x');
}
std::string key_of(std::size_t i) { return "soak/" + std::to_string(i); }

double percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[std::min(index, samples.size() - 1)];
}

// Runs fn(0..count-1) on kClientThreads threads.
void parallel(std::size_t count, const std::function<void(std::size_t)>& fn) {
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClientThreads; ++t) {
    threads.emplace_back([&] {
      for (std::size_t i = next++; i < count; i = next++) fn(i);
    });
  }
  for (std::thread& t : threads) t.join();
}

// yz_values_held from a member's /metrics; 0 when it does not answer.
double values_held(const std::string& http) {
  const HttpReply reply = http_get(http, "/metrics");
  std::istringstream lines(reply.body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("yz_values_held", 0) == 0) return std::stod(line.substr(line.rfind(' ') + 1));
  return 0;
}

class YzctlSoak : public YzctlTest {
 protected:
  struct Member {
    std::string name;
    std::string http;
    std::unique_ptr<v1::Data::Stub> stub;
  };

  // (Re)reads every DHT member's addresses from cluster.json: a restarted
  // process listens on new ephemeral ports.
  void load_members() {
    const auto cluster = read_cluster(dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    std::lock_guard lock(mu_);
    for (const ProcessRecord& p : cluster->processes) {
      if (p.role == "bootstrap") continue;
      Member& m = members_[p.name];
      if (m.stub && m.http == p.http) continue;
      m.name = p.name;
      m.http = p.http;
      m.stub = v1::Data::NewStub(grpc::CreateChannel(p.listen, grpc::InsecureChannelCredentials()));
    }
  }

  // Member names, in a fixed order.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& [name, m] : members_) out.push_back(name);
    return out;
  }

  // Copies held over all members per value put: k when every value sits
  // on exactly its k closest. Printed, not asserted (republishing goes to
  // the k closest each holder knows, which may differ between holders).
  double replicas_per_value() {
    double held = 0;
    for (const auto& [name, m] : members_) held += values_held(m.http);
    return held / static_cast<double>(kValues);
  }

  v1::Data::Stub* stub(const std::string& name) {
    std::lock_guard lock(mu_);
    return members_.at(name).stub.get();
  }

  // One put through `via`; whether it was acknowledged (W holders).
  bool put(const std::string& via, std::size_t i) {
    v1::PutRequest request;
    request.set_key(key_of(i));
    request.set_value(value_of(i));
    v1::PutResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    const auto began = Clock::now();
    const grpc::Status status = stub(via)->Put(&context, request, &response);
    record(&put_ms_, began);
    std::set<std::string> holders;
    for (const v1::Holder& h : response.holders()) holders.insert(h.name());
    std::lock_guard lock(mu_);
    holders_[i] = std::move(holders);
    return status.ok() && response.ok();
  }

  // One get through `via`; "" when the right data came back, else why not.
  std::string get(const std::string& via, std::size_t i) {
    v1::GetRequest request;
    request.set_key(key_of(i));
    v1::GetResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    const auto began = Clock::now();
    const grpc::Status status = stub(via)->Get(&context, request, &response);
    record(&get_ms_, began);
    if (!status.ok())
      return "rpc " + std::to_string(status.error_code()) + " " + status.error_message();
    if (!response.found()) return "not found (" + response.error() + ")";
    if (response.value() != value_of(i)) return "wrong data";
    return {};
  }

  // Whether `via` answers a get of key i from its own copy.
  bool holds(const std::string& via, std::size_t i) {
    v1::GetRequest request;
    request.set_key(key_of(i));
    v1::GetResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    const grpc::Status status = stub(via)->Get(&context, request, &response);
    return status.ok() && response.found() && response.value() == value_of(i) &&
           response.asked() == 0 && response.sources_size() == 1 &&
           response.sources(0).name() == via;
  }

  void record(std::vector<double>* samples, Clock::time_point began) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
    std::lock_guard lock(mu_);
    samples->push_back(ms);
  }

  // Gets `keys` through the members of `via` in turn; the failures.
  std::vector<std::string> get_all(const std::vector<std::size_t>& keys,
                                   const std::vector<std::string>& via) {
    std::vector<std::string> failures;
    std::mutex failures_mu;
    parallel(keys.size(), [&](std::size_t j) {
      const std::string& member = via[(j * 7 + keys[j]) % via.size()];
      if (std::string why = get(member, keys[j]); !why.empty()) {
        std::lock_guard lock(failures_mu);
        failures.push_back(key_of(keys[j]) + " via " + member + ": " + why);
      }
    });
    return failures;
  }

  std::mutex mu_;
  std::map<std::string, Member> members_;
  std::vector<double> put_ms_;
  std::vector<double> get_ms_;
  std::map<std::size_t, std::set<std::string>> holders_;  // key -> holders at its ack
};

TEST_F(YzctlSoak, EveryAcknowledgedValueSurvivesKillsAndRestarts) {
  const auto began = Clock::now();
  const RunResult up =
      yzctl({"up", "--nodes", std::to_string(kNodes), "--bridges", std::to_string(kBridges),
             "--time-scale", "10", "--role-flag", "k=" + std::to_string(kK), "--role-flag",
             std::string("republish-interval=") + kRepublishInterval});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  const RunResult wait = yzctl({"wait", "--healthy", "--timeout", "120s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;
  ASSERT_NO_FATAL_FAILURE(load_members());
  const std::vector<std::string> all = names();
  ASSERT_EQ(all.size(), static_cast<std::size_t>(1 + kBridges + kNodes));

  // Puts, spread over every member (bridges too: they put as clients).
  std::vector<char> acked(kValues, 0);
  parallel(kValues, [&](std::size_t i) { acked[i] = put(all[i % all.size()], i) ? 1 : 0; });
  std::vector<std::size_t> acknowledged;
  for (std::size_t i = 0; i < kValues; ++i)
    if (acked[i]) acknowledged.push_back(i);
  std::printf("[soak] puts: %zu, acknowledged: %zu\n", kValues, acknowledged.size());
  // A healthy cluster with no faults acknowledges every put.
  ASSERT_EQ(acknowledged.size(), kValues);

  const double replicas_after_puts = replicas_per_value();

  std::size_t gets_done = 0;
  for (int round = 0; round < kKills; ++round) {
    // Every holder in turn (the genesis too), 5 apart.
    const std::size_t slot = (static_cast<std::size_t>(round) * 5) % (kNodes + 1);
    const std::string victim = slot == kNodes ? "genesis" : "dht-node-" + std::to_string(1 + slot);
    // The keys whose put it acknowledged as a holder.
    std::vector<std::size_t> held;
    for (const std::size_t i : acknowledged)
      if (holders_.at(i).contains(victim)) held.push_back(i);
    EXPECT_FALSE(held.empty()) << victim << " was a holder of no acknowledged put";
    const RunResult kill = yzctl({"kill", victim, "--signal", "KILL"});
    ASSERT_EQ(kill.exit_code, 0) << kill.out << kill.err;
    ASSERT_NE(kill.out.find("it exited"), std::string::npos) << kill.out;

    // While it is down, fewer than k holders of any value are: every read
    // through a live member finds it.
    std::vector<std::string> live;
    for (const std::string& name : all)
      if (name != victim) live.push_back(name);
    std::vector<std::size_t> sample;
    for (std::size_t j = 0; j < kSampleGets; ++j)
      sample.push_back(
          acknowledged[(static_cast<std::size_t>(round) * 131 + j * 17) % acknowledged.size()]);
    const std::vector<std::string> failures = get_all(sample, live);
    gets_done += sample.size();
    EXPECT_TRUE(failures.empty()) << victim << " down, " << failures.size() << " of "
                                  << sample.size() << " gets failed, first: " << failures.front();

    const RunResult start = yzctl({"start", victim});
    ASSERT_EQ(start.exit_code, 0) << start.out << start.err;
    const RunResult rejoined = yzctl({"wait", "--healthy", "--timeout", "120s"});
    ASSERT_EQ(rejoined.exit_code, 0) << rejoined.out << rejoined.err;
    ASSERT_NO_FATAL_FAILURE(load_members());

    // Its peers' republishing gives the restarted holder its values back:
    // each key it held before is answered from its own copy again.
    const auto restarted = Clock::now();
    std::vector<std::size_t> missing = held;
    eventually(
        [&] {
          std::vector<std::size_t> still;
          for (const std::size_t i : missing)
            if (!holds(victim, i)) still.push_back(i);
          missing = std::move(still);
          return missing.empty();
        },
        std::chrono::seconds(90));
    std::printf(
        "[soak] round %d: SIGKILL %s; %zu gets while down, %zu failed; it held %zu "
        "acknowledged keys, %zu back after %.1f s\n",
        round + 1, victim.c_str(), sample.size(), failures.size(), held.size(),
        held.size() - missing.size(),
        std::chrono::duration<double>(Clock::now() - restarted).count());
    EXPECT_TRUE(missing.empty()) << victim << ": " << missing.size() << " of " << held.size()
                                 << " values it held were not republished to it, first "
                                 << key_of(missing.front());
  }

  // Every acknowledged key, through every member in turn.
  const std::vector<std::string> lost = get_all(acknowledged, all);
  gets_done += acknowledged.size();
  std::printf("[soak] values lost: %zu of %zu\n", lost.size(), acknowledged.size());
  std::printf("[soak] puts %zu: p50 %.2f ms, p99 %.2f ms; gets %zu: p50 %.2f ms, p99 %.2f ms\n",
              put_ms_.size(), percentile(put_ms_, 0.5), percentile(put_ms_, 0.99), gets_done,
              percentile(get_ms_, 0.5), percentile(get_ms_, 0.99));
  std::printf("[soak] copies per value (k = %zu): %.2f after the puts, %.2f at the end\n", kK,
              replicas_after_puts, replicas_per_value());
  std::printf("[soak] %d kills, wall time %.1f s\n", kKills,
              std::chrono::duration<double>(Clock::now() - began).count());
  EXPECT_TRUE(lost.empty()) << "values lost: " << lost.size() << " of " << acknowledged.size()
                            << ", first: " << lost.front();
}

}  // namespace
}  // namespace yz::cluster::testing
