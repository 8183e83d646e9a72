#include "roles/runtime/key_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "roles/runtime/os_random.h"

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

// A deterministic source: 1, 2, 3, ... as bytes.
RandomSource Counter() {
  auto next = std::make_shared<unsigned char>(0);
  return [next](void* out, std::size_t size) {
    auto* bytes = static_cast<unsigned char*>(out);
    for (std::size_t i = 0; i < size; ++i) bytes[i] = ++*next;
    return std::string();
  };
}

// The error line of a load that must fail ("" when it did not).
std::string error_of(const absl::StatusOr<std::shared_ptr<const core::Identity>>& loaded) {
  return std::string(loaded.status().message());
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
  const auto loaded = load_or_create_identity(root_, Counter());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto& first = *loaded;
  EXPECT_EQ(ModeOf(key_path()), 0600u);
  EXPECT_THAT(ReadFile(key_path()), HasSubstr("-----BEGIN PRIVATE KEY-----"));
  EXPECT_EQ(ReadFile(root_ + "/node_id"), first->node_id().to_hex() + "\n");
  EXPECT_EQ(first->node_id(), core::node_id_for_key(first->public_key()));
  // A restart reads the same key, whatever the random source says now.
  const auto second = load_or_create_identity(
      root_, [](void*, std::size_t) { return std::string("getrandom: not needed"); });
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ((*second)->node_id(), first->node_id());
}

TEST_F(KeyStoreTest, KeyReadableByOthersIsRefused) {
  ASSERT_TRUE(load_or_create_identity(root_, Counter()).ok());
  ASSERT_EQ(::chmod(key_path().c_str(), 0644), 0);
  const std::string error = error_of(load_or_create_identity(root_, Counter()));
  EXPECT_THAT(error, HasSubstr("'" + key_path() + "'"));
  EXPECT_THAT(error, HasSubstr("0644"));
  EXPECT_THAT(error, HasSubstr("chmod 600"));
  ASSERT_EQ(::chmod(key_path().c_str(), 0640), 0);
  EXPECT_FALSE(load_or_create_identity(root_, Counter()).ok());
}

TEST_F(KeyStoreTest, MalformedKeyIsRefusedAndNeverOverwritten) {
  {
    std::ofstream out(key_path());
    out << "this is not a key\n";
  }
  ASSERT_EQ(::chmod(key_path().c_str(), 0600), 0);
  EXPECT_THAT(error_of(load_or_create_identity(root_, Counter())),
              HasSubstr("is not an Ed25519 private key"));
  EXPECT_EQ(ReadFile(key_path()), "this is not a key\n");
}

TEST_F(KeyStoreTest, UnwritableDirIsAnError) {
  const std::string missing = root_ + "/no/such/dir";
  EXPECT_THAT(error_of(load_or_create_identity(missing, Counter())),
              HasSubstr(missing + "/identity.key"));
}

// Issue 13: a failed getrandom used to give the words 0, 0, 0, 0 and so a
// key anyone could compute. Now the failure is the answer: no key, no
// file, and the reason in the error.
TEST_F(KeyStoreTest, FailingRandomSourceIsReportedNeverTurnedIntoAKey) {
  int calls = 0;
  const auto identity = load_or_create_identity(root_, [&calls](void* out, std::size_t size) {
    ++calls;
    std::memset(out, 0, size);  // what a careless caller would then use
    return std::string("getrandom: Function not implemented");
  });
  const std::string error = error_of(identity);
  EXPECT_FALSE(identity.ok());
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(error, HasSubstr("fatal: cannot read randomness from the kernel (getrandom: "
                               "Function not implemented)"));
  EXPECT_THAT(error, HasSubstr("'" + key_path() + "'"));
  EXPECT_FALSE(fs::exists(key_path()));
  EXPECT_FALSE(fs::exists(root_ + "/node_id"));
}

TEST_F(KeyStoreTest, TheKernelSourceFillsEveryByte) {
  unsigned char bytes[64] = {};
  ASSERT_EQ(os_random_fill(bytes, sizeof bytes), "");
  int zeros = 0;
  for (const unsigned char b : bytes) zeros += b == 0;
  EXPECT_LT(zeros, 16);  // 64 zero-initialised bytes were overwritten
}

}  // namespace
}  // namespace yz::runtime
