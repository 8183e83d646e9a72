#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "roles/core/node_id.h"

namespace yz::core {

// message.h includes this file: it names neither Identity's header nor
// Limits' (rate_limit.h includes env.h, which includes message.h).
class Identity;

// A user key is any UTF-8 string of 1..kMaxValueNameBytes bytes.
inline constexpr std::size_t kMaxValueNameBytes = 256;

// A value in the DHT (issue 17): one publisher's data under one user key,
// signed by the publisher over value_message(). Holders keep one per
// (key, publisher); a later seq replaces an earlier one.
struct SignedValue {
  NodeId key;        // value_key_id(name)
  std::string name;  // the user key, so holders and readers can show it
  std::string data;
  NodeId publisher;                  // node_id_for_key(publisher_public_key)
  std::string publisher_public_key;  // raw, in the publisher identity's scheme
  std::uint64_t seq = 0;             // the publisher's put counter: later wins
  std::int64_t expires_at_ms = 0;    // shared clock (Env::shared_clock_ms)
  std::string signature;             // by the publisher over value_message()
};

// The DHT key of a user key: the first 160 bits of SHA-256 of the string,
// the same hash as node ids.
NodeId value_key_id(std::string_view name);

// "" when `name` may be a user key, else why not (empty, too long, not
// UTF-8).
std::string value_name_problem(std::string_view name);

// The exact bytes a value's signature covers: a domain tag, then every
// field but the signature, strings length-prefixed so that no two values
// share one message.
std::string value_message(const SignedValue& value);

// A value `publisher` signs now.
SignedValue sign_value(const Identity& publisher, std::string name, std::string data,
                       std::uint64_t seq, std::int64_t expires_at_ms);

// How far ahead of a holder's clock a publisher's may run: a value may
// expire up to value_ttl plus this after a holder first sees it.
inline constexpr std::int64_t kValueClockSkewMs = 5 * 60 * 1000;

// Verifies (public key, message, signature) in the checking process's scheme.
using SignatureCheck = std::function<bool(std::string_view public_key, std::string_view message,
                                          std::string_view signature)>;

// Why a value is refused, or "" when it is sound: the checks a holder runs
// on store and a reader on every value it gets back. Reasons, in the order
// they are tried (the cheap ones first, the signature last):
//   too_large     data over max_value_bytes (Limits::max_value_bytes)
//   wrong_key     name not a user key, key != value_key_id(name), or
//                 publisher != the id of publisher_public_key
//   expired       expires_at_ms <= now_ms
//   bad_signature the signature does not verify
std::string check_value(const SignedValue& value, std::int64_t now_ms, std::size_t max_value_bytes,
                        const SignatureCheck& verify);

// The bytes a value counts against the caps: its user key and its data.
inline std::size_t value_size(const SignedValue& value) {
  return value.name.size() + value.data.size();
}

}  // namespace yz::core
