#include "roles/runtime/core_gate.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

namespace yz::runtime {
namespace {

TEST(CoreGateTest, RunsInlineWhenIdle) {
  boost::asio::io_context io;
  CoreGate gate(io);
  bool ran = false;
  EXPECT_TRUE(gate.try_run([&] { ran = true; }));
  EXPECT_TRUE(ran);
}

// An event posted before must not be overtaken: a frame may not reach the
// core before the link's accept, nor before an earlier frame.
TEST(CoreGateTest, NothingOvertakesWhatWasPosted) {
  boost::asio::io_context io;
  CoreGate gate(io);
  std::vector<int> order;
  gate.post([&] { order.push_back(1); });
  EXPECT_FALSE(gate.try_run([&] { order.push_back(2); }));
  gate.post([&] { order.push_back(2); });
  io.poll();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  // A context that ran out of work counts as stopped until restarted (a
  // role process's never does: its signal wait keeps it busy).
  io.restart();
  // Nothing queued any more: inline again.
  EXPECT_TRUE(gate.try_run([&] { order.push_back(3); }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(CoreGateTest, NothingRunsInlineOnceTheIoThreadHasStopped) {
  boost::asio::io_context io;
  CoreGate gate(io);
  io.stop();
  bool ran = false;
  EXPECT_FALSE(gate.try_run([&] { ran = true; }));
  EXPECT_FALSE(ran);
}

// While the io thread runs a handler that holds the gate, another thread
// is turned away at once instead of waiting (or running beside it).
TEST(CoreGateTest, AnotherThreadIsTurnedAwayWhileTheGateIsHeld) {
  boost::asio::io_context io;
  CoreGate gate(io);
  bool inline_ran = false;
  bool refused = false;
  gate.post([&] {
    std::thread other([&] { refused = !gate.try_run([&] { inline_ran = true; }); });
    other.join();
  });
  io.poll();
  EXPECT_TRUE(refused);
  EXPECT_FALSE(inline_ran);
  {
    auto held = gate.lock();
    std::thread other([&] { refused = !gate.try_run([&] { inline_ran = true; }); });
    other.join();
  }
  EXPECT_TRUE(refused);
  EXPECT_FALSE(inline_ran);
}

}  // namespace
}  // namespace yz::runtime
