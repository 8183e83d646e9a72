// yzctl's HTTP client (cluster/http_client.cc, on Boost.Beast) against
// canned peers on loopback: what callers read from HttpReply (status, body,
// the error line) for answers, non-answers and silence.
#include "cluster/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>

namespace yz::cluster {
namespace {

using std::chrono::milliseconds;

// A loopback socket bound to a free port; listening only when asked, so a
// bound but silent port refuses connections without racing other tests.
class Peer {
 public:
  explicit Peer(bool listening) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listening) {
      EXPECT_EQ(::listen(fd_, 4), 0);
    }
  }
  ~Peer() {
    if (server_.joinable()) server_.join();
    ::close(fd_);
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  // Accepts one connection, reads the request head, writes `answer`, closes.
  void answer_once(std::string answer) {
    server_ = std::thread([this, answer = std::move(answer)] {
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) return;
      char buffer[4096];
      while (request_.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = ::recv(conn, buffer, sizeof buffer, 0);
        if (n <= 0) break;
        request_.append(buffer, static_cast<std::size_t>(n));
      }
      ::send(conn, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(conn);
    });
  }
  // The request as received; read after http_get returned (joins the server).
  const std::string& request() {
    if (server_.joinable()) server_.join();
    return request_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread server_;
  std::string request_;
};

TEST(HttpClient, ReadsAnAnswerAndSendsOneGetWithConnectionClose) {
  Peer peer(true);
  peer.answer_once("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
  const HttpReply reply = http_get(peer.address(), "/health");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "hello");
  EXPECT_EQ(reply.error, "");
  const std::string& request = peer.request();
  EXPECT_EQ(request.rfind("GET /health HTTP/1.1\r\n", 0), 0u) << request;
  EXPECT_NE(request.find("Host: " + peer.address() + "\r\n"), std::string::npos) << request;
  EXPECT_NE(request.find("Connection: close\r\n"), std::string::npos) << request;
}

TEST(HttpClient, DecodesChunkedAndBodyUntilClose) {
  Peer chunked(true);
  chunked.answer_once(
      "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nnot\r\n6\r\n "
      "found\r\n0\r\n\r\n");
  const HttpReply a = http_get(chunked.address(), "/nope");
  EXPECT_EQ(a.status, 404);
  EXPECT_EQ(a.body, "not found");

  Peer until_close(true);
  until_close.answer_once("HTTP/1.0 200 OK\r\n\r\nall of it");
  const HttpReply b = http_get(until_close.address(), "/metrics");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body, "all of it");
}

TEST(HttpClient, SaysWhatWentWrong) {
  Peer garbage(true);
  garbage.answer_once("SSH-2.0-OpenSSH\r\n\r\n");
  const HttpReply a = http_get(garbage.address(), "/health");
  EXPECT_EQ(a.status, 0);
  EXPECT_EQ(a.error, "not an HTTP answer from " + garbage.address());

  Peer bad_chunk(true);
  bad_chunk.answer_once(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nx\r\n0\r\n\r\n");
  const HttpReply b = http_get(bad_chunk.address(), "/status");
  EXPECT_EQ(b.status, 0);
  EXPECT_EQ(b.error, "malformed chunked answer from " + bad_chunk.address());

  Peer closed(false);  // bound, not listening: the kernel refuses
  const HttpReply c = http_get(closed.address(), "/health");
  EXPECT_EQ(c.status, 0);
  EXPECT_EQ(c.error, "connect " + closed.address() + ": Connection refused");

  EXPECT_EQ(http_get("nowhere", "/health").error, "bad address 'nowhere'");
  EXPECT_EQ(http_get("127.0.0.1:0", "/health").error, "bad address '127.0.0.1:0'");
}

// A stopped process: the kernel completes the connection (backlog) but
// nothing answers. The deadline ends the wait; the figure is not checked.
TEST(HttpClient, ASilentPeerTimesOut) {
  Peer silent(true);
  const HttpReply reply = http_get(silent.address(), "/health", milliseconds(100));
  EXPECT_EQ(reply.status, 0);
  EXPECT_EQ(reply.error, "timed out waiting for " + silent.address() + "/health");
}

}  // namespace
}  // namespace yz::cluster
