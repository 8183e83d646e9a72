yz_add_test(node_id_test SOURCES node_id_test.cc LIBS yz_core)
yz_add_test(routing_table_test SOURCES routing_table_test.cc LIBS yz_core)
yz_add_test(peer_pool_test SOURCES peer_pool_test.cc LIBS yz_core)
