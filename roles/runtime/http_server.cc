#include "roles/runtime/http_server.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <charconv>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <unordered_set>

namespace yz::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// After the server decides to close, a client may still be sending (the rest
// of an oversized request, say). Closing with unread data makes the kernel
// answer with RST, which can destroy the response before the client reads it;
// so the server half-closes and drains for at most this long first.
constexpr std::chrono::seconds kMaxLinger{2};

// Retrying a failed accept at once would spin when the process is out of file
// descriptors, which is when the CPU is least affordable.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string Failure(const std::string& host_port, const std::string& reason) {
  return host_port + ": " + reason;
}

std::string Failure(const std::string& host_port, const beast::error_code& ec) {
  std::string reason = ec.message();
  // strerror capitalises; the message reads as one sentence after the colon.
  if (!reason.empty()) {
    reason[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(reason[0])));
  }
  return Failure(host_port, reason);
}

// Headers the server owns: letting a handler set them could contradict the
// body actually sent or the connection handling.
bool IsReservedHeader(std::string_view name) {
  return beast::iequals(name, "Content-Length") || beast::iequals(name, "Transfer-Encoding") ||
         beast::iequals(name, "Connection") || beast::iequals(name, "Content-Type");
}

}  // namespace

class HttpServer::Impl : public std::enable_shared_from_this<Impl> {
 public:
  Impl(asio::io_context& io, Handler handler, HttpServerOptions options)
      : handler_(std::move(handler)), options_(options), acceptor_(io), retry_timer_(io) {}

  std::string listen(const std::string& host_port);
  std::uint16_t port() const { return port_; }
  void stop();

 private:
  class Session;

  void Accept();

  Handler handler_;
  HttpServerOptions options_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
  bool listening_ = false;
  bool stopped_ = false;
  // Live connections, so stop() can close them. Sessions own themselves
  // through their pending operations and unregister on destruction.
  std::unordered_set<Session*> sessions_;
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(std::shared_ptr<Impl> server, tcp::socket socket)
      : server_(std::move(server)), stream_(std::move(socket)) {}
  ~Session() { server_->sessions_.erase(this); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    server_->sessions_.insert(this);
    Read();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

 private:
  void Read() {
    // A fresh parser per request: Beast parsers cannot be reused.
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options_.header_limit));
    parser_->body_limit(server_->options_.body_limit);
    stream_.expires_after(server_->options_.timeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (server_->stopped_) return;
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& message = parser_->get();
    const bool head = message.method() == http::verb::head;
    HttpResponse response;
    try {
      response = server_->handler_(
          HttpRequest{std::string(message.method_string()), std::string(message.target())});
    } catch (const std::exception&) {
      response = Plain(500, "internal server error\n");
    } catch (...) {
      response = Plain(500, "internal server error\n");
    }
    // The handler may have stopped the server.
    if (server_->stopped_) return;
    Send(std::move(response), message.version(), message.keep_alive(), head);
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      Send(Plain(413, "request body too large\n"), 11, false, false);
    } else if (ec == http::error::header_limit) {
      Send(Plain(431, "request header too large\n"), 11, false, false);
    } else if (ec.category() == beast::http::make_error_code(http::error::bad_method).category() &&
               ec != http::error::end_of_stream && ec != http::error::partial_message) {
      // The parser rejected what was sent; the stream position is lost, so
      // the connection cannot continue.
      Send(Plain(400, "bad request\n"), 11, false, false);
    } else {
      // Clean close between requests, a timeout, a reset or a client that
      // hung up mid-request: nobody is listening for an answer.
      Close();
    }
  }

  static HttpResponse Plain(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    return response;
  }

  void Send(HttpResponse response, unsigned version, bool keep_alive, bool head) {
    response_ = {};
    try {
      if (response.status < 100 || response.status > 599) {
        throw std::invalid_argument("status out of range");
      }
      Build(std::move(response), version, keep_alive, head);
    } catch (const std::exception&) {
      // An invalid status or header from the handler: say so instead of
      // dropping the connection without an answer.
      response_ = {};
      Build(Plain(500, "internal server error\n"), version, keep_alive, head);
    }
    close_after_write_ = !response_.keep_alive();
    stream_.expires_after(server_->options_.timeout);
    http::async_write(
        stream_, response_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnWrite(ec); });
  }

  void Build(HttpResponse response, unsigned version, bool keep_alive, bool head) {
    response_.version(version);
    response_.result(static_cast<unsigned>(response.status));
    response_.set(http::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) {
      if (!IsReservedHeader(name)) response_.insert(name, value);
    }
    if (head) {
      // Advertise the length a GET would have, send no body (RFC 9110 9.3.2).
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    response_.keep_alive(keep_alive);
  }

  void OnWrite(beast::error_code ec) {
    if (server_->stopped_) return;
    if (ec) {
      Close();
    } else if (close_after_write_) {
      Linger();
    } else {
      Read();
    }
  }

  void Linger() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(
        std::min<std::chrono::milliseconds>(server_->options_.timeout, kMaxLinger));
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec || self->server_->stopped_) {
                                self->Close();
                              } else {
                                self->Drain();
                              }
                            });
  }

  std::shared_ptr<Impl> server_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool close_after_write_ = false;
  char drain_[4096];
};

std::string HttpServer::Impl::listen(const std::string& host_port) {
  if (stopped_) return Failure(host_port, "server is stopped");
  if (listening_) return Failure(host_port, "server is already listening");

  std::string host;
  std::string port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    const auto close = host_port.find(']');
    if (close == std::string::npos || close + 1 >= host_port.size() ||
        host_port[close + 1] != ':') {
      return Failure(host_port, "expected [IPv6 address]:port");
    }
    host = host_port.substr(1, close - 1);
    port_text = host_port.substr(close + 2);
  } else {
    const auto colon = host_port.rfind(':');
    if (colon == std::string::npos) return Failure(host_port, "expected address:port");
    host = host_port.substr(0, colon);
    port_text = host_port.substr(colon + 1);
    if (host.find(':') != std::string::npos) {
      return Failure(host_port, "IPv6 addresses must be in brackets, e.g. [::1]:9100");
    }
  }

  unsigned port = 0;
  const auto* end = port_text.data() + port_text.size();
  const auto [parsed_end, parse_error] = std::from_chars(port_text.data(), end, port);
  if (port_text.empty() || parse_error != std::errc() || parsed_end != end || port > 65535) {
    return Failure(host_port, "invalid port \"" + port_text + "\"");
  }

  beast::error_code ec;
  const auto address = asio::ip::make_address(host, ec);
  if (ec) return Failure(host_port, "invalid IP address \"" + host + "\"");
  const tcp::endpoint endpoint(address, static_cast<std::uint16_t>(port));

  auto fail = [&](const beast::error_code& error) {
    beast::error_code ignored;
    acceptor_.close(ignored);
    return Failure(host_port, error);
  };
  if (acceptor_.open(endpoint.protocol(), ec); ec) return fail(ec);
  // Lets a restarted process bind while old connections sit in TIME_WAIT.
  // It does not allow two listeners on one port (that is SO_REUSEPORT).
  if (acceptor_.set_option(asio::socket_base::reuse_address(true), ec); ec) return fail(ec);
  if (acceptor_.bind(endpoint, ec); ec) return fail(ec);
  if (acceptor_.listen(asio::socket_base::max_listen_connections, ec); ec) return fail(ec);
  const auto local = acceptor_.local_endpoint(ec);
  if (ec) return fail(ec);

  port_ = local.port();
  listening_ = true;
  Accept();
  return {};
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      self->retry_timer_.expires_after(kAcceptRetryDelay);
      self->retry_timer_.async_wait([self](beast::error_code wait_error) {
        if (!wait_error && !self->stopped_) self->Accept();
      });
      return;
    }
    std::make_shared<Session>(self, std::move(socket))->Start();
    self->Accept();
  });
}

void HttpServer::Impl::stop() {
  if (stopped_) return;
  stopped_ = true;
  beast::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  // Closing only cancels; sessions erase themselves later, from their
  // completion handlers. The copy keeps this loop valid even if that changes.
  const auto sessions = sessions_;
  for (Session* session : sessions) session->Close();
}

HttpServer::HttpServer(boost::asio::io_context& io, Handler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(io, std::move(handler), options)) {}

HttpServer::~HttpServer() { impl_->stop(); }

std::string HttpServer::listen(const std::string& host_port) { return impl_->listen(host_port); }

std::uint16_t HttpServer::port() const { return impl_->port(); }

void HttpServer::stop() { impl_->stop(); }

}  // namespace yz::runtime
