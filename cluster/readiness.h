#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "cluster/cluster_state.h"
#include "roles/json/json.h"

namespace yz::cluster {

// The parsed ports.json of a process, when it exists and names `pid`
// (a file left by an earlier run names another pid and is not trusted).
struct Ports {
  std::string listen;
  std::string http;
  int pid = 0;
};
std::optional<Ports> read_ports(const ProcessRecord& record);

// Waits for a process this yzctl just spawned (record.pid, our child) to be
// ready for what starts after it: its ports.json written, its /health
// answering, and what its role needs before others can use it: genesis a
// DHT member, a bridge registered with the bootstrap and linked to a member.
// Fills record.listen and record.http. Returns "" or the error: one line
// naming the process and why, then the tail of its log.
// With `role_ready` false only ports.json and /health are waited for (for a
// restart, whose peers may be down on purpose).
std::string wait_ready(ProcessRecord& record, std::chrono::milliseconds timeout,
                       bool role_ready = true);

// How a node's first onboarding ended.
enum class JoinOutcome { kMember, kOnboardingFailed, kUndecided, kDied };
// Polls a ready node's /status until it is a member or reports an
// onboarding failure, for at most `timeout`.
JoinOutcome wait_joined(const ProcessRecord& record, std::chrono::milliseconds timeout);

// GET /status or /health as JSON; nullopt when it does not answer.
std::optional<json::Value> get_json(const std::string& http, const std::string& path,
                                    std::chrono::milliseconds timeout);

}  // namespace yz::cluster
