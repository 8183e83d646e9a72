// `promtool check metrics`, from Debian's prometheus package (installed by
// scripts/setup), as the judge of an exposition page: the format is the
// one Prometheus itself parses, not the one we think we wrote.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace yz::test_support {

inline constexpr const char* kPromtool = "/usr/bin/promtool";

// Runs `promtool check metrics` on `page`; returns its exit status (-1 when
// it did not run) and puts what it printed in `output`.
inline int promtool_check(const std::string& page, std::string& output) {
  static int calls = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem =
      "yz_promtool_" + std::to_string(::getpid()) + "_" + std::to_string(calls++);
  const auto input = dir / (stem + ".prom");
  const auto report = dir / (stem + ".out");
  std::ofstream(input) << page;
  const std::string command = std::string(kPromtool) + " check metrics < " + input.string() +
                              " > " + report.string() + " 2>&1";
  const int status = std::system(command.c_str());
  std::stringstream text;
  text << std::ifstream(report).rdbuf();
  output = text.str();
  std::filesystem::remove(input);
  std::filesystem::remove(report);
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

}  // namespace yz::test_support
