#include "roles/runtime/data_service.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "roles/core/data_plane.h"
#include "roles/core/dht_member.h"
#include "roles/core/value.h"
#include "roles/runtime/core_gate.h"
#include "roles/runtime/data_limits.h"

namespace yz::runtime {
namespace {

using std::chrono::system_clock;

// One call, shared by gRPC (which holds it until OnDone) and the core's done
// callback (which may outlive OnDone when the client cancelled first).
template <class Response>
class DataCall final : public grpc::ServerUnaryReactor {
 public:
  explicit DataCall(Response* response) : response_(response) {}

  static std::shared_ptr<DataCall> start(Response* response) {
    auto call = std::make_shared<DataCall>(response);
    call->self_ = call;
    return call;
  }

  // Answers the call unless it is answered already; `fill` writes the
  // response only when this is the answer that counts.
  template <class Fill>
  void answer(const grpc::Status& status, Fill&& fill) {
    if (finished_.exchange(true)) return;
    if (status.ok()) std::forward<Fill>(fill)(*response_);
    Finish(status);
  }
  void refuse(const grpc::Status& status) {
    answer(status, [](Response&) {});
  }
  bool finished() const { return finished_.load(); }

  void OnCancel() override { refuse({grpc::StatusCode::CANCELLED, "cancelled by the client"}); }
  // gRPC is done with the call; the core's callback may still hold it.
  void OnDone() override { self_.reset(); }

 private:
  Response* response_;
  std::atomic<bool> finished_{false};
  std::shared_ptr<DataCall> self_;
};

void fill_holder(const core::PeerInfo& peer, v1::Holder& out) {
  out.set_name(peer.metadata.name);
  out.set_node_id(peer.node_id.to_hex());
  out.set_address(peer.metadata.address);
  out.set_role(std::string(core::role_name(peer.metadata.role)));
}

double milliseconds(core::Duration d) {
  return static_cast<double>(d) / static_cast<double>(core::kMillisecond);
}

// The status of an outcome the member could not even try; `problem` says
// what is wrong with the input, in data_limits.h's words.
grpc::Status refusal_for(const std::string& error, const core::PeerInfo& self,
                         const std::string& problem = {}) {
  if (error == "not_member")
    return {grpc::StatusCode::UNAVAILABLE,
            self.metadata.name.empty()
                ? "not joined: the process is still starting"
                : "not joined: " + self.metadata.name + " is not a member of the DHT yet"};
  if (error == "no_peers")
    return {grpc::StatusCode::UNAVAILABLE,
            "not joined: " + self.metadata.name + " knows no other member to store on"};
  if (error == "stopped")
    return {grpc::StatusCode::UNAVAILABLE, self.metadata.name + " is stopping"};
  if (error == "bad_key" || error == "too_large")
    return {grpc::StatusCode::INVALID_ARGUMENT, problem.empty() ? error : problem};
  return grpc::Status::OK;
}

std::string put_message(const core::PutOutcome& o) {
  const std::string stored =
      "stored by " + std::to_string(o.holders.size()) + " of " + std::to_string(o.asked) + " asked";
  if (o.error == "quorum_not_reached") return stored + ", fewer than the write quorum";
  if (o.error == "timeout") return "the deadline came first; " + stored;
  return o.error;
}

std::string get_message(const core::GetOutcome& o) {
  const std::string asked = "asked " + std::to_string(o.asked) + " members";
  if (o.error == "not_found") return "no member holds a value for this key (" + asked + ")";
  if (o.error == "timeout") return "the deadline came before any value was found (" + asked + ")";
  return o.error;
}

}  // namespace

core::Duration call_budget(system_clock::time_point deadline, system_clock::time_point now) {
  if (deadline == system_clock::time_point::max()) return kDefaultCallBudget;
  const auto remaining = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now);
  if (remaining.count() <= 0) return 0;
  // Answer a little before the deadline, so the client reads what was
  // learned (holders so far) instead of a bare DEADLINE_EXCEEDED.
  const auto margin = std::min<std::chrono::nanoseconds>(remaining / 20, kAnswerMargin);
  return std::min<core::Duration>((remaining - margin).count(), kMaxCallBudget);
}

DataService::DataService(CoreGate& gate, std::function<core::DhtMember*()> member)
    : gate_(gate), member_(std::move(member)) {}

void DataService::enter_core(std::function<void()> fn) {
  if (gate_.try_run([&] { fn(); })) return;
  gate_.post(std::move(fn));
}

grpc::ServerUnaryReactor* DataService::Put(grpc::CallbackServerContext* context,
                                           const v1::PutRequest* request,
                                           v1::PutResponse* response) {
  auto call = DataCall<v1::PutResponse>::start(response);
  const core::Duration budget = call_budget(context->deadline(), system_clock::now());
  if (budget <= 0) {
    call->refuse({grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed before the put began"});
    return call.get();
  }
  grpc::ServerUnaryReactor* reactor = call.get();
  enter_core([this, call, key = request->key(), value = request->value(), budget]() mutable {
    if (call->finished()) return;  // cancelled while it waited for the core
    core::DhtMember* member = member_();
    std::string problem = key_problem(key);
    if (member == nullptr)
      return call->refuse(refusal_for(problem.empty() ? "not_member" : "bad_key", {}, problem));
    // The value against this member's own limit (--max-value-bytes). Bad
    // input still goes to the data plane, which refuses and counts it
    // (yz_puts_total{result="error"}); the answer says why in these words.
    if (problem.empty())
      problem = value_problem(value, member->config().timing.limits.max_value_bytes);
    const core::PeerInfo self = member->self();
    const std::string key_id = core::value_key_id(key).to_hex();
    member->data().put(std::move(key), std::move(value), budget,
                       [call, self, key_id, problem](core::PutOutcome o) {
                         const grpc::Status refused = refusal_for(o.error, self, problem);
                         if (!refused.ok()) return call->refuse(refused);
                         call->answer(grpc::Status::OK, [&](v1::PutResponse& r) {
                           r.set_ok(o.ok);
                           r.set_error(o.ok ? std::string() : o.error);
                           r.set_message(o.ok ? std::string() : put_message(o));
                           for (const core::PeerInfo& h : o.holders)
                             fill_holder(h, *r.add_holders());
                           r.set_seq(o.seq);
                           r.set_key_id(key_id);
                           r.set_took_ms(milliseconds(o.took));
                           r.set_asked(static_cast<std::uint32_t>(o.asked));
                           fill_holder(self, *r.mutable_via());
                         });
                       });
  });
  return reactor;
}

grpc::ServerUnaryReactor* DataService::Get(grpc::CallbackServerContext* context,
                                           const v1::GetRequest* request,
                                           v1::GetResponse* response) {
  auto call = DataCall<v1::GetResponse>::start(response);
  const core::Duration budget = call_budget(context->deadline(), system_clock::now());
  if (budget <= 0) {
    call->refuse({grpc::StatusCode::DEADLINE_EXCEEDED, "the deadline passed before the get began"});
    return call.get();
  }
  grpc::ServerUnaryReactor* reactor = call.get();
  enter_core([this, call, key = request->key(), budget]() mutable {
    if (call->finished()) return;
    core::DhtMember* member = member_();
    const std::string problem = key_problem(key);
    if (member == nullptr)
      return call->refuse(refusal_for(problem.empty() ? "not_member" : "bad_key", {}, problem));
    const core::PeerInfo self = member->self();
    const std::string key_id = core::value_key_id(key).to_hex();
    member->data().get(std::move(key), budget, [call, self, key_id, problem](core::GetOutcome o) {
      const grpc::Status refused = refusal_for(o.error, self, problem);
      if (!refused.ok()) return call->refuse(refused);
      // Newest first; ties (two publishers, one seq) by publisher, so the
      // answer does not depend on the order the holders replied in.
      std::sort(o.values.begin(), o.values.end(),
                [](const core::SignedValue& a, const core::SignedValue& b) {
                  if (a.seq != b.seq) return a.seq > b.seq;
                  return a.publisher < b.publisher;
                });
      call->answer(grpc::Status::OK, [&](v1::GetResponse& r) {
        r.set_found(o.found);
        r.set_error(o.found ? std::string() : o.error);
        r.set_message(o.found ? std::string() : get_message(o));
        if (o.found && !o.values.empty()) r.set_value(o.values.front().data);
        for (const core::SignedValue& v : o.values) {
          v1::Value& out = *r.add_values();
          out.set_data(v.data);
          out.set_publisher(v.publisher.to_hex());
          out.set_seq(v.seq);
          out.set_expires_at_ms(v.expires_at_ms);
        }
        for (const core::PeerInfo& s : o.sources) fill_holder(s, *r.add_sources());
        r.set_key_id(key_id);
        r.set_took_ms(milliseconds(o.took));
        r.set_asked(static_cast<std::uint32_t>(o.asked));
        fill_holder(self, *r.mutable_via());
      });
    });
  });
  return reactor;
}

}  // namespace yz::runtime
