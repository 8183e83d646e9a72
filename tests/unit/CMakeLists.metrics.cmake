yz_add_test(metrics_test SOURCES metrics_test.cc LIBS yz_metrics)
