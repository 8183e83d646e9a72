#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "roles/core/delay_rules.h"
#include "roles/core/env.h"
#include "roles/core/faults.h"
#include "roles/core/identity.h"
#include "roles/core/join_state.h"
#include "roles/core/message.h"
#include "roles/core/node_id.h"
#include "roles/core/protocol.h"
#include "roles/core/timing.h"

namespace yz::core {

// Everything a role instance needs to know about itself at start.
struct ProcessConfig {
  std::string name;
  Role role = Role::kNode;
  NodeId node_id;
  // The process's Ed25519 key pair; node_id must be identity->node_id().
  // Both drivers always set it. Null only in unit tests that need
  // hand-picked ids: their links then skip the proof of identity.
  std::shared_ptr<const Identity> identity;
  // Optional: a signature verifier shared by processes that run in one
  // thread (the simulator's run), so a chain every member checks costs one
  // verification, not one per member. Null: each process has its own.
  std::shared_ptr<SignatureVerifier> shared_verifier;
  std::string listen_address;     // where peers dial this process
  std::string bootstrap_address;  // empty for the bootstrap itself
  Timing timing;
  FaultSet faults;
  std::string bridge_auth;  // bridges present it; the bootstrap checks it
  // Genesis presents it; the bootstrap designates genesis only on it, so the
  // first stranger to register as genesis cannot take the network's root.
  std::string genesis_auth;
  std::uint32_t protocol_version = kProtocolVersion;
  std::string build_id = "yz-dev";
  // Delay rules (--delay-rules): make_process applies those naming this
  // process. Null, or none for it: nothing is held, nothing changes.
  std::shared_ptr<const DelayRules> delay_rules;
};

// What /health reports and what the simulator's health table prints.
struct ProcessStatus {
  std::string name;
  Role role = Role::kNode;
  NodeId node_id;
  bool healthy = false;
  Duration uptime = 0;
  std::size_t connected_peers = 0;
  std::size_t routing_table_size = 0;
  std::uint32_t health_failures = 0;
  std::size_t peers_missing_handler = 0;
  std::uint64_t dropped_no_handler = 0;
  std::uint64_t find_node_timeouts = 0;
  // Answers to its requests that came after their timeout (slow, not lost).
  std::uint64_t late_answers = 0;
  std::uint64_t onboarding_failures = 0;
  bool bootstrap_connected = false;
  bool member = false;
  JoinState state = JoinState::kJoining;
  // Why it is not joined (none when it is): /health "reason".
  HealthReason reason = HealthReason::kNone;
};

// Counters of what must never happen in a correct network, for the
// simulator's safety invariants: it reads them after every step instead of
// matching log event names, so renaming a log line cannot switch an
// invariant off. Monotonic over one process instance.
struct InvariantCounters {
  // DHT frames that arrived on a link with no DHT listener: lost.
  std::uint64_t frames_dropped_no_handler = 0;
  // Links this process closed as dead (pings unanswered); the simulated
  // network loses nothing on a live link.
  std::uint64_t links_closed_as_dead = 0;
};

// One role instance, driven by events. A driver (runtime or simulator) calls
// these from one thread, one at a time; the process acts only through Env.
class Process {
 public:
  virtual ~Process() = default;

  virtual void start() = 0;
  // Closes every link. The process handles no event after this.
  virtual void stop() = 0;

  virtual void on_link_accepted(LinkId link) = 0;  // someone dialled us
  virtual void on_link_opened(LinkId link) = 0;    // our dial succeeded
  // The remote side closed the link, or our dial failed.
  virtual void on_link_closed(LinkId link, std::string_view reason) = 0;
  virtual void on_frame(LinkId link, Message&& message) = 0;

  virtual ProcessStatus status() = 0;
  // Switches fault switches on or off while running (the simulator's heal
  // step turns every fault off). What a fault already broke stays broken.
  virtual void set_faults(const FaultSet& faults) { (void)faults; }
  // Cheap check the simulator runs after every step: connected routing-table
  // peers whose link has no DHT listener.
  virtual std::size_t peers_missing_handler() = 0;
  // Zero for roles without peer links.
  virtual InvariantCounters invariant_counters() { return {}; }

  // The role itself, under any wrapper (GuardedProcess): what to
  // dynamic_cast to a DhtMember.
  virtual Process& role() { return *this; }
};

}  // namespace yz::core
