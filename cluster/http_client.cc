#include "cluster/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cerrno>
#include <system_error>
#include <utility>

#include "roles/runtime/flags.h"

namespace yz::cluster {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// Beast's stream enforces its deadline on asynchronous operations only, so
// each step is started asynchronously and the context run until it is done:
// one blocking call to the caller, one deadline over the whole exchange.
template <typename Start>
beast::error_code run(asio::io_context& io, Start start) {
  beast::error_code result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

bool chunk_error(const beast::error_code& ec) {
  return ec == http::error::bad_chunk || ec == http::error::bad_chunk_extension;
}

// Beast's parser refused the bytes (or there were none): whatever answered
// does not speak HTTP.
bool parse_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::end_of_stream).category();
}

}  // namespace

HttpReply http_get(const std::string& host_port, const std::string& path,
                   std::chrono::milliseconds timeout) {
  HttpReply reply;
  const auto parsed = runtime::parse_host_port(host_port);
  if (!parsed || parsed->port == 0) {
    reply.error = "bad address '" + host_port + "'";
    return reply;
  }
  asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  const auto endpoints = resolver.resolve(parsed->host, std::to_string(parsed->port),
                                          tcp::resolver::numeric_service, ec);
  if (ec) {
    reply.error = "cannot resolve " + parsed->host + ": " + ec.message();
    return reply;
  }

  beast::tcp_stream stream(io);
  // The expiry stays set across operations: connect, send and read share it.
  stream.expires_after(timeout);
  ec = run(io, [&](auto done) { stream.async_connect(endpoints, done); });
  if (ec) {
    const std::string why =
        ec == beast::error::timeout ? std::generic_category().message(ETIMEDOUT) : ec.message();
    reply.error = "connect " + host_port + ": " + why;
    return reply;
  }

  http::request<http::empty_body> request(http::verb::get, path, 11);
  request.set(http::field::host, host_port);
  request.set(http::field::user_agent, "yzctl");
  request.set(http::field::connection, "close");
  ec = run(io, [&](auto done) { http::async_write(stream, request, done); });
  if (ec == beast::error::timeout) {
    reply.error = "timed out sending to " + host_port;
    return reply;
  }
  if (ec) {
    reply.error = "send to " + host_port + ": " + ec.message();
    return reply;
  }

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);  // /metrics of a big node is the largest answer
  ec = run(io, [&](auto done) { http::async_read(stream, buffer, parser, done); });
  if (ec == beast::error::timeout) {
    reply.error = "timed out waiting for " + host_port + path;
  } else if (chunk_error(ec)) {
    reply.error = "malformed chunked answer from " + host_port;
  } else if (parse_error(ec)) {
    reply.error = "not an HTTP answer from " + host_port;
  } else if (ec) {
    reply.error = "read from " + host_port + ": " + ec.message();
  } else {
    reply.status = static_cast<int>(parser.get().result_int());
    reply.body = std::move(parser.get().body());
  }
  return reply;
}

}  // namespace yz::cluster
