#pragma once

#include <optional>
#include <string>
#include <vector>

namespace yz::cluster {

// A certificate and its private key, both PEM.
struct CertAndKey {
  std::string cert_pem;
  std::string key_pem;
};

// A fresh self-signed CA (ECDSA P-256, one year) for one local cluster.
// nullopt with `error` set when OpenSSL fails.
std::optional<CertAndKey> make_ca(const std::string& common_name, std::string* error);

// A certificate for one process, signed by `ca`, good for both ends of a
// link (serverAuth and clientAuth). Its subjectAltName holds 127.0.0.1, ::1
// and localhost, where peers dial each other, plus `hosts` (IP addresses
// as IP entries, other names as DNS entries), since gRPC checks the address
// it dialled against them.
std::optional<CertAndKey> make_leaf(const CertAndKey& ca, const std::string& common_name,
                                    const std::vector<std::string>& hosts, std::string* error);

// The files of a cluster's TLS material under <cluster dir>/tls/.
std::string tls_dir(const std::string& cluster_dir);
std::string ca_cert_path(const std::string& cluster_dir);
std::string cert_path(const std::string& cluster_dir, const std::string& name);
std::string key_path(const std::string& cluster_dir, const std::string& name);

// Writes a new throwaway CA to <cluster dir>/tls/ (ca.crt; ca.key 0600, kept
// so that processes added later get certificates from the same CA).
// Returns "" or the error.
std::string write_cluster_ca(const std::string& cluster_dir);

// A certificate for `name` from the cluster's CA, kept in memory only (for
// yzctl's own gRPC calls, so that parallel commands write no files).
std::optional<CertAndKey> issue_cert(const std::string& cluster_dir, const std::string& name,
                                     std::string* error);

// Issues <name>.crt and <name>.key (0600) from the cluster's CA, with
// `hosts` as in make_leaf. Returns "" or the error.
std::string write_process_cert(const std::string& cluster_dir, const std::string& name,
                               const std::vector<std::string>& hosts);

}  // namespace yz::cluster
