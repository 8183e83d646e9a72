// Mutual TLS on every gRPC port (--tls-cert/--tls-key/--tls-ca): a cluster
// of real processes whose certificates come from one CA links up and
// becomes healthy; a plain client, or one whose certificate another CA
// signed, is refused and leaves the node healthy; bad TLS flags stop a
// process with status 2 before it opens a port.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "cluster/tls_material.h"
#include "tests/integration/hostile_client.h"
#include "tests/integration/local_cluster.h"

namespace yz::integration {
namespace {

constexpr char kClient[] = "test-client";

class TlsCluster : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tls_dir_ = make_temp_dir("yz-tls");
    other_dir_ = tls_dir_ + "/other";
    start_error_ = issue_material();
    if (!start_error_.empty()) return;
    ClusterOptions options;
    options.nodes = 3;
    options.bridges = 1;
    options.common_flags = {"--health-check-interval", "1s", "--startup-grace", "10s"};
    options.member_flags = [](const std::string& name) {
      return std::vector<std::string>{"--tls-cert", cluster::cert_path(tls_dir_, name),
                                      "--tls-key",  cluster::key_path(tls_dir_, name),
                                      "--tls-ca",   cluster::ca_cert_path(tls_dir_)};
    };
    cluster_ = new LocalCluster(options);
    start_error_ = cluster_->start();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_EQ(start_error_, ""); }

  // The cluster's CA with a certificate per member and one for the test's
  // own client; a second CA with a certificate of its own.
  static std::string issue_material() {
    if (std::string error = cluster::write_cluster_ca(tls_dir_); !error.empty()) return error;
    for (const char* name : {"bootstrap", "genesis", "bridge-node-1", "dht-node-1", "dht-node-2",
                             "dht-node-3", kClient})
      if (std::string error = cluster::write_process_cert(tls_dir_, name, {}); !error.empty())
        return error;
    if (std::string error = cluster::write_cluster_ca(other_dir_); !error.empty()) return error;
    return cluster::write_process_cert(other_dir_, kClient, {});
  }

  // A TLS channel that trusts `ca_dir`'s CA and presents the client
  // certificate issued in `cert_dir`.
  static std::shared_ptr<grpc::Channel> tls_channel(const std::string& address,
                                                    const std::string& ca_dir,
                                                    const std::string& cert_dir) {
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = read_file(cluster::ca_cert_path(ca_dir));
    options.pem_private_key = read_file(cluster::key_path(cert_dir, kClient));
    options.pem_cert_chain = read_file(cluster::cert_path(cert_dir, kClient));
    return grpc::CreateChannel(address, grpc::SslCredentials(options));
  }

  static bool healthy(const LocalCluster::Member& m) {
    const HttpReply reply = cluster_->health(m);
    return reply.status == 200 && json_true(reply.body, "healthy");
  }

  static bool all_healthy() {
    for (auto& m : cluster_->members()) {
      if (!healthy(m)) return false;
      const HttpReply reply = cluster_->health(m);
      if (m.role != "bootstrap" && json_number(reply.body, "routingTableSize") <= 0) return false;
      if (json_number(reply.body, "peersMissingHandler") != 0) return false;
    }
    return true;
  }

  static std::string grpc_address(const std::string& name) {
    return port_of(cluster_->member(name).data_dir, "listen").value_or("");
  }

  static LocalCluster* cluster_;
  static std::string start_error_;
  static std::string tls_dir_;
  static std::string other_dir_;
};

LocalCluster* TlsCluster::cluster_ = nullptr;
std::string TlsCluster::start_error_;
std::string TlsCluster::tls_dir_;
std::string TlsCluster::other_dir_;

TEST_F(TlsCluster, NodesLinkOverTlsAndBecomeHealthy) {
  ASSERT_TRUE(eventually(all_healthy, std::chrono::seconds(60)));
  for (auto& m : cluster_->members()) {
    if (m.role == "bootstrap") continue;
    const HttpReply reply = cluster_->health(m);
    EXPECT_TRUE(json_true(reply.body, "bootstrapConnected")) << m.name;
    EXPECT_GT(json_number(reply.body, "connectedPeers"), 0) << m.name;
  }
}

TEST_F(TlsCluster, AClientWithAClusterCertificateIsServed) {
  // The control for the refusals below: the same client, the right CA.
  hostile::Call call(tls_channel(grpc_address("dht-node-2"), tls_dir_, tls_dir_), false,
                     std::chrono::seconds(10));
  EXPECT_EQ(call.handshake(71), "");
}

TEST_F(TlsCluster, APlainClientIsRefusedAndTheNodeStaysHealthy) {
  auto& node = cluster_->member("dht-node-2");
  ASSERT_TRUE(eventually([&] { return healthy(node); }, std::chrono::seconds(60)));
  hostile::Call call(grpc_address("dht-node-2"), false, std::chrono::seconds(10));
  EXPECT_NE(call.handshake(72), "");
  const grpc::Status status = call.drain();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << hostile::describe(status);
  EXPECT_TRUE(node.child.running());
  EXPECT_TRUE(healthy(node));
}

TEST_F(TlsCluster, AClientCertificateFromAnotherCaIsRefused) {
  auto& node = cluster_->member("dht-node-3");
  ASSERT_TRUE(eventually([&] { return healthy(node); }, std::chrono::seconds(60)));
  // It trusts the node's CA, so only the node's check of the client fails.
  hostile::Call call(tls_channel(grpc_address("dht-node-3"), tls_dir_, other_dir_), false,
                     std::chrono::seconds(10));
  EXPECT_NE(call.handshake(73), "");
  const grpc::Status status = call.drain();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << hostile::describe(status);
  EXPECT_TRUE(node.child.running());
  EXPECT_TRUE(healthy(node));
}

TEST_F(TlsCluster, AClientThatTrustsAnotherCaRefusesTheNode) {
  hostile::Call call(tls_channel(grpc_address("bootstrap"), other_dir_, tls_dir_), true,
                     std::chrono::seconds(10));
  const grpc::Status status = call.drain();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << hostile::describe(status);
  EXPECT_TRUE(healthy(cluster_->member("bootstrap")));
}

// ---- flags: the process, not just the parser ----

struct Exit {
  int code = -1;
  std::string output;
};

Exit run(const std::vector<std::string>& args) {
  const std::string dir = make_temp_dir("yz-tls-flags");
  std::vector<std::string> argv = {binary("yz-node"), "--data-dir", dir + "/data", "--bootstrap",
                                   "127.0.0.1:9"};
  argv.insert(argv.end(), args.begin(), args.end());
  Child child = Child::spawn(argv, {}, dir + "/log");
  const auto status = child.wait(std::chrono::seconds(20));
  Exit out;
  if (status && WIFEXITED(*status)) out.code = WEXITSTATUS(*status);
  out.output = read_file(dir + "/log");
  return out;
}

class TlsFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("yz-tls-files");
    ASSERT_EQ(cluster::write_cluster_ca(dir_), "");
    ASSERT_EQ(cluster::write_process_cert(dir_, "node", {}), "");
  }
  std::string dir_;
};

TEST_F(TlsFlags, APartialSetExitsTwoNamingTheMissingFlags) {
  const Exit exit = run({"--tls-cert", cluster::cert_path(dir_, "node"), "--check-config"});
  EXPECT_EQ(exit.code, 2) << exit.output;
  EXPECT_NE(exit.output.find("--tls-key, --tls-ca missing"), std::string::npos) << exit.output;
}

TEST_F(TlsFlags, BadPemExitsTwoNamingTheFlagAndTheFile) {
  const std::string junk = dir_ + "/junk.pem";
  std::ofstream(junk) << "junk\n";
  const Exit exit = run({"--tls-cert", cluster::cert_path(dir_, "node"), "--tls-key", junk,
                         "--tls-ca", cluster::ca_cert_path(dir_), "--check-config"});
  EXPECT_EQ(exit.code, 2) << exit.output;
  EXPECT_NE(exit.output.find("invalid --tls-key '" + junk + "'"), std::string::npos) << exit.output;
}

TEST_F(TlsFlags, AGoodSetPassesCheckConfig) {
  const Exit exit = run({"--tls-cert", cluster::cert_path(dir_, "node"), "--tls-key",
                         cluster::key_path(dir_, "node"), "--tls-ca", cluster::ca_cert_path(dir_),
                         "--check-config"});
  EXPECT_EQ(exit.code, 0) << exit.output;
}

}  // namespace
}  // namespace yz::integration
