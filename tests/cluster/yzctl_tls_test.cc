// `yzctl up --tls`: a throwaway CA and a certificate per process in the
// cluster folder, every process started with the TLS flags, the cluster
// healthy through yzctl's HTTP view; nodes added later get certificates
// from the same CA.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster/cluster_state.h"
#include "cluster/tls_material.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

using YzctlTls = YzctlTest;

TEST_F(YzctlTls, UpWithTlsIssuesCertificatesAndBecomesHealthy) {
  const RunResult up =
      yzctl({"up", "--tls", "--nodes", "3", "--bridges", "1", "--time-scale", "10"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_NE(up.out.find("mutual TLS"), std::string::npos) << up.out;
  const RunResult wait = yzctl({"wait", "--healthy", "--timeout", "60s"});
  ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;

  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_TRUE(cluster->tls);
  EXPECT_EQ(mode_of(tls_dir(dir_)), 0700u);
  EXPECT_EQ(mode_of(tls_dir(dir_) + "/ca.key"), 0600u);
  EXPECT_NE(slurp(ca_cert_path(dir_)).find("BEGIN CERTIFICATE"), std::string::npos);
  for (const ProcessRecord& p : cluster->processes) {
    EXPECT_EQ(mode_of(key_path(dir_, p.name)), 0600u) << p.name;
    EXPECT_NE(slurp(cert_path(dir_, p.name)).find("BEGIN CERTIFICATE"), std::string::npos);
    const std::string cmdline = slurp("/proc/" + std::to_string(p.pid) + "/cmdline");
    const std::string flag = std::string("--tls-cert") + '\0' + cert_path(dir_, p.name);
    EXPECT_NE(cmdline.find(flag), std::string::npos) << p.name;
  }

  const RunResult status = yzctl({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;

  // A node added later gets a certificate from the same CA and joins.
  const RunResult add = yzctl({"add-node"});
  ASSERT_EQ(add.exit_code, 0) << add.out << add.err;
  EXPECT_EQ(mode_of(key_path(dir_, "dht-node-4")), 0600u);
  const RunResult again = yzctl({"wait", "--healthy", "--timeout", "60s"});
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;

  // yzctl put/get speak mutual TLS too (a certificate from the same CA,
  // in memory: no file is left for it).
  const RunResult put = yzctl({"put", "over-tls", "sealed", "--via", "dht-node-4"});
  ASSERT_EQ(put.exit_code, 0) << put.out << put.err;
  const RunResult get = yzctl({"get", "over-tls", "--via", "bridge-node-1"});
  ASSERT_EQ(get.exit_code, 0) << get.out << get.err;
  EXPECT_NE(get.out.find("value     sealed\n"), std::string::npos) << get.out;
  EXPECT_FALSE(std::filesystem::exists(cert_path(dir_, "yzctl")));
}

TEST_F(YzctlTls, WithoutTlsNoMaterialIsWritten) {
  const RunResult up = yzctl({"up", "--nodes", "1", "--bridges", "1", "--time-scale", "10"});
  ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
  EXPECT_EQ(mode_of(tls_dir(dir_)), 0u);
  const auto cluster = read_cluster(dir_);
  ASSERT_TRUE(cluster.ok()) << cluster.status();
  EXPECT_FALSE(cluster->tls);
  for (const ProcessRecord& p : cluster->processes) {
    for (const std::string& arg : p.argv) EXPECT_NE(arg, "--tls-cert") << p.name;
  }
}

}  // namespace
}  // namespace yz::cluster::testing
