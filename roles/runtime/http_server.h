#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

// Forward-declared so that including this header costs nothing: Asio and
// Beast stay inside http_server.cc, the slowest file of the runtime to build.
namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace yz::runtime {

struct HttpRequest {
  std::string method;  // as sent, e.g. "GET"
  std::string target;  // as sent, query string included, e.g. "/health?x=1"
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  // Extra header fields, e.g. Allow on a 405. The server sets Content-Type,
  // Content-Length and Connection itself.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct HttpServerOptions {
  // A connection with no complete request (or unsent response) for this long
  // is dropped, so stalled or idle clients cannot hold sockets forever.
  std::chrono::milliseconds timeout{10'000};
  std::size_t body_limit = 64 * 1024;
  std::size_t header_limit = 8 * 1024;
};

// A small HTTP/1.1 server for /metrics, /health and /status.
//
// Runs on the caller's io_context and calls the handler on the thread running
// it, which is the thread that drives the core, so handlers read the core and
// its registry without locks. The server never blocks that thread on a slow
// client. Keep-alive and pipelined requests are served in order; "Connection:
// close" and HTTP/1.0 are honoured. A request the parser rejects gets 400 (413
// over the body limit, 431 over the header limit) and the connection closes.
// A handler that throws yields 500. For HEAD the handler's body is dropped
// and its length sent as Content-Length, so handlers treat HEAD like GET.
//
// Like the core, not thread-safe: call listen(), stop() and the destructor on
// the io_context's thread, or while no thread is running it.
class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  HttpServer(boost::asio::io_context& io, Handler handler, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting on "host:port", where host is an IP address
  // ("127.0.0.1:0" picks a free port; IPv6 as "[::1]:0"). Returns empty on
  // success, otherwise a message naming the address and the reason, e.g.
  // "127.0.0.1:8080: address already in use". Succeeds at most once.
  std::string listen(const std::string& host_port);

  // The bound port (useful after listening on port 0); 0 before listen().
  std::uint16_t port() const;

  // Stops accepting and closes every connection; the handler is not called
  // again. Idempotent.
  void stop();

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace yz::runtime
