yz_add_test(json_test SOURCES json_test.cc LIBS yz_json)
