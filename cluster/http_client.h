#pragma once

#include <chrono>
#include <string>

namespace yz::cluster {

struct HttpReply {
  int status = 0;     // 0 when the request failed
  std::string error;  // why, when status is 0
  std::string body;
};

// One blocking HTTP/1.1 GET to `host_port` ("127.0.0.1:8080", "[::1]:8080")
// with `Connection: close`, on Boost.Beast. The whole exchange (connect, send, read) is
// bounded by `timeout`, so a stopped (SIGSTOP) process cannot hang yzctl.
HttpReply http_get(const std::string& host_port, const std::string& path,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));

}  // namespace yz::cluster
