#include "roles/core/lookup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace yz::core {
namespace {

// With the target at zero an id's XOR distance is the id itself, so Id(n)
// sits at distance n and orders read as plain numbers.
const NodeId kTarget;
const NodeId kSelf = NodeId::from_words(~0ULL, ~0ULL, ~0ULL);

NodeId Id(std::uint32_t n) { return NodeId::from_words(0, 0, std::uint64_t{n} << 32); }

PeerInfo Peer(const NodeId& id) {
  PeerInfo p;
  p.node_id = id;
  p.metadata.role = Role::kNode;
  return p;
}

std::vector<PeerInfo> Peers(std::initializer_list<std::uint32_t> ns) {
  std::vector<PeerInfo> out;
  for (std::uint32_t n : ns) out.push_back(Peer(Id(n)));
  return out;
}

std::vector<NodeId> Ids(const std::vector<PeerInfo>& peers) {
  std::vector<NodeId> out;
  for (const auto& p : peers) out.push_back(p.node_id);
  return out;
}

std::vector<NodeId> Ids(std::initializer_list<std::uint32_t> ns) {
  std::vector<NodeId> out;
  for (std::uint32_t n : ns) out.push_back(Id(n));
  return out;
}

TEST(LookupTest, AsksClosestFirstUpToAlpha) {
  Lookup lookup(kSelf, kTarget, /*k=*/20, /*alpha=*/3);
  lookup.add_candidates(Peers({9, 4, 7, 1, 8, 3}));

  EXPECT_EQ(Ids(lookup.next_queries()), Ids({1, 3, 4}));
  // Alpha are in flight: nothing more until one returns.
  EXPECT_TRUE(lookup.next_queries().empty());
  EXPECT_FALSE(lookup.done());

  lookup.on_answer(Id(3), {});
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({7}));
  EXPECT_TRUE(lookup.next_queries().empty());
}

TEST(LookupTest, LearnedCloserCandidatesJumpTheQueue) {
  Lookup lookup(kSelf, kTarget, 20, 1);
  lookup.add_candidates(Peers({50, 60, 70}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({50}));
  lookup.on_answer(Id(50), Peers({5, 90}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({5}));
  lookup.on_answer(Id(5), {});
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({60}));
}

TEST(LookupTest, IgnoresSelfAndDuplicates) {
  Lookup lookup(kSelf, kTarget, 20, 10);
  lookup.add_candidates({Peer(kSelf), Peer(Id(2)), Peer(Id(2))});
  lookup.add_candidates(Peers({2}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({2}));
  // A peer that names us back does not make us a candidate.
  lookup.on_answer(Id(2), {Peer(kSelf)});
  EXPECT_TRUE(lookup.next_queries().empty());
  EXPECT_TRUE(lookup.done());
  const LookupResult result = lookup.result();
  EXPECT_EQ(Ids(result.closest), Ids({2}));
  EXPECT_EQ(result.queried, 1u);
}

TEST(LookupTest, DoneOnlyWhenKClosestAnswered) {
  Lookup lookup(kSelf, kTarget, /*k=*/3, /*alpha=*/3);
  lookup.add_candidates(Peers({1, 2, 3, 4, 5}));
  EXPECT_FALSE(lookup.done());  // nobody asked yet
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({1, 2, 3}));

  lookup.on_answer(Id(1), {});
  lookup.on_answer(Id(2), {});
  EXPECT_FALSE(lookup.done());  // 3 still in flight
  lookup.on_answer(Id(3), {});
  EXPECT_TRUE(lookup.done());
  // 4 and 5 are farther than the k closest answered: never asked.
  EXPECT_TRUE(lookup.next_queries().empty());
  const LookupResult result = lookup.result();
  EXPECT_EQ(Ids(result.closest), Ids({1, 2, 3}));
  EXPECT_EQ(result.queried, 3u);
  EXPECT_EQ(result.answered, 3u);
  EXPECT_EQ(result.failed, 0u);
  EXPECT_FALSE(result.timed_out());
}

// With alpha = 1 the lookup goes one peer at a time, so "done" cannot hide
// behind peers still in flight: all k closest must have answered.
TEST(LookupTest, OneAtATimeAsksAllKClosest) {
  Lookup lookup(kSelf, kTarget, /*k=*/4, /*alpha=*/1);
  lookup.add_candidates(Peers({6, 5, 4, 3, 2, 1}));
  for (std::uint32_t n = 1; n <= 4; ++n) {
    EXPECT_FALSE(lookup.done()) << "before asking " << n;
    EXPECT_EQ(Ids(lookup.next_queries()), Ids({n}));
    lookup.on_answer(Id(n), {});
  }
  EXPECT_TRUE(lookup.done());
  EXPECT_EQ(lookup.result().queried, 4u);
  EXPECT_EQ(Ids(lookup.result().closest), Ids({1, 2, 3, 4}));
}

TEST(LookupTest, NotDoneWhileACloserCandidateIsUnasked) {
  Lookup lookup(kSelf, kTarget, 3, 3);
  lookup.add_candidates(Peers({5, 6, 7}));
  lookup.next_queries();
  lookup.on_answer(Id(5), Peers({1}));
  lookup.on_answer(Id(6), {});
  lookup.on_answer(Id(7), {});
  // 5, 6, 7 all answered but 1 is now among the k closest and fresh.
  EXPECT_FALSE(lookup.done());
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({1}));
  EXPECT_FALSE(lookup.done());
  lookup.on_answer(Id(1), {});
  EXPECT_TRUE(lookup.done());
  EXPECT_EQ(Ids(lookup.result().closest), Ids({1, 5, 6}));
}

TEST(LookupTest, FailuresAreExcludedAndReplaced) {
  Lookup lookup(kSelf, kTarget, 3, 3);
  lookup.add_candidates(Peers({1, 2, 3, 4, 5}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({1, 2, 3}));
  lookup.on_failure(Id(1));
  // With 1 failed, the k closest still standing are 2, 3, 4.
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({4}));
  lookup.on_answer(Id(2), {});
  lookup.on_answer(Id(3), {});
  EXPECT_FALSE(lookup.done());
  lookup.on_answer(Id(4), {});
  EXPECT_TRUE(lookup.done());
  const LookupResult result = lookup.result();
  EXPECT_EQ(Ids(result.closest), Ids({2, 3, 4}));
  EXPECT_EQ(result.failed, 1u);
  EXPECT_EQ(result.answered, 3u);
  EXPECT_EQ(result.queried, 4u);
  // A failed peer named again by someone else is not asked again.
  lookup.add_candidates(Peers({1}));
  EXPECT_TRUE(lookup.next_queries().empty());
}

TEST(LookupTest, LateOrUnknownReportsAreIgnored) {
  Lookup lookup(kSelf, kTarget, 3, 3);
  lookup.add_candidates(Peers({1, 2}));
  lookup.next_queries();
  lookup.on_failure(Id(1));
  lookup.on_answer(Id(1), Peers({0x10}));   // too late: already failed
  lookup.on_answer(Id(99), Peers({0x11}));  // never asked
  lookup.on_answer(Id(2), {});
  lookup.on_answer(Id(2), Peers({0x12}));  // twice
  EXPECT_TRUE(lookup.done());
  const LookupResult result = lookup.result();
  EXPECT_EQ(result.answered, 1u);
  EXPECT_EQ(result.failed, 1u);
  EXPECT_EQ(Ids(result.closest), Ids({2}));
}

TEST(LookupTest, TimedOutWhenNobodyAnswered) {
  Lookup lookup(kSelf, kTarget, 3, 3);
  lookup.add_candidates(Peers({1, 2}));
  lookup.next_queries();
  lookup.on_failure(Id(1));
  EXPECT_FALSE(lookup.done());
  lookup.on_failure(Id(2));
  EXPECT_TRUE(lookup.done());
  const LookupResult result = lookup.result();
  EXPECT_TRUE(result.timed_out());
  EXPECT_TRUE(result.closest.empty());
  EXPECT_EQ(result.queried, 2u);
  EXPECT_EQ(result.target, kTarget);
}

TEST(LookupTest, NoCandidatesIsDoneButNotTimedOut) {
  Lookup lookup(kSelf, kTarget, 3, 3);
  EXPECT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.next_queries().empty());
  EXPECT_FALSE(lookup.result().timed_out());
}

TEST(LookupTest, ResultSortedAndCappedAtK) {
  Lookup lookup(kSelf, kTarget, /*k=*/3, /*alpha=*/10);
  lookup.add_candidates(Peers({40, 30, 20}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({20, 30, 40}));
  lookup.on_answer(Id(40), Peers({3}));
  lookup.on_answer(Id(20), Peers({2}));
  lookup.on_answer(Id(30), Peers({1}));
  EXPECT_EQ(Ids(lookup.next_queries()), Ids({1, 2, 3}));
  lookup.on_answer(Id(2), {});
  lookup.on_answer(Id(3), {});
  lookup.on_answer(Id(1), {});
  ASSERT_TRUE(lookup.done());
  const LookupResult result = lookup.result();
  EXPECT_EQ(result.answered, 6u);
  EXPECT_EQ(Ids(result.closest), Ids({1, 2, 3}));
}

// ---- convergence on a static network ---------------------------------------

// Each node's table holds every member of each of its buckets that has at
// most k members, and k members (picked at random) of each larger one, plus
// some random extras. Answers are the k closest in the table, as
// Dht::answer_find_node gives them. For such tables a lookup by an outsider
// that runs to completion must return exactly the k closest nodes:
//  - a node s of the true k closest that the lookup learns of ends among
//    the k closest known, so it is asked and is in the result;
//  - suppose s is never learned of. Take any r of the final k closest known
//    (all answered) and c = bucket_index(r, s). If r's bucket c has at most
//    k members, r knows s, so r's answer holds s or k nodes closer than s:
//    both impossible. Otherwise r knows k members of bucket c, all of which
//    share s's bits from c up. If the target shares s's bit c they are all
//    closer to the target than r, so r's answer names k nodes closer than r,
//    yet fewer than k known nodes are closer than r: impossible. So the
//    target shares r's bit c, which makes r closer than s. That holds for
//    all k of them, so s is not among the k closest: a contradiction.
class StaticNetwork {
 public:
  // `extras`: also each node's k closest and a few random others, as a real
  // table would hold; without them the tables are the bare minimum the
  // argument needs, which makes lookups take more steps.
  StaticNetwork(std::size_t size, std::size_t k, bool extras, std::uint64_t seed)
      : k_(k), rng_(seed) {
    std::set<NodeId> unique;
    while (unique.size() < size) unique.insert(RandomId());
    ids_.assign(unique.begin(), unique.end());
    for (const NodeId& x : ids_) {
      std::map<int, std::vector<NodeId>> buckets;
      for (const NodeId& y : ids_)
        if (y != x) buckets[bucket_index(x, y)].push_back(y);
      std::set<NodeId>& table = tables_[x];
      for (auto& [index, members] : buckets) {
        if (members.size() > k_) Shuffle(members);
        for (std::size_t i = 0; i < members.size() && i < k_; ++i) table.insert(members[i]);
      }
      if (!extras) continue;
      for (const NodeId& y : Closest(x, k_ + 1))
        if (y != x) table.insert(y);
      for (int i = 0; i < 5; ++i) {
        const NodeId& y = ids_[rng_() % ids_.size()];
        if (y != x) table.insert(y);
      }
    }
  }

  NodeId RandomId() { return NodeId::from_words(rng_(), rng_(), rng_()); }
  std::uint64_t Next() { return rng_(); }
  const std::vector<NodeId>& ids() const { return ids_; }

  std::vector<NodeId> Closest(const NodeId& target, std::size_t count) const {
    std::vector<NodeId> sorted = ids_;
    std::sort(sorted.begin(), sorted.end(),
              [&](const NodeId& a, const NodeId& b) { return closer_to(target, a, b); });
    sorted.resize(std::min(count, sorted.size()));
    return sorted;
  }

  std::vector<PeerInfo> Answer(const NodeId& node, const NodeId& target) const {
    std::vector<NodeId> table(tables_.at(node).begin(), tables_.at(node).end());
    std::sort(table.begin(), table.end(),
              [&](const NodeId& a, const NodeId& b) { return closer_to(target, a, b); });
    std::vector<PeerInfo> out;
    for (std::size_t i = 0; i < table.size() && i < k_; ++i) out.push_back(Peer(table[i]));
    return out;
  }

 private:
  void Shuffle(std::vector<NodeId>& v) {
    // Fisher-Yates on the raw engine output: std::shuffle's use of the
    // engine differs between standard libraries.
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng_() % i]);
  }

  std::size_t k_;
  std::mt19937_64 rng_;
  std::vector<NodeId> ids_;
  std::map<NodeId, std::set<NodeId>> tables_;
};

class LookupConvergenceTest : public ::testing::TestWithParam<bool> {};

TEST_P(LookupConvergenceTest, FindsExactlyTheKClosest) {
  constexpr std::size_t kNodes = 300;
  constexpr std::size_t kK = 20;
  StaticNetwork net(kNodes, kK, /*extras=*/GetParam(), /*seed=*/20251203);
  for (int trial = 0; trial < 200; ++trial) {
    // Half the targets are random ids, half are members' own ids (a lookup
    // of an existing node must find that node first).
    const NodeId target =
        trial % 2 == 0 ? net.RandomId() : net.ids()[net.Next() % net.ids().size()];
    const NodeId self = net.RandomId();  // an outsider, like a newcomer
    Lookup lookup(self, target, kK, /*alpha=*/3);
    lookup.add_candidates({Peer(net.ids()[net.Next() % net.ids().size()])});

    std::vector<NodeId> in_flight;
    std::size_t rounds = 0;
    while (!lookup.done()) {
      for (const PeerInfo& p : lookup.next_queries()) in_flight.push_back(p.node_id);
      ASSERT_FALSE(in_flight.empty()) << "not done but nothing to ask or wait for";
      // Answers come back in a random order, not the order asked.
      const std::size_t pick = net.Next() % in_flight.size();
      const NodeId asked = in_flight[pick];
      in_flight.erase(in_flight.begin() + static_cast<std::ptrdiff_t>(pick));
      lookup.on_answer(asked, net.Answer(asked, target));
      ASSERT_LT(++rounds, kNodes) << "lookup asked more nodes than exist";
    }
    EXPECT_TRUE(in_flight.empty());
    const LookupResult result = lookup.result();
    EXPECT_EQ(Ids(result.closest), net.Closest(target, kK)) << "trial " << trial;
    EXPECT_EQ(result.failed, 0u);
    EXPECT_FALSE(result.timed_out());
  }
}

INSTANTIATE_TEST_SUITE_P(Tables, LookupConvergenceTest, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return std::string(param_info.param ? "WithExtras" : "BucketsOnly");
                         });

}  // namespace
}  // namespace yz::core
