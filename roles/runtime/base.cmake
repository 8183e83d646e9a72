# Flags, data dir, ports file and logging: the parts of the runtime every
# role process needs before it opens a socket. No gRPC or Asio here, so the
# unit tests of this layer stay light.
add_library(yz_runtime_base STATIC
  ${CMAKE_CURRENT_LIST_DIR}/build_info.cc
  ${CMAKE_CURRENT_LIST_DIR}/data_limits.cc
  ${CMAKE_CURRENT_LIST_DIR}/data_dir.cc
  ${CMAKE_CURRENT_LIST_DIR}/duration.cc
  ${CMAKE_CURRENT_LIST_DIR}/flag_help.cc
  ${CMAKE_CURRENT_LIST_DIR}/flag_secrets.cc
  ${CMAKE_CURRENT_LIST_DIR}/flag_table.cc
  ${CMAKE_CURRENT_LIST_DIR}/flags.cc
  ${CMAKE_CURRENT_LIST_DIR}/key_store.cc
  ${CMAKE_CURRENT_LIST_DIR}/logger.cc
  ${CMAKE_CURRENT_LIST_DIR}/tls_files.cc)
target_link_libraries(yz_runtime_base PUBLIC yz_core yz_json absl::statusor
                      PRIVATE OpenSSL::Crypto absl::time)
target_compile_options(yz_runtime_base PRIVATE ${YZ_WARNINGS})
# --version reports the project's version, kept in one place.
target_compile_definitions(yz_runtime_base PRIVATE YZ_VERSION="${PROJECT_VERSION}")
# The build id every process sends in its metadata: informational (/status,
# yz_build_info, the start log line); compatibility is the protocol version's. Version and commit at configure time,
# on one small file so a new commit recompiles only that.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE YZ_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE yz_git_result)
if(NOT yz_git_result EQUAL 0 OR YZ_GIT_COMMIT STREQUAL "")
  set(YZ_GIT_COMMIT "nogit")
endif()
set_source_files_properties(${CMAKE_CURRENT_LIST_DIR}/build_info.cc PROPERTIES
  COMPILE_DEFINITIONS "YZ_BUILD_ID=\"${PROJECT_VERSION}+${YZ_GIT_COMMIT}\"")
