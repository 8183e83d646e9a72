#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>

#include "roles/runtime/stream.h"
#include "roles/runtime/transport.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::runtime {

// The acceptor's end of a link, and the two services that accept links
// (PeerLink.Connect, Bootstrap.Connect).
class ServerStream final : public Stream,
                           public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ServerStream(Transport& transport, grpc::CallbackServerContext* context)
      : Stream(transport, transport.next_link_id(), address_without_port(context->peer())),
        context_(context) {}

  void begin() {
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The dialler half-closed, or the call is gone (then OnCancel
      // finishes it). gRPC says which of the two only to the dialler: a
      // frame over gRPC's own cap (kGrpcReceiveCapBytes) also lands here,
      // with gRPC's RESOURCE_EXHAUSTED already on its way to the dialler
      // and nothing that tells this side, so it cannot be counted here.
      // The OK for a half-close waits for the core's turn: the core may
      // still refuse a frame read before it, and that refusal's status
      // must win.
      transport_.post_half_closed(id_);
      return;
    }
    if (deliver(in_)) StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { write_done(ok); }
  void OnCancel() override {
    // A server reactor only hears OnDone after it calls Finish, even when
    // the call was cancelled under it.
    std::lock_guard lock(mu_);
    closing_ = true;
    if (!writing_) finish_locked();
  }
  void OnDone() override {
    done("closed by peer");  // hands `self` over: touch nothing after
  }
  // Server streams end with the server: grpc::Server::Shutdown cancels them,
  // and their context is gRPC's to free once OnDone has run, so touching it
  // from here could reach freed memory.
  void cancel() override {}

 private:
  void start_write(const grpc::ByteBuffer* frame) override { StartWrite(frame); }
  void finish_locked() override {
    if (finished_) return;
    finished_ = true;
    Finish(close_status_);
  }

  grpc::CallbackServerContext* context_;
  bool finished_ = false;
};

class PeerLinkService final
    : public v1::PeerLink::WithRawCallbackMethod_Connect<v1::PeerLink::Service> {
 public:
  explicit PeerLinkService(Transport& transport) : transport_(transport) {}
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* context) override {
    auto stream = std::make_shared<ServerStream>(transport_, context);
    stream->self = stream;
    transport_.post_accepted(stream);  // before any frame can be posted
    stream->begin();
    return stream.get();
  }

 private:
  Transport& transport_;
};

class BootstrapService final
    : public v1::Bootstrap::WithRawCallbackMethod_Connect<v1::Bootstrap::Service> {
 public:
  explicit BootstrapService(Transport& transport) : transport_(transport) {}
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Connect(
      grpc::CallbackServerContext* context) override {
    auto stream = std::make_shared<ServerStream>(transport_, context);
    stream->self = stream;
    transport_.post_accepted(stream);
    stream->begin();
    return stream.get();
  }

 private:
  Transport& transport_;
};

}  // namespace yz::runtime
