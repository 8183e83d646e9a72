#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string_view>

#include "roles/core/env.h"
#include "roles/core/refusal_log.h"
#include "roles/metrics/types.h"

namespace yz::metrics {
class Registry;
}  // namespace yz::metrics

namespace yz::core {

// What one process accepts from others before it slows or drops them. The
// defaults sit far above what a correct network sends (the incident
// scenario and the 10,000-node simulation never reach them) and far below
// what hurts a process. Every one can be overridden by a runtime flag.
struct Limits {
  // Frames one link may deliver per second, and in one burst. A frame over
  // the limit is dropped; a link that keeps sending frames_burst frames in a
  // row over the limit is closed ("rate_limited").
  std::uint32_t frames_per_second = 500;
  std::uint32_t frames_burst = 1000;
  // find_node requests one peer may have answered per second (and burst).
  // Over the limit the request is dropped: the asker times out, i.e. slows.
  std::uint32_t lookups_per_second = 50;
  std::uint32_t lookups_burst = 200;
  // Registrations the bootstrap accepts per second from everyone together
  // (and burst). Over the limit the register is refused ("rate_limited") and
  // the newcomer retries later through its health check.
  std::uint32_t registrations_per_second = 200;
  std::uint32_t registrations_burst = 400;
  // Links a DHT member accepts at once; the bootstrap accepts
  // max_bootstrap_links (every process of the network keeps one to it).
  // A link accepted over the limit is closed at once ("too_many_links").
  std::uint32_t max_inbound_links = 1024;
  std::uint32_t max_bootstrap_links = 65536;
  // Accepted links whose handshake has not finished yet, from every address
  // together and from one remote address (Env::remote_address; skipped
  // when the driver cannot tell). Over either, a new link is closed at once
  // ("too_many_unauthenticated"). A handshake done (or its deadline,
  // Timing::handshake_timeout) frees the place.
  std::uint32_t max_unauthenticated_links = 1024;
  std::uint32_t max_unauthenticated_per_address = 256;
  // Values (issue 17, roles/core/value_store.h). A store over one of these
  // is refused and counted on yz_values_refused_total{reason}: too_large
  // (one value's data), node_full (this holder's values or bytes) or
  // publisher_full (one publisher's, so no single publisher fills a
  // holder). A value's bytes are its user key's and its data's. A value
  // must fit in one frame (1 MiB on the wire) with its answer's peers.
  std::uint32_t max_value_bytes = 64 * 1024;
  std::uint32_t max_values_per_node = 10000;
  std::uint32_t max_value_bytes_per_node = 64 << 20;
  std::uint32_t max_values_per_publisher = 1000;
  std::uint32_t max_value_bytes_per_publisher = 8 << 20;
};

// A token bucket on the core's clock (Env::now), so a run of the simulator
// limits exactly alike on every machine. Integer arithmetic only: tokens are
// counted in units of 1/kSecond of a token. A rate of 0 means unlimited.
class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(std::uint32_t per_second, std::uint32_t burst, TimePoint now);

  // Takes one token if there is one.
  bool allow(TimePoint now);
  // Full, i.e. as if unused for a while: safe to forget.
  bool full(TimePoint now);

 private:
  void refill(TimePoint now);

  // burst * kSecond: computed, not stored, so that the bucket every link
  // end and every asking peer carries is 24 bytes, not 32.
  std::int64_t capacity() const { return static_cast<std::int64_t>(burst_) * kSecond; }

  std::uint32_t per_second_ = 0;
  std::uint32_t burst_ = 1;  // at least 1
  std::int64_t tokens_ = 0;
  TimePoint last_ = 0;
};

// One bucket per key (a peer's node id), created full on first use. Keys
// whose bucket has refilled are forgotten once there are more than
// `max_keys`, so the table stays small whatever ids peers claim.
template <typename Key>
class KeyedLimiter {
 public:
  KeyedLimiter(std::uint32_t per_second, std::uint32_t burst, std::size_t max_keys = 4096)
      : per_second_(per_second), burst_(burst), max_keys_(max_keys) {}

  bool allow(const Key& key, TimePoint now) {
    if (per_second_ == 0) return true;
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
      if (buckets_.size() >= max_keys_) prune(now);
      it = buckets_.emplace(key, TokenBucket(per_second_, burst_, now)).first;
    }
    return it->second.allow(now);
  }
  void forget(const Key& key) { buckets_.erase(key); }
  std::size_t size() const { return buckets_.size(); }

 private:
  void prune(TimePoint now) {
    for (auto it = buckets_.begin(); it != buckets_.end();)
      it = it->second.full(now) ? buckets_.erase(it) : std::next(it);
  }

  std::uint32_t per_second_;
  std::uint32_t burst_;
  std::size_t max_keys_;
  std::map<Key, TokenBucket> buckets_;
};

// yz_limited_total{limit="frames|lookups|registrations|links|unauthenticated"}: what a limit
// of this process slowed or dropped.
metrics::Counter& limited_counter(metrics::Registry& registry, std::string_view limit);

// One limit's counter, plus a warning "limited" in the log through a
// RefusalLog, so a flood shows in the log without flooding it.
class LimitHits {
 public:
  LimitHits(Env& env, std::string_view limit);
  void hit(std::initializer_list<LogField> fields = {});

 private:
  std::string_view limit_;  // one of the literal names above
  metrics::Counter& counter_;
  RefusalLog log_;
};

}  // namespace yz::core
