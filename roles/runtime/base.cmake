# Flags, data dir, ports file and logging: the parts of the runtime every
# role process needs before it opens a socket. No gRPC or Asio here, so the
# unit tests of this layer stay light.
add_library(yz_runtime_base STATIC
  ${CMAKE_CURRENT_LIST_DIR}/data_dir.cc
  ${CMAKE_CURRENT_LIST_DIR}/duration.cc
  ${CMAKE_CURRENT_LIST_DIR}/flags.cc
  ${CMAKE_CURRENT_LIST_DIR}/key_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/logger.cc
  ${CMAKE_CURRENT_LIST_DIR}/tls_files.cc)
target_link_libraries(yz_runtime_base PUBLIC yz_core yz_json PRIVATE OpenSSL::Crypto)
target_compile_options(yz_runtime_base PRIVATE ${YZ_WARNINGS})
# --version reports the project's version, kept in one place.
target_compile_definitions(yz_runtime_base PRIVATE YZ_VERSION="${PROJECT_VERSION}")
