#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "roles/core/core_metrics.h"
#include "roles/core/env.h"
#include "roles/core/handshake_auth.h"
#include "roles/core/member_credentials.h"
#include "roles/core/process.h"
#include "roles/core/refusal_log.h"

namespace yz::core {

// A member's link to the bootstrap: dials it, runs the handshake (the
// bootstrap proves its key, which becomes the trust anchor of every chain),
// registers, and hands every coordination message after that to whoever
// handles it (steps 1-2 of roles/ONBOARDING.md).
class BootstrapSession {
 public:
  struct Callbacks {
    // A message from the bootstrap after the handshake.
    std::function<void(Message&&)> on_message;
    // The link closed: nothing more will come on it.
    std::function<void()> on_lost;
  };

  BootstrapSession(Env& env, const ProcessConfig& config, const PeerInfo& self,
                   CoreMetrics& metrics, MemberCredentials& credentials, RefusalLog& refusals);
  void set_callbacks(Callbacks callbacks) { callbacks_ = std::move(callbacks); }

  // Dials the bootstrap unless a link to it exists (or there is none to dial).
  void connect();
  void close();
  bool ready() const { return state_ == State::kReady; }
  bool disconnected() const { return state_ == State::kDisconnected; }
  void send(Message message);
  // What registering sends, again for a bridge that wants the member list.
  void send_register();

  // Link events: each takes the event and returns true when `link` is the
  // bootstrap's, else leaves it to the peer links.
  bool on_link_opened(LinkId link);
  bool on_link_closed(LinkId link, std::string_view reason);
  bool on_frame(LinkId link, Message&& message);

 private:
  enum class State : std::uint8_t { kDisconnected, kDialling, kHandshake, kReady };

  void handle_handshake(Message&& message);

  Env& env_;
  const ProcessConfig& config_;
  const PeerInfo& self_;
  CoreMetrics& metrics_;
  MemberCredentials& credentials_;
  RefusalLog& refusals_;
  Callbacks callbacks_;
  LinkId link_ = 0;
  State state_ = State::kDisconnected;
  HandshakeAuth auth_;
};

}  // namespace yz::core
