// A hostile client against a real DHT node's PeerLink port: every kind of
// bad input gets a clear gRPC status and a counted metric, never a crash,
// and the node keeps serving its cluster afterwards.
#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "roles/core/identity.h"
#include "tests/integration/hostile_client.h"
#include "tests/integration/local_cluster.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::integration {
namespace {

using namespace hostile;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::uint32_t kProtocolVersion = 1;
constexpr char kTarget[] = "dht-node-1";

class HostileWire : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.nodes = 2;
    options.bridges = 1;
    options.common_flags = {"--health-check-interval", "1s", "--startup-grace", "5s",
                            "--handshake-timeout",     "1s"};
    cluster_ = new LocalCluster(options);
    start_error_ = cluster_->start();
    if (start_error_.empty())
      start_error_ = load_bootstrap_key(cluster_->member("bootstrap").data_dir);
    // Small enough to mesh: the target links to every member but the
    // bootstrap and itself, and the attacks must leave it exactly so.
    cluster_peers_ = static_cast<long>(cluster_->members().size()) - 2;
    if (start_error_.empty() &&
        !eventually([] { return all_healthy() && target_meshed(); }, seconds(60)))
      start_error_ = "the cluster did not become healthy and meshed within 60 s";
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }
  void TearDown() override { expect_node_survived(); }

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

  static LocalCluster::Member& target() { return cluster_->member(kTarget); }
  static long target_peers() {
    return json_number(cluster_->health(target()).body, "connectedPeers");
  }
  static bool target_meshed() { return target_peers() == cluster_peers_; }
  static std::string listen_address() { return port_of(target().data_dir, "listen").value_or(""); }

  static double metric(const std::string& series) {
    const HttpReply reply = http_get(cluster_->http_address(target()), "/metrics");
    return metric_value(reply.body, series).value_or(0);
  }
  static std::string rejected(const std::string& reason) {
    return "yz_handshake_rejected_total{reason=\"" + reason + "\"}";
  }
  static std::string dropped(const std::string& reason) {
    return "yz_dht_messages_dropped_total{reason=\"" + reason + "\"}";
  }
  // True once `series` on the target reaches `at_least` (counters move on
  // the node's io thread, so give the scrape a moment to see them).
  static bool counted(const std::string& series, double at_least) {
    return eventually([&] { return metric(series) >= at_least; }, seconds(5));
  }

  // The attacked node is still up, healthy, linked to its cluster, and a
  // legitimate peer still gets find_node answered.
  void expect_node_survived() {
    if (!start_error_.empty()) return;
    auto& node = target();
    ASSERT_TRUE(node.child.running()) << kTarget << " died; its log says:\n" << read_file(node.log);
    const HttpReply health = cluster_->health(node);
    EXPECT_EQ(health.status, 200) << "/health of " << kTarget << ": " << health.body;
    EXPECT_GT(json_number(health.body, "connectedPeers"), 0)
        << kTarget << " lost every peer: " << health.body;
    EXPECT_TRUE(eventually(all_healthy, seconds(20))) << "the cluster did not stay healthy";
    // Every hostile link is gone again and every cluster link is still up.
    EXPECT_TRUE(eventually(target_meshed, seconds(10)))
        << kTarget << " has " << target_peers() << " connected peers, expected its "
        << cluster_peers_ << " cluster peers and no hostile link";

    Call call(listen_address());
    ASSERT_EQ(call.handshake(0xfeed), "") << "a legitimate hello after the attack";
    ASSERT_TRUE(call.write(find_node(42, fake_id(0x42))));
    v1::Frame reply;
    bool answered = false;
    while (!answered && call.read(reply)) {
      if (reply.has_find_node_response() && reply.request_id() == 42) answered = true;
    }
    ASSERT_TRUE(answered) << kTarget << " did not answer a legitimate find_node";
    // The node knows genesis and the other DHT node.
    EXPECT_GE(reply.find_node_response().nodes_size(), 1) << reply.ShortDebugString();
    call.writes_done();
    const grpc::Status status = call.drain();
    EXPECT_TRUE(status.ok()) << "a clean half-close should end OK, got " << describe(status);
  }

  static LocalCluster* cluster_;
  static std::string start_error_;
  static long cluster_peers_;
};

LocalCluster* HostileWire::cluster_ = nullptr;
std::string HostileWire::start_error_;
long HostileWire::cluster_peers_ = 0;

TEST_F(HostileWire, FirstFrameNotHelloIsFailedPreconditionNotHandshake) {
  const double before = metric(rejected("not_handshake"));
  Call call(listen_address());
  v1::Frame ping;
  ping.mutable_ping();
  call.write(ping);
  std::vector<v1::Frame> frames;
  const grpc::Status status = call.drain(&frames);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "a ping before the hello must end the stream with FAILED_PRECONDITION "
         "\"not_handshake\", got "
      << describe(status);
  EXPECT_NE(status.error_message().find("not_handshake"), std::string::npos) << describe(status);
  ASSERT_EQ(frames.size(), 1u) << "expected exactly one error frame before the close";
  EXPECT_EQ(frames[0].error().code(), "not_handshake") << frames[0].ShortDebugString();
  EXPECT_TRUE(counted(rejected("not_handshake"), before + 1))
      << rejected("not_handshake") << " stayed at " << metric(rejected("not_handshake"));
}

TEST_F(HostileWire, WrongProtocolVersionIsFailedPreconditionVersionMismatch) {
  const double before = metric(rejected("version_mismatch"));
  Call call(listen_address());
  call.write(hello(fake_id(2), 99));
  std::vector<v1::Frame> frames;
  const grpc::Status status = call.drain(&frames);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "a hello with protocol_version 99 must end the stream with FAILED_PRECONDITION "
         "\"version_mismatch\", got "
      << describe(status);
  EXPECT_NE(status.error_message().find("version_mismatch"), std::string::npos) << describe(status);
  ASSERT_EQ(frames.size(), 1u) << "expected exactly one error frame before the close";
  EXPECT_EQ(frames[0].error().code(), "version_mismatch") << frames[0].ShortDebugString();
  EXPECT_NE(frames[0].error().message().find("99"), std::string::npos)
      << frames[0].ShortDebugString();
  EXPECT_TRUE(counted(rejected("version_mismatch"), before + 1))
      << rejected("version_mismatch") << " stayed at " << metric(rejected("version_mismatch"));
}

TEST_F(HostileWire, RegisterFromAnotherBuildIsAccepted) {
  // Same protocol version, another build: the build id is informational,
  // so a rolling upgrade can mix builds.
  Call call(port_of(cluster_->member("bootstrap").data_dir, "listen").value_or(""), true);
  ASSERT_EQ(call.handshake(0xb1d), "");
  ASSERT_TRUE(call.write(register_frame(key_of(0xb1d)->node_id(), v1::ROLE_NODE, "another-build",
                                        {}, kProtocolVersion)));
  v1::Frame reply;
  ASSERT_TRUE(call.read(reply)) << "the bootstrap ended the stream without an answer";
  EXPECT_TRUE(reply.has_registered()) << reply.ShortDebugString();
}

TEST_F(HostileWire, RegisterWithAnUnsupportedVersionNamesTheSupportedRange) {
  Call call(port_of(cluster_->member("bootstrap").data_dir, "listen").value_or(""), true);
  ASSERT_EQ(call.handshake(0xb1e), "");
  ASSERT_TRUE(call.write(register_frame(key_of(0xb1e)->node_id(), v1::ROLE_NODE, "another-build",
                                        {}, kProtocolVersion + 1)));
  v1::Frame reply;
  ASSERT_TRUE(call.read(reply)) << "the bootstrap ended the stream without an answer";
  ASSERT_TRUE(reply.has_error()) << reply.ShortDebugString();
  EXPECT_EQ(reply.error().code(), "version_mismatch");
  EXPECT_NE(reply.error().message().find("supported: 1-1"), std::string::npos)
      << reply.error().message();
}

TEST_F(HostileWire, UnknownMessageTypeIsInvalidArgumentAndCountedMalformed) {
  // A frame whose body is a field number this build does not know (what a
  // newer peer's message looks like), first before and then after a valid
  // handshake.
  v1::Frame unknown;
  unknown.set_request_id(7);
  unknown.GetReflection()->MutableUnknownFields(&unknown)->AddLengthDelimited(99, "future");
  for (const bool after_handshake : {false, true}) {
    SCOPED_TRACE(after_handshake ? "after the handshake" : "as the first frame");
    const double before = metric(dropped("malformed"));
    Call call(listen_address());
    if (after_handshake) {
      ASSERT_EQ(call.handshake(3), "");
    }
    call.write(unknown);
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "a frame with no known message must end the stream with INVALID_ARGUMENT, got "
        << describe(status);
    EXPECT_NE(status.error_message().find("message type"), std::string::npos) << describe(status);
    EXPECT_TRUE(counted(dropped("malformed"), before + 1))
        << dropped("malformed") << " stayed at " << metric(dropped("malformed"));
  }
}

TEST_F(HostileWire, HelloWithBadPeerIdIsRefused) {
  for (const std::string& bad :
       {std::string("not-a-node-id"), std::string(39, 'a'), std::string(41, 'a'),
        std::string("0123456789ABCDEF0123456789abcdef01234567")}) {
    SCOPED_TRACE("peer_id \"" + bad + "\"");
    const double before = metric(dropped("bad_peer_id"));
    Call call(listen_address());
    call.write(hello(bad));
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "a hello whose peer_id is not 40 lower-case hex digits must end the stream with "
           "INVALID_ARGUMENT \"bad_peer_id\", got "
        << describe(status);
    EXPECT_TRUE(status.error_message().starts_with("bad_peer_id: ")) << describe(status);
    EXPECT_NE(status.error_message().find("peer_id"), std::string::npos) << describe(status);
    EXPECT_TRUE(counted(dropped("bad_peer_id"), before + 1))
        << dropped("bad_peer_id") << " stayed at " << metric(dropped("bad_peer_id"));
  }
  {
    SCOPED_TRACE("the all-zero peer_id");
    const double before = metric(rejected("bad_peer_id"));
    Call call(listen_address());
    call.write(hello(std::string(40, '0')));
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "a hello with the zero id must end the stream with INVALID_ARGUMENT "
           "\"bad_peer_id\", got "
        << describe(status);
    EXPECT_NE(status.error_message().find("bad_peer_id"), std::string::npos) << describe(status);
    EXPECT_TRUE(counted(rejected("bad_peer_id"), before + 1))
        << rejected("bad_peer_id") << " stayed at " << metric(rejected("bad_peer_id"));
  }
}

TEST_F(HostileWire, UpperCaseIdsAreBadPeerIdEverywhere) {
  // One id, one spelling: the upper-case form of a valid id is refused
  // like any other bad id, in the hello and after the handshake.
  std::string upper = key_of(0xca5e)->node_id().to_hex();
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(upper, key_of(0xca5e)->node_id().to_hex()) << "the id has no letter to raise";
  {
    SCOPED_TRACE("in dht_peer_hello.peer_id");
    const double before = metric(dropped("bad_peer_id"));
    Call call(listen_address());
    call.write(hello(upper));
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    ASSERT_EQ(frames.size(), 1u) << "expected exactly one error frame before the close";
    EXPECT_EQ(frames[0].error().code(), "bad_peer_id") << frames[0].ShortDebugString();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << describe(status);
    EXPECT_TRUE(status.error_message().starts_with("bad_peer_id: ")) << describe(status);
    EXPECT_TRUE(counted(dropped("bad_peer_id"), before + 1))
        << dropped("bad_peer_id") << " stayed at " << metric(dropped("bad_peer_id"));
  }
  {
    SCOPED_TRACE("in find_node.target after a valid handshake");
    const double before = metric(dropped("bad_peer_id"));
    Call call(listen_address());
    ASSERT_EQ(call.handshake(0xca5e), "");
    call.write(find_node(1, upper));
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << describe(status);
    EXPECT_TRUE(status.error_message().starts_with("bad_peer_id: ")) << describe(status);
    EXPECT_NE(status.error_message().find("find_node.target"), std::string::npos)
        << describe(status);
    for (const auto& frame : frames)
      EXPECT_FALSE(frame.has_find_node_response()) << "answered a find_node for a bad id";
    EXPECT_TRUE(counted(dropped("bad_peer_id"), before + 1))
        << dropped("bad_peer_id") << " stayed at " << metric(dropped("bad_peer_id"));
  }
}

TEST_F(HostileWire, UndecodableBytesAreInvalidArgumentAndCountedMalformed) {
  // Bytes that are no protobuf message at all: a length-delimited field
  // that claims 5 bytes and has 2, and a varint that never ends.
  for (const std::string& bytes : {std::string("\x0a\x05"
                                               "ab"),
                                   std::string(11, '\xff'), junk(64, 0xbad)}) {
    SCOPED_TRACE("bytes of size " + std::to_string(bytes.size()));
    const double before = metric(dropped("malformed"));
    RawCall call(listen_address());
    call.write(bytes);
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << "bytes that are not a yz.v1.Frame must end the stream with INVALID_ARGUMENT "
           "\"malformed\", got "
        << describe(status);
    EXPECT_TRUE(status.error_message().starts_with("malformed: ")) << describe(status);
    EXPECT_TRUE(counted(dropped("malformed"), before + 1))
        << dropped("malformed") << " stayed at " << metric(dropped("malformed"));
  }
}

TEST_F(HostileWire, RepeatedFrameRefusalsAreLoggedOncePerWindow) {
  // Every refusal is counted, but a flood of them writes one line, and one
  // more at the end of the 10 s window saying how many it left out.
  constexpr int kRefusals = 20;
  const auto lines = [](const std::string& needle) {
    const std::string log = read_file(target().log);
    std::size_t count = 0;
    for (std::size_t at = log.find(needle); at != std::string::npos; at = log.find(needle, at + 1))
      ++count;
    return count;
  };
  const std::string refused = "event=frame_refused";
  const std::size_t lines_before = lines(refused);
  const std::string summary = "reason=malformed suppressed=";
  const std::size_t summaries_before = lines(summary);
  const double before = metric(dropped("malformed"));
  for (int i = 0; i < kRefusals; ++i) {
    RawCall call(listen_address());
    call.write(
        std::string("\x0a\x05"
                    "ab"));
    EXPECT_EQ(call.drain().error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  EXPECT_TRUE(counted(dropped("malformed"), before + kRefusals))
      << dropped("malformed") << " stayed at " << metric(dropped("malformed"));
  EXPECT_LE(lines(refused), lines_before + 1) << kRefusals << " refusals wrote one log line each:\n"
                                              << read_file(target().log);
  EXPECT_TRUE(eventually([&] { return lines(summary) > summaries_before; }, seconds(15)))
      << "no summary line of the refusals left out of the log:\n"
      << read_file(target().log);
}

TEST_F(HostileWire, ARefusalRacingTheClientsHalfCloseIsNeverOk) {
  // The frame and the half-close arrive together: the node refuses the
  // frame, and its refusal, not the half-close, decides the status.
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i));
    Call call(listen_address());
    v1::Frame ping;
    ping.mutable_ping();
    call.write(ping);
    call.writes_done();
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << describe(status);
    EXPECT_TRUE(status.error_message().starts_with("not_handshake")) << describe(status);
  }
  for (int i = 0; i < 5; ++i) {
    SCOPED_TRACE("undecodable, attempt " + std::to_string(i));
    RawCall call(listen_address());
    call.write(
        std::string("\x0a\x05"
                    "ab"));
    call.writes_done();
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << describe(status);
  }
}

TEST_F(HostileWire, HelloThatCannotProveItsIdIsUnauthenticatedAndCounted) {
  const auto liar = core::Identity::from_words(0x11a2, 1, 2, 3);
  const auto victim = core::Identity::from_words(0x71c7, 1, 2, 3);
  {
    SCOPED_TRACE("an id that is not the key's");
    const double before = metric(rejected("id_key_mismatch"));
    Call call(listen_address());
    v1::Frame forged = hello(victim->node_id().to_hex());
    forged.mutable_dht_peer_hello()->set_public_key(liar->public_key());
    forged.mutable_dht_peer_hello()->set_nonce(std::string(core::kNonceBytes, 'n'));
    call.write(forged);
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << describe(status);
    EXPECT_NE(status.error_message().find("id_key_mismatch"), std::string::npos)
        << describe(status);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].error().code(), "id_key_mismatch") << frames[0].ShortDebugString();
    EXPECT_TRUE(counted(rejected("id_key_mismatch"), before + 1))
        << rejected("id_key_mismatch") << " stayed at " << metric(rejected("id_key_mismatch"));
  }
  {
    SCOPED_TRACE("someone else's public key, and a proof signed with our own");
    const double before = metric(rejected("bad_signature"));
    Call call(listen_address());
    v1::Frame stolen = hello(victim->node_id().to_hex());
    stolen.mutable_dht_peer_hello()->set_public_key(victim->public_key());
    stolen.mutable_dht_peer_hello()->set_nonce(std::string(core::kNonceBytes, 'n'));
    ASSERT_TRUE(call.write(stolen));
    v1::Frame reply;
    ASSERT_TRUE(call.read(reply));
    ASSERT_TRUE(reply.has_dht_peer_connected()) << reply.ShortDebugString();
    const auto node = core::NodeId::from_hex(reply.dht_peer_connected().node_id());
    ASSERT_TRUE(node.has_value());
    v1::Frame proof;
    proof.mutable_dht_peer_proof()->set_signature(liar->sign(core::handshake_message(
        'D', reply.dht_peer_connected().nonce(), victim->node_id(), *node)));
    call.write(proof);
    call.write(find_node(1, fake_id(1)));
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << describe(status);
    EXPECT_NE(status.error_message().find("bad_signature"), std::string::npos) << describe(status);
    for (const auto& frame : frames)
      EXPECT_FALSE(frame.has_find_node_response()) << "answered a peer that failed its proof";
    EXPECT_TRUE(counted(rejected("bad_signature"), before + 1))
        << rejected("bad_signature") << " stayed at " << metric(rejected("bad_signature"));
  }
  // The liar's claimed id never reached the node's routing table.
  const std::string status_json = http_get(cluster_->http_address(target()), "/status").body;
  EXPECT_EQ(status_json.find(victim->node_id().to_hex()), std::string::npos) << status_json;
  expect_node_survived();
}

TEST_F(HostileWire, AProvenKeyWithoutAMembershipChainIsPermissionDenied) {
  // Who it is and the proof both pass; it shows no chain back to the
  // bootstrap, so it is refused before it reaches the routing table.
  const double refused = metric(rejected("not_a_member"));
  const std::string missing = "yz_credential_rejected_total{reason=\"missing_chain\"}";
  const double missing_before = metric(missing);
  Call call(listen_address());
  ASSERT_EQ(call.handshake(0xbad, /*member=*/false), "");
  call.write(find_node(1, fake_id(1)));
  std::vector<v1::Frame> frames;
  const grpc::Status status = call.drain(&frames);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << describe(status);
  EXPECT_NE(status.error_message().find("not_a_member"), std::string::npos) << describe(status);
  for (const auto& frame : frames)
    EXPECT_FALSE(frame.has_find_node_response()) << "a non-member got an answer";
  EXPECT_TRUE(counted(rejected("not_a_member"), refused + 1));
  EXPECT_TRUE(counted(missing, missing_before + 1));
}

TEST_F(HostileWire, ForgedSelfMadeAndBorrowedChainsArePermissionDenied) {
  const auto me = key_of(0xc4a1);
  // Rooted at a key of its own making, not the bootstrap's.
  const core::Invitation own = core::sign_invitation(*me, me->node_id(), 1, 1);
  const core::CredentialChain self_made = core::extend_chain(core::sign_token(*me, own), own, {});
  // A real insider's chain, shown as ours.
  const core::CredentialChain borrowed = insider_chain(*key_of(0xc4a2));
  // Ours, edited after the bootstrap signed it.
  core::CredentialChain forged = insider_chain(*me);
  forged.front().invitation.nonce ^= 1;
  forged.front().token.invitation_nonce ^= 1;
  using Case = std::pair<const core::CredentialChain*, const char*>;
  for (const auto& [chain, reason] :
       {Case{&self_made, "broken_chain"}, Case{&borrowed, "wrong_subject"},
        Case{&forged, "bad_signature"}}) {
    const std::string series =
        std::string("yz_credential_rejected_total{reason=\"") + reason + "\"}";
    const double before = metric(series);
    Call call(listen_address());
    ASSERT_EQ(call.handshake(0xc4a1, true, chain), "") << reason;
    const grpc::Status status = call.drain();
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
        << reason << ": " << describe(status);
    EXPECT_NE(status.error_message().find("not_a_member"), std::string::npos) << describe(status);
    EXPECT_TRUE(counted(series, before + 1)) << series;
  }
}

TEST_F(HostileWire, FramesOverOneMebibyteAreResourceExhaustedAndCounted) {
  // 2 MiB is over yz's limit; 5 MiB is over gRPC's default 4 MiB receive
  // cap too, which yz raises so that it still sees, counts and refuses it.
  const std::string oversized = dropped("oversized");
  for (const std::size_t size : {std::size_t{2} << 20, std::size_t{5} << 20}) {
    SCOPED_TRACE("a frame of " + std::to_string(size) + " bytes");
    const double before = metric(oversized);
    Call call(listen_address());
    ASSERT_EQ(call.handshake(5), "");
    v1::Frame big;
    big.set_request_id(9);
    big.mutable_error()->set_code("big");
    big.mutable_error()->set_message(std::string(size, 'x'));
    call.write(big);  // may fail once the node has cut the stream
    std::vector<v1::Frame> frames;
    const grpc::Status status = call.drain(&frames);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
        << "a frame over the 1 MiB limit must end the stream with RESOURCE_EXHAUSTED, got "
        << describe(status);
    // The node's words, not gRPC's: it read the frame, refused it and
    // counted it.
    EXPECT_TRUE(status.error_message().starts_with("oversized: ")) << describe(status);
    EXPECT_NE(status.error_message().find("exceeds the limit of 1048576"), std::string::npos)
        << describe(status);
    EXPECT_TRUE(counted(oversized, before + 1)) << oversized << " stayed at " << metric(oversized);
  }
}

TEST_F(HostileWire, SilentStreamIsClosedAfterHandshakeTimeout) {
  const double before = metric(rejected("handshake_timeout"));
  const auto started = std::chrono::steady_clock::now();
  Call call(listen_address());
  const grpc::Status status = call.drain();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << "a stream that says nothing must be closed by the node with DEADLINE_EXCEEDED "
         "\"handshake_timeout\", got "
      << describe(status);
  // The node's message, not the client's own 20 s deadline.
  EXPECT_NE(status.error_message().find("handshake_timeout"), std::string::npos)
      << describe(status);
  EXPECT_GE(elapsed, milliseconds(900)) << "closed before the 1 s handshake timeout";
  EXPECT_LT(elapsed, seconds(10)) << "the 1 s handshake timeout did not close the stream";
  EXPECT_TRUE(counted(rejected("handshake_timeout"), before + 1))
      << rejected("handshake_timeout") << " stayed at " << metric(rejected("handshake_timeout"));
}

TEST_F(HostileWire, GarbageBytesOnTheGrpcPortAreHungUpOn) {
  RawSocket socket(listen_address());
  ASSERT_TRUE(socket.connected());
  std::string junk(4096, '\0');
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;  // SplitMix64, seeded
  for (char& c : junk) {
    state += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    c = static_cast<char>(z ^ (z >> 31));
  }
  socket.send_bytes(junk);
  EXPECT_TRUE(socket.closed_by_peer()) << "the node kept a connection that sent 4 KiB of junk";
}

TEST_F(HostileWire, HalfAFrameThenDisconnect) {
  const std::string address = listen_address();
  v1::Frame ping;
  ping.mutable_ping();
  const std::string body = ping.SerializeAsString();
  constexpr std::uint8_t kData = 0;
  {
    // The same bytes, complete, reach the PeerLink service: proof that the
    // hand-made HTTP/2 below is understood, so the truncations are too.
    SCOPED_TRACE("a complete frame over hand-made HTTP/2");
    const double before = metric(rejected("not_handshake"));
    RawSocket socket(address);
    ASSERT_TRUE(socket.connected());
    socket.send_bytes(h2_open_peer_link(address) +
                      h2_frame(kData, 0, 1, grpc_message(body, body.size())));
    ASSERT_TRUE(counted(rejected("not_handshake"), before + 1))
        << "the hand-made HTTP/2 request did not reach PeerLink.Connect";
  }
  {
    SCOPED_TRACE("a gRPC message cut short");
    RawSocket socket(address);
    ASSERT_TRUE(socket.connected());
    socket.send_bytes(h2_open_peer_link(address) + h2_frame(kData, 0, 1, grpc_message(body, 100)));
  }
  {
    SCOPED_TRACE("an HTTP/2 DATA frame cut short");
    RawSocket socket(address);
    ASSERT_TRUE(socket.connected());
    socket.send_bytes(h2_open_peer_link(address) +
                      h2_frame(kData, 0, 1, grpc_message(body, 1000), 1005));
  }
  {
    SCOPED_TRACE("a valid hello, then half of a find_node");
    const std::string hello_bytes = hello(fake_id(8)).SerializeAsString();
    const std::string find = find_node(1, fake_id(9)).SerializeAsString();
    RawSocket socket(address);
    ASSERT_TRUE(socket.connected());
    socket.send_bytes(
        h2_open_peer_link(address) +
        h2_frame(kData, 0, 1, grpc_message(hello_bytes, hello_bytes.size())) +
        h2_frame(kData, 0, 1, grpc_message(find.substr(0, find.size() / 2), find.size())));
  }
}

TEST_F(HostileWire, FloodOfFindNodeIsLimited) {
  // Far over the 50 find_node a second (burst 200) one peer gets answered
  // (roles/core/rate_limit.h): the node answers some, drops the rest and
  // counts them; the link may be closed as a flood.
  constexpr int kFlood = 2000;
  const std::string limited = "yz_limited_total{limit=\"lookups\"}";
  const double before = metric(limited);
  Call call(listen_address(), false, seconds(60));
  ASSERT_EQ(call.handshake(10), "");
  std::thread writer([&] {
    for (int i = 1; i <= kFlood; ++i)
      if (!call.write(find_node(static_cast<std::uint64_t>(i), fake_id(100000 + i)))) return;
    call.writes_done();  // the node ends the stream once it has read them all
  });
  std::set<std::uint64_t> answered;
  std::vector<v1::Frame> frames;
  const grpc::Status status = call.drain(&frames);
  writer.join();
  for (const auto& frame : frames)
    if (frame.has_find_node_response()) answered.insert(frame.request_id());
  EXPECT_GT(answered.size(), 0u) << "the node answered none of " << kFlood << " find_node";
  EXPECT_LT(answered.size(), static_cast<std::size_t>(kFlood))
      << "the node answered all " << kFlood << " find_node of one peer at once";
  if (!answered.empty()) {
    EXPECT_GE(*answered.begin(), 1u) << "an answer carries a request_id the test never sent";
    EXPECT_LE(*answered.rbegin(), static_cast<std::uint64_t>(kFlood))
        << "an answer carries a request_id the test never sent";
  }
  EXPECT_TRUE(status.ok() || status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      << describe(status);
  EXPECT_TRUE(counted(limited, before + 1)) << limited << " stayed at " << metric(limited);
}

// A Bootstrap acceptor that sends its initial metadata only with its first
// message, as grpcio's default does: it reads first and answers nothing
// until it has a frame. A dialler that waits for headers before its hello
// and this acceptor wait for each other forever.
class LateHeadersBootstrap final : public v1::Bootstrap::CallbackService {
 public:
  grpc::ServerBidiReactor<v1::Frame, v1::Frame>* Connect(
      grpc::CallbackServerContext* /*context*/) override {
    return new Reactor(*this);
  }

  // The first frame any dialler sent, once one has.
  std::optional<v1::Frame> first_frame(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return first_.has_value(); });
    return first_;
  }

 private:
  class Reactor final : public grpc::ServerBidiReactor<v1::Frame, v1::Frame> {
   public:
    explicit Reactor(LateHeadersBootstrap& owner) : owner_(owner) { StartRead(&in_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status::OK);
        return;
      }
      {
        std::lock_guard lock(owner_.mu_);
        if (!owner_.first_) owner_.first_ = in_;
      }
      owner_.cv_.notify_all();
      Finish(grpc::Status(grpc::StatusCode::ABORTED, "test acceptor: seen enough"));
    }
    void OnDone() override { delete this; }

   private:
    LateHeadersBootstrap& owner_;
    v1::Frame in_;
  };

  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<v1::Frame> first_;
};

TEST(LateHeadersAcceptor, ADiallerSendsItsHelloWithoutWaitingForHeaders) {
  LateHeadersBootstrap acceptor;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&acceptor);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server != nullptr);
  ASSERT_GT(port, 0);

  const std::string dir = make_temp_dir("yz-late-headers");
  // A node dials its bootstrap first and greets it with dht_peer_hello.
  Child node = Child::spawn({binary("yz-node"), "--name", "dialler", "--data-dir", dir + "/node",
                             "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--bootstrap",
                             "127.0.0.1:" + std::to_string(port), "--log-level", "info"},
                            {}, dir + "/node.log");
  const std::optional<v1::Frame> first = acceptor.first_frame(seconds(20));
  node.stop();
  server->Shutdown(std::chrono::system_clock::now() + seconds(1));
  ASSERT_TRUE(first.has_value())
      << "the node never sent a frame to an acceptor that holds back its headers; its log:\n"
      << read_file(dir + "/node.log");
  EXPECT_TRUE(first->has_dht_peer_hello()) << first->ShortDebugString();
}

}  // namespace
}  // namespace yz::integration
