#include "roles/runtime/data_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

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

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

unsigned ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

// Names of the entries in `dir`, to prove no temp or probe file is left.
std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// A random source that returns 1, 2, 3, ... so ids are predictable.
std::function<std::uint64_t()> Counter() {
  auto next = std::make_shared<std::uint64_t>(0);
  return [next] { return ++*next; };
}

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/yz-data-dir-test-XXXXXX";
    ASSERT_NE(::mkdtemp(path), nullptr);
    root_ = path;
  }
  void TearDown() override {
    // Undo any chmod so the tree can be removed.
    std::error_code ec;
    fs::permissions(root_, fs::perms::owner_all, ec);
    for (const auto& entry : fs::recursive_directory_iterator(root_, ec)) {
      if (entry.is_directory(ec)) fs::permissions(entry.path(), fs::perms::owner_all, ec);
    }
    fs::remove_all(root_, ec);
  }

  std::string root_;
};

TEST_F(DataDirTest, CreatesNestedDirectoriesPrivately) {
  const std::string path = root_ + "/a/b/c";
  EXPECT_EQ(prepare_data_dir(path), "");
  EXPECT_TRUE(fs::is_directory(path));
  EXPECT_EQ(ModeOf(root_ + "/a"), 0700u);
  EXPECT_EQ(ModeOf(path), 0700u);
  // The write probe is gone.
  EXPECT_TRUE(Entries(path).empty());
}

TEST_F(DataDirTest, ExistingDirectoryIsFineAndKeepsItsMode) {
  ASSERT_EQ(::chmod(root_.c_str(), 0755), 0);
  EXPECT_EQ(prepare_data_dir(root_), "");
  EXPECT_EQ(ModeOf(root_), 0755u);
  EXPECT_EQ(prepare_data_dir(root_ + "/x/"), "");
  EXPECT_EQ(prepare_data_dir(root_ + "//y//z"), "");
  EXPECT_TRUE(fs::is_directory(root_ + "/y/z"));
}

TEST_F(DataDirTest, EmptyPathIsAnError) { EXPECT_THAT(prepare_data_dir(""), HasSubstr("empty")); }

TEST_F(DataDirTest, UnwritableDirectoryIsAnError) {
  if (::geteuid() == 0) {
    // Root ignores permission bits, so make creation fail another way.
    const std::string file = root_ + "/plain";
    WriteFile(file, "x");
    const std::string path = file + "/sub";
    const std::string error = prepare_data_dir(path);
    EXPECT_THAT(error, HasSubstr("'" + path + "'"));
    EXPECT_THAT(error, HasSubstr("Not a directory"));
  } else {
    const std::string dir = root_ + "/ro";
    ASSERT_EQ(::mkdir(dir.c_str(), 0500), 0);
    const std::string error = prepare_data_dir(dir);
    EXPECT_THAT(error, HasSubstr("'" + dir + "'"));
    EXPECT_THAT(error, HasSubstr("not writable"));
    EXPECT_THAT(error, HasSubstr("Permission denied"));
    const std::string sub_error = prepare_data_dir(dir + "/sub");
    EXPECT_THAT(sub_error, HasSubstr("'" + dir + "/sub'"));
    EXPECT_THAT(sub_error, HasSubstr("Permission denied"));
  }
}

TEST_F(DataDirTest, PathThroughARegularFileIsAnError) {
  const std::string file = root_ + "/plain";
  WriteFile(file, "x");
  const std::string error = prepare_data_dir(file + "/a/b");
  EXPECT_THAT(error, HasSubstr("'" + file + "/a/b'"));
  EXPECT_THAT(error, HasSubstr("'" + file + "/a'"));  // the component that failed
  EXPECT_THAT(error, HasSubstr("Not a directory"));
}

TEST_F(DataDirTest, RegularFileAsTheDirIsAnError) {
  const std::string file = root_ + "/plain";
  WriteFile(file, "x");
  const std::string error = prepare_data_dir(file);
  EXPECT_THAT(error, HasSubstr("'" + file + "'"));
  EXPECT_THAT(error, HasSubstr("Not a directory"));
}

TEST_F(DataDirTest, NodeIdIsCreatedOnceAndPersisted) {
  std::string error;
  const auto first = load_or_create_node_id(root_, Counter(), &error);
  ASSERT_TRUE(first.has_value()) << error;
  EXPECT_EQ(*first, core::NodeId::from_words(1, 2, 3));
  EXPECT_EQ(ReadFile(root_ + "/node_id"), first->to_hex() + "\n");
  EXPECT_EQ(ModeOf(root_ + "/node_id"), 0600u);
  EXPECT_EQ(Entries(root_), std::vector<std::string>{"node_id"});

  const auto second = load_or_create_node_id(
      root_,
      [] {
        ADD_FAILURE() << "an existing id must not draw randomness";
        return std::uint64_t{0};
      },
      &error);
  ASSERT_TRUE(second.has_value()) << error;
  EXPECT_EQ(*second, *first);
}

TEST_F(DataDirTest, NodeIdFileWithoutNewlineOrInUpperCase) {
  const std::string hex = "0123456789abcdef0123456789abcdef01234567";
  WriteFile(root_ + "/node_id", hex);
  std::string error;
  auto id = load_or_create_node_id(root_, Counter(), &error);
  ASSERT_TRUE(id.has_value()) << error;
  EXPECT_EQ(id->to_hex(), hex);

  WriteFile(root_ + "/node_id", "0123456789ABCDEF0123456789ABCDEF01234567\n");
  id = load_or_create_node_id(root_, Counter(), &error);
  ASSERT_TRUE(id.has_value()) << error;
  EXPECT_EQ(id->to_hex(), hex);
}

TEST_F(DataDirTest, CorruptNodeIdIsAnErrorAndIsKept) {
  const std::string path = root_ + "/node_id";
  for (const std::string& corrupt :
       {std::string(""), std::string("not hex at all"), std::string(39, 'a'), std::string(41, 'a'),
        std::string(40, 'a') + "\n\n", std::string(40, 'a') + " ", std::string(40, 'g'),
        std::string(40, 'a') + "\r\n", std::string(10000, 'a')}) {
    WriteFile(path, corrupt);
    std::string error;
    const auto id = load_or_create_node_id(root_, Counter(), &error);
    EXPECT_FALSE(id.has_value()) << corrupt.substr(0, 50);
    EXPECT_THAT(error, HasSubstr("'" + path + "'"));
    EXPECT_THAT(error, HasSubstr("corrupt"));
    EXPECT_EQ(ReadFile(path), corrupt);
  }
}

TEST_F(DataDirTest, UnreadableNodeIdIsAnError) {
  const std::string path = root_ + "/node_id";
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  std::string error;
  EXPECT_FALSE(load_or_create_node_id(root_, Counter(), &error).has_value());
  EXPECT_THAT(error, HasSubstr("'" + path + "'"));
  EXPECT_THAT(error, HasSubstr("Is a directory"));
}

TEST_F(DataDirTest, NodeIdInMissingDirIsAnError) {
  const std::string dir = root_ + "/missing";
  std::string error;
  EXPECT_FALSE(load_or_create_node_id(dir, Counter(), &error).has_value());
  EXPECT_THAT(error, HasSubstr("'" + dir + "/node_id'"));
  // A null error pointer is allowed.
  EXPECT_FALSE(load_or_create_node_id(dir, Counter(), nullptr).has_value());
}

TEST_F(DataDirTest, PortsFile) {
  EXPECT_EQ(write_ports_file(root_, "127.0.0.1:4000", "[::1]:8080", 42), "");
  EXPECT_EQ(ReadFile(root_ + "/ports.json"),
            "{\"listen\":\"127.0.0.1:4000\",\"http\":\"[::1]:8080\",\"pid\":42}\n");
  // Rewritten in place on a restart, leaving no temp file behind.
  EXPECT_EQ(write_ports_file(root_, "127.0.0.1:4001", "127.0.0.1:8081", 43), "");
  EXPECT_EQ(ReadFile(root_ + "/ports.json"),
            "{\"listen\":\"127.0.0.1:4001\",\"http\":\"127.0.0.1:8081\",\"pid\":43}\n");
  EXPECT_EQ(Entries(root_), std::vector<std::string>{"ports.json"});
}

TEST_F(DataDirTest, PortsFileInMissingDirIsAnError) {
  const std::string dir = root_ + "/missing";
  const std::string error = write_ports_file(dir, "127.0.0.1:1", "127.0.0.1:2", 1);
  EXPECT_THAT(error, HasSubstr("'" + dir + "/ports.json'"));
  EXPECT_THAT(error, HasSubstr("No such file"));
}

TEST_F(DataDirTest, WriteFileAtomicallySetsTheMode) {
  const std::string path = root_ + "/f";
  EXPECT_EQ(write_file_atomically(path, "abc", 0640), "");
  EXPECT_EQ(ReadFile(path), "abc");
  EXPECT_EQ(ModeOf(path), 0640u);
}

}  // namespace
}  // namespace yz::runtime
