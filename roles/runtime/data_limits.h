#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace yz::runtime {

// What the client API (proto/yz/v1/data.proto) accepts, checked where the
// request arrives (the Data service) and before it is sent (yzctl put/get),
// so that both refuse bad input with the same words.
inline constexpr std::size_t kMaxKeyBytes = 256;
inline constexpr std::size_t kMaxValueBytes = 64 * 1024;

// "" when `key` is a usable key, else one line naming the problem:
// "key is empty", "key is 300 bytes; the limit is 256",
// "key is not valid UTF-8 (at byte 4)".
std::string key_problem(std::string_view key);
// "" or "value is 70000 bytes; the limit is 65536". A member checks
// against its own configured limit (--max-value-bytes may lower it).
std::string value_problem(std::string_view value, std::size_t limit = kMaxValueBytes);

}  // namespace yz::runtime
