# HTTP /metrics, /health and /status for the role processes. A library of its
# own so that http_server.cc, the slowest file to compile (Beast), is built
# once and only what includes its light header depends on it.
add_library(yz_runtime_http STATIC
  ${CMAKE_CURRENT_LIST_DIR}/http_server.cc
  ${CMAKE_CURRENT_LIST_DIR}/endpoints.cc)
target_link_libraries(yz_runtime_http PUBLIC yz_core yz_json Boost::headers Threads::Threads)
target_compile_options(yz_runtime_http PRIVATE ${YZ_WARNINGS})
