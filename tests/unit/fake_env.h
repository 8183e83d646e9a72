#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "roles/core/env.h"
#include "roles/core/message.h"
#include "roles/metrics/registry.h"
#include "roles/metrics/text_serializer.h"

namespace yz::core::testing {

// An Env for unit tests: a manual virtual clock, a recording network and a
// fixed pseudo-random sequence. Nothing happens until the test says so, so
// every test is deterministic and needs no sleeps.
class FakeEnv : public Env {
 public:
  struct Sent {
    LinkId link;
    Message message;
  };
  struct Dial {
    LinkId link;
    std::string address;
  };
  struct LogEvent {
    LogLevel level;
    std::string event;
    std::map<std::string, std::string> fields;
  };

  TimePoint now() const override { return now_; }

  TimerId start_timer(Duration delay, std::function<void()> fn) override {
    const TimerId id = next_timer_++;
    timers_.emplace(id, Timer{now_ + std::max<Duration>(delay, 0), std::move(fn)});
    return id;
  }
  void cancel_timer(TimerId timer) override { timers_.erase(timer); }

  void send(LinkId link, Message&& message) override {
    sent.push_back(Sent{link, std::move(message)});
  }

  LinkId dial(const std::string& address) override {
    const LinkId link = new_link();
    dials.push_back(Dial{link, address});
    return link;
  }

  void close(LinkId link) override { close(link, ""); }
  void close(LinkId link, std::string_view reason) override {
    closed.push_back(link);
    close_reasons[link] = std::string(reason);
  }

  // What the test set for the link, else "" (a driver that cannot tell).
  std::string remote_address(LinkId link) const override {
    auto it = remote_addresses.find(link);
    return it == remote_addresses.end() ? std::string() : it->second;
  }
  void link_authenticated(LinkId link) override { authenticated.push_back(link); }

  // SplitMix64 over a counter: fixed output on every platform.
  std::uint64_t random() override {
    std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  void log(LogLevel level, std::string_view event,
           std::initializer_list<LogField> fields) override {
    LogEvent entry{level, std::string(event), {}};
    for (const auto& field : fields) entry.fields.emplace(std::string(field.key), field.value);
    logs.push_back(std::move(entry));
  }

  metrics::Registry& metrics() override { return registry_; }

  // Moves the clock forward by `by`, firing every timer that falls due on the
  // way in due-time order (ties in creation order). A timer started by a
  // firing timer runs in the same call when it falls due within the window.
  void advance(Duration by) {
    const TimePoint until = now_ + by;
    for (;;) {
      auto next = timers_.end();
      for (auto it = timers_.begin(); it != timers_.end(); ++it) {
        // Ids grow with creation, and the map iterates them in order, so a
        // strict comparison keeps the earliest-created among equal due times.
        if (it->second.due <= until && (next == timers_.end() || it->second.due < next->second.due))
          next = it;
      }
      if (next == timers_.end()) break;
      now_ = next->second.due;
      auto fn = std::move(next->second.fn);
      timers_.erase(next);
      fn();
    }
    now_ = until;
  }

  std::size_t pending_timers() const { return timers_.size(); }

  // A fresh id for a link the test pretends was accepted, drawn from the same
  // sequence as dials so the two never collide.
  LinkId new_link() { return next_link_++; }

  std::vector<Message> sent_on(LinkId link) const {
    std::vector<Message> out;
    for (const auto& s : sent)
      if (s.link == link) out.push_back(s.message);
    return out;
  }
  // The messages of type T sent on `link`, request ids with them.
  template <MessageKind T>
  std::vector<Message> messages_of(LinkId link) const {
    std::vector<Message> out;
    for (const auto& s : sent)
      if (s.link == link && s.message.is<T>()) out.push_back(s.message);
    return out;
  }
  // The last message of type T sent on `link`; when there is none, an empty
  // Message (a ping, request id 0), so callers check is<T>() on it.
  template <MessageKind T>
  Message last_of(LinkId link) const {
    const std::vector<Message> found = messages_of<T>(link);
    return found.empty() ? Message() : found.back();
  }
  // The bodies of type T sent on `link`, in order.
  template <MessageKind T>
  std::vector<T> sent_of(LinkId link) const {
    std::vector<T> out;
    for (const auto& s : sent)
      if (s.link == link)
        if (const T* body = s.message.get<T>()) out.push_back(*body);
    return out;
  }
  // The bodies of type T sent on any link, in order.
  template <MessageKind T>
  std::vector<T> sent_of() const {
    std::vector<T> out;
    for (const auto& s : sent)
      if (const T* body = s.message.get<T>()) out.push_back(*body);
    return out;
  }
  bool was_closed(LinkId link) const {
    return std::find(closed.begin(), closed.end(), link) != closed.end();
  }
  std::size_t log_count(std::string_view event) const {
    return static_cast<std::size_t>(std::count_if(
        logs.begin(), logs.end(), [&](const LogEvent& e) { return e.event == event; }));
  }

  std::vector<Sent> sent;
  std::vector<Dial> dials;
  std::vector<LinkId> closed;
  std::map<LinkId, std::string> close_reasons;     // the last reason given per link
  std::map<LinkId, std::string> remote_addresses;  // set by the test
  std::vector<LinkId> authenticated;               // link_authenticated calls, in order
  std::vector<LogEvent> logs;

 private:
  struct Timer {
    TimePoint due;
    std::function<void()> fn;
  };

  TimePoint now_ = 0;
  TimerId next_timer_ = 1;
  LinkId next_link_ = 1;
  std::uint64_t random_state_ = 0;
  std::map<TimerId, Timer> timers_;
  metrics::Registry registry_;
};

// The body of `message` as a T, or an empty T when it is another type, so a
// test's field checks fail, not crash, after a failed type check.
template <MessageKind T>
T BodyOf(const Message& message) {
  const T* body = message.get<T>();
  return body ? *body : T{};
}

// The value of one series as the /metrics page shows it, e.g.
// Sample(registry, R"(yz_dht_messages_dropped_total{reason="no_handler"})").
// Reads through the text exposition so tests check what a scrape would see,
// collect callbacks included. Nullopt when the series is not on the page.
inline std::optional<double> Sample(metrics::Registry& registry, std::string_view series) {
  std::istringstream page(metrics::SerializeText(registry));
  std::string line;
  while (std::getline(page, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

}  // namespace yz::core::testing
