# The gRPC transport against gRPC itself (no role process).
yz_add_test(transport_test SOURCES transport_test.cc LIBS yz_runtime)
