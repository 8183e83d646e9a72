// Hostile peers against a live cluster of 19 processes (bootstrap, genesis,
// two bridges, fifteen nodes): garbage on the gRPC port, half a frame and
// then nothing, frames over the size cap, a flood of find_node on a
// handshaken link, a stream that goes silent mid-handshake, more links than
// a node accepts and a flood of registrations at the bootstrap. Each attack
// must be refused or limited and counted (yz_limited_total and friends);
// afterwards every process is healthy and the network still answers an
// iterative lookup with every member.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "roles/core/node_id.h"
#include "roles/runtime/build_info.h"
#include "tests/integration/hostile_client.h"
#include "tests/integration/local_cluster.h"

namespace yz::integration {
namespace {

using namespace hostile;  // NOLINT: the client's vocabulary
using std::chrono::seconds;

// Small enough that the test can reach them without hurting a legitimate
// member of 19 (at most 18 links each, 18 registrations in the first
// seconds); the defaults are far larger (roles/core/rate_limit.h).
constexpr int kMaxInboundLinks = 40;
constexpr int kRegistrationsBurst = 40;

class HostileCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.common_flags = {"--health-check-interval",
                            "1s",
                            "--startup-grace",
                            "10s",
                            "--handshake-timeout",
                            "2s",
                            "--max-inbound-links",
                            std::to_string(kMaxInboundLinks),
                            "--limit-registrations-burst",
                            std::to_string(kRegistrationsBurst)};
    cluster_ = new LocalCluster(options);
    start_error_ = cluster_->start();
    if (start_error_.empty())
      start_error_ = load_bootstrap_key(cluster_->member("bootstrap").data_dir);
    if (start_error_.empty() && !eventually(all_healthy, seconds(120)))
      start_error_ = "the cluster did not become healthy within 120 s";
  }
  static void TearDownTestSuite() {
    hung_.clear();
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }
  void TearDown() override {
    if (!start_error_.empty()) return;
    for (auto& m : cluster_->members())
      EXPECT_TRUE(m.child.running()) << m.name << " died; its log says:\n" << read_file(m.log);
  }

  static bool all_healthy() {
    for (auto& m : cluster_->members()) {
      const HttpReply reply = cluster_->health(m);
      if (reply.status != 200 || !json_true(reply.body, "healthy")) return false;
      if (m.role == "bootstrap") continue;
      if (json_number(reply.body, "connectedPeers") <= 0) return false;
      if (json_number(reply.body, "routingTableSize") <= 0) return false;
      if (json_number(reply.body, "peersMissingHandler") != 0) return false;
    }
    return true;
  }
  static std::string unhealthy() {
    std::string out;
    for (auto& m : cluster_->members()) {
      const HttpReply reply = cluster_->health(m);
      if (reply.status != 200 || !json_true(reply.body, "healthy"))
        out += m.name + ": " + std::to_string(reply.status) + " " + reply.body + "\n";
    }
    return out;
  }

  static std::string listen(const std::string& name) {
    return port_of(cluster_->member(name).data_dir, "listen").value_or("");
  }
  static double metric(const std::string& name, const std::string& series) {
    const HttpReply reply = http_get(cluster_->http_address(cluster_->member(name)), "/metrics");
    return metric_value(reply.body, series).value_or(0);
  }
  static std::string limited(const std::string& limit) {
    return "yz_limited_total{limit=\"" + limit + "\"}";
  }
  static bool counted(const std::string& name, const std::string& series, double at_least) {
    return eventually([&] { return metric(name, series) >= at_least; }, seconds(10));
  }

  static LocalCluster* cluster_;
  static std::string start_error_;
  // Connections that hang until the suite ends, while the other attacks run.
  static std::vector<std::unique_ptr<RawSocket>> hung_;
};

LocalCluster* HostileCluster::cluster_ = nullptr;
std::string HostileCluster::start_error_;
std::vector<std::unique_ptr<RawSocket>> HostileCluster::hung_;

TEST_F(HostileCluster, GarbageOnTheGrpcPortIsHungUpOn) {
  for (const char* name : {"dht-node-1", "bridge-node-1", "bootstrap"}) {
    SCOPED_TRACE(name);
    RawSocket socket(listen(name));
    ASSERT_TRUE(socket.connected());
    socket.send_bytes(junk(16 * 1024, 0xbad));
    EXPECT_TRUE(socket.closed_by_peer()) << name << " kept a connection that sent 16 KiB of junk";
  }
}

TEST_F(HostileCluster, HalfAFrameThenHangs) {
  // A hello, then half of a find_node, and then nothing, on a connection
  // kept open for the rest of the suite; and a gRPC message cut short in
  // its DATA frame, likewise.
  constexpr std::uint8_t kData = 0;
  const std::string address = listen("dht-node-1");
  const std::string hello_bytes = hello(fake_id(1)).SerializeAsString();
  const std::string find = find_node(1, fake_id(2)).SerializeAsString();
  auto half_find = std::make_unique<RawSocket>(address);
  ASSERT_TRUE(half_find->connected());
  half_find->send_bytes(
      h2_open_peer_link(address) +
      h2_frame(kData, 0, 1, grpc_message(hello_bytes, hello_bytes.size())) +
      h2_frame(kData, 0, 1, grpc_message(find.substr(0, find.size() / 2), find.size())));
  hung_.push_back(std::move(half_find));
  auto half_data = std::make_unique<RawSocket>(address);
  ASSERT_TRUE(half_data->connected());
  half_data->send_bytes(h2_open_peer_link(address) +
                        h2_frame(kData, 0, 1, grpc_message(hello_bytes, 1000), 1005));
  hung_.push_back(std::move(half_data));
  // The node is still answering while they hang.
  EXPECT_EQ(cluster_->health(cluster_->member("dht-node-1")).status, 200);
}

TEST_F(HostileCluster, FramesOverTheSizeCapAreRefused) {
  const std::string oversized = "yz_dht_messages_dropped_total{reason=\"oversized\"}";
  const double before = metric("dht-node-1", oversized);
  for (std::size_t size : {std::size_t{2} << 20, std::size_t{3} << 20}) {
    Call call(listen("dht-node-1"));
    ASSERT_EQ(call.handshake(3), "");
    v1::Frame big;
    big.set_request_id(9);
    big.mutable_error()->set_code("big");
    big.mutable_error()->set_message(std::string(size, 'x'));
    call.write(big);
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << describe(status);
  }
  EXPECT_TRUE(counted("dht-node-1", oversized, before + 2));
}

TEST_F(HostileCluster, FloodOfFindNodeIsLimitedAndTheLinkClosed) {
  const std::string node = "dht-node-2";
  const double lookups_before = metric(node, limited("lookups"));
  const double frames_before = metric(node, limited("frames"));
  constexpr int kFlood = 20000;
  Call call(listen(node));
  ASSERT_EQ(call.handshake(4), "");
  std::atomic<int> written{0};
  const auto started = std::chrono::steady_clock::now();
  std::thread writer([&] {
    for (int i = 1; i <= kFlood; ++i) {
      if (!call.write(find_node(static_cast<std::uint64_t>(i), fake_id(100000 + i)))) return;
      ++written;
    }
    call.writes_done();  // all written and the link still open: let the node end it
  });
  std::set<std::uint64_t> answered;
  v1::Frame frame;
  while (call.read(frame))
    if (frame.has_find_node_response()) answered.insert(frame.request_id());
  writer.join();
  const grpc::Status status = call.drain();
  const double seconds_taken =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  RecordProperty("flood_written", written.load());
  RecordProperty("flood_answered", static_cast<int>(answered.size()));
  // Thousands a second, far over 500 frames and 50 lookups a second.
  EXPECT_GT(written.load() / seconds_taken, 2000) << written.load() << " in " << seconds_taken;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << "a flooding link should be closed \"rate_limited\", got " << describe(status);
  EXPECT_NE(status.error_message().find("rate_limited"), std::string::npos) << describe(status);
  EXPECT_GT(answered.size(), 0u);
  EXPECT_LT(answered.size(), static_cast<std::size_t>(written.load()));
  EXPECT_TRUE(counted(node, limited("lookups"), lookups_before + 1));
  EXPECT_TRUE(counted(node, limited("frames"), frames_before + 1));
}

TEST_F(HostileCluster, SilentMidHandshakeIsClosed) {
  const std::string rejected = "yz_handshake_rejected_total{reason=\"handshake_timeout\"}";
  const double before = metric("dht-node-4", rejected);
  Call call(listen("dht-node-4"));
  const grpc::Status status = call.drain();  // says nothing at all
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << describe(status);
  EXPECT_NE(status.error_message().find("handshake_timeout"), std::string::npos)
      << describe(status);
  EXPECT_TRUE(counted("dht-node-4", rejected, before + 1));
}

TEST_F(HostileCluster, MoreLinksThanANodeAcceptsAreRefused) {
  const std::string node = "dht-node-3";
  const double before = metric(node, limited("links"));
  auto channel = grpc::CreateChannel(listen(node), grpc::InsecureChannelCredentials());
  std::vector<std::unique_ptr<Call>> calls;
  // Each link proves a key of its own, so the node keeps every one it
  // accepts (a bare hello would be refused at once and free its slot).
  for (int i = 0; i < kMaxInboundLinks + 20; ++i) {
    calls.push_back(std::make_unique<Call>(channel, false));
    calls.back()->handshake(1000 + static_cast<std::uint64_t>(i));
  }
  EXPECT_TRUE(counted(node, limited("links"), before + 20))
      << limited("links") << " on " << node << " is " << metric(node, limited("links"));
  calls.clear();  // cancels every stream
}

TEST_F(HostileCluster, RegistrationFloodAtTheBootstrapIsLimited) {
  const double before = metric("bootstrap", limited("registrations"));
  // Each register over the limit is refused and its link closed, so the
  // flood comes over many links, each registering until it is cut. The
  // registers are otherwise valid (the id the handshake proved, this build's
  // id): any other refusal closes the link at the first register too, before
  // the limit is reached.
  for (int attempt = 0; attempt < 20; ++attempt) {
    Call call(listen("bootstrap"), true);
    ASSERT_EQ(call.handshake(5000 + static_cast<std::uint32_t>(attempt)), "");
    v1::Frame reg;
    reg.mutable_register_()->set_node_id(
        key_of(5000 + static_cast<std::uint64_t>(attempt))->node_id().to_hex());
    reg.mutable_register_()->mutable_metadata()->set_role(v1::ROLE_NODE);
    reg.mutable_register_()->mutable_metadata()->set_protocol_version(1);
    reg.mutable_register_()->mutable_metadata()->set_build_id(std::string(runtime::build_id()));
    for (int i = 0; i < 4 * kRegistrationsBurst; ++i)
      if (!call.write(reg)) break;
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    if (!frames.empty() && frames.back().has_error() &&
        frames.back().error().code() == "rate_limited")
      break;
  }
  EXPECT_TRUE(counted("bootstrap", limited("registrations"), before + 1));
}

// Last: after all of the above, every process is healthy again and an
// iterative lookup through one node finds every DHT member.
TEST_F(HostileCluster, ZZEveryProcessHealthyAndLookupsAnswered) {
  hung_.clear();
  ASSERT_TRUE(eventually(all_healthy, seconds(60))) << unhealthy();

  // The members and where they listen, from their own /health and ports.
  std::map<std::string, std::string> address_of;  // node id -> listen address
  for (auto& m : cluster_->members()) {
    if (m.role != "node" && m.role != "genesis") continue;
    const auto id = json_field(cluster_->health(m).body, "nodeId");
    ASSERT_TRUE(id.has_value()) << m.name;
    address_of[*id] = listen(m.name);
  }
  ASSERT_EQ(address_of.size(), 16u);
  const auto target = core::NodeId::from_hex(address_of.begin()->first);
  ASSERT_TRUE(target.has_value());

  // Iterative find_node from dht-node-8: ask it, then every member it names
  // that has not been asked yet, until no new member turns up.
  std::set<std::string> found;
  std::set<std::string> asked;
  std::vector<std::string> to_ask;
  const auto self_id = json_field(cluster_->health(cluster_->member("dht-node-8")).body, "nodeId");
  to_ask.push_back(*self_id);
  found.insert(*self_id);
  std::uint32_t asker = 0;
  while (!to_ask.empty()) {
    const std::string id = to_ask.back();
    to_ask.pop_back();
    if (!asked.insert(id).second) continue;
    Call call(address_of.at(id));
    ASSERT_EQ(call.handshake(9000 + asker++), "") << "asking " << id;
    ASSERT_TRUE(call.write(find_node(77, target->to_hex())));
    v1::Frame reply;
    bool answered = false;
    while (!answered && call.read(reply))
      answered = reply.has_find_node_response() && reply.request_id() == 77;
    ASSERT_TRUE(answered) << "member " << id << " did not answer find_node";
    for (const auto& peer : reply.find_node_response().nodes()) {
      if (!address_of.contains(peer.node_id())) continue;  // a hostile id some table still holds
      if (found.insert(peer.node_id()).second) to_ask.push_back(peer.node_id());
    }
    call.writes_done();
    call.drain();
  }
  // 16 members, k = 20: the closest k to any target are all of them.
  EXPECT_EQ(found.size(), address_of.size());
  EXPECT_TRUE(found.contains(target->to_hex()));
  EXPECT_TRUE(all_healthy()) << unhealthy();
}

}  // namespace
}  // namespace yz::integration
