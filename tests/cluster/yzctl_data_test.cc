// yzctl put and yzctl get against real role processes (issue 17): values
// put through one member are found through every other, with the holders
// the write quorum promises; bad input is refused with exit 2 and a line
// naming the problem.
#include <algorithm>
#include <set>

#include "cluster/cluster_state.h"
#include "tests/cluster/yzctl_fixture.h"

namespace yz::cluster::testing {
namespace {

constexpr std::size_t kWriteQuorum = 3;  // W of docs/operations.md

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::optional<json::Value> parse_json(const RunResult& r) {
  std::string why;
  auto value = json::parse(r.out, &why);
  EXPECT_TRUE(value.has_value()) << why << "\n" << r.out << r.err;
  return value;
}

std::vector<std::string> names_at(const json::Value& v, const std::string& key) {
  std::vector<std::string> names;
  if (const json::Value* list = v.find(key))
    for (const json::Value& h : list->items()) names.push_back(h.string_at("name"));
  return names;
}

class YzctlData : public YzctlTest {
 protected:
  // Starts a small cluster and waits until every member has joined; fills
  // `members_` (genesis, bridges, nodes) and `holders_possible_` (those that
  // may hold values: every member but the bridges).
  void up() {
    const RunResult up = yzctl({"up", "--nodes", "4", "--bridges", "1", "--time-scale", "10"});
    ASSERT_EQ(up.exit_code, 0) << up.out << up.err;
    const RunResult wait = yzctl({"wait", "--healthy", "--timeout", "90s"});
    ASSERT_EQ(wait.exit_code, 0) << wait.out << wait.err;
    const auto cluster = read_cluster(dir_);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    for (const ProcessRecord& p : cluster->processes) {
      if (p.role == "bootstrap") continue;
      members_.push_back(p.name);
      if (p.role != "bridge") ++holders_possible_;
    }
    ASSERT_EQ(members_.size(), 6u);
  }

  std::vector<std::string> members_;
  std::size_t holders_possible_ = 0;
};

TEST_F(YzctlData, PutThroughEachMemberGetThroughAnother) {
  ASSERT_NO_FATAL_FAILURE(up());
  const std::set<std::string> known(members_.begin(), members_.end());
  const std::size_t want_holders = std::min(kWriteQuorum, holders_possible_);
  for (std::size_t i = 0; i < 20; ++i) {
    const std::string key = "key-" + std::to_string(i) + "/ü";
    const std::string value = "value " + std::to_string(i) + " \"quoted\"\nsecond line";
    const std::string put_via = members_[i % members_.size()];
    const std::string get_via = members_[(i + 1 + i / members_.size()) % members_.size()];
    ASSERT_NE(put_via, get_via);

    const RunResult put = yzctl({"put", key, value, "--via", put_via, "--json"});
    ASSERT_EQ(put.exit_code, 0) << key << "\n" << put.out << put.err;
    const auto stored = parse_json(put);
    ASSERT_TRUE(stored);
    EXPECT_TRUE(stored->bool_at("ok")) << put.out;
    EXPECT_EQ(stored->string_at("via"), put_via);
    EXPECT_EQ(stored->string_at("key"), key);
    EXPECT_EQ(stored->string_at("keyId").size(), 40u) << put.out;
    const std::vector<std::string> holders = names_at(*stored, "holders");
    EXPECT_GE(holders.size(), want_holders) << put.out;
    for (const std::string& h : holders) {
      EXPECT_TRUE(known.contains(h)) << "holder " << h << " is no member: " << put.out;
      EXPECT_EQ(h.rfind("bridge", 0), std::string::npos) << "a bridge holds a value: " << put.out;
    }
    EXPECT_GE(stored->double_at("tookMs", -1), 0.0) << put.out;

    const RunResult get = yzctl({"get", key, "--via", get_via, "--json"});
    ASSERT_EQ(get.exit_code, 0) << key << " via " << get_via << "\n" << get.out << get.err;
    const auto found = parse_json(get);
    ASSERT_TRUE(found);
    EXPECT_TRUE(found->bool_at("found")) << get.out;
    EXPECT_EQ(found->string_at("value"), value) << get.out;
    EXPECT_EQ(found->string_at("keyId"), stored->string_at("keyId"));
    ASSERT_EQ(found->find("values")->items().size(), 1u) << get.out;
    EXPECT_EQ(found->find("values")->items()[0].uint_at("seq"), stored->uint_at("seq"));
    const std::vector<std::string> sources = names_at(*found, "sources");
    EXPECT_FALSE(sources.empty()) << get.out;
    for (const std::string& s : sources) EXPECT_TRUE(known.contains(s)) << s << ": " << get.out;
  }

  // The human form, through the default member: the value, where it came
  // from, how long it took.
  const RunResult get = yzctl({"get", "key-3/ü"});
  ASSERT_EQ(get.exit_code, 0) << get.out << get.err;
  EXPECT_TRUE(contains(get.out, "value     value 3 \"quoted\"\nsecond line\n")) << get.out;
  EXPECT_TRUE(contains(get.out, "from      ")) << get.out;
  EXPECT_TRUE(contains(get.out, " ms in dht-node-")) << get.out;

  // A key nobody put: exit 1, said so.
  const RunResult missing = yzctl({"get", "never-put", "--via", members_.back()});
  EXPECT_EQ(missing.exit_code, 1) << missing.out << missing.err;
  EXPECT_TRUE(contains(missing.err, "not_found")) << missing.err;

  // A later put of the same key through the same member wins.
  ASSERT_EQ(yzctl({"put", "counter", "1", "--via", "dht-node-2"}).exit_code, 0);
  // (--dir before the --: after it every word is the key or the value.)
  const RunResult minus =
      run_yzctl({"put", "counter", "--via", "dht-node-2", "--dir", dir_, "--", "-2"});
  ASSERT_EQ(minus.exit_code, 0) << minus.out << minus.err;
  const RunResult counter = yzctl({"get", "counter", "--via", "dht-node-4", "--json"});
  ASSERT_EQ(counter.exit_code, 0) << counter.out << counter.err;
  const auto latest = parse_json(counter);
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->string_at("value"), "-2") << counter.out;
}

TEST_F(YzctlData, BadInputIsRefusedWithExit2) {
  // Without a cluster: exit 2, naming the folder.
  const RunResult none = yzctl({"get", "k"});
  EXPECT_EQ(none.exit_code, 2) << none.out << none.err;
  EXPECT_TRUE(contains(none.err, "no cluster in")) << none.err;

  ASSERT_NO_FATAL_FAILURE(up());
  const std::string big_key(257, 'k');
  const std::string big_value(64 * 1024 + 1, 'v');
  const struct {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"put", "only-key"}, "yzctl put takes KEY VALUE, got 1 word"},
      {{"get"}, "yzctl get takes KEY, got 0 words"},
      {{"get", "a", "b"}, "yzctl get takes KEY, got 2 words"},
      {{"put", "", "v"}, "key is empty"},
      {{"get", big_key}, "key is 257 bytes; the limit is 256"},
      {{"get", std::string("bad\xff", 4)}, "key is not valid UTF-8 (at byte 3)"},
      {{"put", "k", big_value}, "value is 65537 bytes; the limit is 65536"},
      {{"put", "k", "v", "--via", "nosuch"}, "unknown process 'nosuch'"},
      {{"get", "k", "--via", "bootstrap"}, "the bootstrap is not a DHT member"},
      {{"get", "k", "--timeout", "soon"}, "invalid --timeout 'soon'"},
      {{"get", "k", "--timeout", "5"}, "invalid --timeout '5'"},
      {{"get", "k", "--frobnicate"}, "unknown flag --frobnicate for yzctl get"},
  };
  for (const auto& c : cases) {
    const RunResult r = yzctl(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args[0] << " " << c.message << "\n" << r.out << r.err;
    EXPECT_TRUE(contains(r.err, c.message)) << "want '" << c.message << "', got: " << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }

  // A member that is down: exit 1, with the command that starts it.
  ASSERT_EQ(yzctl({"stop", "dht-node-3"}).exit_code, 0);
  const RunResult down = yzctl({"put", "k", "v", "--via", "dht-node-3"});
  EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
  EXPECT_TRUE(contains(down.err, "dht-node-3 is not running (yzctl start dht-node-3")) << down.err;
}

}  // namespace
}  // namespace yz::cluster::testing
