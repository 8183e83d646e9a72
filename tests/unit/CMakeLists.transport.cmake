# The gRPC transport against gRPC itself (no role process).
yz_add_test(transport_test SOURCES transport_test.cc LIBS yz_runtime)
# The wire codec's view of message types the contract does not have.
yz_add_test(reserved_frames_test SOURCES reserved_frames_test.cc LIBS yz_runtime)
