#include "roles/runtime/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace yz::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ------------------------------------------------------- raw socket client
// A blocking POSIX client rather than a Beast one: it can send bytes no real
// client would, and it keeps this test cheap to compile.

struct Response {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Closes the descriptor on scope exit so a failed assertion leaks nothing.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

sockaddr_in Loopback(std::uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

// Returns the connected descriptor, or -1 with errno set. Reads give up after
// a few seconds, so a server bug fails the test instead of hanging it.
int Connect(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{};
  timeout.tv_sec = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const sockaddr_in address = Loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
    const int error = errno;
    ::close(fd);
    errno = error;
    return -1;
  }
  return fd;
}

bool SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

// Appends whatever arrives next; false on close, error or timeout.
bool RecvMore(int fd, std::string& pending) {
  char buffer[4096];
  const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  if (n <= 0) return false;
  pending.append(buffer, static_cast<std::size_t>(n));
  return true;
}

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// Reads one response off `fd`, keeping bytes past it in `pending` for the
// next call. For a response to HEAD, Content-Length describes no body.
std::optional<Response> ReadResponse(int fd, std::string& pending, bool head = false) {
  std::size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    if (!RecvMore(fd, pending)) return std::nullopt;
  }
  const std::string header_block = pending.substr(0, end + 2);
  pending.erase(0, end + 4);

  Response response;
  std::size_t line_start = 0;
  bool first = true;
  while (line_start < header_block.size()) {
    const std::size_t line_end = header_block.find("\r\n", line_start);
    const std::string line = header_block.substr(line_start, line_end - line_start);
    line_start = line_end + 2;
    if (first) {
      first = false;
      if (line.size() < 12 || line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
      response.status = std::stoi(line.substr(9, 3));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    response.headers[Lower(line.substr(0, colon))] = value;
  }
  std::size_t length = 0;
  if (auto it = response.headers.find("content-length"); it != response.headers.end() && !head) {
    length = std::stoul(it->second);
  }
  while (pending.size() < length) {
    if (!RecvMore(fd, pending)) return std::nullopt;
  }
  response.body = pending.substr(0, length);
  pending.erase(0, length);
  return response;
}

// The value of header `name` (lower case), or empty when absent.
std::string Header(const Response& response, const std::string& name) {
  const auto it = response.headers.find(name);
  return it == response.headers.end() ? std::string() : it->second;
}

// True when the server has closed the connection: nothing more to read.
bool ClosedByPeer(int fd, const std::string& pending) {
  if (!pending.empty()) return false;
  char byte;
  return ::recv(fd, &byte, 1, 0) == 0;
}

std::string Get(const std::string& target, const std::string& extra_headers = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

// ------------------------------------------------------------------ fixture

// Answers /hello with the request echoed back, throws on /throw and gives 404
// elsewhere, counting calls so tests can tell whether it ran.
class HttpServerTest : public ::testing::Test {
 protected:
  ~HttpServerTest() override {
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  HttpResponse Handle(const HttpRequest& request) {
    ++calls_;
    HttpResponse response;
    if (request.target.starts_with("/hello")) {
      response.content_type = "text/x-test";
      response.body = "method=" + request.method + " target=" + request.target;
      response.headers.emplace_back("X-Test", "yes");
    } else if (request.target == "/throw") {
      throw std::runtime_error("handler failed");
    } else if (request.target == "/bad-status") {
      response.status = 1234;
    } else {
      response.status = 404;
      response.body = "no such thing";
    }
    return response;
  }

  // Listens on a free loopback port, then runs the io_context on a thread
  // (listen() is called before, while no thread runs it, as documented).
  void Start(HttpServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(
        io_, [this](const HttpRequest& request) { return Handle(request); }, options);
    ASSERT_THAT(server_->listen("127.0.0.1:0"), IsEmpty());
    ASSERT_NE(server_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  // stop() and the destructor belong on the io thread.
  void RunOnIo(std::function<void()> fn) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::unique_ptr<HttpServer> server_;
  std::thread thread_;
  std::atomic<int> calls_ = 0;
};

TEST_F(HttpServerTest, GetReturnsTheHandlersResponse) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello?x=1")));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "method=GET target=/hello?x=1");
  EXPECT_EQ(response->headers.at("content-type"), "text/x-test");
  EXPECT_EQ(response->headers.at("x-test"), "yes");
  EXPECT_EQ(response->headers.at("content-length"), "28");
}

TEST_F(HttpServerTest, UnknownPathGetsWhateverTheHandlerSays) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/elsewhere")));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "no such thing");
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  std::string pending;
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello/1")));
  const auto first = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello/2")));
  const auto second = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->body, "method=GET target=/hello/1");
  EXPECT_EQ(second->body, "method=GET target=/hello/2");
  EXPECT_EQ(first->headers.count("connection"), 0u) << "HTTP/1.1 keeps alive by default";
  EXPECT_EQ(calls_, 2);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello/a") + Get("/hello/b") + Get("/hello/c")));
  std::string pending;
  for (const char* name : {"a", "b", "c"}) {
    const auto response = ReadResponse(fd.get(), pending);
    ASSERT_TRUE(response.has_value()) << name;
    EXPECT_EQ(response->body, std::string("method=GET target=/hello/") + name);
  }
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello", "Connection: close\r\n")));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(Lower(Header(*response, "connection")), "close");
  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
}

TEST_F(HttpServerTest, Http10WithoutKeepAliveIsClosedAfterTheResponse) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), "GET /hello HTTP/1.0\r\n\r\n"));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "method=GET target=/hello");
  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
}

TEST_F(HttpServerTest, MalformedRequestsGet400AndTheConnectionCloses) {
  Start();
  for (const std::string& request : {
           std::string("NOT HTTP AT ALL\r\n\r\n"),
           std::string("GET /hello HTTP/1.1\r\nBroken header line\r\n\r\n"),
           std::string("GET /hello HTTP/7.5\r\n\r\n"),
           std::string("GET /hello HTTP/1.1\r\nContent-Length: nope\r\n\r\n"),
       }) {
    SCOPED_TRACE(request);
    Fd fd(Connect(server_->port()));
    ASSERT_GE(fd.get(), 0);
    ASSERT_TRUE(SendAll(fd.get(), request));
    std::string pending;
    const auto response = ReadResponse(fd.get(), pending);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 400);
    EXPECT_EQ(Lower(Header(*response, "connection")), "close");
    EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
  }
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, BodyOverTheLimitGets413) {
  HttpServerOptions options;
  options.body_limit = 16;
  Start(options);
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(
      fd.get(), "POST /hello HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x')));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, HeaderOverTheLimitGets431) {
  HttpServerOptions options;
  options.header_limit = 256;
  Start(options);
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello", "X-Big: " + std::string(1000, 'y') + "\r\n")));
  std::string pending;
  const auto response = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, StalledClientIsDropped) {
  HttpServerOptions options;
  options.timeout = std::chrono::milliseconds(100);
  Start(options);
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  // Half a request line, then silence: the client's 5 s read timeout would
  // make ClosedByPeer false if the server never gave up.
  ASSERT_TRUE(SendAll(fd.get(), "GET /hel"));
  EXPECT_TRUE(ClosedByPeer(fd.get(), ""));
  EXPECT_EQ(calls_, 0);
}

TEST_F(HttpServerTest, HeadSendsTheLengthButNoBody) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), "HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n"));
  std::string pending;
  const auto head = ReadResponse(fd.get(), pending, /*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.at("content-length"), "25");  // "method=HEAD target=/hello"
  // Had a body been sent, it would be misread as the start of this response.
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello")));
  const auto get = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(get.has_value());
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "method=GET target=/hello");
}

TEST_F(HttpServerTest, HandlerFailuresGive500AndKeepTheConnection) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  std::string pending;
  for (const char* target : {"/throw", "/bad-status"}) {
    SCOPED_TRACE(target);
    ASSERT_TRUE(SendAll(fd.get(), Get(target)));
    const auto response = ReadResponse(fd.get(), pending);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 500);
  }
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello")));
  const auto after = ReadResponse(fd.get(), pending);
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(after->status, 200);
}

TEST_F(HttpServerTest, StopClosesTheListenerAndOpenConnections) {
  Start();
  const std::uint16_t port = server_->port();
  Fd fd(Connect(port));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello")));
  std::string pending;
  ASSERT_TRUE(ReadResponse(fd.get(), pending).has_value());

  RunOnIo([this] { server_->stop(); });

  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
  const int refused = Connect(port);
  const int error = errno;
  Fd guard(refused);
  EXPECT_EQ(refused, -1);
  EXPECT_EQ(error, ECONNREFUSED);
  EXPECT_EQ(calls_, 1);
  RunOnIo([this] { server_->stop(); });  // idempotent
}

TEST_F(HttpServerTest, DestroyingTheServerClosesOpenConnections) {
  Start();
  Fd fd(Connect(server_->port()));
  ASSERT_GE(fd.get(), 0);
  ASSERT_TRUE(SendAll(fd.get(), Get("/hello")));
  std::string pending;
  ASSERT_TRUE(ReadResponse(fd.get(), pending).has_value());
  RunOnIo([this] { server_.reset(); });
  EXPECT_TRUE(ClosedByPeer(fd.get(), pending));
}

// ------------------------------------------------------------------ listen

TEST(HttpServerListenTest, PortInUseIsReportedWithTheAddress) {
  // A listener of our own, without SO_REUSEADDR or SO_REUSEPORT, so the
  // kernel must refuse the server's bind.
  Fd taken(::socket(AF_INET, SOCK_STREAM, 0));
  ASSERT_GE(taken.get(), 0);
  sockaddr_in address = Loopback(0);
  ASSERT_EQ(::bind(taken.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(taken.get(), 1), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(::getsockname(taken.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string host_port = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  boost::asio::io_context io;
  HttpServer server(io, [](const HttpRequest&) { return HttpResponse{}; });
  const std::string error = server.listen(host_port);
  EXPECT_THAT(error, HasSubstr("in use"));
  EXPECT_THAT(error, HasSubstr(host_port));
  EXPECT_EQ(server.port(), 0);
  // A failed attempt leaves the server able to try another address.
  EXPECT_THAT(server.listen("127.0.0.1:0"), IsEmpty());
  EXPECT_NE(server.port(), 0);
}

TEST(HttpServerListenTest, BadAddressesAreRejectedWithTheirText) {
  boost::asio::io_context io;
  HttpServer server(io, [](const HttpRequest&) { return HttpResponse{}; });
  for (const char* bad : {"nonsense", "127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80x",
                          "1.2.3:80", "::1:80", "[::1]80", "[::1"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(server.listen(bad), HasSubstr(bad));
  }
  EXPECT_EQ(server.port(), 0);
}

TEST(HttpServerListenTest, ListensOnlyOnce) {
  boost::asio::io_context io;
  HttpServer server(io, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_THAT(server.listen("127.0.0.1:0"), IsEmpty());
  EXPECT_THAT(server.listen("127.0.0.1:0"), Not(IsEmpty()));
  server.stop();
  EXPECT_THAT(server.listen("127.0.0.1:0"), HasSubstr("stopped"));
}

}  // namespace
}  // namespace yz::runtime
