#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "roles/core/process.h"
#include "roles/metrics/registry.h"
#include "roles/runtime/http_server.h"

namespace yz::runtime {

// Returns extra members for the /status object, as JSON text without the
// surrounding braces, e.g. R"("peers":[...],"links":[...])", or an empty
// string for none. This is where the peer and link listings plug in without
// changing the routing below.
using ExtraStatusFields = std::function<std::string()>;

// The build and wire version members of /status ("buildId", "protocolVersion"),
// without braces. The build id is for people: compatibility is decided by the
// protocol version alone (roles/core/protocol.h).
std::string build_status_fields(std::string_view build_id, std::uint32_t protocol_version);

// Serves the process's HTTP endpoints; meant to be wrapped in the
// HttpServer::Handler, so it runs on the core's thread.
//   GET /metrics  Prometheus text format of `registry`.
//   GET /health   200 when the process reports itself healthy, else 503,
//                 with a JSON summary (the body is the same either way, so a
//                 load balancer's probe and a person see the same facts).
//   GET /status   200 with /health's fields plus counters and `extra`.
// HEAD is answered like GET (the server drops the body). Other methods on
// these paths get 405 with Allow; other paths 404. The query string is
// ignored for routing.
HttpResponse handle_endpoint(const HttpRequest& request, core::Process& process,
                             metrics::Registry& registry, const ExtraStatusFields& extra = {});

}  // namespace yz::runtime
