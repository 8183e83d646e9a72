yz_add_test(http_server_test SOURCES http_server_test.cc LIBS yz_runtime_http)
yz_add_test(endpoints_test SOURCES endpoints_test.cc LIBS yz_runtime_http)
yz_add_test(process_metrics_test SOURCES process_metrics_test.cc LIBS yz_metrics)
