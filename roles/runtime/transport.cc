#include "roles/runtime/transport.h"

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "roles/runtime/frame_codec.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::runtime {

// How a local close reads to the other side, as a gRPC status.
grpc::Status status_for(std::string_view reason) {
  const std::string message(reason);
  if (reason == "not_handshake" || reason == "bad_peer_id" || reason == "peer_id_mismatch" ||
      reason == "version_mismatch")
    return {grpc::StatusCode::FAILED_PRECONDITION, message};
  // A peer that cannot prove the id it claims (roles/core/handshake_auth.h).
  if (reason == "id_key_mismatch" || reason == "bad_signature" || reason == "missing_proof")
    return {grpc::StatusCode::UNAUTHENTICATED, message};
  // A proven id without a membership chain back to the bootstrap.
  if (reason == "not_a_member") return {grpc::StatusCode::PERMISSION_DENIED, message};
  if (reason == "malformed") return {grpc::StatusCode::INVALID_ARGUMENT, message};
  if (reason == "oversized" || reason == "rate_limited" || reason == "too_many_links")
    return {grpc::StatusCode::RESOURCE_EXHAUSTED, message};
  if (reason == "handshake_timeout") return {grpc::StatusCode::DEADLINE_EXCEEDED, message};
  if (reason == "shutdown") return {grpc::StatusCode::UNAVAILABLE, message};
  return grpc::Status::OK;
}

// One link's stream, either side. gRPC calls the reactions on its threads;
// the io thread calls send and close. The mutex guards the write queue and
// the close protocol: a local close finishes the stream once every queued
// frame is written, so an error frame sent just before a close arrives.
class Stream {
 public:
  Stream(Transport& transport, core::LinkId id) : transport_(transport), id_(id) {}
  virtual ~Stream() = default;

  core::LinkId id() const { return id_; }

  void send(v1::Frame frame) {
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

  virtual void cancel() = 0;
  std::shared_ptr<Stream> self;  // keeps the stream alive until gRPC is done with it

 protected:
  virtual void start_write(const v1::Frame* frame) = 0;
  virtual void finish_locked() = 0;
  // Called under the lock once the io thread will start no more operations
  // on the call (send and close return early once `closing_` is set).
  virtual void outside_ops_over_locked() {}

  void write_done(bool ok) {
    std::lock_guard lock(mu_);
    if (!queue_.empty()) queue_.pop_front();
    if (!ok) {
      // The stream is broken or cancelled: nothing more will be written.
      queue_.clear();
      writing_ = false;
      if (closing_) finish_locked();
      return;
    }
    if (!queue_.empty()) {
      start_write(&queue_.front());
      return;
    }
    writing_ = false;
    if (closing_) finish_locked();
  }

  // Decodes on gRPC's thread; the core only sees well-formed frames.
  void deliver(const v1::Frame& in) {
    if (const std::size_t size = in.ByteSizeLong(); size > transport_.max_frame_bytes()) {
      transport_.post_refused(id_, "oversized",
                              "frame of " + std::to_string(size) + " bytes exceeds the limit of " +
                                  std::to_string(transport_.max_frame_bytes()));
      return;
    }
    core::Frame frame;
    std::string problem = decode_frame(in, frame);
    if (!problem.empty()) {
      transport_.post_refused(id_, "malformed", std::move(problem));
      return;
    }
    transport_.post_frame(id_, std::move(frame));
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
  std::mutex mu_;
  std::deque<v1::Frame> queue_;
  bool writing_ = false;
  bool closing_ = false;
  bool locally_closed_ = false;
  grpc::Status close_status_;
  v1::Frame in_;
};

class ServerStream final : public Stream, public grpc::ServerBidiReactor<v1::Frame, v1::Frame> {
 public:
  ServerStream(Transport& transport, grpc::CallbackServerContext* context)
      : Stream(transport, transport.next_link_id()), context_(context) {}

  void begin() {
    StartSendInitialMetadata();
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The dialler half-closed or went away: end our side too.
      std::lock_guard lock(mu_);
      if (!closing_) {
        closing_ = true;
        close_status_ = grpc::Status::OK;
        if (!writing_) finish_locked();
      }
      return;
    }
    deliver(in_);
    StartRead(&in_);
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
  void start_write(const v1::Frame* frame) override { StartWrite(frame); }
  void finish_locked() override {
    if (finished_) return;
    finished_ = true;
    Finish(close_status_);
  }

  grpc::CallbackServerContext* context_;
  bool finished_ = false;
};

class ClientStream final : public Stream, public grpc::ClientBidiReactor<v1::Frame, v1::Frame> {
 public:
  ClientStream(Transport& transport, core::LinkId id, std::shared_ptr<grpc::Channel> channel,
               bool to_bootstrap)
      : Stream(transport, id), channel_(std::move(channel)), to_bootstrap_(to_bootstrap) {}

  void begin() {
    if (to_bootstrap_) {
      bootstrap_stub_ = v1::Bootstrap::NewStub(channel_);
      bootstrap_stub_->async()->Connect(&context_, this);
    } else {
      peer_stub_ = v1::PeerLink::NewStub(channel_);
      peer_stub_->async()->Connect(&context_, this);
    }
    // The io thread writes and half-closes from outside any reaction. Without
    // a hold, gRPC may tear the call down once the status is in and no
    // callback is pending, before OnDone runs, and a close arriving in that
    // window would call StartWritesDone on a destroyed call.
    AddHold();
    StartRead(&in_);
    StartCall();
  }

  void OnReadInitialMetadataDone(bool ok) override {
    if (ok) mark_opened();
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
    mark_opened();
    deliver(in_);
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { write_done(ok); }
  void OnDone(const grpc::Status& status) override {
    std::string reason;
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      reason = opened_ ? (status.ok() ? std::string("closed by peer") : status.error_message())
                       : "unreachable: " + status.error_message();
    }
    done(std::move(reason));  // hands `self` over: touch nothing after
  }
  void cancel() override {
    // Under the lock so OnDone cannot run, and the call end, in between.
    std::lock_guard lock(mu_);
    if (!finished_) context_.TryCancel();
  }

 private:
  void mark_opened() {
    std::lock_guard lock(mu_);
    if (opened_) return;
    opened_ = true;
    transport_.post_opened(id_);
  }
  void start_write(const v1::Frame* frame) override { StartWrite(frame); }
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

  std::shared_ptr<grpc::Channel> channel_;
  bool to_bootstrap_;
  grpc::ClientContext context_;
  std::unique_ptr<v1::PeerLink::Stub> peer_stub_;
  std::unique_ptr<v1::Bootstrap::Stub> bootstrap_stub_;
  bool opened_ = false;
  bool writes_done_ = false;
  bool hold_released_ = false;
  bool finished_ = false;
};

class PeerLinkService final : public v1::PeerLink::CallbackService {
 public:
  explicit PeerLinkService(Transport& transport) : transport_(transport) {}
  grpc::ServerBidiReactor<v1::Frame, v1::Frame>* Connect(
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

class BootstrapService final : public v1::Bootstrap::CallbackService {
 public:
  explicit BootstrapService(Transport& transport) : transport_(transport) {}
  grpc::ServerBidiReactor<v1::Frame, v1::Frame>* Connect(
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

class Transport::Impl {
 public:
  Impl(Transport& owner, boost::asio::io_context& io_context, Events handlers,
       std::string bootstrap, std::size_t frame_limit,
       std::shared_ptr<grpc::ChannelCredentials> channel_credentials)
      : io(io_context),
        events(std::move(handlers)),
        bootstrap_address(std::move(bootstrap)),
        max_frame_bytes(frame_limit),
        credentials(std::move(channel_credentials)),
        peer_service(owner),
        bootstrap_service(owner) {}

  boost::asio::io_context& io;
  Events events;
  std::string bootstrap_address;
  std::size_t max_frame_bytes;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  PeerLinkService peer_service;
  BootstrapService bootstrap_service;
  std::atomic<core::LinkId> next_id{1};
  // Touched only on the io thread.
  std::map<core::LinkId, std::shared_ptr<Stream>> streams;
  // Streams gRPC still holds, on any thread; shutdown waits for zero.
  std::mutex live_mu;
  std::condition_variable live_cv;
  std::map<core::LinkId, std::weak_ptr<Stream>> live;
  // Streams gRPC is done with, waiting to be dropped off gRPC's threads
  // (see Stream::done); guarded by live_mu.
  std::map<core::LinkId, std::shared_ptr<Stream>> ended;

  // Drops an ended stream, on the io thread or the main thread.
  void release_ended(core::LinkId link) {
    std::shared_ptr<Stream> last;
    {
      std::lock_guard lock(live_mu);
      auto it = ended.find(link);
      if (it == ended.end()) return;
      last = std::move(it->second);
      ended.erase(it);
    }
  }
};

Transport::Transport(boost::asio::io_context& io, Events events, std::string bootstrap_address,
                     std::size_t max_frame_bytes,
                     std::shared_ptr<grpc::ChannelCredentials> credentials)
    : impl_(std::make_unique<Impl>(*this, io, std::move(events), std::move(bootstrap_address),
                                   max_frame_bytes, std::move(credentials))) {}

Transport::~Transport() = default;

grpc::Service& Transport::peer_link_service() { return impl_->peer_service; }
grpc::Service& Transport::bootstrap_service() { return impl_->bootstrap_service; }

core::LinkId Transport::next_link_id() { return impl_->next_id.fetch_add(1); }

core::LinkId Transport::dial(const std::string& address) {
  const core::LinkId id = next_link_id();
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(static_cast<int>(impl_->max_frame_bytes * kHardFrameLimitFactor));
  args.SetMaxSendMessageSize(static_cast<int>(impl_->max_frame_bytes));
  auto channel = grpc::CreateCustomChannel(address, impl_->credentials, args);
  auto stream = std::make_shared<ClientStream>(*this, id, std::move(channel),
                                               address == impl_->bootstrap_address);
  stream->self = stream;
  impl_->streams[id] = stream;
  {
    std::lock_guard lock(impl_->live_mu);
    impl_->live[id] = stream;
  }
  stream->begin();
  return id;
}

void Transport::send(core::LinkId link, const core::Frame& frame) {
  auto it = impl_->streams.find(link);
  if (it == impl_->streams.end()) return;
  v1::Frame wire;
  encode_frame(frame, wire);
  it->second->send(std::move(wire));
}

void Transport::close(core::LinkId link, std::string_view reason) {
  auto it = impl_->streams.find(link);
  if (it == impl_->streams.end()) return;
  auto stream = std::move(it->second);
  impl_->streams.erase(it);
  stream->close(status_for(reason));
}

void Transport::post_accepted(std::shared_ptr<Stream> stream) {
  {
    std::lock_guard lock(impl_->live_mu);
    impl_->live[stream->id()] = stream;
  }
  boost::asio::post(impl_->io, [this, stream = std::move(stream)]() mutable {
    const core::LinkId id = stream->id();
    impl_->streams[id] = std::move(stream);
    if (impl_->events.accepted) impl_->events.accepted(id);
  });
}

void Transport::post_opened(core::LinkId link) {
  boost::asio::post(impl_->io, [this, link] {
    if (impl_->streams.contains(link) && impl_->events.opened) impl_->events.opened(link);
  });
}

void Transport::post_frame(core::LinkId link, core::Frame&& frame) {
  boost::asio::post(impl_->io, [this, link, frame = std::move(frame)]() mutable {
    if (impl_->streams.contains(link) && impl_->events.frame)
      impl_->events.frame(link, std::move(frame));
  });
}

std::size_t Transport::max_frame_bytes() const { return impl_->max_frame_bytes; }

void Transport::post_refused(core::LinkId link, std::string_view reason, std::string problem) {
  boost::asio::post(impl_->io,
                    [this, link, reason = std::string(reason), problem = std::move(problem)] {
                      if (!impl_->streams.contains(link)) return;
                      if (impl_->events.refused) impl_->events.refused(link, reason, problem);
                      auto it = impl_->streams.find(link);
                      if (it == impl_->streams.end()) return;
                      auto stream = std::move(it->second);
                      impl_->streams.erase(it);
                      const grpc::Status status = status_for(reason);
                      stream->close(grpc::Status(status.error_code(), reason + ": " + problem));
                      if (impl_->events.closed)
                        impl_->events.closed(link, reason + " frame: " + problem);
                    });
}

void Transport::post_done(core::LinkId link, std::string reason, std::shared_ptr<Stream> last_ref) {
  // All under the lock: once the stream has left `live`, shutdown may
  // return and the transport go, so nothing of it is touched after.
  std::lock_guard lock(impl_->live_mu);
  impl_->live.erase(link);
  impl_->ended[link] = std::move(last_ref);
  boost::asio::post(impl_->io, [this, link, reason = std::move(reason)] {
    impl_->release_ended(link);
    if (reason.empty()) return;  // closed from this side: the core already knows
    auto it = impl_->streams.find(link);
    if (it == impl_->streams.end()) return;
    impl_->streams.erase(it);
    if (impl_->events.closed) impl_->events.closed(link, reason);
  });
  impl_->live_cv.notify_all();
}

bool Transport::shutdown() {
  impl_->streams.clear();
  std::vector<std::shared_ptr<Stream>> open;
  {
    std::lock_guard lock(impl_->live_mu);
    for (auto& [id, weak] : impl_->live)
      if (auto stream = weak.lock()) open.push_back(std::move(stream));
  }
  // Cancelling outside the lock: a reaction may need it to finish.
  for (auto& stream : open) stream->cancel();
  open.clear();
  std::map<core::LinkId, std::shared_ptr<Stream>> ended;
  bool drained;
  {
    std::unique_lock lock(impl_->live_mu);
    drained = impl_->live_cv.wait_for(lock, std::chrono::seconds(2),
                                      [this] { return impl_->live.empty(); });
    ended.swap(impl_->ended);
  }
  // Dropped here, on the caller's thread, with their channels.
  ended.clear();
  return drained;
}

std::size_t Transport::open_streams() const {
  std::lock_guard lock(impl_->live_mu);
  return impl_->live.size();
}

}  // namespace yz::runtime
