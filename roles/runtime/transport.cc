#include "roles/runtime/transport.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <initializer_list>
#include <mutex>

#include "roles/runtime/frame_codec.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::runtime {
namespace {

constexpr char kPeerLinkMethod[] = "/yz.v1.PeerLink/Connect";
constexpr char kBootstrapMethod[] = "/yz.v1.Bootstrap/Connect";

// The reason code of "code: explanation", or the whole string.
std::string_view reason_code(std::string_view reason) { return reason.substr(0, reason.find(':')); }

bool one_of(std::string_view code, std::initializer_list<std::string_view> codes) {
  for (const auto c : codes)
    if (code == c) return true;
  return false;
}

// How a local close reads to the other side: the table's code, and the
// reason itself as the message so the remote side learns why.
grpc::Status status_for(std::string_view reason) {
  return {status_code_for(reason), std::string(reason)};
}

grpc::ByteBuffer serialize(const v1::Frame& frame) {
  grpc::ByteBuffer buffer;
  bool own = false;
  // Serializing a message we built ourselves fails only on a message over
  // 2 GiB, which the core never builds.
  (void)grpc::SerializationTraits<v1::Frame>::Serialize(frame, &buffer, &own);
  return buffer;
}

}  // namespace

grpc::StatusCode status_code_for(std::string_view reason) {
  using grpc::StatusCode;
  const std::string_view code = reason_code(reason);
  if (one_of(code, {"malformed", "bad_peer_id", "unknown_message"}))
    return StatusCode::INVALID_ARGUMENT;
  if (one_of(code, {"not_handshake", "peer_id_mismatch", "version_mismatch", "not_registered",
                    "id_mismatch"}))
    return StatusCode::FAILED_PRECONDITION;
  // A peer that cannot prove who it is (roles/core/handshake_auth.h), or a
  // process without the secret its role needs.
  if (one_of(code,
             {"id_key_mismatch", "bad_signature", "missing_proof", "bad_auth", "bad_genesis_auth"}))
    return StatusCode::UNAUTHENTICATED;
  // A proven id that may not do this (no membership chain, no invitation).
  if (one_of(code, {"not_a_member", "not_asked", "no_invitation", "bad_token"}))
    return StatusCode::PERMISSION_DENIED;
  if (one_of(code, {"genesis_exists", "duplicate_link"})) return StatusCode::ALREADY_EXISTS;
  if (one_of(code, {"oversized", "rate_limited", "too_many_links", "too_many_unauthenticated"}))
    return StatusCode::RESOURCE_EXHAUSTED;
  if (code == "handshake_timeout") return StatusCode::DEADLINE_EXCEEDED;
  if (code == "shutdown") return StatusCode::UNAVAILABLE;
  // Every other close this side decides (dead_link, replaced, ...): still
  // not OK, which would read as a normal end.
  return StatusCode::ABORTED;
}

std::string address_without_port(std::string_view peer) {
  // gRPC URIs: "ipv4:h:p", "ipv6:[h]:p" (percent-encoded brackets in some
  // versions), "dns:///h:p", "dns:h:p"; a dialled target may be bare "h:p".
  std::string text;
  for (std::size_t i = 0; i < peer.size(); ++i) {
    if (peer[i] == '%' && i + 2 < peer.size()) {
      const std::string_view hex = peer.substr(i + 1, 2);
      if (hex == "5B" || hex == "5b") {
        text += '[';
        i += 2;
        continue;
      }
      if (hex == "5D" || hex == "5d") {
        text += ']';
        i += 2;
        continue;
      }
    }
    text += peer[i];
  }
  std::string_view rest = text;
  for (const std::string_view scheme : {"ipv4:", "ipv6:", "dns:"}) {
    if (rest.starts_with(scheme)) {
      rest.remove_prefix(scheme.size());
      break;
    }
  }
  if (rest.starts_with("//")) {
    // dns://authority/host:port: the authority is the resolver, not the host.
    const auto slash = rest.find('/', 2);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  }
  if (rest.starts_with('[')) {
    const auto close = rest.find(']');
    return std::string(close == std::string_view::npos ? rest.substr(1)
                                                       : rest.substr(1, close - 1));
  }
  const auto colon = rest.find(':');
  // No colon: no port. Several and no brackets: an IPv6 address alone.
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos)
    return std::string(rest);
  return std::string(rest.substr(0, colon));
}

// One link's stream, either side, carrying raw bytes: yz parses each frame
// itself, so bytes that are not a yz.v1.Frame are refused, counted and
// answered with INVALID_ARGUMENT instead of gRPC's silent end of the call.
// gRPC calls the reactions on its threads; the io thread calls send and
// close. The mutex guards the write queue and the close protocol: a local
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

  // The io thread's half of an acceptor's OnReadDone(!ok): an OK end,
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
  // can end the stream: a half-close racing the io thread must not turn a
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
      // The OK for a half-close waits for the io thread: the core may
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
    // The io thread writes and half-closes from outside any reaction. Without
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
  args.SetMaxReceiveMessageSize(static_cast<int>(kGrpcReceiveCapBytes));
  args.SetMaxSendMessageSize(static_cast<int>(impl_->max_frame_bytes));
  auto channel = grpc::CreateCustomChannel(address, impl_->credentials, args);
  auto stream = std::make_shared<ClientStream>(*this, id, std::move(channel), address,
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

void Transport::send(core::LinkId link, const core::Message& message) {
  auto it = impl_->streams.find(link);
  if (it == impl_->streams.end()) return;
  v1::Frame wire;
  encode_frame(message, wire);
  it->second->send(serialize(wire));
}

void Transport::close(core::LinkId link, std::string_view reason) {
  auto it = impl_->streams.find(link);
  if (it == impl_->streams.end()) return;
  auto stream = std::move(it->second);
  impl_->streams.erase(it);
  stream->close(status_for(reason));
}

std::string Transport::remote_address(core::LinkId link) const {
  auto it = impl_->streams.find(link);
  return it == impl_->streams.end() ? std::string() : it->second->remote_address();
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

void Transport::post_frame(core::LinkId link, core::Message&& message) {
  boost::asio::post(impl_->io, [this, link, message = std::move(message)]() mutable {
    if (impl_->streams.contains(link) && impl_->events.frame)
      impl_->events.frame(link, std::move(message));
  });
}

std::size_t Transport::max_frame_bytes() const { return impl_->max_frame_bytes; }

void Transport::post_refused(core::LinkId link, std::string_view reason, std::string problem) {
  boost::asio::post(impl_->io,
                    [this, link, reason = std::string(reason), problem = std::move(problem)] {
                      // Counted even when the core closed the link meanwhile:
                      // the frame was refused all the same.
                      if (impl_->events.refused) impl_->events.refused(link, reason, problem);
                      auto it = impl_->streams.find(link);
                      if (it == impl_->streams.end()) return;
                      impl_->streams.erase(it);
                      if (impl_->events.closed)
                        impl_->events.closed(link, reason + " frame: " + problem);
                    });
}

void Transport::post_half_closed(core::LinkId link) {
  boost::asio::post(impl_->io, [this, link] {
    auto it = impl_->streams.find(link);
    // Closed by the core already, with a status of its own.
    if (it == impl_->streams.end()) return;
    it->second->end_after_half_close();
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
