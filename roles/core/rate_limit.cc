#include "roles/core/rate_limit.h"

#include <algorithm>
#include <string>

#include "roles/metrics/registry.h"
#include "roles/metrics/types.h"

namespace yz::core {

TokenBucket::TokenBucket(std::uint32_t per_second, std::uint32_t burst, TimePoint now)
    : per_second_(per_second),
      burst_(std::max<std::uint32_t>(burst, 1)),
      tokens_(capacity()),
      last_(now) {}

void TokenBucket::refill(TimePoint now) {
  if (now <= last_) return;  // a clock that stands still (or steps back) adds nothing
  // Capping the elapsed time at what fills the bucket keeps elapsed * rate
  // within capacity + rate, far from overflow.
  const std::int64_t capacity = this->capacity();
  const std::int64_t elapsed = std::min<std::int64_t>(now - last_, capacity / per_second_ + 1);
  tokens_ = std::min(capacity, tokens_ + elapsed * per_second_);
  last_ = now;
}

bool TokenBucket::allow(TimePoint now) {
  if (per_second_ == 0) return true;
  refill(now);
  if (tokens_ < kSecond) return false;
  tokens_ -= kSecond;
  return true;
}

bool TokenBucket::full(TimePoint now) {
  if (per_second_ == 0) return true;
  refill(now);
  return tokens_ >= capacity();
}

metrics::Counter& limited_counter(metrics::Registry& registry, std::string_view limit) {
  return metrics::BuildCounter()
      .Name("yz_limited_total")
      .Help("Frames, lookups, registrations and links a limit slowed or dropped, by limit")
      .Register(registry)
      .Add({{"limit", std::string(limit)}});
}

LimitHits::LimitHits(Env& env, std::string_view limit)
    : limit_(limit), counter_(limited_counter(env.metrics(), limit)), log_(env) {}

void LimitHits::hit(std::initializer_list<LogField> fields) {
  counter_.Increment();
  if (!log_.admit(LogLevel::kWarn, "limited", limit_)) return;
  std::string detail;
  for (const LogField& field : fields) {
    if (!detail.empty()) detail += ' ';
    detail += std::string(field.key) + "=" + field.value;
  }
  log_.env().log(LogLevel::kWarn, "limited", {{"limit", std::string(limit_)}, {"detail", detail}});
}

}  // namespace yz::core
