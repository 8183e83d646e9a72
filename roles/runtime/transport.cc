#include "roles/runtime/transport.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <vector>

#include "roles/runtime/client_stream.h"
#include "roles/runtime/core_gate.h"
#include "roles/runtime/frame_codec.h"
#include "roles/runtime/server_stream.h"
#include "roles/runtime/stream.h"

namespace yz::runtime {
namespace {

// Enough for an answer of k = 20 peers (about 7 KiB of messages on the
// arena); a bigger frame takes more blocks from the heap.
constexpr std::size_t kEncodeBlockBytes = 16 * 1024;

// How a local close reads to the other side: the table's code, and the
// reason itself as the message so the remote side learns why.
grpc::Status status_for(std::string_view reason) {
  return {status_code_for(reason), std::string(reason)};
}

}  // namespace

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
        bootstrap_service(owner),
        gate(io_context) {}

  boost::asio::io_context& io;
  Events events;
  std::string bootstrap_address;
  std::size_t max_frame_bytes;
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  PeerLinkService peer_service;
  BootstrapService bootstrap_service;
  std::atomic<core::LinkId> next_id{1};
  CoreGate gate;
  // Touched only under the gate.
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
CoreGate& Transport::gate() { return impl_->gate; }

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
  // A find_node answer is some hundred small messages and strings: on an
  // arena whose first block the thread keeps, they cost no malloc and free
  // each (which, freed on another thread than they were made on, also made
  // glibc consolidate its bins on the next large request).
  thread_local std::unique_ptr<char[]> block;
  if (!block) block = std::make_unique<char[]>(kEncodeBlockBytes);
  google::protobuf::ArenaOptions options;
  options.initial_block = block.get();
  options.initial_block_size = kEncodeBlockBytes;
  google::protobuf::Arena arena(options);
  auto* wire = google::protobuf::Arena::CreateMessage<v1::Frame>(&arena);
  encode_frame(message, *wire);
  it->second->send(serialize(*wire));
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
  impl_->gate.post([this, stream = std::move(stream)]() mutable {
    const core::LinkId id = stream->id();
    impl_->streams[id] = std::move(stream);
    if (impl_->events.accepted) impl_->events.accepted(id);
  });
}

void Transport::post_opened(core::LinkId link) {
  impl_->gate.post([this, link] {
    if (impl_->streams.contains(link) && impl_->events.opened) impl_->events.opened(link);
  });
}

void Transport::post_frame(core::LinkId link, core::Message&& message) {
  const auto deliver = [this, link](core::Message&& frame) {
    if (impl_->streams.contains(link) && impl_->events.frame)
      impl_->events.frame(link, std::move(frame));
  };
  // The core's answer then goes out from this gRPC thread too, as a bare
  // gRPC server's would (see CoreGate).
  if (impl_->gate.try_run([&] { deliver(std::move(message)); })) return;
  impl_->gate.post(
      [deliver, message = std::move(message)]() mutable { deliver(std::move(message)); });
}

std::size_t Transport::max_frame_bytes() const { return impl_->max_frame_bytes; }

void Transport::post_refused(core::LinkId link, std::string_view reason, std::string problem) {
  impl_->gate.post([this, link, reason = std::string(reason), problem = std::move(problem)] {
    // Counted even when the core closed the link meanwhile:
    // the frame was refused all the same.
    if (impl_->events.refused) impl_->events.refused(link, reason, problem);
    auto it = impl_->streams.find(link);
    if (it == impl_->streams.end()) return;
    impl_->streams.erase(it);
    if (impl_->events.closed) impl_->events.closed(link, reason + " frame: " + problem);
  });
}

void Transport::post_half_closed(core::LinkId link) {
  impl_->gate.post([this, link] {
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
  impl_->gate.post([this, link, reason = std::move(reason)] {
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
  {
    // The io thread has stopped, so no gRPC thread enters the core any
    // more; one may still be leaving it.
    auto core = impl_->gate.lock();
    impl_->streams.clear();
  }
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
