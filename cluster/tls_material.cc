#include "cluster/tls_material.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <system_error>

#include "roles/core/openssl_ptr.h"
#include "roles/runtime/data_dir.h"

namespace yz::cluster {
namespace {

// A local cluster is thrown away long before this; a year spares anyone
// who keeps one running from a surprise.
constexpr long kValiditySeconds = 365L * 24 * 3600;
// Tolerates a little clock skew between issuing and first use.
constexpr long kBackdateSeconds = 3600;

using openssl::BioPtr;
using openssl::PkeyPtr;
struct BnFree {
  void operator()(BIGNUM* bn) const { BN_free(bn); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
using Cert = openssl::X509Ptr;
using Key = PkeyPtr;

// OpenSSL's own reason for the last failure, with `what` in front.
std::string openssl_error(const std::string& what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return what + ": " + text;
}

std::string cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Cert read_cert(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

Key read_key(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

// Adds one extension in OpenSSL's config syntax ("critical,CA:TRUE").
bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(
      X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// A certificate for `key` named `common_name`, not yet signed: random
// 127-bit serial, validity from an hour ago for a year.
Cert new_cert(EVP_PKEY* key, const std::string& common_name) {
  Cert cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return nullptr;
  std::unique_ptr<BIGNUM, BnFree> serial(BN_new());
  // Top bit clear: a serial must be positive and at most 20 bytes.
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr)
    return nullptr;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kBackdateSeconds) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds) == nullptr)
    return nullptr;
  X509_NAME* name = X509_get_subject_name(cert.get());
  const auto* org = reinterpret_cast<const unsigned char*>("yz local cluster");
  const auto* cn = reinterpret_cast<const unsigned char*>(common_name.c_str());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, org, -1, -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) != 1 ||
      X509_set_pubkey(cert.get(), key) != 1)
    return nullptr;
  return cert;
}

bool is_ip(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string subject_alt_names(const std::vector<std::string>& hosts) {
  std::string out = "IP:127.0.0.1,IP:::1,DNS:localhost";
  for (const std::string& host : hosts) {
    if (host.empty() || host == "127.0.0.1" || host == "::1" || host == "localhost") continue;
    out += (is_ip(host) ? ",IP:" : ",DNS:") + host;
  }
  return out;
}

std::string read_text(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + path + ": " + std::generic_category().message(errno);
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return {};
}

std::string write(const std::string& path, const std::string& content, unsigned mode) {
  if (std::string why = runtime::write_file_atomically(path, content, mode); !why.empty())
    return "cannot write " + path + ": " + why;
  return {};
}

std::string ca_key_path(const std::string& cluster_dir) { return tls_dir(cluster_dir) + "/ca.key"; }

}  // namespace

std::optional<CertAndKey> make_ca(const std::string& common_name, std::string* error) {
  Key key(EVP_EC_gen("P-256"));
  if (!key) {
    *error = openssl_error("cannot generate the CA key");
    return std::nullopt;
  }
  Cert cert = new_cert(key.get(), common_name);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      !add_extension(cert.get(), cert.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_extension(cert.get(), cert.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(cert.get(), cert.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    *error = openssl_error("cannot make the CA certificate");
    return std::nullopt;
  }
  CertAndKey out{cert_pem(cert.get()), key_pem(key.get())};
  if (out.cert_pem.empty() || out.key_pem.empty()) {
    *error = openssl_error("cannot encode the CA as PEM");
    return std::nullopt;
  }
  return out;
}

std::optional<CertAndKey> make_leaf(const CertAndKey& ca, const std::string& common_name,
                                    const std::vector<std::string>& hosts, std::string* error) {
  const Cert ca_cert = read_cert(ca.cert_pem);
  const Key ca_key = read_key(ca.key_pem);
  if (!ca_cert || !ca_key) {
    *error = openssl_error("the CA is not a PEM certificate and private key");
    return std::nullopt;
  }
  Key key(EVP_EC_gen("P-256"));
  if (!key) {
    *error = openssl_error("cannot generate a key for " + common_name);
    return std::nullopt;
  }
  Cert cert = new_cert(key.get(), common_name);
  if (!cert || X509_set_issuer_name(cert.get(), X509_get_subject_name(ca_cert.get())) != 1 ||
      !add_extension(cert.get(), ca_cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), ca_cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), ca_cert.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_extension(cert.get(), ca_cert.get(), NID_authority_key_identifier, "keyid:always") ||
      !add_extension(cert.get(), ca_cert.get(), NID_subject_alt_name, subject_alt_names(hosts)) ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0) {
    *error = openssl_error("cannot make the certificate of " + common_name);
    return std::nullopt;
  }
  CertAndKey out{cert_pem(cert.get()), key_pem(key.get())};
  if (out.cert_pem.empty() || out.key_pem.empty()) {
    *error = openssl_error("cannot encode the certificate of " + common_name + " as PEM");
    return std::nullopt;
  }
  return out;
}

std::string tls_dir(const std::string& cluster_dir) { return cluster_dir + "/tls"; }
std::string ca_cert_path(const std::string& cluster_dir) {
  return tls_dir(cluster_dir) + "/ca.crt";
}
std::string cert_path(const std::string& cluster_dir, const std::string& name) {
  return tls_dir(cluster_dir) + "/" + name + ".crt";
}
std::string key_path(const std::string& cluster_dir, const std::string& name) {
  return tls_dir(cluster_dir) + "/" + name + ".key";
}

std::string write_cluster_ca(const std::string& cluster_dir) {
  if (std::string error = runtime::prepare_data_dir(tls_dir(cluster_dir)); !error.empty())
    return error;
  std::string error;
  const auto ca = make_ca("yz local cluster CA", &error);
  if (!ca) return error;
  // The key first: a ca.crt without its key would look like a usable CA.
  if (std::string why = write(ca_key_path(cluster_dir), ca->key_pem, 0600); !why.empty())
    return why;
  return write(ca_cert_path(cluster_dir), ca->cert_pem, 0644);
}

std::optional<CertAndKey> issue_cert(const std::string& cluster_dir, const std::string& name,
                                     std::string* error) {
  CertAndKey ca;
  if (std::string why = read_text(ca_cert_path(cluster_dir), &ca.cert_pem); !why.empty()) {
    *error = why;
    return std::nullopt;
  }
  if (std::string why = read_text(ca_key_path(cluster_dir), &ca.key_pem); !why.empty()) {
    *error = why;
    return std::nullopt;
  }
  return make_leaf(ca, name, {}, error);
}

std::string write_process_cert(const std::string& cluster_dir, const std::string& name,
                               const std::vector<std::string>& hosts) {
  CertAndKey ca;
  if (std::string why = read_text(ca_cert_path(cluster_dir), &ca.cert_pem); !why.empty())
    return why;
  if (std::string why = read_text(ca_key_path(cluster_dir), &ca.key_pem); !why.empty()) return why;
  std::string error;
  const auto leaf = make_leaf(ca, name, hosts, &error);
  if (!leaf) return error;
  if (std::string why = write(key_path(cluster_dir, name), leaf->key_pem, 0600); !why.empty())
    return why;
  return write(cert_path(cluster_dir, name), leaf->cert_pem, 0644);
}

}  // namespace yz::cluster
