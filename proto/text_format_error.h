#pragma once

#include <google/protobuf/io/tokenizer.h>

#include <string>
#include <utility>

namespace yz {

// Keeps the first error protobuf's text-format parser reports, as
// "ORIGIN:LINE:COLUMN: problem" (one-based), for the loaders of the text
// proto files a user writes (scenarios, delay rules): the first error is
// the one to fix, the rest usually follow from it.
class FirstTextFormatError : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstTextFormatError(std::string origin) : origin_(std::move(origin)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (first_.empty())
      first_ = origin_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " +
               message;
  }
  const std::string& first() const { return first_; }

 private:
  std::string origin_;
  std::string first_;
};

}  // namespace yz
