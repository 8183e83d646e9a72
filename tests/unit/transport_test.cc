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
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

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

}  // namespace
}  // namespace yz::runtime
