yz_add_test(flags_test SOURCES flags_test.cc LIBS yz_runtime_base)
yz_add_test(data_dir_test SOURCES data_dir_test.cc LIBS yz_runtime_base)
yz_add_test(logger_test SOURCES logger_test.cc LIBS yz_runtime_base)
yz_add_test(key_store_test SOURCES key_store_test.cc LIBS yz_runtime_base)
# TLS flags and the certificates `yzctl up --tls` issues (cluster/tls_material).
yz_add_test(tls_flags_test SOURCES tls_flags_test.cc LIBS yz_runtime_base yz_tls_material)
yz_add_test(tls_material_test SOURCES tls_material_test.cc LIBS yz_tls_material OpenSSL::Crypto)
