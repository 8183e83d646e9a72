#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "roles/core/node_id.h"

namespace yz::core::signed_bytes {

// The canonical byte strings that credentials and values sign are built from
// these: fixed-width fields, big-endian, so every implementation (and the
// test vectors of docs/PROTOCOL.md) gets the same bytes.

inline void put_id(std::string& out, const NodeId& id) {
  out.append(reinterpret_cast<const char*>(id.bytes().data()), NodeId::kBytes);
}

inline void put_u64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// A length (u64) then the bytes: no field can run into the next.
inline void put_bytes(std::string& out, std::string_view bytes) {
  put_u64(out, bytes.size());
  out.append(bytes);
}

}  // namespace yz::core::signed_bytes
