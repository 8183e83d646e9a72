#pragma once

#include <string>

namespace yz::runtime {

// The PEM text behind --tls-cert, --tls-key and --tls-ca: this process's
// certificate (chain), its private key and the CA that signs every peer.
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;
  std::string ca_pem;
};

// Where each path came from, for messages: "--tls-cert" or "YZ_TLS_CERT".
struct TlsSources {
  std::string cert = "--tls-cert";
  std::string key = "--tls-key";
  std::string ca = "--tls-ca";
};

// Reads the three files and checks them as a TLS stack would, so that a
// bad file is a configuration error at startup (exit 2) rather than every
// handshake failing later: each is PEM of the right kind, the key belongs
// to the certificate, and the CA verifies the certificate. Returns "" or
// one line naming the flag and the file.
std::string load_tls_files(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path, const TlsSources& sources, TlsFiles* out);

}  // namespace yz::runtime
