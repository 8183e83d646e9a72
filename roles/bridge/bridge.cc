#include "roles/bridge/bridge.h"

#include <utility>

namespace yz::roles {

using core::Message;
using core::PeerInfo;
namespace msg = core::msg;

Bridge::Bridge(core::Env& env, core::ProcessConfig config)
    : DhtMember(env, std::move(config)),
      broker_(env, this->config(), metrics(), dht(), links(), bootstrap()) {
  wire(Wiring{// Bridges create the peer node for every link themselves (the
              // original's bridge code path), so their own side of a link is always
              // served.
              [this](core::ConnectionManager& manager) {
                dht().get_or_create_peer_node(manager.peer());
                route_peer_link(manager);
              },
              [this](core::ConnectionManager& from, Message&& message) {
                dht().respond(
                    from, core::ErrorMessage("bridge_is_passive",
                                             std::string(core::message_type_name(message.type())) +
                                                 " is not served by a bridge",
                                             message.request_id));
              },
              // Link to the whole network as it stands; later members are announced.
              [this](const msg::Registered& registered) {
                for (const PeerInfo& member : registered.members)
                  if (member.node_id != self().node_id) dht().connect(member);
              },
              [this](Message& message) { return on_bootstrap_message(message); },
              [this](core::Health::Emergency emergency) { on_emergency(emergency); },
              [this](bool healthy) { on_health_checked(healthy); }});
}

bool Bridge::on_bootstrap_message(Message& message) {
  if (const auto* joined = message.get<msg::MemberJoined>()) {
    if (joined->member.node_id != self().node_id) dht().connect(joined->member);
  } else if (const auto* request = message.get<msg::GetOnboardingPeer>()) {
    broker_.broker(message.request_id, *request);
  } else {
    return false;
  }
  return true;
}

void Bridge::on_emergency(core::Health::Emergency emergency) {
  if (!bootstrap().ready()) {
    health().discover_peers(emergency);
    return;
  }
  // Registering again returns the member list to link to.
  bootstrap().send_register();
}

void Bridge::on_health_checked(bool healthy) {
  // Nobody to report to until the bootstrap link's handshake is done (the
  // guard would refuse the frame anyway: nothing reaches a peer before that,
  // guard.h). Sent mid-handshake, it used to get the link refused and
  // closed at every tick once a handshake outlasted the interval.
  if (!bootstrap().ready()) return;
  bootstrap().send(
      msg::BridgeHealthUpdate{static_cast<std::uint32_t>(links().connected_count()), healthy});
}

}  // namespace yz::roles
