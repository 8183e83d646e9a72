#pragma once

#include <absl/status/statusor.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "roles/core/identity.h"

namespace yz::runtime {

// The process's Ed25519 key pair, kept in `<dir>/identity.key` as a PKCS#8
// PEM file ("-----BEGIN PRIVATE KEY-----"): the standard form, so an
// operator can read the public key with `openssl pkey -in identity.key
// -pubout` and back it up with ordinary tools.
//
// Missing: made from 32 bytes of `random` and written atomically with mode
// 0600. When `random` fails, nothing is made or written: the error (one line,
// see os_random.h's randomness_failure) is returned, so a node never gets a
// key anyone could guess. Present: refused, never overwritten, when it is readable or
// writable by anyone but its owner (mode & 077), not owned by this user,
// or not an Ed25519 private key; replacing it would silently give the node
// a new identity. On success also writes `<dir>/node_id` (the 40 hex digits
// derived from the key, for people and yzctl; never read back).
// Fails (FailedPrecondition) with one line naming the file.
// Fills `size` bytes; returns "" or why it could not (os_random_fill).
using RandomSource = std::function<std::string(void* out, std::size_t size)>;

absl::StatusOr<std::shared_ptr<const core::Identity>> load_or_create_identity(
    const std::string& dir, const RandomSource& random);

}  // namespace yz::runtime
