#include "roles/core/refusal_log.h"

#include <string>

namespace yz::core {

namespace {

// Past this many windows, the ended ones are dropped before a new one opens.
constexpr std::size_t kPruneAbove = 256;

std::string window_text(Duration window) {
  if (window % kSecond == 0) return std::to_string(window / kSecond) + " s";
  return std::to_string(window / kMillisecond) + " ms";
}

}  // namespace

RefusalLog::RefusalLog(Env& env, Duration window) : env_(env), window_(window) {}

RefusalLog::~RefusalLog() {
  // The timers call back into this object; the Env outlives it.
  for (const auto& [key, window] : windows_)
    if (window.timer != 0) env_.cancel_timer(window.timer);
}

void RefusalLog::log(LogLevel level, std::string_view event, std::string_view reason,
                     std::initializer_list<LogField> fields) {
  if (admit(level, event, reason)) env_.log(level, event, fields);
}

bool RefusalLog::admit(LogLevel level, std::string_view event, std::string_view reason) {
  const TimePoint now = env_.now();
  Key key{std::string(event), std::string(reason)};
  auto it = windows_.find(key);
  if (it != windows_.end() && now - it->second.started >= window_) {
    // The window is over; its timer, if any, is due now and has not run yet.
    end_window(it);
    it = windows_.end();
  }
  if (it != windows_.end()) {
    Window& window = it->second;
    ++window.suppressed;
    if (window.timer == 0) {
      window.timer = env_.start_timer(window.started + window_ - now, [this, key] {
        auto found = windows_.find(key);
        if (found == windows_.end()) return;
        found->second.timer = 0;
        end_window(found);
      });
    }
    return false;
  }
  if (windows_.size() >= kPruneAbove) prune();
  windows_.emplace(std::move(key), Window{now, level, 0, 0});
  return true;
}

void RefusalLog::end_window(std::map<Key, Window>::iterator it) {
  const Window window = it->second;
  const Key key = it->first;
  windows_.erase(it);
  if (window.timer != 0) env_.cancel_timer(window.timer);
  if (window.suppressed == 0) return;
  env_.log(window.level, key.first,
           {{"reason", key.second},
            {"suppressed", std::to_string(window.suppressed)},
            {"message", "... and " + std::to_string(window.suppressed) +
                            " more like it in the last " + window_text(window_)}});
}

void RefusalLog::prune() {
  const TimePoint now = env_.now();
  for (auto it = windows_.begin(); it != windows_.end();) {
    if (it->second.timer == 0 && now - it->second.started >= window_)
      it = windows_.erase(it);
    else
      ++it;
  }
}

}  // namespace yz::core
