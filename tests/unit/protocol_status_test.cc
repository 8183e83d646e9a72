// Reads the status table of docs/PROTOCOL.md (section 10: "| gRPC status |
// codes |") and checks that the transport ends a stream closed for each
// listed code with that status, so the table cannot drift from the code.
#include <grpcpp/support/status_code_enum.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "roles/runtime/transport.h"

#ifndef YZ_PROTOCOL_DOC
#error "YZ_PROTOCOL_DOC must name docs/PROTOCOL.md"
#endif

namespace yz::runtime {
namespace {

const std::map<std::string, grpc::StatusCode>& status_names() {
  static const std::map<std::string, grpc::StatusCode> names = {
      {"INVALID_ARGUMENT", grpc::StatusCode::INVALID_ARGUMENT},
      {"FAILED_PRECONDITION", grpc::StatusCode::FAILED_PRECONDITION},
      {"UNAUTHENTICATED", grpc::StatusCode::UNAUTHENTICATED},
      {"PERMISSION_DENIED", grpc::StatusCode::PERMISSION_DENIED},
      {"ALREADY_EXISTS", grpc::StatusCode::ALREADY_EXISTS},
      {"RESOURCE_EXHAUSTED", grpc::StatusCode::RESOURCE_EXHAUSTED},
      {"DEADLINE_EXCEEDED", grpc::StatusCode::DEADLINE_EXCEEDED},
      {"UNAVAILABLE", grpc::StatusCode::UNAVAILABLE},
      {"ABORTED", grpc::StatusCode::ABORTED},
  };
  return names;
}

struct Row {
  std::string status;
  std::vector<std::string> codes;  // every `code` in backquotes on the row
};

// The rows of the table whose header is "| gRPC status | codes |".
std::vector<Row> read_table(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Row> rows;
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside) {
      inside = line.starts_with("| gRPC status | codes |");
      continue;
    }
    if (!line.starts_with("|")) break;
    if (line.starts_with("|---")) continue;
    Row row;
    const auto second = line.find('|', 1);
    row.status = line.substr(1, second - 1);
    row.status.erase(0, row.status.find_first_not_of(' '));
    row.status.erase(row.status.find_last_not_of(' ') + 1);
    for (auto open = line.find('`', second); open != std::string::npos;
         open = line.find('`', open + 1)) {
      const auto close = line.find('`', open + 1);
      if (close == std::string::npos) break;
      row.codes.push_back(line.substr(open + 1, close - open - 1));
      open = close;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(ProtocolStatusTest, EveryCodeEndsTheStreamWithTheDocumentedStatus) {
  const std::vector<Row> rows = read_table(YZ_PROTOCOL_DOC);
  ASSERT_EQ(rows.size(), status_names().size()) << "the status table lost or gained a row";
  std::size_t codes = 0;
  for (const Row& row : rows) {
    auto status = status_names().find(row.status);
    ASSERT_NE(status, status_names().end()) << "unknown status " << row.status;
    EXPECT_FALSE(row.codes.empty()) << row.status;
    for (const std::string& code : row.codes) {
      ++codes;
      EXPECT_EQ(status_code_for(code), status->second) << code;
      // The code alone decides, whatever explanation follows it.
      EXPECT_EQ(status_code_for(code + ": why"), status->second) << code;
    }
  }
  EXPECT_GE(codes, 25u);
}

}  // namespace
}  // namespace yz::runtime
