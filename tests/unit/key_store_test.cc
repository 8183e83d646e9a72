#include "roles/runtime/key_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace yz::runtime {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::function<std::uint64_t()> Counter() {
  auto next = std::make_shared<std::uint64_t>(0);
  return [next] { return ++*next; };
}

class KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("yz-key-store-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string key_path() const { return root_ + "/identity.key"; }
  std::string root_;
};

TEST_F(KeyStoreTest, CreatesAnOwnerOnlyPemKeyAndKeepsItAcrossRestarts) {
  std::string error;
  const auto first = load_or_create_identity(root_, Counter(), &error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_EQ(ModeOf(key_path()), 0600u);
  EXPECT_THAT(ReadFile(key_path()), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(ReadFile(root_ + "/node_id"), first->node_id().to_hex() + "\n");
  EXPECT_EQ(first->node_id(), core::node_id_for_key(first->public_key()));
  // A restart reads the same key, whatever the random source says now.
  const auto second = load_or_create_identity(
      root_, [] { return std::uint64_t{7}; }, &error);
  ASSERT_NE(second, nullptr) << error;
  EXPECT_EQ(second->node_id(), first->node_id());
}

TEST_F(KeyStoreTest, KeyReadableByOthersIsRefused) {
  std::string error;
  ASSERT_NE(load_or_create_identity(root_, Counter(), &error), nullptr);
  ASSERT_EQ(::chmod(key_path().c_str(), 0644), 0);
  EXPECT_EQ(load_or_create_identity(root_, Counter(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("'" + key_path() + "'"));
  EXPECT_THAT(error, HasSubstr("0644"));
  EXPECT_THAT(error, HasSubstr("chmod 600"));
  ASSERT_EQ(::chmod(key_path().c_str(), 0640), 0);
  EXPECT_EQ(load_or_create_identity(root_, Counter(), &error), nullptr);
}

TEST_F(KeyStoreTest, MalformedKeyIsRefusedAndNeverOverwritten) {
  {
    std::ofstream out(key_path());
    out << "this is not a key\n";
  }
  ASSERT_EQ(::chmod(key_path().c_str(), 0600), 0);
  std::string error;
  EXPECT_EQ(load_or_create_identity(root_, Counter(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr("is not an Ed25519 private key"));
  EXPECT_EQ(ReadFile(key_path()), "this is not a key\n");
}

TEST_F(KeyStoreTest, UnwritableDirIsAnError) {
  const std::string missing = root_ + "/no/such/dir";
  std::string error;
  EXPECT_EQ(load_or_create_identity(missing, Counter(), &error), nullptr);
  EXPECT_THAT(error, HasSubstr(missing + "/identity.key"));
}

}  // namespace
}  // namespace yz::runtime
