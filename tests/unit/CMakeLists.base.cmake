yz_add_test(flags_test SOURCES flags_test.cc LIBS yz_runtime_base)
yz_add_test(data_dir_test SOURCES data_dir_test.cc LIBS yz_runtime_base)
yz_add_test(logger_test SOURCES logger_test.cc LIBS yz_runtime_base)
yz_add_test(key_store_test SOURCES key_store_test.cc LIBS yz_runtime_base)
