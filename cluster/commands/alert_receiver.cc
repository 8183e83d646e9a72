// yzctl alert-receiver (hidden; started by `up --alertmanager`): the
// webhook Alertmanager notifies. Each POST body (one JSON notification) is
// appended as one line to --out, so an operator (or a test) can watch
// notifications arrive with `tail -f`. GET /-/ready answers 200 once it
// listens. SIGTERM ends it (default disposition: nothing to flush, every
// line is written whole with one write(2)).
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <iostream>
#include <thread>

#include "cluster/commands/commands.h"
#include "cluster/commands/common.h"

namespace yz::cluster::commands {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// A client that stalls mid-request cannot hold the (single-threaded)
// receiver for longer than this.
constexpr int kSocketTimeoutSeconds = 5;
constexpr std::size_t kBodyLimit = 1024 * 1024;

bool append_line(const std::string& path, std::string body) {
  // Alertmanager's JSON has no raw newlines inside strings (they are
  // escaped), so flattening the rest keeps one notification per line.
  for (char& c : body) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  body += '\n';
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  const ssize_t n = ::write(fd, body.data(), body.size());
  ::close(fd);
  return n == static_cast<ssize_t>(body.size());
}

void serve_one(tcp::socket& socket, const std::string& out_path) {
  const timeval timeout{kSocketTimeoutSeconds, 0};
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  beast::flat_buffer buffer;
  http::request_parser<http::string_body> parser;
  parser.body_limit(kBodyLimit);
  beast::error_code ec;
  http::read(socket, buffer, parser, ec);
  if (ec) return;
  const auto& request = parser.get();
  http::response<http::string_body> response;
  response.version(11);
  response.keep_alive(false);
  response.set(http::field::content_type, "text/plain");
  if (request.method() == http::verb::get && request.target() == "/-/ready") {
    response.result(http::status::ok);
    response.body() = "ready\n";
  } else if (request.method() == http::verb::post) {
    const bool ok = append_line(out_path, request.body());
    response.result(ok ? http::status::ok : http::status::internal_server_error);
    response.body() = ok ? "stored\n" : "cannot write " + out_path + "\n";
  } else {
    response.result(http::status::method_not_allowed);
    response.body() = "POST a notification, or GET /-/ready\n";
  }
  response.prepare_payload();
  http::write(socket, response, ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

}  // namespace

int alert_receiver(const std::vector<std::string>& argv) {
  const Args args = parse_args(argv, {{"--listen"}, {"--out"}}, "alert-receiver");
  if (!args.error.empty()) return usage_error(args.error);
  if (!args.has("--listen") || !args.has("--out"))
    return usage_error("yzctl alert-receiver needs --listen 127.0.0.1:PORT and --out FILE");
  const std::string listen = args.get("--listen");
  const std::size_t colon = listen.rfind(':');
  const auto port =
      colon == std::string::npos ? std::nullopt : parse_int(listen.substr(colon + 1), 1, 65535);
  beast::error_code ec;
  const auto host = colon == std::string::npos
                        ? asio::ip::address()
                        : asio::ip::make_address(listen.substr(0, colon), ec);
  if (!port || ec) return usage_error("invalid --listen '" + listen + "': expected HOST:PORT");
  try {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(host, static_cast<unsigned short>(*port)));
    std::cout << "yzctl alert-receiver: listening on " << listen << ", appending to "
              << args.get("--out") << std::endl;
    while (true) {
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec) {
        // Out of descriptors, say: retrying at once would spin.
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      serve_one(socket, args.get("--out"));
    }
  } catch (const std::exception& e) {
    return failure("alert-receiver on " + listen + ": " + e.what());
  }
}

}  // namespace yz::cluster::commands
