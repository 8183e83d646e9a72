#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "roles/core/node_id.h"

namespace yz::runtime {

// Creates `path` and its missing parents (mode 0700: the dir holds the
// node's identity) and proves it is writable by creating and removing a
// probe file. Returns "" or one error line naming the path and the errno
// text. Existing directories keep their mode.
std::string prepare_data_dir(const std::string& path);

// The node's persistent id: read from `<dir>/node_id` (40 hex digits and an
// optional newline), or made from three `random` words and written there
// atomically (mode 0600) on first start. A corrupt file is an error, never
// overwritten: replacing it would silently give the node a new identity.
// On failure returns nullopt and, when `error` is non-null, sets one line
// naming the file.
std::optional<core::NodeId> load_or_create_node_id(const std::string& dir,
                                                   const std::function<std::uint64_t()>& random,
                                                   std::string* error);

// Writes `<dir>/ports.json` atomically, so a reader polling for it never
// sees half a file: {"listen":"HOST:PORT","http":"HOST:PORT","pid":N} and a
// newline. Returns "" or one error line.
std::string write_ports_file(const std::string& dir, const std::string& listen,
                             const std::string& http, int pid);

// Writes `content` to a temporary file beside `path`, syncs it and renames
// it over `path`, so readers see the old content or the new, never a mix.
// Returns "" or the errno text of the step that failed.
std::string write_file_atomically(const std::string& path, std::string_view content, unsigned mode);

}  // namespace yz::runtime
