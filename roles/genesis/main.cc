// yz-genesis: the genesis role as a process. Everything but the role is shared.
#include "roles/runtime/process_main.h"

int main(int argc, char** argv) {
  return yz::runtime::run_role_process(yz::core::Role::kGenesis, argc, argv);
}
