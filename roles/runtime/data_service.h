#pragma once

#include <chrono>
#include <functional>

#include "roles/core/env.h"
#include "yz/v1/data.grpc.pb.h"

namespace yz::core {
class DhtMember;
}

namespace yz::runtime {

class CoreGate;

// How long a call may take in the member: its deadline, less a margin to
// answer in (a twentieth of the time left, at most kAnswerMargin), capped
// at kMaxCallBudget; kDefaultCallBudget when the client set no deadline; 0
// or less when the deadline has passed.
inline constexpr core::Duration kDefaultCallBudget = 10 * core::kSecond;
inline constexpr core::Duration kMaxCallBudget = 60 * core::kSecond;
inline constexpr std::chrono::nanoseconds kAnswerMargin = std::chrono::milliseconds(200);
core::Duration call_budget(std::chrono::system_clock::time_point deadline,
                           std::chrono::system_clock::time_point now);

// The client API (proto/yz/v1/data.proto) of a DHT member: each call
// enters the core under the gate and hands its key and value to
// DhtMember::data(); the call is answered from the data plane's done
// callback. A call is finished exactly once: by that callback, or earlier
// by the client's cancel (then the callback finds it finished and only
// drops it). See data.proto for the status codes and deadlines.
class DataService final : public v1::Data::CallbackService {
 public:
  // `member` is asked on the core's thread, under the gate; it returns the
  // process's DHT member, or null when there is none.
  DataService(CoreGate& gate, std::function<core::DhtMember*()> member);

  grpc::ServerUnaryReactor* Put(grpc::CallbackServerContext* context, const v1::PutRequest* request,
                                v1::PutResponse* response) override;
  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                v1::GetResponse* response) override;

 private:
  // Runs `fn` in the core: inline when the core is idle, else on the io
  // thread (as Transport::post_frame does).
  void enter_core(std::function<void()> fn);

  CoreGate& gate_;
  std::function<core::DhtMember*()> member_;
};

}  // namespace yz::runtime
