# The gRPC transport against gRPC itself (no role process).
yz_add_test(transport_test SOURCES transport_test.cc LIBS yz_runtime)
# The status table of docs/PROTOCOL.md against the transport's
# status_code_for. Built once transport.h declares it (issue 13's runtime
# branch); before that merge the table describes the contract only.
file(READ ${PROJECT_SOURCE_DIR}/roles/runtime/transport.h YZ_TRANSPORT_H)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
                                      ${PROJECT_SOURCE_DIR}/roles/runtime/transport.h)
string(FIND "${YZ_TRANSPORT_H}" "status_code_for" YZ_HAS_STATUS_CODE_FOR)
if(NOT YZ_HAS_STATUS_CODE_FOR EQUAL -1)
  yz_add_test(protocol_status_test SOURCES protocol_status_test.cc LIBS yz_runtime)
  target_compile_definitions(protocol_status_test
                             PRIVATE YZ_PROTOCOL_DOC="${PROJECT_SOURCE_DIR}/docs/PROTOCOL.md")
endif()
