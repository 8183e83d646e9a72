yz_add_test(connection_manager_test SOURCES connection_manager_test.cc LIBS yz_core)
yz_add_test(peer_links_test SOURCES peer_links_test.cc LIBS yz_core)
yz_add_test(lookup_test SOURCES lookup_test.cc LIBS yz_core)
yz_add_test(dht_test SOURCES dht_test.cc LIBS yz_core)
yz_add_test(health_test SOURCES health_test.cc LIBS yz_core)
yz_add_test(faults_test SOURCES faults_test.cc LIBS yz_core)
yz_add_test(identity_test SOURCES identity_test.cc LIBS yz_core)
yz_add_test(credentials_test SOURCES credentials_test.cc LIBS yz_core)
yz_add_test(limits_test SOURCES limits_test.cc LIBS yz_roles)
yz_add_test(role_metrics_test SOURCES role_metrics_test.cc LIBS yz_roles)
# Checks every test vector of docs/PROTOCOL.md against the core.
yz_add_test(protocol_doc_test SOURCES protocol_doc_test.cc LIBS yz_core)
target_compile_definitions(protocol_doc_test
                           PRIVATE YZ_PROTOCOL_DOC="${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md")
