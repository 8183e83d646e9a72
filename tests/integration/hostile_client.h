#pragma once

// What a hostile (or merely test-driven) client needs to speak to the role
// processes by hand: gRPC streams on PeerLink.Connect and Bootstrap.Connect
// with the synchronous API, raw TCP, and HTTP/2 frames built byte by byte.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/identity.h"
#include "roles/runtime/key_store.h"
#include "yz/v1/peer.grpc.pb.h"

namespace yz::integration::hostile {

inline std::string code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    default:
      return "code " + std::to_string(static_cast<int>(code));
  }
}

inline std::string describe(const grpc::Status& status) {
  return code_name(status.error_code()) + " \"" + status.error_message() + "\"";
}

// The key Call::handshake(n) proves: test keys are numbered.
inline std::shared_ptr<const core::Identity> key_of(std::uint64_t n) {
  return core::Identity::from_words(n, 0x7e57, 0x7e57, 0x7e57);
}

// The bootstrap's key, read from its data dir, so the test can mint a
// membership chain for its own keys: it plays an insider (a registered
// bridge) whose link passes admission, to attack what lies behind it.
// Null until a suite sets it; then handshake() shows a chain.
inline std::shared_ptr<const core::Identity>& bootstrap_key() {
  static std::shared_ptr<const core::Identity> key;
  return key;
}
inline std::string load_bootstrap_key(const std::string& data_dir) {
  // The bootstrap made its key already: reading it needs no randomness.
  auto key = runtime::load_or_create_identity(
      data_dir, [](void*, std::size_t) { return std::string("no new key here"); });
  if (!key.ok()) return std::string(key.status().message());
  bootstrap_key() = *std::move(key);
  return {};
}

// Credentials put on the wire by hand rather than by roles/runtime's codec,
// so a test can send what no honest process would.
inline void put_invitation(const core::Invitation& in, v1::Invitation* out) {
  out->set_inviter(in.inviter.to_hex());
  out->set_invitee(in.invitee.to_hex());
  out->set_expires_at_ms(in.expires_at_ms);
  out->set_nonce(in.nonce);
  out->set_signature(in.signature);
  out->set_inviter_public_key(in.inviter_public_key);
}

inline void put_token(const core::MembershipToken& in, v1::MembershipToken* out) {
  out->set_node_id(in.node_id.to_hex());
  out->set_issuer(in.issuer.to_hex());
  out->set_invitation_nonce(in.invitation_nonce);
  out->set_signature(in.signature);
  out->set_public_key(in.public_key);
}

inline void put_chain(const core::CredentialChain& chain,
                      google::protobuf::RepeatedPtrField<v1::ChainLink>* out) {
  for (const auto& link : chain) {
    auto* l = out->Add();
    put_token(link.token, l->mutable_token());
    put_invitation(link.invitation, l->mutable_invitation());
  }
}

// A one-link chain for `key`, rooted at the bootstrap's key, as a bridge's.
inline core::CredentialChain insider_chain(const core::Identity& key) {
  if (!bootstrap_key()) return {};
  const core::Invitation invitation =
      core::sign_invitation(*bootstrap_key(), key.node_id(), 1, 0x7e57);
  return core::extend_chain(core::sign_token(key, invitation), invitation, {});
}

// A node id no cluster member has: 40 hex digits built from `n`.
inline std::string fake_id(std::uint32_t n) {
  char buf[41];
  std::snprintf(buf, sizeof buf, "baddcafe%032x", n);
  return buf;
}

inline v1::Frame hello(const std::string& peer_id, std::uint32_t version = 1) {
  v1::Frame frame;
  auto* m = frame.mutable_dht_peer_hello();
  m->set_peer_id(peer_id);
  m->mutable_metadata()->set_role(v1::ROLE_NODE);
  m->mutable_metadata()->set_protocol_version(version);
  m->mutable_metadata()->set_build_id("hostile-client");
  m->mutable_metadata()->set_name("hostile");
  return frame;
}

inline v1::Frame find_node(std::uint64_t request_id, const std::string& target) {
  v1::Frame frame;
  frame.set_request_id(request_id);
  frame.mutable_find_node()->set_target(target);
  return frame;
}

// `register` as a process of `role` sends it; only a bridge sends
// `bridge_auth`, only genesis `genesis_auth`. The build id is informational.
inline v1::Frame register_frame(const core::NodeId& id, v1::Role role, const std::string& build_id,
                                const std::string& bridge_auth = {}, std::uint32_t version = 1,
                                const std::string& genesis_auth = {}) {
  v1::Frame frame;
  auto* m = frame.mutable_register_();
  m->set_node_id(id.to_hex());
  m->mutable_metadata()->set_role(role);
  m->mutable_metadata()->set_protocol_version(version);
  m->mutable_metadata()->set_build_id(build_id);
  m->set_bridge_auth(bridge_auth);
  m->set_genesis_auth(genesis_auth);
  return frame;
}

// One Connect call (PeerLink, or Bootstrap with `to_bootstrap`). The
// deadline only stops a hung test.
class Call {
 public:
  explicit Call(const std::string& address, bool to_bootstrap = false,
                std::chrono::seconds deadline = std::chrono::seconds(30))
      : Call(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), to_bootstrap,
             deadline) {}
  Call(std::shared_ptr<grpc::Channel> channel, bool to_bootstrap,
       std::chrono::seconds deadline = std::chrono::seconds(30))
      : channel_(std::move(channel)) {
    context_.set_deadline(std::chrono::system_clock::now() + deadline);
    if (to_bootstrap) {
      bootstrap_stub_ = v1::Bootstrap::NewStub(channel_);
      stream_ = bootstrap_stub_->Connect(&context_);
    } else {
      peer_stub_ = v1::PeerLink::NewStub(channel_);
      stream_ = peer_stub_->Connect(&context_);
    }
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;
  ~Call() { cancel(); }

  bool write(const v1::Frame& frame) { return stream_->Write(frame); }
  bool read(v1::Frame& frame) { return stream_->Read(&frame); }
  void writes_done() { stream_->WritesDone(); }
  void cancel() {
    if (finished_) return;
    context_.TryCancel();
    finished_ = true;
    stream_->Finish();
  }

  // Reads until the process ends the stream, then returns its status.
  grpc::Status drain(std::vector<v1::Frame>* frames = nullptr) {
    v1::Frame frame;
    while (stream_->Read(&frame))
      if (frames != nullptr) frames->push_back(frame);
    finished_ = true;
    return stream_->Finish();
  }

  // A valid hello with the proof of identity of key `n`, the node's
  // dht_peer_connected, checked, and our dht_peer_proof, with an insider
  // chain when bootstrap_key() is set and `member` (or `chain` when given);
  // "" or what went wrong.
  std::string handshake(std::uint64_t n, bool member = true,
                        const core::CredentialChain* chain = nullptr) {
    const auto key = key_of(n);
    v1::Frame our_hello = hello(key->node_id().to_hex());
    const std::string nonce(core::kNonceBytes, static_cast<char>(n));
    our_hello.mutable_dht_peer_hello()->set_public_key(key->public_key());
    our_hello.mutable_dht_peer_hello()->set_nonce(nonce);
    if (!write(our_hello)) return "the node ended the stream before the hello";
    v1::Frame reply;
    if (!read(reply)) return "the node ended the stream instead of answering the hello";
    if (!reply.has_dht_peer_connected())
      return "expected dht_peer_connected, got " + reply.ShortDebugString();
    const auto& connected = reply.dht_peer_connected();
    const auto node = core::NodeId::from_hex(connected.node_id());
    if (!node || core::node_id_for_key(connected.public_key()) != *node ||
        !core::verify_signature(connected.public_key(),
                                core::handshake_message('A', nonce, *node, key->node_id()),
                                connected.signature()))
      return "the node's dht_peer_connected does not prove its id";
    v1::Frame proof;
    proof.mutable_dht_peer_proof()->set_signature(
        key->sign(core::handshake_message('D', connected.nonce(), key->node_id(), *node)));
    if (chain != nullptr) {
      put_chain(*chain, proof.mutable_dht_peer_proof()->mutable_chain());
    } else if (member) {
      put_chain(insider_chain(*key), proof.mutable_dht_peer_proof()->mutable_chain());
    }
    if (!write(proof)) return "the node ended the stream before the proof";
    return {};
  }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::PeerLink::Stub> peer_stub_;
  std::unique_ptr<v1::Bootstrap::Stub> bootstrap_stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Frame, v1::Frame>> stream_;
  bool finished_ = false;
};

// One Connect call that carries raw bytes as its messages, for what no
// protobuf encoder writes (undecodable frames). Synchronous over its own
// completion queue: one operation at a time, each waited for.
class RawCall {
 public:
  explicit RawCall(const std::string& address, bool to_bootstrap = false,
                   std::chrono::seconds deadline = std::chrono::seconds(30))
      : channel_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials())),
        stub_(channel_) {
    context_.set_deadline(std::chrono::system_clock::now() + deadline);
    call_ = stub_.PrepareCall(
        &context_, to_bootstrap ? "/yz.v1.Bootstrap/Connect" : "/yz.v1.PeerLink/Connect", &cq_);
    call_->StartCall(this);
    started_ = next();
  }
  RawCall(const RawCall&) = delete;
  RawCall& operator=(const RawCall&) = delete;
  ~RawCall() {
    if (!finished_) {
      context_.TryCancel();
      drain();
    }
    cq_.Shutdown();
    void* tag;
    bool ok;
    while (cq_.Next(&tag, &ok)) {
    }
  }

  bool write(const std::string& bytes) {
    if (!started_) return false;
    grpc::Slice slice(bytes);
    grpc::ByteBuffer buffer(&slice, 1);
    call_->Write(buffer, this);
    return next();
  }
  void writes_done() {
    if (!started_) return;
    call_->WritesDone(this);
    next();
  }
  // Reads until the process ends the stream, then returns its status.
  grpc::Status drain() {
    grpc::ByteBuffer in;
    if (started_) {
      do call_->Read(&in, this);
      while (next());
    }
    grpc::Status status;
    call_->Finish(&status, this);
    next();
    finished_ = true;
    return status;
  }

 private:
  bool next() {
    void* tag;
    bool ok = false;
    return cq_.Next(&tag, &ok) && ok;
  }

  std::shared_ptr<grpc::Channel> channel_;
  grpc::GenericStub stub_;
  grpc::ClientContext context_;
  grpc::CompletionQueue cq_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  bool started_ = false;
  bool finished_ = false;
};

// Raw TCP, for bytes no gRPC client would send.
class RawSocket {
 public:
  explicit RawSocket(const std::string& host_port) {
    const auto colon = host_port.rfind(':');
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(std::stoi(host_port.substr(colon + 1))));
    inet_pton(AF_INET, host_port.substr(0, colon).c_str(), &addr.sin_addr);
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;
  ~RawSocket() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool connected() const { return fd_ >= 0; }
  // Best effort: the process may hang up part way, which is its right.
  void send_bytes(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }
  // Reads until the process closes the connection (true) or 5 s pass with
  // nothing to read (false).
  bool closed_by_peer() {
    char buf[4096];
    while (true) {
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  int fd_ = -1;
};

// Deterministic junk (SplitMix64).
inline std::string junk(std::size_t size, std::uint64_t seed) {
  std::string out(size, '\0');
  for (char& c : out) {
    seed += 0x9e3779b97f4a7c15ULL;
    std::uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    c = static_cast<char>(z ^ (z >> 31));
  }
  return out;
}

// One HTTP/2 frame; `claimed_length` lies about the payload's length.
inline std::string h2_frame(std::uint8_t type, std::uint8_t flags, std::uint32_t stream,
                            const std::string& payload, std::size_t claimed_length = 0) {
  const std::size_t length = claimed_length != 0 ? claimed_length : payload.size();
  std::string out;
  out += static_cast<char>((length >> 16) & 0xff);
  out += static_cast<char>((length >> 8) & 0xff);
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  out += static_cast<char>((stream >> 24) & 0x7f);
  out += static_cast<char>((stream >> 16) & 0xff);
  out += static_cast<char>((stream >> 8) & 0xff);
  out += static_cast<char>(stream & 0xff);
  return out + payload;
}

// HPACK "literal header field without indexing, new name", no Huffman.
inline std::string hpack_literal(const std::string& name, const std::string& value) {
  std::string out(1, '\0');
  out += static_cast<char>(name.size());
  out += name;
  out += static_cast<char>(value.size());
  return out + value;
}

// The connection preface, an empty SETTINGS and the HEADERS that open
// PeerLink.Connect on stream 1.
inline std::string h2_open_peer_link(const std::string& authority) {
  constexpr std::uint8_t kHeaders = 1, kSettings = 4, kEndHeaders = 4;
  const std::string headers =
      hpack_literal(":method", "POST") + hpack_literal(":scheme", "http") +
      hpack_literal(":path", "/yz.v1.PeerLink/Connect") + hpack_literal(":authority", authority) +
      hpack_literal("content-type", "application/grpc") + hpack_literal("te", "trailers");
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + h2_frame(kSettings, 0, 0, "") +
         h2_frame(kHeaders, kEndHeaders, 1, headers);
}

// A gRPC length-prefixed message claiming `claimed` bytes of which only
// `body` follows.
inline std::string grpc_message(const std::string& body, std::uint32_t claimed) {
  std::string out(1, '\0');  // not compressed
  out += static_cast<char>((claimed >> 24) & 0xff);
  out += static_cast<char>((claimed >> 16) & 0xff);
  out += static_cast<char>((claimed >> 8) & 0xff);
  out += static_cast<char>(claimed & 0xff);
  return out + body;
}

}  // namespace yz::integration::hostile
