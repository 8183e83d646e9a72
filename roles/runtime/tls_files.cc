#include "roles/runtime/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <system_error>
#include <vector>

#include "roles/core/openssl_ptr.h"

namespace yz::runtime {
namespace {

// Far above any real chain; stops a mistaken path (a log, a disk image)
// from being read whole.
constexpr std::size_t kMaxPemBytes = 1 << 20;

using openssl::BioPtr;
using openssl::PkeyPtr;
struct StoreFree {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using Cert = openssl::X509Ptr;

std::string read_small_file(const std::string& path, std::string* content) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::generic_category().message(errno);
  std::string text;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxPemBytes) return "larger than " + std::to_string(kMaxPemBytes) + " bytes";
  }
  if (in.bad()) return "read error";
  *content = std::move(text);
  return {};
}

BioPtr bio_of(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate in `pem`, in order; empty when there is none.
std::vector<Cert> read_certs(const std::string& pem) {
  std::vector<Cert> out;
  auto bio = bio_of(pem);
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
    out.emplace_back(cert);
  ERR_clear_error();  // the read that ends the loop leaves "no start line"
  return out;
}

// Refuses to prompt: an encrypted key would otherwise make OpenSSL ask for
// a passphrase on the terminal of a process that is meant to run unattended.
int no_passphrase(char*, int, int, void*) { return -1; }

// The path as an error line shows it: quoted, control characters escaped
// so that the error stays one line.
std::string quoted(const std::string& path) {
  std::string out = "'";
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += std::string("\\x") + kHex[u >> 4] + kHex[u & 0xf];
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct FileToRead {
  const std::string* source;  // "--tls-cert" or its variable
  const std::string* path;
  std::string* content;
};

}  // namespace

std::string load_tls_files(const std::string& cert_path, const std::string& key_path,
                           const std::string& ca_path, const TlsSources& sources, TlsFiles* out) {
  TlsFiles files;
  const FileToRead reads[] = {{&sources.cert, &cert_path, &files.cert_pem},
                              {&sources.key, &key_path, &files.key_pem},
                              {&sources.ca, &ca_path, &files.ca_pem}};
  for (const FileToRead& file : reads) {
    if (std::string why = read_small_file(*file.path, file.content); !why.empty())
      return "cannot read " + *file.source + " " + quoted(*file.path) + ": " + why;
  }

  const std::vector<Cert> chain = read_certs(files.cert_pem);
  if (chain.empty())
    return "invalid " + sources.cert + " " + quoted(cert_path) + ": no PEM certificate in it";
  const std::vector<Cert> cas = read_certs(files.ca_pem);
  if (cas.empty())
    return "invalid " + sources.ca + " " + quoted(ca_path) + ": no PEM certificate in it";
  auto key_bio = bio_of(files.key_pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  if (!key) {
    return "invalid " + sources.key + " " + quoted(key_path) +
           ": not an unencrypted PEM private key";
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return "invalid " + sources.key + " " + quoted(key_path) + ": it is not the key of " +
           sources.cert + " " + quoted(cert_path);
  }

  // The check every peer will make of this certificate.
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  for (const Cert& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (std::size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !untrusted || !ctx ||
      X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return "cannot check " + sources.cert + " " + quoted(cert_path) + " (out of memory)";
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return "invalid " + sources.cert + " " + quoted(cert_path) + ": not accepted by " + sources.ca +
           " " + quoted(ca_path) + " (" + X509_verify_cert_error_string(error) + ")";
  }
  *out = std::move(files);
  return {};
}

}  // namespace yz::runtime
