// The transport's lifetime rules against gRPC 1.51's shared callback queue.
// With no grpc::Server in the process (as in a role process once
// Server::Shutdown has run), channels are the only holders of that queue:
// releasing the last one on one of the queue's own threads made gRPC join
// that thread from itself and free the queue it was still polling, an
// AddressSanitizer double free in grpc_cq_internal_unref. Under ASan this
// test aborts if a stream ever drops its channel on gRPC's thread again.
// The same test once caught (under UBSan, in CI) a close reaching a client
// call gRPC had already torn down: the window between the call's end and
// OnDone is nanoseconds wide and no reproducer here hits it reliably, so the
// fix is structural, gRPC's documented hold for operations started outside
// reactions (ClientStream::begin).
#include "roles/runtime/transport.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace yz::runtime {
namespace {

// A loopback port nobody listens on: bound for a moment, then released, so
// a dial there is refused at once.
int refused_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  int port = 0;
  if (fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) close(fd);
  return port;
}

TEST(TransportTest, LocallyClosedStreamsEndingOnGrpcThreadsLeaveTheirChannelsToUs) {
  const int port = refused_port();
  ASSERT_GT(port, 0);
  boost::asio::io_context io;
  Transport transport(io, Transport::Events{}, "", 1 << 20, grpc::InsecureChannelCredentials());
  for (int i = 0; i < 8; ++i) {
    const core::LinkId link = transport.dial("127.0.0.1:" + std::to_string(port));
    // Closed from this side at once, so that when the refused call ends on
    // gRPC's thread, the stream is the only holder of itself and its channel.
    transport.close(link, "closed");
  }
  // Bounded: every call ends once its connection is refused.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (transport.open_streams() > 0 && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(transport.open_streams(), 0u);
  // The io thread's turn: the ended streams go, and with the last channel
  // gRPC shuts its queue down from here, joining its threads safely.
  io.poll();
  EXPECT_TRUE(transport.shutdown());
}

TEST(TransportTest, ShutdownDropsStreamsGrpcStillHeld) {
  const int port = refused_port();
  ASSERT_GT(port, 0);
  boost::asio::io_context io;
  Transport transport(io, Transport::Events{}, "", 1 << 20, grpc::InsecureChannelCredentials());
  for (int i = 0; i < 4; ++i) transport.dial("127.0.0.1:" + std::to_string(port));
  // No io turn at all: shutdown cancels what is open, waits for gRPC to let
  // go, and releases everything on this thread.
  EXPECT_TRUE(transport.shutdown());
  EXPECT_EQ(transport.open_streams(), 0u);
}

TEST(TransportTest, EveryRefusalEndsWithTheContractsStatusCode) {
  using grpc::StatusCode;
  const std::vector<std::pair<StatusCode, std::vector<const char*>>> table = {
      {StatusCode::INVALID_ARGUMENT, {"malformed", "bad_peer_id", "unknown_message"}},
      {StatusCode::FAILED_PRECONDITION,
       {"not_handshake", "peer_id_mismatch", "version_mismatch", "not_registered", "id_mismatch"}},
      {StatusCode::UNAUTHENTICATED,
       {"id_key_mismatch", "bad_signature", "missing_proof", "bad_auth", "bad_genesis_auth"}},
      {StatusCode::PERMISSION_DENIED, {"not_a_member", "not_asked", "no_invitation", "bad_token"}},
      {StatusCode::ALREADY_EXISTS, {"genesis_exists", "duplicate_link"}},
      {StatusCode::RESOURCE_EXHAUSTED,
       {"oversized", "rate_limited", "too_many_links", "too_many_unauthenticated"}},
      {StatusCode::DEADLINE_EXCEEDED, {"handshake_timeout"}},
      {StatusCode::UNAVAILABLE, {"shutdown"}},
      // Every other reason this side decides: never OK, which reads as a
      // normal end.
      {StatusCode::ABORTED, {"dead_link", "replaced", "closed", "stopping", "anything_else", ""}},
  };
  for (const auto& [code, reasons] : table) {
    for (const char* reason : reasons) {
      EXPECT_EQ(status_code_for(reason), code) << "reason \"" << reason << "\"";
      // The code decides, whatever explanation follows it.
      const std::string explained = std::string(reason) + ": because";
      EXPECT_EQ(status_code_for(explained), code) << "reason \"" << explained << "\"";
    }
  }
  EXPECT_EQ(status_code_for("handshake_timeout: no handshake within 10s"),
            StatusCode::DEADLINE_EXCEEDED);
}

TEST(TransportTest, AddressWithoutPort) {
  const std::pair<const char*, const char*> cases[] = {
      {"ipv4:127.0.0.1:5555", "127.0.0.1"},
      {"ipv6:[::1]:5555", "::1"},
      {"ipv6:%5B::1%5D:5555", "::1"},
      {"ipv6:%5b2001:db8::7%5d:80", "2001:db8::7"},
      {"127.0.0.1:5555", "127.0.0.1"},
      {"[::1]:5555", "::1"},
      {"dht-node-1:7000", "dht-node-1"},
      {"dns:///dht-node-1:7000", "dht-node-1"},
      {"dns://8.8.8.8/dht-node-1:7000", "dht-node-1"},
      {"dns:dht-node-1:7000", "dht-node-1"},
      {"localhost", "localhost"},
      {"::1", "::1"},
      {"", ""},
  };
  for (const auto& [peer, address] : cases) EXPECT_EQ(address_without_port(peer), address) << peer;
}

// Two transports in one process, one dialling the other over loopback.
TEST(TransportTest, BothEndsOfALinkKnowTheRemoteAddress) {
  boost::asio::io_context io;
  core::LinkId accepted = 0, opened = 0;
  Transport::Events acceptor_events;
  acceptor_events.accepted = [&](core::LinkId link) { accepted = link; };
  Transport acceptor(io, acceptor_events, "", 1 << 20, grpc::InsecureChannelCredentials());
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&acceptor.peer_link_service());
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_TRUE(server != nullptr);
  // Bounded even when an assertion returns early: ~Server alone waits for
  // every call without a deadline.
  struct StopServer {
    grpc::Server& server;
    ~StopServer() { server.Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1)); }
  } stop_server{*server};
  ASSERT_GT(port, 0);

  Transport::Events dialler_events;
  dialler_events.opened = [&](core::LinkId link) { opened = link; };
  Transport dialler(io, dialler_events, "", 1 << 20, grpc::InsecureChannelCredentials());
  const core::LinkId link = dialler.dial("127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(dialler.remote_address(link), "127.0.0.1");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while ((accepted == 0 || opened == 0) && std::chrono::steady_clock::now() < deadline) {
    // run_for stops the context whenever it runs out of work.
    io.restart();
    io.run_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(opened, link);
  ASSERT_NE(accepted, 0u);
  EXPECT_EQ(acceptor.remote_address(accepted), "127.0.0.1");
  dialler.close(link, "closed");
  EXPECT_EQ(dialler.remote_address(link), "") << "a closed link has no address any more";
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  io.restart();
  io.poll();
  EXPECT_TRUE(dialler.shutdown());
  EXPECT_TRUE(acceptor.shutdown());
}

}  // namespace
}  // namespace yz::runtime
