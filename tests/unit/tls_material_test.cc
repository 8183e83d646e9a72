// The throwaway CA and process certificates of `yzctl up --tls`: the CA
// verifies every leaf, each leaf names the addresses peers dial, and the
// private keys land on disk readable by their owner only.
#include "cluster/tls_material.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "roles/runtime/tls_files.h"

namespace yz::cluster {
namespace {

using ::testing::Contains;
using ::testing::Not;

struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
using Cert = std::unique_ptr<X509, X509Free>;

Cert parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  Cert cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

// What X509_verify_cert says of `leaf` with `ca` as the only trust anchor:
// X509_V_OK or the error.
int verify(const std::string& ca_pem, const std::string& leaf_pem) {
  const Cert ca = parse(ca_pem);
  const Cert leaf = parse(leaf_pem);
  if (!ca || !leaf) return -1;
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca.get());
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf.get(), nullptr);
  const int result = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  return result;
}

// The leaf's subjectAltName entries as "IP:127.0.0.1" / "DNS:localhost".
std::vector<std::string> alt_names(const std::string& pem) {
  const Cert cert = parse(pem);
  std::vector<std::string> out;
  auto* names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type == GEN_DNS) {
      const ASN1_IA5STRING* dns = name->d.dNSName;
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                         static_cast<std::size_t>(ASN1_STRING_length(dns))));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* ip = name->d.iPAddress;
      const int length = ASN1_STRING_length(ip);
      char text[INET6_ADDRSTRLEN] = "?";
      inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof text);
      out.push_back("IP:" + std::string(text));
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/yz-tls-material-XXXXXX";
    path_ = mkdtemp(pattern) != nullptr ? pattern : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(TlsMaterialTest, TheCaVerifiesItsLeaf) {
  std::string error;
  const auto ca = make_ca("test CA", &error);
  ASSERT_TRUE(ca) << error;
  const auto leaf = make_leaf(*ca, "dht-node-1", {}, &error);
  ASSERT_TRUE(leaf) << error;
  EXPECT_EQ(verify(ca->cert_pem, leaf->cert_pem), X509_V_OK);
  // A leaf is no CA: it cannot sign further certificates.
  const Cert cert = parse(leaf->cert_pem);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_EQ(X509_check_ca(parse(ca->cert_pem).get()), 1);
}

TEST(TlsMaterialTest, AnotherCaDoesNotVerifyTheLeaf) {
  std::string error;
  const auto ca = make_ca("test CA", &error);
  const auto other = make_ca("other CA", &error);
  ASSERT_TRUE(ca && other) << error;
  const auto leaf = make_leaf(*ca, "dht-node-1", {}, &error);
  ASSERT_TRUE(leaf) << error;
  EXPECT_NE(verify(other->cert_pem, leaf->cert_pem), X509_V_OK);
}

TEST(TlsMaterialTest, LeafNamesTheLoopbackAddressesAndExtraHosts) {
  std::string error;
  const auto ca = make_ca("test CA", &error);
  ASSERT_TRUE(ca) << error;
  const auto leaf = make_leaf(*ca, "dht-node-1", {"10.1.2.3", "node.example", "127.0.0.1"}, &error);
  ASSERT_TRUE(leaf) << error;
  const auto names = alt_names(leaf->cert_pem);
  EXPECT_THAT(names, Contains("IP:127.0.0.1"));
  EXPECT_THAT(names, Contains("IP:::1"));
  EXPECT_THAT(names, Contains("DNS:localhost"));
  EXPECT_THAT(names, Contains("IP:10.1.2.3"));
  EXPECT_THAT(names, Contains("DNS:node.example"));
  EXPECT_THAT(names, Not(Contains("DNS:127.0.0.1")));
  // gRPC's own hostname check, as a peer dialling 127.0.0.1 makes it.
  const Cert cert = parse(leaf->cert_pem);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.2", 0), 0);
}

TEST(TlsMaterialTest, LeafServesBothEndsOfALink) {
  std::string error;
  const auto ca = make_ca("test CA", &error);
  const auto leaf = make_leaf(*ca, "genesis", {}, &error);
  ASSERT_TRUE(leaf) << error;
  const Cert cert = parse(leaf->cert_pem);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), 1);
}

TEST(TlsMaterialTest, EveryCertificateHasItsOwnSerialAndKey) {
  std::string error;
  const auto ca = make_ca("test CA", &error);
  const auto a = make_leaf(*ca, "a", {}, &error);
  const auto b = make_leaf(*ca, "b", {}, &error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_NE(a->key_pem, b->key_pem);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get_serialNumber(parse(a->cert_pem).get()),
                             X509_get_serialNumber(parse(b->cert_pem).get())),
            0);
}

TEST(TlsMaterialTest, FilesOnDiskKeepKeysPrivateAndLoadAsRoleFlags) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  ASSERT_EQ(write_cluster_ca(dir.path()), "");
  ASSERT_EQ(write_process_cert(dir.path(), "dht-node-1", {}), "");
  EXPECT_EQ(mode_of(tls_dir(dir.path())), 0700u);
  EXPECT_EQ(mode_of(tls_dir(dir.path()) + "/ca.key"), 0600u);
  EXPECT_EQ(mode_of(key_path(dir.path(), "dht-node-1")), 0600u);
  EXPECT_EQ(mode_of(cert_path(dir.path(), "dht-node-1")) & 0600u, 0600u);
  EXPECT_EQ(mode_of(ca_cert_path(dir.path())) & 0600u, 0600u);

  // What a role process started with these files accepts.
  runtime::TlsFiles files;
  EXPECT_EQ(runtime::load_tls_files(cert_path(dir.path(), "dht-node-1"),
                                    key_path(dir.path(), "dht-node-1"), ca_cert_path(dir.path()),
                                    {}, &files),
            "");
  EXPECT_FALSE(files.cert_pem.empty());
}

TEST(TlsMaterialTest, ProcessCertNeedsTheClusterCa) {
  TempDir dir;
  const std::string error = write_process_cert(dir.path(), "dht-node-1", {});
  EXPECT_NE(error.find("ca.crt"), std::string::npos) << error;
}

}  // namespace
}  // namespace yz::cluster
