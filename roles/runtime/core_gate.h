#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <mutex>
#include <utility>

namespace yz::runtime {

// The core is single-threaded: one thread at a time calls into it (the
// Process, its Env, the Transport's table of links). The gate is that one
// thread's lock. The io thread holds it for every handler that reaches the
// core; a gRPC thread that finds the core idle, with no event queued ahead
// of it, may deliver a frame itself instead of posting it. That saves the
// hop to the io thread (a wake-up there, and another to hand the answer back
// to gRPC's poller), which was the largest part of a round trip's extra
// latency over a bare gRPC server.
//
// Order per link is kept: an event is run inline only when no posted event
// is still waiting, so nothing overtakes what was posted before it. A gRPC
// thread never waits for the gate (try_run), so it cannot deadlock with the
// io thread, which may hold the gate while it calls into gRPC.
class CoreGate {
 public:
  explicit CoreGate(boost::asio::io_context& io) : io_(io) {}
  CoreGate(const CoreGate&) = delete;
  CoreGate& operator=(const CoreGate&) = delete;

  // Runs `fn` on the io thread, under the gate, after every event posted
  // before it.
  template <class Fn>
  void post(Fn fn) {
    queued_.fetch_add(1);
    boost::asio::post(io_, [this, fn = std::move(fn)]() mutable {
      std::lock_guard lock(mu_);
      queued_.fetch_sub(1);
      fn();
    });
  }

  // Runs `fn` now, on the calling thread, when the gate is free, nothing
  // posted is waiting and the io thread has not stopped (after a stop the
  // core hears nothing more, as posted events are never run). False when
  // `fn` did not run: the caller posts it instead.
  template <class Fn>
  bool try_run(Fn&& fn) {
    std::unique_lock lock(mu_, std::try_to_lock);
    if (!lock.owns_lock() || queued_.load() != 0 || io_.stopped()) return false;
    std::forward<Fn>(fn)();
    return true;
  }

  // For the io thread's other handlers that reach the core (timers, HTTP
  // endpoints, signals).
  [[nodiscard]] std::unique_lock<std::mutex> lock() { return std::unique_lock(mu_); }

 private:
  boost::asio::io_context& io_;
  std::mutex mu_;
  std::atomic<int> queued_{0};
};

}  // namespace yz::runtime
