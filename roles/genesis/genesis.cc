#include "roles/genesis/genesis.h"

namespace yz::roles {

void Genesis::on_peer_link_established(core::ConnectionManager& manager) {
  dht_.get_or_create_peer_node(manager.peer());
  routing_table_path(manager);
}

}  // namespace yz::roles
