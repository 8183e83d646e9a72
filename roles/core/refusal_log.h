#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "roles/core/env.h"

namespace yz::core {

// Writes refusal log lines (handshake_refused, refused, limited, ...) so a
// flood of refusals cannot flood the log: per (event, reason), the first line
// of a window is written and the rest only counted; when the window ends, one
// more line with the same event says "... and N more like it in the last
// 10 s" (field suppressed=N). It counts lines, not events: whoever refuses
// still counts every refusal on its own metric.
//
// The window runs on the Env's clock and timers, so the simulator writes the
// same lines on every run. A timer is started only once a line has been
// suppressed, so a process that refuses once in a while adds no timer events.
class RefusalLog {
 public:
  static constexpr Duration kWindow = 10 * kSecond;

  explicit RefusalLog(Env& env, Duration window = kWindow);
  ~RefusalLog();
  RefusalLog(const RefusalLog&) = delete;
  RefusalLog& operator=(const RefusalLog&) = delete;

  // Writes `event` with `fields` (which name the reason as the line's
  // readers know it: reason=, code=, ...), or only counts it when a line
  // with the same event and reason was written in this window.
  void log(LogLevel level, std::string_view event, std::string_view reason,
           std::initializer_list<LogField> fields);

  // The same decision without writing: true when the caller should write its
  // line now (for lines whose fields cost something to build).
  bool admit(LogLevel level, std::string_view event, std::string_view reason);

  Env& env() const { return env_; }
  // Windows open now (tests).
  std::size_t windows() const { return windows_.size(); }

 private:
  using Key = std::pair<std::string, std::string>;  // event, reason
  struct Window {
    TimePoint started = 0;
    LogLevel level = LogLevel::kWarn;
    std::uint64_t suppressed = 0;
    TimerId timer = 0;  // set once something was suppressed
  };

  // Writes the summary line of the window at `it`, if it suppressed any,
  // and forgets the window.
  void end_window(std::map<Key, Window>::iterator it);
  // Forgets windows that ended with nothing suppressed, so reasons that
  // come and go do not pile up.
  void prune();

  Env& env_;
  Duration window_;
  // Ordered: prune() walks it, and what it drops must not depend on a hash.
  std::map<Key, Window> windows_;
};

}  // namespace yz::core
