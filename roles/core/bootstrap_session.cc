#include "roles/core/bootstrap_session.h"

#include <string>
#include <utility>

namespace yz::core {

BootstrapSession::BootstrapSession(Env& env, const ProcessConfig& config, const PeerInfo& self,
                                   CoreMetrics& metrics, MemberCredentials& credentials,
                                   RefusalLog& refusals)
    : env_(env),
      config_(config),
      self_(self),
      metrics_(metrics),
      credentials_(credentials),
      refusals_(refusals),
      auth_(env, config.identity) {}

void BootstrapSession::connect() {
  if (config_.bootstrap_address.empty() || state_ != State::kDisconnected) return;
  state_ = State::kDialling;
  link_ = env_.dial(config_.bootstrap_address);
}

void BootstrapSession::close() {
  if (link_ != 0) env_.close(link_);
  link_ = 0;
  state_ = State::kDisconnected;
}

void BootstrapSession::send(Message message) {
  if (link_ == 0) return;
  env_.send(link_, std::move(message));
}

void BootstrapSession::send_register() {
  msg::Register reg;
  reg.node_id = self_.node_id;
  reg.metadata = self_.metadata;
  if (config_.role == Role::kBridge) reg.bridge_auth = config_.bridge_auth;
  if (config_.role == Role::kGenesis) reg.genesis_auth = config_.genesis_auth;
  send(std::move(reg));
}

bool BootstrapSession::on_link_opened(LinkId link) {
  if (link != link_) return false;
  state_ = State::kHandshake;
  msg::DhtPeerHello hello;
  hello.peer_id = self_.node_id;
  hello.metadata = self_.metadata;
  auth_.add_to_hello(link, hello);
  env_.send_handshake(link, std::move(hello));
  return true;
}

bool BootstrapSession::on_link_closed(LinkId link, std::string_view reason) {
  if (link != link_) return false;
  env_.log(LogLevel::kWarn, "bootstrap_disconnected", {{"reason", std::string(reason)}});
  auth_.forget(link);
  link_ = 0;
  state_ = State::kDisconnected;
  callbacks_.on_lost();
  return true;
}

bool BootstrapSession::on_frame(LinkId link, Message&& message) {
  if (link != link_) return false;
  if (state_ == State::kHandshake)
    handle_handshake(std::move(message));
  else
    callbacks_.on_message(std::move(message));
  return true;
}

void BootstrapSession::handle_handshake(Message&& message) {
  const auto* connected = message.get<msg::DhtPeerConnected>();
  if (connected == nullptr) {
    refusals_.log(LogLevel::kWarn, "bootstrap_handshake_refused", "not_handshake",
                  {{"reason", "not_handshake"},
                   {"first_frame", std::string(message_type_name(message.type()))}});
    return;
  }
  msg::DhtPeerProof proof;
  if (const std::string why = auth_.check_connected(link_, *connected, proof); !why.empty()) {
    // Not the bootstrap we can trust: drop the link; emergency discovery
    // dials again later.
    metrics_.handshake_rejected(why).Increment();
    refusals_.log(LogLevel::kWarn, "bootstrap_handshake_refused", why, {{"reason", why}});
    env_.close(link_, why);
    auth_.forget(link_);
    link_ = 0;
    state_ = State::kDisconnected;
    return;
  }
  if (auth_.enabled()) {
    env_.send_handshake(link_, std::move(proof));
    credentials_.trust_bootstrap(connected->node_id);
  }
  // The bootstrap proved its key (or, without identities, answered): the
  // link is off the handshake deadline.
  env_.link_authenticated(link_);
  state_ = State::kReady;
  send_register();
}

}  // namespace yz::core
