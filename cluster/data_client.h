#pragma once

#include <chrono>
#include <string>

#include "cluster/cluster_state.h"
#include "yz/v1/data.pb.h"

namespace yz::cluster {

// The outcome of one Data call (proto/yz/v1/data.proto) as yzctl sees it:
// the gRPC status, and how long the call took from here (connect included).
struct DataReply {
  bool rpc_ok = false;
  int code = 0;           // grpc::StatusCode
  std::string code_name;  // "UNAVAILABLE", ...
  std::string message;    // the status message
  double round_trip_ms = 0;
};

// Calls Data.Put / Data.Get on `target`'s gRPC port (ProcessRecord::listen)
// with `timeout` as the deadline, with the cluster's mutual TLS when it has
// it (a certificate issued in memory from the cluster's CA).
DataReply call_put(const ClusterRecord& cluster, const ProcessRecord& target,
                   const v1::PutRequest& request, std::chrono::milliseconds timeout,
                   v1::PutResponse* response);
DataReply call_get(const ClusterRecord& cluster, const ProcessRecord& target,
                   const v1::GetRequest& request, std::chrono::milliseconds timeout,
                   v1::GetResponse* response);

}  // namespace yz::cluster
