add_library(yz_runtime STATIC
  ${CMAKE_CURRENT_LIST_DIR}/asio_env.cc
  ${CMAKE_CURRENT_LIST_DIR}/codec_fields.cc
  ${CMAKE_CURRENT_LIST_DIR}/data_service.cc
  ${CMAKE_CURRENT_LIST_DIR}/frame_decode.cc
  ${CMAKE_CURRENT_LIST_DIR}/frame_encode.cc
  ${CMAKE_CURRENT_LIST_DIR}/grpc_credentials.cc
  ${CMAKE_CURRENT_LIST_DIR}/link_status.cc
  ${CMAKE_CURRENT_LIST_DIR}/peer_status.cc
  ${CMAKE_CURRENT_LIST_DIR}/process_main.cc
  ${CMAKE_CURRENT_LIST_DIR}/transport.cc)
target_link_libraries(yz_runtime PUBLIC yz_roles yz_delay_rules yz_runtime_base yz_runtime_http yz_proto_wire
                                        yz_proto_data
                                        gRPC::grpc++ gRPC::grpc++_reflection Boost::headers)
target_compile_options(yz_runtime PRIVATE ${YZ_WARNINGS})

foreach(role bootstrap genesis bridge node)
  add_executable(yz-${role} ${PROJECT_SOURCE_DIR}/roles/${role}/main.cc)
  target_link_libraries(yz-${role} PRIVATE yz_runtime)
  target_compile_options(yz-${role} PRIVATE ${YZ_WARNINGS})
endforeach()
