#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <string>

#include "roles/runtime/stream.h"
#include "roles/runtime/transport.h"

namespace yz::runtime {

inline constexpr char kPeerLinkMethod[] = "/yz.v1.PeerLink/Connect";
inline constexpr char kBootstrapMethod[] = "/yz.v1.Bootstrap/Connect";

// The dialler's end of a link.
class ClientStream final : public Stream,
                           public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ClientStream(Transport& transport, core::LinkId id, std::shared_ptr<grpc::Channel> channel,
               const std::string& target, bool to_bootstrap)
      : Stream(transport, id, address_without_port(target)),
        channel_(std::move(channel)),
        stub_(channel_),
        method_(to_bootstrap ? kBootstrapMethod : kPeerLinkMethod) {}

  void begin() {
    stub_.PrepareBidiStreamingCall(&context_, method_, grpc::StubOptions(), this);
    // The core writes and half-closes from outside this call's reactions. Without
    // a hold, gRPC may tear the call down once the status is in and no
    // callback is pending, before OnDone runs, and a close arriving in that
    // window would call StartWritesDone on a destroyed call.
    AddHold();
    StartRead(&in_);
    // Open as far as the core is concerned: gRPC queues the writes until the
    // connection is up, so the hello goes out without waiting for the
    // acceptor's headers, which an acceptor may hold back until its first
    // message (grpcio's default) while it waits for our hello. Posted
    // before the call starts, so the core hears it before any close.
    transport_.post_opened(id_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (!ok) return;
    std::lock_guard lock(mu_);
    received_ = true;
  }
  void OnReadDone(bool ok) override {
    if (!ok) {
      // The call is over (the acceptor finished, or it was cancelled or never
      // connected): nothing more goes out, and OnDone follows with its status.
      std::lock_guard lock(mu_);
      closing_ = true;
      outside_ops_over_locked();
      return;
    }
    {
      std::lock_guard lock(mu_);
      received_ = true;
    }
    if (deliver(in_)) StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { write_done(ok); }
  void OnDone(const grpc::Status& status) override {
    std::string reason;
    bool over_grpc_cap = false;
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      // Nothing ever came back: the acceptor was never reached.
      reason = received_ ? (status.ok() ? std::string("closed by peer") : status.error_message())
                         : "unreachable: " + status.error_message();
      over_grpc_cap = !locally_closed_ &&
                      status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED &&
                      status.error_message().starts_with("Received message larger than max");
    }
    // gRPC refused a frame over its own cap on this side: the same refusal
    // as yz's own, counted alike.
    if (over_grpc_cap) transport_.post_refused(id_, "oversized", status.error_message());
    done(std::move(reason));  // hands `self` over: touch nothing after
  }
  void cancel() override {
    // Under the lock so OnDone cannot run, and the call end, in between.
    std::lock_guard lock(mu_);
    if (!finished_) context_.TryCancel();
  }

 private:
  void start_write(const grpc::ByteBuffer* frame) override { StartWrite(frame); }
  void outside_ops_over_locked() override {
    if (hold_released_) return;
    hold_released_ = true;
    RemoveHold();  // may end the call: OnDone is scheduled, never run inline
  }
  void finish_locked() override {
    if (writes_done_) return;
    writes_done_ = true;
    // A half-close: the acceptor sees the end of our frames and finishes.
    StartWritesDone();
  }
  // A dialler has no status to send: it cancels, which the acceptor hears
  // as CANCELLED, and which ends the call even if the acceptor never would.
  void refuse_locked() override {
    if (!finished_) context_.TryCancel();
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  // gRPC keeps a pointer to the method name for the call's lifetime.
  const std::string method_;
  grpc::ClientContext context_;
  bool received_ = false;
  bool writes_done_ = false;
  bool hold_released_ = false;
  bool finished_ = false;
};

}  // namespace yz::runtime
