#pragma once

#include <grpcpp/support/status_code_enum.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/message.h"

namespace grpc {
class ChannelCredentials;
class Service;
}  // namespace grpc

namespace yz::runtime {

class CoreGate;
class Stream;

// Every peer link as one gRPC bidirectional stream (PeerLink.Connect, or
// Bootstrap.Connect to the bootstrap). gRPC's threads decode; every event
// reaches the core under the transport's CoreGate, in order per link: on
// the io_context's thread, or, for a frame that finds the core idle, on the
// gRPC thread that read it. Every call from the core is made under the gate.
// yz_dht_messages_dropped_total{reason} of frames refused before the core
// sees them (Events::refused).
inline constexpr std::array<std::string_view, 3> kRefusedFrameReasons = {"malformed", "oversized",
                                                                         "bad_peer_id"};

// The gRPC status a close for `reason` ends the stream with (the table of
// docs/PROTOCOL.md). `reason` is a reason code, optionally followed by ": "
// and an explanation; the code alone decides. Never OK: OK is only for a
// stream the remote side ended first.
grpc::StatusCode status_code_for(std::string_view reason);

// A gRPC peer or target without its port, for per-address limits:
// "ipv4:127.0.0.1:5555" -> "127.0.0.1", "ipv6:[::1]:5555" -> "::1",
// "dns:///host:5555" -> "host".
std::string address_without_port(std::string_view peer);

class Transport {
 public:
  struct Events {
    std::function<void(core::LinkId)> accepted;
    std::function<void(core::LinkId)> opened;
    std::function<void(core::LinkId, std::string_view reason)> closed;
    std::function<void(core::LinkId, core::Message&&)> frame;
    // A frame refused before the core saw it (one of kRefusedFrameReasons);
    // the link is closed after it.
    std::function<void(core::LinkId, std::string_view reason, const std::string& problem)> refused;
  };

  // gRPC's own cap on a received message, far above yz's max_frame_bytes so
  // that yz sees, counts and refuses ("oversized") every frame in between.
  // gRPC refuses a bigger one itself: a dialler hears it in the call's status
  // and counts it; an acceptor cannot (see ServerStream::OnReadDone).
  static constexpr std::size_t kGrpcReceiveCapBytes = std::size_t{64} << 20;
  // Every dial uses `credentials` (runtime/grpc_credentials.h).
  Transport(boost::asio::io_context& io, Events events, std::string bootstrap_address,
            std::size_t max_frame_bytes, std::shared_ptr<grpc::ChannelCredentials> credentials);
  ~Transport();

  // Services to register on the process's gRPC server.
  grpc::Service& peer_link_service();
  grpc::Service& bootstrap_service();

  // The lock every entry into the core holds (core_gate.h).
  CoreGate& gate();

  // Called under the gate, by the core through its Env.
  core::LinkId dial(const std::string& address);
  void send(core::LinkId link, const core::Message& message);
  void close(core::LinkId link, std::string_view reason);
  // The address of the link's other end without its port; "" once the link
  // is closed or when gRPC did not say.
  std::string remote_address(core::LinkId link) const;

  // Cancels every stream, waits (bounded) until gRPC has let go of them and
  // drops them, with their channels, on the calling thread. Returns false
  // when some stream was still held by gRPC at the bound.
  bool shutdown();
  std::size_t open_streams() const;

  // Internal, for the streams.
  core::LinkId next_link_id();
  void post_accepted(std::shared_ptr<Stream> stream);
  void post_opened(core::LinkId link);
  void post_frame(core::LinkId link, core::Message&& message);
  // The stream has already chosen its close status; this counts, logs and
  // tells the core.
  void post_refused(core::LinkId link, std::string_view reason, std::string problem);
  // The dialler half-closed: ended with OK once the core has seen every frame
  // before it, unless the core closed the link first.
  void post_half_closed(core::LinkId link);
  std::size_t max_frame_bytes() const;
  // The stream's last reaction: `last_ref` is its own reference to itself,
  // dropped later off gRPC's threads. An empty reason: closed locally.
  void post_done(core::LinkId link, std::string reason, std::shared_ptr<Stream> last_ref);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace yz::runtime
