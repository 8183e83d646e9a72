#pragma once

#include <memory>
#include <optional>

#include "roles/runtime/tls_files.h"

namespace grpc {
class ChannelCredentials;
class ServerCredentials;
}  // namespace grpc

namespace yz::runtime {

// The credentials of every gRPC port and every outgoing channel of a
// process: mutual TLS from `tls` (the server demands and verifies a client
// certificate signed by the CA; channels check the server against the CA
// and present this process's certificate), or plain insecure gRPC without.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const std::optional<TlsFiles>& tls);
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const std::optional<TlsFiles>& tls);

}  // namespace yz::runtime
