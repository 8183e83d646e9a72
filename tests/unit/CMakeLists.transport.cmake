# The gRPC transport against gRPC itself (no role process).
yz_add_test(transport_test SOURCES transport_test.cc LIBS yz_runtime)
# The wire codec's view of message types the contract does not have.
yz_add_test(reserved_frames_test SOURCES reserved_frames_test.cc LIBS yz_runtime)
# The data plane's frames (issue 17): round trips and malformed ones.
yz_add_test(value_codec_test SOURCES value_codec_test.cc LIBS yz_runtime)
# The status table of docs/PROTOCOL.md against the transport's status_code_for.
yz_add_test(protocol_status_test SOURCES protocol_status_test.cc LIBS yz_runtime)
target_compile_definitions(protocol_status_test
                           PRIVATE YZ_PROTOCOL_DOC="${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md")
# The lock that serialises the core between the io thread and gRPC's threads.
yz_add_test(core_gate_test SOURCES core_gate_test.cc LIBS yz_runtime)
# The client API's service (Data.Put/Get) on gRPC, without a DHT behind it.
yz_add_test(data_service_test SOURCES data_service_test.cc LIBS yz_runtime)
