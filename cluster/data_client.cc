#include "cluster/data_client.h"

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "cluster/tls_material.h"
#include "yz/v1/data.grpc.pb.h"

namespace yz::cluster {
namespace {

using Clock = std::chrono::steady_clock;

std::string code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "code " + std::to_string(static_cast<int>(code));
  }
}

// The channel's credentials, or null with `error` set.
std::shared_ptr<grpc::ChannelCredentials> credentials(const ClusterRecord& cluster,
                                                      std::string* error) {
  if (!cluster.tls) return grpc::InsecureChannelCredentials();
  const auto cert = issue_cert(cluster.dir, "yzctl", error);
  if (!cert) return nullptr;
  std::ifstream in(ca_cert_path(cluster.dir), std::ios::binary);
  std::stringstream ca;
  ca << in.rdbuf();
  if (!in || ca.str().empty()) {
    *error = "cannot read the cluster's CA certificate " + ca_cert_path(cluster.dir);
    return nullptr;
  }
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ca.str();
  options.pem_private_key = cert->key_pem;
  options.pem_cert_chain = cert->cert_pem;
  return grpc::SslCredentials(options);
}

template <class Request, class Response, class Method>
DataReply call(const ClusterRecord& cluster, const ProcessRecord& target, const Request& request,
               std::chrono::milliseconds timeout, Response* response, Method method) {
  DataReply reply;
  std::string error;
  auto creds = credentials(cluster, &error);
  if (!creds) {
    reply.code = static_cast<int>(grpc::StatusCode::UNAUTHENTICATED);
    reply.code_name = "UNAUTHENTICATED";
    reply.message = error;
    return reply;
  }
  const auto began = Clock::now();
  auto stub = v1::Data::NewStub(grpc::CreateChannel(target.listen, creds));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  const grpc::Status status = ((*stub).*method)(&context, request, response);
  reply.round_trip_ms = std::chrono::duration<double, std::milli>(Clock::now() - began).count();
  reply.rpc_ok = status.ok();
  reply.code = static_cast<int>(status.error_code());
  reply.code_name = code_name(status.error_code());
  reply.message = status.error_message();
  return reply;
}

}  // namespace

DataReply call_put(const ClusterRecord& cluster, const ProcessRecord& target,
                   const v1::PutRequest& request, std::chrono::milliseconds timeout,
                   v1::PutResponse* response) {
  return call(cluster, target, request, timeout, response, &v1::Data::Stub::Put);
}

DataReply call_get(const ClusterRecord& cluster, const ProcessRecord& target,
                   const v1::GetRequest& request, std::chrono::milliseconds timeout,
                   v1::GetResponse* response) {
  return call(cluster, target, request, timeout, response, &v1::Data::Stub::Get);
}

}  // namespace yz::cluster
