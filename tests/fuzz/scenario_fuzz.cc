// libFuzzer target: the scenario parser (text proto -> validated Scenario).
// Any text must load or be refused with a message, never crash or hang.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const yz::sim::ScenarioLoad load = yz::sim::parse_scenario(text, "fuzz.textproto");
  if (!load.scenario && load.error.empty()) std::abort();  // refused without saying why
  return 0;
}
