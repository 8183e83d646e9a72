#include "roles/genesis/genesis.h"

#include <utility>

namespace yz::roles {

Genesis::Genesis(core::Env& env, core::ProcessConfig config) : DhtMember(env, std::move(config)) {
  Wiring wiring;
  // Genesis registers every link with the DHT itself before the routing
  // table sees it (the original's genesis code path), so the early return
  // in Dht::handle_peer_connected never reaches its links.
  wiring.on_peer_link = [this](core::ConnectionManager& manager) {
    dht().get_or_create_peer_node(manager.peer());
    route_peer_link(manager);
  };
  wire(std::move(wiring));
}

}  // namespace yz::roles
