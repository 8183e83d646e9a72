#include "roles/core/faults.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace yz::core {
namespace {

TEST(FaultsTest, RegistryListsTheBugFamilyInOrder) {
  const auto faults = all_faults();
  ASSERT_EQ(faults.size(), 6u);
  EXPECT_EQ(faults[0].fault, Fault::kEarlyReturnRace);
  EXPECT_EQ(faults[0].name, "early_return_race");
  EXPECT_EQ(faults[1].fault, Fault::kReplacementCacheNoCallback);
  EXPECT_EQ(faults[1].name, "replacement_cache_no_callback");
  EXPECT_EQ(faults[2].name, "message_before_attach");
  EXPECT_EQ(faults[3].name, "pong_wrong_manager");
  EXPECT_EQ(faults[4].name, "lookup_no_termination");
  EXPECT_EQ(faults[5].fault, Fault::kShortBridgeWait);
  EXPECT_EQ(faults[5].name, "short_bridge_wait");
  for (const auto& info : faults) EXPECT_FALSE(info.summary.empty()) << info.name;
}

TEST(FaultsTest, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (const auto& info : all_faults()) {
    EXPECT_EQ(fault_from_name(info.name), info.fault);
    EXPECT_EQ(fault_name(info.fault), info.name);
    names.insert(info.name);
  }
  EXPECT_EQ(names.size(), all_faults().size());  // no two share a name
}

TEST(FaultsTest, UnknownNameIsNullopt) {
  EXPECT_EQ(fault_from_name(""), std::nullopt);
  EXPECT_EQ(fault_from_name("no_such_fault"), std::nullopt);
  EXPECT_EQ(fault_from_name("Early_Return_Race"), std::nullopt);  // exact match only
  EXPECT_EQ(fault_from_name("early_return_race "), std::nullopt);
}

TEST(FaultsTest, UnknownFaultHasPlaceholderName) {
  EXPECT_EQ(fault_name(static_cast<Fault>(31)), "unknown");
}

TEST(FaultSetTest, StartsEmpty) {
  FaultSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(set.names().empty());
  for (const auto& info : all_faults()) EXPECT_FALSE(set.has(info.fault));
}

TEST(FaultSetTest, EnableIsIndependentAndIdempotent) {
  FaultSet set;
  set.enable(Fault::kReplacementCacheNoCallback);
  set.enable(Fault::kReplacementCacheNoCallback);
  EXPECT_FALSE(set.empty());
  EXPECT_TRUE(set.has(Fault::kReplacementCacheNoCallback));
  EXPECT_FALSE(set.has(Fault::kEarlyReturnRace));
  EXPECT_EQ(set.names(), std::vector<std::string>{"replacement_cache_no_callback"});
}

TEST(FaultSetTest, NamesInRegistryOrderNotEnableOrder) {
  FaultSet set;
  set.enable(Fault::kReplacementCacheNoCallback);
  set.enable(Fault::kEarlyReturnRace);
  EXPECT_EQ(set.names(),
            (std::vector<std::string>{"early_return_race", "replacement_cache_no_callback"}));
}

}  // namespace
}  // namespace yz::core
