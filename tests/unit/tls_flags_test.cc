// --tls-cert, --tls-key and --tls-ca: all three or none, and every file
// checked before the process opens a port, each error naming the flag (or
// variable) and the file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "cluster/tls_material.h"
#include "roles/runtime/flags.h"

namespace yz::runtime {
namespace {

using ::testing::HasSubstr;

// A CA with one process certificate, and a second CA with its own, in a
// temporary folder.
class TlsFlagsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/yz-tls-flags-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    ASSERT_EQ(cluster::write_cluster_ca(dir_), "");
    ASSERT_EQ(cluster::write_process_cert(dir_, "node", {}), "");
    other_ = dir_ + "/other";
    ASSERT_EQ(cluster::write_cluster_ca(other_), "");
    ASSERT_EQ(cluster::write_process_cert(other_, "node", {}), "");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string cert() const { return cluster::cert_path(dir_, "node"); }
  std::string key() const { return cluster::key_path(dir_, "node"); }
  std::string ca() const { return cluster::ca_cert_path(dir_); }
  std::string write(const std::string& name, const std::string& content) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    return path;
  }

  static FlagsParse parse(std::vector<std::string> args,
                          std::map<std::string, std::string> env = {}) {
    args.insert(args.begin(), {"--bootstrap", "127.0.0.1:9000"});
    return parse_flags(core::Role::kNode, args, [env](const char* name) -> const char* {
      const auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
  }
  static void expect_error(const FlagsParse& parse, const std::vector<std::string>& mentions) {
    EXPECT_FALSE(parse.flags.has_value());
    EXPECT_EQ(parse.exit_code, 2);
    EXPECT_EQ(parse.error.find('\n'), std::string::npos) << parse.error;
    for (const std::string& m : mentions) EXPECT_THAT(parse.error, HasSubstr(m));
  }

  std::string dir_;
  std::string other_;
};

TEST_F(TlsFlagsTest, NoneGivenMeansPlainGrpc) {
  const FlagsParse p = parse({});
  ASSERT_TRUE(p.flags) << p.error;
  EXPECT_FALSE(p.flags->tls.has_value());
}

TEST_F(TlsFlagsTest, AllThreeLoadThePem) {
  const FlagsParse p = parse({"--tls-cert", cert(), "--tls-key", key(), "--tls-ca", ca()});
  ASSERT_TRUE(p.flags) << p.error;
  ASSERT_TRUE(p.flags->tls.has_value());
  EXPECT_THAT(p.flags->tls->cert_pem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_THAT(p.flags->tls->key_pem, HasSubstr("PRIVATE KEY"));
  EXPECT_THAT(p.flags->tls->ca_pem, HasSubstr("BEGIN CERTIFICATE"));
}

TEST_F(TlsFlagsTest, TheEnvironmentCanGiveThem) {
  const FlagsParse p =
      parse({}, {{"YZ_TLS_CERT", cert()}, {"YZ_TLS_KEY", key()}, {"YZ_TLS_CA", ca()}});
  ASSERT_TRUE(p.flags) << p.error;
  EXPECT_TRUE(p.flags->tls.has_value());
}

TEST_F(TlsFlagsTest, APartialSetNamesWhatIsMissing) {
  expect_error(parse({"--tls-cert", cert()}), {"--tls-cert given", "--tls-key, --tls-ca missing"});
  expect_error(parse({"--tls-cert", cert(), "--tls-key", key()}), {"--tls-ca missing"});
  expect_error(parse({"--tls-ca", ca()}), {"--tls-cert, --tls-key missing"});
}

TEST_F(TlsFlagsTest, AnUnreadableFileNamesTheFlagAndTheFile) {
  const std::string missing = dir_ + "/nope.pem";
  expect_error(parse({"--tls-cert", missing, "--tls-key", key(), "--tls-ca", ca()}),
               {"cannot read --tls-cert", missing, "No such file"});
  expect_error(parse({"--tls-cert", cert(), "--tls-key", missing, "--tls-ca", ca()}),
               {"cannot read --tls-key", missing});
  expect_error(parse({"--tls-cert", cert(), "--tls-key", key(), "--tls-ca", missing}),
               {"cannot read --tls-ca", missing});
}

TEST_F(TlsFlagsTest, ErrorsFromTheEnvironmentNameTheVariable) {
  const std::string missing = dir_ + "/nope.pem";
  expect_error(parse({"--tls-cert", cert(), "--tls-ca", ca()}, {{"YZ_TLS_KEY", missing}}),
               {"cannot read YZ_TLS_KEY", missing});
}

TEST_F(TlsFlagsTest, BadPemNamesTheFlagAndTheFile) {
  const std::string junk = write("junk.pem", "not pem at all\n");
  expect_error(parse({"--tls-cert", junk, "--tls-key", key(), "--tls-ca", ca()}),
               {"invalid --tls-cert", junk, "no PEM certificate"});
  expect_error(parse({"--tls-cert", cert(), "--tls-key", junk, "--tls-ca", ca()}),
               {"invalid --tls-key", junk, "private key"});
  expect_error(parse({"--tls-cert", cert(), "--tls-key", key(), "--tls-ca", junk}),
               {"invalid --tls-ca", junk, "no PEM certificate"});
  // A certificate where the key belongs is no key either.
  expect_error(parse({"--tls-cert", cert(), "--tls-key", cert(), "--tls-ca", ca()}),
               {"invalid --tls-key", cert()});
}

TEST_F(TlsFlagsTest, AKeyOfAnotherCertificateIsRefused) {
  const std::string other_key = cluster::key_path(other_, "node");
  expect_error(parse({"--tls-cert", cert(), "--tls-key", other_key, "--tls-ca", ca()}),
               {"invalid --tls-key", other_key, "not the key of --tls-cert", cert()});
}

TEST_F(TlsFlagsTest, ACertificateTheCaDidNotSignIsRefused) {
  const std::string other_cert = cluster::cert_path(other_, "node");
  const std::string other_key = cluster::key_path(other_, "node");
  expect_error(parse({"--tls-cert", other_cert, "--tls-key", other_key, "--tls-ca", ca()}),
               {"invalid --tls-cert", other_cert, "not accepted by --tls-ca", ca()});
}

TEST_F(TlsFlagsTest, AControlCharacterInAPathKeepsTheErrorOnOneLine) {
  const std::string odd = dir_ + "/new\nline.pem";
  expect_error(parse({"--tls-cert", odd, "--tls-key", key(), "--tls-ca", ca()}),
               {"cannot read --tls-cert", "new\\x0aline.pem"});
}

TEST_F(TlsFlagsTest, AnEmptyPathIsRefused) {
  expect_error(parse({"--tls-cert="}), {"--tls-cert", "expected a file path"});
}

TEST_F(TlsFlagsTest, HelpListsTheTlsFlags) {
  const FlagsParse p = parse({"--help"});
  for (const char* flag : {"--tls-cert FILE", "--tls-key FILE", "--tls-ca FILE"})
    EXPECT_THAT(p.output, HasSubstr(flag));
}

}  // namespace
}  // namespace yz::runtime
