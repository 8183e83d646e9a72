#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "roles/core/message.h"

namespace yz::metrics {
class Registry;
}

namespace yz::core {

// Nanoseconds. In the simulator, virtual time since the run started; in the
// runtime, a monotonic clock.
using TimePoint = std::int64_t;
using Duration = std::int64_t;

constexpr Duration kMillisecond = 1'000'000;
constexpr Duration kSecond = 1'000 * kMillisecond;

// Identifies one link of one process. The driver picks the values; the core
// only compares them.
using LinkId = std::uint64_t;
using TimerId = std::uint64_t;

enum class LogLevel : std::uint8_t { kDebug, kInfo, kWarn, kError };

struct LogField {
  std::string_view key;
  std::string value;
};

// Everything a role may do to the world. The core holds no sockets, threads,
// clocks or randomness of its own: the runtime implements this with gRPC and
// Boost.Asio, the simulator with a virtual clock, network and seeded PRNG.
// All calls come from, and all callbacks run on, the one thread that drives
// the process's core.
class Env {
 public:
  virtual ~Env() = default;

  virtual TimePoint now() const = 0;

  // Milliseconds on a clock every process shares, for timestamps that cross
  // processes (invitation expiry). now() is per process: a monotonic clock
  // since start in the runtime. In the simulator, and in any driver where all
  // processes share now(), that is the default.
  virtual std::int64_t shared_clock_ms() const { return now() / kMillisecond; }

  // Runs `fn` once after `delay`, unless cancelled first.
  virtual TimerId start_timer(Duration delay, std::function<void()> fn) = 0;
  virtual void cancel_timer(TimerId timer) = 0;

  // Queues a message on an open link, taking it: it is moved, not copied, to
  // the receiving side. Messages on one link arrive in order; those sent on a
  // link that is closed or closing are discarded.
  virtual void send(LinkId link, Message&& message) = 0;
  // Sends one of the handshake's own frames (dht_peer_hello,
  // dht_peer_connected, dht_peer_proof, or the error that refuses the link)
  // on a link whose handshake may not have completed yet. Every other frame
  // goes through send(), which the guard refuses on such a link (guard.h):
  // nothing a role says reaches a peer before that peer's handshake is done.
  virtual void send_handshake(LinkId link, Message&& message) { send(link, std::move(message)); }

  // Starts opening a link to `address`. The driver later calls exactly one of
  // Process::on_link_opened or Process::on_link_closed for the returned id.
  virtual LinkId dial(const std::string& address) = 0;

  // Closes a link. The remote side sees on_link_closed; this side does not.
  virtual void close(LinkId link) = 0;
  // The same, saying why (a short snake_case reason such as "not_handshake"),
  // for drivers that can tell the remote side: the runtime turns it into the
  // stream's gRPC status.
  virtual void close(LinkId link, std::string_view reason) {
    (void)reason;
    close(link);
  }
  // The remote end's network address without its port ("127.0.0.1", "::1"),
  // for per-address limits; empty when the driver cannot tell.
  virtual std::string remote_address(LinkId link) const {
    (void)link;
    return {};
  }
  // The role calls this once a link's handshake has completed (the peer proved
  // its id, or the bootstrap greeted the client): from then on the link no
  // longer counts against the handshake deadline and the unauthenticated caps.
  virtual void link_authenticated(LinkId link) { (void)link; }

  virtual std::uint64_t random() = 0;

  virtual void log(LogLevel level, std::string_view event,
                   std::initializer_list<LogField> fields) = 0;

  virtual metrics::Registry& metrics() = 0;
};

}  // namespace yz::core
