// libFuzzer target: the HTTP endpoint's request side. Bytes go through
// Beast's request parser with the server's limits (as HttpServer reads a
// request), and every request it accepts goes through the endpoint routing
// (handle_endpoint) of a process, as /health, /metrics and /status are
// served. Both must refuse or answer, never crash.
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "roles/core/process.h"
#include "roles/json/json.h"
#include "roles/metrics/registry.h"
#include "roles/metrics/types.h"
#include "roles/runtime/endpoints.h"
#include "roles/runtime/http_server.h"

namespace {

namespace http = boost::beast::http;

class StubProcess : public yz::core::Process {
 public:
  void start() override {}
  void stop() override {}
  void on_link_accepted(yz::core::LinkId) override {}
  void on_link_opened(yz::core::LinkId) override {}
  void on_link_closed(yz::core::LinkId, std::string_view) override {}
  void on_frame(yz::core::LinkId, yz::core::Message&&) override {}
  yz::core::ProcessStatus status() override {
    yz::core::ProcessStatus s;
    s.name = "fuzz-node";
    s.role = yz::core::Role::kNode;
    s.healthy = true;
    s.connected_peers = 3;
    return s;
  }
  std::size_t peers_missing_handler() override { return 0; }
};

}  // namespace

struct World {
  StubProcess process;
  yz::metrics::Registry registry;
  World() {
    yz::metrics::BuildCounter()
        .Name("yz_fuzz_total")
        .Help("a series for /metrics to print")
        .Register(registry)
        .Add({{"kind", "a\"b\\c\n"}})
        .Increment();
  }
};

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World world;
  const yz::runtime::HttpServerOptions options;
  std::size_t offset = 0;
  // Pipelined requests, each with a fresh parser, as a keep-alive session
  // reads them.
  for (int i = 0; i < 8 && offset < size; ++i) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(options.body_limit);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && offset < size) {
      const std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
      offset += used;
      if (ec || used == 0) break;
    }
    if (ec == http::error::need_more) ec = {};
    if (!ec && !parser.is_done()) parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
    const auto& message = parser.get();
    const yz::runtime::HttpRequest request{std::string(message.method_string()),
                                           std::string(message.target())};
    const yz::runtime::HttpResponse response = yz::runtime::handle_endpoint(
        request, world.process, world.registry,
        [&] { return "\"target\":" + yz::json::quote(request.target); });
    if (response.status < 100 || response.status > 599) std::abort();
  }
  return 0;
}
