#include <grpcpp/support/status_code_enum.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "roles/runtime/transport.h"

// How a link's end reads on the wire (the status of each close reason) and
// which address a gRPC peer string names.
namespace yz::runtime {
namespace {

// The reason code of "code: explanation", or the whole string.
std::string_view reason_code(std::string_view reason) { return reason.substr(0, reason.find(':')); }

bool one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (const auto c : codes)
    if (code == c) return true;
  return false;
}

}  // namespace

grpc::StatusCode status_code_for(std::string_view reason) {
  using grpc::StatusCode;
  const std::string_view code = reason_code(reason);
  if (one_of(code, {"malformed", "bad_peer_id", "unknown_message"}))
    return StatusCode::INVALID_ARGUMENT;
  if (one_of(code, {"not_handshake", "peer_id_mismatch", "version_mismatch", "not_registered",
                    "id_mismatch"}))
    return StatusCode::FAILED_PRECONDITION;
  // A peer that cannot prove who it is (roles/core/handshake_auth.h), or a
  // process without the secret its role needs.
  if (one_of(code,
             {"id_key_mismatch", "bad_signature", "missing_proof", "bad_auth", "bad_genesis_auth"}))
    return StatusCode::UNAUTHENTICATED;
  // A proven id that may not do this (no membership chain, no invitation).
  if (one_of(code, {"not_a_member", "not_asked", "no_invitation", "bad_token"}))
    return StatusCode::PERMISSION_DENIED;
  if (one_of(code, {"genesis_exists", "duplicate_link"})) return StatusCode::ALREADY_EXISTS;
  if (one_of(code, {"oversized", "rate_limited", "too_many_links", "too_many_unauthenticated"}))
    return StatusCode::RESOURCE_EXHAUSTED;
  if (code == "handshake_timeout") return StatusCode::DEADLINE_EXCEEDED;
  if (code == "shutdown") return StatusCode::UNAVAILABLE;
  // Every other close this side decides (dead_link, replaced, ...): still
  // not OK, which would read as a normal end.
  return StatusCode::ABORTED;
}

std::string address_without_port(std::string_view peer) {
  // gRPC URIs: "ipv4:h:p", "ipv6:[h]:p" (percent-encoded brackets in some
  // versions), "dns:///h:p", "dns:h:p"; a dialled target may be bare "h:p".
  std::string text;
  for (std::size_t i = 0; i < peer.size(); ++i) {
    if (peer[i] == '%' && i + 2 < peer.size()) {
      const std::string_view hex = peer.substr(i + 1, 2);
      if (hex == "5B" || hex == "5b") {
        text += '[';
        i += 2;
        continue;
      }
      if (hex == "5D" || hex == "5d") {
        text += ']';
        i += 2;
        continue;
      }
    }
    text += peer[i];
  }
  std::string_view rest = text;
  for (const std::string_view scheme : {"ipv4:", "ipv6:", "dns:"}) {
    if (rest.starts_with(scheme)) {
      rest.remove_prefix(scheme.size());
      break;
    }
  }
  if (rest.starts_with("//")) {
    // dns://authority/host:port: the authority is the resolver, not the host.
    const auto slash = rest.find('/', 2);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    return std::string(close == std::string_view::npos ? rest.substr(1)
                                                       : rest.substr(1, close - 1));
  }
  const auto colon = rest.find(':');
  // No colon: no port. Several and no brackets: an IPv6 address alone.
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos)
    return std::string(rest);
  return std::string(rest.substr(0, colon));
}

}  // namespace yz::runtime
