#include "cluster/http_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

#include "roles/runtime/flags.h"

namespace yz::cluster {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits until `fd` is ready for `events` or the deadline passes.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

// Decodes a chunked body; returns false when it is malformed.
bool dechunk(const std::string& in, std::string* out) {
  std::size_t pos = 0;
  out->clear();
  while (true) {
    const std::size_t eol = in.find("\r\n", pos);
    if (eol == std::string::npos) return false;
    const std::size_t size = std::strtoul(in.substr(pos, eol - pos).c_str(), nullptr, 16);
    pos = eol + 2;
    if (size == 0) return true;
    if (pos + size > in.size()) return false;
    out->append(in, pos, size);
    pos += size + 2;
  }
}

int connect_to(const std::string& host_port, Clock::time_point deadline, std::string* error) {
  const auto parsed = runtime::parse_host_port(host_port);
  if (!parsed || parsed->port == 0) {
    *error = "bad address '" + host_port + "'";
    return -1;
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(parsed->port);
  if (const int rc = ::getaddrinfo(parsed->host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = std::string("cannot resolve ") + parsed->host + ": " + ::gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    if (errno == EINPROGRESS && wait_for(fd, POLLOUT, deadline)) {
      int so_error = 0;
      socklen_t len = sizeof so_error;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
      if (so_error == 0) break;
      errno = so_error;
    } else if (errno == EINPROGRESS) {
      errno = ETIMEDOUT;
    }
    *error = "connect " + host_port + ": " + std::generic_category().message(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

HttpReply http_get(const std::string& host_port, const std::string& path,
                   std::chrono::milliseconds timeout) {
  HttpReply reply;
  const auto deadline = Clock::now() + timeout;
  const int fd = connect_to(host_port, deadline, &reply.error);
  if (fd < 0) return reply;

  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host_port +
                              "\r\nUser-Agent: yzctl\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) {
      reply.error = "timed out sending to " + host_port;
      ::close(fd);
      return reply;
    }
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      reply.error = "send to " + host_port + ": " + std::generic_category().message(errno);
      ::close(fd);
      return reply;
    }
    sent += static_cast<std::size_t>(n);
  }

  std::string response;
  char buffer[16384];
  while (true) {
    if (!wait_for(fd, POLLIN, deadline)) {
      reply.error = "timed out waiting for " + host_port + path;
      ::close(fd);
      return reply;
    }
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n < 0) {
      reply.error = "read from " + host_port + ": " + std::generic_category().message(errno);
      ::close(fd);
      return reply;
    }
    if (n == 0) break;
    response.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);

  const std::size_t header_end = response.find("\r\n\r\n");
  if (response.rfind("HTTP/1.", 0) != 0 || response.size() < 12 ||
      header_end == std::string::npos) {
    reply.error = "not an HTTP answer from " + host_port;
    return reply;
  }
  const int status = std::atoi(response.c_str() + 9);
  const std::string headers = lower(response.substr(0, header_end));
  std::string body = response.substr(header_end + 4);
  if (headers.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    std::string decoded;
    if (!dechunk(body, &decoded)) {
      reply.error = "malformed chunked answer from " + host_port;
      return reply;
    }
    body = std::move(decoded);
  }
  reply.status = status;
  reply.body = std::move(body);
  return reply;
}

}  // namespace yz::cluster
