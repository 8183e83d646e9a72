#pragma once

#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "roles/runtime/frame_codec.h"
#include "roles/runtime/transport.h"
#include "yz/v1/peer.pb.h"

namespace yz::runtime {

inline grpc::ByteBuffer serialize(const v1::Frame& frame) {
  grpc::ByteBuffer buffer;
  bool own = false;
  // Serializing a message we built ourselves fails only on a message over
  // 2 GiB, which the core never builds.
  (void)grpc::SerializationTraits<v1::Frame>::Serialize(frame, &buffer, &own);
  return buffer;
}

// One link's stream, either side, carrying raw bytes: yz parses each frame
// itself, so bytes that are not a yz.v1.Frame are refused, counted and
// answered with INVALID_ARGUMENT instead of gRPC's silent end of the call.
// gRPC calls the reactions on its threads; the core, under the gate, calls
// send and close. The mutex guards the write queue and the close protocol: a local
// close finishes the stream once every queued frame is written, so an error
// frame sent just before a close arrives.
class Stream {
 public:
  Stream(Transport& transport, core::LinkId id, std::string remote_address)
      : transport_(transport), id_(id), remote_address_(std::move(remote_address)) {}
  virtual ~Stream() = default;

  core::LinkId id() const { return id_; }
  const std::string& remote_address() const { return remote_address_; }

  void send(grpc::ByteBuffer frame) {
    std::lock_guard lock(mu_);
    if (closing_) return;
    queue_.push_back(std::move(frame));
    if (!writing_) {
      writing_ = true;
      start_write(&queue_.front());
    }
  }

  void close(grpc::Status status) {
    std::lock_guard lock(mu_);
    locally_closed_ = true;
    if (closing_) return;
    closing_ = true;
    close_status_ = std::move(status);
    if (!writing_) finish_locked();
    // From here on only reactions start operations on the call.
    outside_ops_over_locked();
  }

  // The core's half of an acceptor's OnReadDone(!ok): an OK end,
  // unless a close already chose its status.
  void end_after_half_close() {
    std::lock_guard lock(mu_);
    if (closing_) return;
    closing_ = true;
    close_status_ = grpc::Status::OK;
    if (!writing_) finish_locked();
  }

  virtual void cancel() = 0;
  std::shared_ptr<Stream> self;  // keeps the stream alive until gRPC is done with it

 protected:
  virtual void start_write(const grpc::ByteBuffer* frame) = 0;
  virtual void finish_locked() = 0;
  // Ends the call after a frame from the other side was refused.
  virtual void refuse_locked() { finish_locked(); }
  // Called under the lock once the core will start no more operations
  // on the call (send and close return early once `closing_` is set).
  virtual void outside_ops_over_locked() {}

  void write_done(bool ok) {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      // The stream is broken or cancelled: nothing more will be written.
      queue_.clear();
      writing_ = false;
      if (closing_) end_locked();
      return;
    }
    if (!queue_.empty()) {
      start_write(&queue_.front());
      return;
    }
    writing_ = false;
    if (closing_) end_locked();
  }

  void end_locked() {
    if (refused_) {
      refuse_locked();
    } else {
      finish_locked();
    }
  }

  // Parses on gRPC's thread; the core only sees well-formed frames. False
  // when the frame was refused: the stream is ending and reads no more.
  bool deliver(grpc::ByteBuffer& in) {
    const std::size_t size = in.Length();
    if (size > transport_.max_frame_bytes()) {
      refuse("oversized", "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
                              std::to_string(transport_.max_frame_bytes()));
      return false;
    }
    v1::Frame wire;
    if (!grpc::SerializationTraits<v1::Frame>::Deserialize(&in, &wire).ok()) {
      refuse("malformed", "frame of " + std::to_string(size) +
                              " bytes is not a yz.v1.Frame (protobuf parse failed)");
      return false;
    }
    core::Message message;
    std::string_view reason;
    std::string problem = decode_frame(wire, message, &reason);
    if (!problem.empty()) {
      refuse(reason, std::move(problem));
      return false;
    }
    transport_.post_frame(id_, std::move(message));
    return true;
  }

  // The close status is fixed here, on gRPC's thread, before anything else
  // can end the stream: a half-close racing the core must not turn a
  // refusal into OK.
  void refuse(std::string_view reason, std::string problem) {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;  // already ending, for a reason of its own
      closing_ = true;
      locally_closed_ = true;
      refused_ = true;
      close_status_ = grpc::Status(status_code_for(reason), std::string(reason) + ": " + problem);
      // The contract's error frame first, so a peer that reads frames but
      // not statuses learns why too; the call ends once it is written.
      v1::Frame error;
      error.mutable_error()->set_code(std::string(reason));
      error.mutable_error()->set_message(problem);
      queue_.push_back(serialize(error));
      if (!writing_) {
        writing_ = true;
        start_write(&queue_.front());
      }
      outside_ops_over_locked();
    }
    transport_.post_refused(id_, reason, std::move(problem));
  }

  // The last thing a stream does on gRPC's thread: it hands its own last
  // reference to the transport, which drops it on the io thread (or at
  // shutdown, on the main thread). Never here: a client stream holds its
  // channel, and the last channel of a process, dropped on one of the
  // callback queue's own threads, makes gRPC 1.51 join that thread from
  // itself and free the queue it is still polling (a double free in
  // grpc_cq_internal_unref).
  void done(std::string reason) {
    bool local;
    {
      std::lock_guard lock(mu_);
      closing_ = true;
      local = locally_closed_;
    }
    transport_.post_done(id_, local ? std::string() : std::move(reason), std::move(self));
  }

  Transport& transport_;
  const core::LinkId id_;
  const std::string remote_address_;
  std::mutex mu_;
  std::deque<grpc::ByteBuffer> queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool locally_closed_ = false;
  bool refused_ = false;  // ended by refuse(): refuse_locked, not finish_locked
  grpc::Status close_status_;
  grpc::ByteBuffer in_;
};

}  // namespace yz::runtime
