#include "roles/runtime/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "roles/core/faults.h"
#include "roles/core/timing.h"
#include "roles/runtime/duration.h"

namespace yz::runtime {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr core::Duration kMs = core::kMillisecond;
constexpr core::Duration kS = core::kSecond;

// An environment the test owns, so nothing depends on (or changes) the
// process environment.
class FakeEnvVars {
 public:
  FakeEnvVars() = default;
  explicit FakeEnvVars(std::map<std::string, std::string> vars) : vars_(std::move(vars)) {}

  std::function<const char*(const char*)> getter() {
    return [this](const char* name) -> const char* {
      queried_.insert(name);
      const auto it = vars_.find(name);
      return it == vars_.end() ? nullptr : it->second.c_str();
    };
  }
  const std::set<std::string>& queried() const { return queried_; }

 private:
  std::map<std::string, std::string> vars_;
  std::set<std::string> queried_;
};

FlagsParse Parse(core::Role role, std::vector<std::string> args,
                 std::map<std::string, std::string> env = {}) {
  FakeEnvVars vars(std::move(env));
  return parse_flags(role, args, vars.getter());
}

// A node's arguments with the one required flag already given.
FlagsParse ParseNode(std::vector<std::string> args, std::map<std::string, std::string> env = {}) {
  args.insert(args.begin(), {"--bootstrap", "127.0.0.1:9000"});
  return Parse(core::Role::kNode, std::move(args), std::move(env));
}

// Asserts the parse failed the way a process must: status 2, one line.
void ExpectError(const FlagsParse& parse, const std::vector<std::string>& mentions) {
  EXPECT_FALSE(parse.flags.has_value());
  EXPECT_EQ(parse.exit_code, 2);
  EXPECT_TRUE(parse.output.empty());
  EXPECT_FALSE(parse.error.empty());
  EXPECT_EQ(parse.error.find('\n'), std::string::npos) << parse.error;
  for (const std::string& m : mentions) EXPECT_THAT(parse.error, HasSubstr(m));
}

// The timing flags the issue names, one per field of core::Timing.
const std::vector<std::string>& TimingFlagNames() {
  static const std::vector<std::string> names = {
      "--health-check-interval",
      "--health-failure-limit",
      "--startup-grace",
      "--find-node-timeout-connected",
      "--find-node-timeout",
      "--onboarding-bridge-timeout",
      "--invitation-timeout",
      "--invitation-expiry",
      "--emergency-throttle",
      "--emergency-throttle-connected",
      "--emergency-min-connections",
      "--handshake-timeout",
      "--emergency-min-routing-entries",
      "--onboarding-give-up",
      "--k",
      "--alpha",
      "--helper-candidates",
      "--value-ttl",
      "--republish-interval",
      "--put-write-quorum",
      "--put-timeout",
      "--get-timeout",
      // Limits (roles/core/rate_limit.h), in core::Timing::limits.
      "--limit-frames-per-second",
      "--limit-frames-burst",
      "--limit-lookups-per-second",
      "--limit-lookups-burst",
      "--limit-registrations-per-second",
      "--limit-registrations-burst",
      "--max-inbound-links",
      "--max-bootstrap-links",
      "--max-unauthenticated-links",
      "--max-unauthenticated-per-address",
      "--max-value-bytes",
      "--max-values-per-node",
      "--max-value-bytes-per-node",
      "--max-values-per-publisher",
      "--max-value-bytes-per-publisher",
  };
  return names;
}

// ---- durations ----

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(parse_duration("250ms"), 250 * kMs);
  EXPECT_EQ(parse_duration("30s"), 30 * kS);
  EXPECT_EQ(parse_duration("2m"), 120 * kS);
  EXPECT_EQ(parse_duration("1h"), 3600 * kS);
  EXPECT_EQ(parse_duration("1500us"), 1'500'000);
  EXPECT_EQ(parse_duration("7ns"), 7);
  EXPECT_EQ(parse_duration("0s"), 0);
}

TEST(DurationTest, BareNumberIsMilliseconds) {
  EXPECT_EQ(parse_duration("500"), 500 * kMs);
  EXPECT_EQ(parse_duration("0"), 0);
}

TEST(DurationTest, RejectsMalformedInput) {
  for (const char* bad : {"", "-1", "-5s", "+5s", "1.5s", "s", "ms", "10x", " 1s", "1s ", "1 s",
                          "1S", "1sec", "1m30s", "0x10", "1e3"}) {
    EXPECT_EQ(parse_duration(bad), std::nullopt) << bad;
  }
}

TEST(DurationTest, RejectsOverflow) {
  EXPECT_EQ(parse_duration("9223372036854775807ns"), INT64_MAX);
  EXPECT_EQ(parse_duration("9223372036854775808ns"), std::nullopt);
  EXPECT_EQ(parse_duration("99999999999999999999"), std::nullopt);
  EXPECT_EQ(parse_duration("9223372036855s"), std::nullopt);
  EXPECT_EQ(parse_duration("2562048h"), std::nullopt);
}

TEST(DurationTest, FormatsInTheLargestExactUnit) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(30 * kS), "30s");
  EXPECT_EQ(format_duration(90 * kS), "90s");
  EXPECT_EQ(format_duration(120 * kS), "2m");
  EXPECT_EQ(format_duration(3600 * kS), "1h");
  EXPECT_EQ(format_duration(250 * kMs), "250ms");
  EXPECT_EQ(format_duration(1'500'000), "1500us");
  EXPECT_EQ(format_duration(7), "7ns");
  EXPECT_EQ(format_duration(-30 * kS), "-30s");
}

TEST(DurationTest, FormatRoundTrips) {
  for (const core::Duration d : {core::Duration{1}, 999 * kMs, 30 * 60 * kS, 61 * kS,
                                 core::Duration{INT64_MAX}, 1'000 * kS + 1}) {
    EXPECT_EQ(parse_duration(format_duration(d)), d) << format_duration(d);
  }
}

// ---- defaults ----

TEST(FlagsTest, DefaultsMatchTheOriginal) {
  const FlagsParse parse = ParseNode({});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.exit_code, 0);
  const RuntimeFlags& f = *parse.flags;
  const core::Timing want;
  EXPECT_EQ(f.role, core::Role::kNode);
  EXPECT_EQ(f.listen, "127.0.0.1:0");
  EXPECT_EQ(f.http, "127.0.0.1:0");
  EXPECT_EQ(f.bootstrap, "127.0.0.1:9000");
  EXPECT_EQ(f.name, "node");
  EXPECT_EQ(f.data_dir, ".yz/node");
  EXPECT_TRUE(f.faults.empty());
  EXPECT_EQ(f.log_level, core::LogLevel::kWarn);
  EXPECT_EQ(f.log_format, RuntimeFlags::LogFormat::kText);
  EXPECT_TRUE(f.bridge_auth.empty());
  EXPECT_FALSE(f.check_config);
  EXPECT_EQ(f.timing.health_check_interval, want.health_check_interval);
  EXPECT_EQ(f.timing.health_check_interval, 30 * kS);
  EXPECT_EQ(f.timing.health_failure_limit, want.health_failure_limit);
  EXPECT_EQ(f.timing.startup_grace, want.startup_grace);
  EXPECT_EQ(f.timing.find_node_timeout_connected, want.find_node_timeout_connected);
  EXPECT_EQ(f.timing.find_node_timeout, want.find_node_timeout);
  EXPECT_EQ(f.timing.onboarding_bridge_timeout, want.onboarding_bridge_timeout);
  EXPECT_EQ(f.timing.invitation_timeout, want.invitation_timeout);
  EXPECT_EQ(f.timing.invitation_expiry, want.invitation_expiry);
  EXPECT_EQ(f.timing.emergency_throttle, want.emergency_throttle);
  EXPECT_EQ(f.timing.emergency_throttle_connected, want.emergency_throttle_connected);
  EXPECT_EQ(f.timing.emergency_min_connections, want.emergency_min_connections);
  EXPECT_EQ(f.timing.emergency_min_routing_entries, want.emergency_min_routing_entries);
  EXPECT_EQ(f.timing.onboarding_give_up, want.onboarding_give_up);
  EXPECT_EQ(f.timing.k, want.k);
  EXPECT_EQ(f.timing.alpha, want.alpha);
  EXPECT_EQ(f.timing.helper_candidates, want.helper_candidates);
}

TEST(FlagsTest, NameDefaultsToTheRoleAndDataDirToTheName) {
  const FlagsParse bridge =
      Parse(core::Role::kBridge, {"--bootstrap", "h:1"}, {{"BRIDGE_AUTH", "s"}});
  ASSERT_TRUE(bridge.flags.has_value()) << bridge.error;
  EXPECT_EQ(bridge.flags->name, "bridge");
  EXPECT_EQ(bridge.flags->data_dir, ".yz/bridge");

  const FlagsParse genesis =
      Parse(core::Role::kGenesis, {"--bootstrap", "h:1"}, {{"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(genesis.flags.has_value()) << genesis.error;
  EXPECT_EQ(genesis.flags->name, "genesis");

  const FlagsParse named = ParseNode({"--name", "dht-node-3"});
  ASSERT_TRUE(named.flags.has_value()) << named.error;
  EXPECT_EQ(named.flags->name, "dht-node-3");
  EXPECT_EQ(named.flags->data_dir, ".yz/dht-node-3");

  const FlagsParse explicit_dir = ParseNode({"--data-dir", "/var/lib/yz", "--name", "n1"});
  ASSERT_TRUE(explicit_dir.flags.has_value()) << explicit_dir.error;
  EXPECT_EQ(explicit_dir.flags->data_dir, "/var/lib/yz");
}

TEST(FlagsTest, DescribedDefaultsMatchTheParsedDefaults) {
  std::map<std::string, std::string> shown;
  for (const FlagInfo& info : describe_flags(core::Role::kNode)) {
    shown[info.name] = info.default_value;
  }
  EXPECT_EQ(shown["--listen"], "127.0.0.1:0");
  EXPECT_EQ(shown["--name"], "node");
  EXPECT_EQ(shown["--data-dir"], ".yz/node");
  EXPECT_EQ(shown["--health-check-interval"], "30s");
  EXPECT_EQ(shown["--invitation-expiry"], "30m");
  EXPECT_EQ(shown["--emergency-throttle-connected"], "2m");
  EXPECT_EQ(shown["--k"], "20");
  EXPECT_EQ(shown["--alpha"], "3");
  EXPECT_EQ(shown["--log-level"], "warn");
  EXPECT_EQ(shown["--log-format"], "text");
}

// ---- forms ----

TEST(FlagsTest, AcceptsBothValueForms) {
  const FlagsParse parse = ParseNode({"--listen=0.0.0.0:4000", "--http", "127.0.0.1:8080",
                                      "--health-check-interval=1s", "--name", "a"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->listen, "0.0.0.0:4000");
  EXPECT_EQ(parse.flags->http, "127.0.0.1:8080");
  EXPECT_EQ(parse.flags->timing.health_check_interval, kS);
}

TEST(FlagsTest, EqualsFormAllowsValuesThatLookLikeFlags) {
  const FlagsParse parse = ParseNode({"--data-dir=--odd"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->data_dir, "--odd");
}

TEST(FlagsTest, LaterOccurrenceWins) {
  const FlagsParse parse = ParseNode({"--listen", "h:1", "--listen", "h:2"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->listen, "h:2");
}

// ---- help and version ----

TEST(FlagsTest, HelpListsEveryFlagWithDefaultAndEnvVar) {
  const FlagsParse parse = Parse(core::Role::kNode, {"--help"});
  EXPECT_EQ(parse.exit_code, 0);
  EXPECT_FALSE(parse.flags.has_value());
  EXPECT_TRUE(parse.error.empty());
  EXPECT_THAT(parse.output, HasSubstr("Usage: yz-node"));
  EXPECT_EQ(parse.output.back(), '\n');
  // Help text is word-wrapped; compare with runs of whitespace collapsed.
  std::string flat;
  for (const char c : parse.output) {
    const bool space = c == ' ' || c == '\n';
    if (!space || (!flat.empty() && flat.back() != ' ')) flat += space ? ' ' : c;
  }
  const auto infos = describe_flags(core::Role::kNode);
  ASSERT_FALSE(infos.empty());
  for (const FlagInfo& info : infos) {
    EXPECT_THAT(parse.output,
                HasSubstr("\n  " + info.name + (info.value_name.empty() ? "\n" : " ")))
        << info.name;
    EXPECT_THAT(flat, HasSubstr(info.help)) << info.name;
    if (!info.default_value.empty()) {
      EXPECT_THAT(flat, HasSubstr("default " + info.default_value)) << info.name;
    }
    if (!info.env_var.empty()) {
      EXPECT_EQ(info.env_var, env_var_name(info.name));
      EXPECT_THAT(flat, HasSubstr("env " + info.env_var)) << info.name;
    }
  }
  EXPECT_THAT(flat, HasSubstr("env BRIDGE_AUTH"));
}

TEST(FlagsTest, TableHoldsEveryContractFlag) {
  std::set<std::string> names;
  std::set<std::string> env_vars;
  for (const FlagInfo& info : describe_flags(core::Role::kBridge)) {
    names.insert(info.name);
    if (!info.env_var.empty()) env_vars.insert(info.env_var);
  }
  std::vector<std::string> want = {"--listen",
                                   "--http",
                                   "--bootstrap",
                                   "--advertise",
                                   "--name",
                                   "--data-dir",
                                   "--fault",
                                   "--log-level",
                                   "--log-format",
                                   "--help",
                                   "--version",
                                   "--check-config",
                                   "--bridge-auth-file",
                                   "--tls-cert",
                                   "--tls-key",
                                   "--tls-ca",
                                   "--genesis-auth-file",
                                   "--delay-rules",
                                   "--delay-rules-time-scale"};
  want.insert(want.end(), TimingFlagNames().begin(), TimingFlagNames().end());
  for (const std::string& name : want) EXPECT_EQ(names.count(name), 1u) << name;
  EXPECT_EQ(names.size(), want.size());
  EXPECT_EQ(env_vars.count("YZ_BOOTSTRAP"), 1u);
  EXPECT_EQ(env_vars.count("YZ_HEALTH_CHECK_INTERVAL"), 1u);
  EXPECT_EQ(env_vars.count("YZ_K"), 1u);
  // Per-invocation actions must not be settable for a whole deployment.
  EXPECT_EQ(env_vars.count("YZ_HELP"), 0u);
  EXPECT_EQ(env_vars.count("YZ_CHECK_CONFIG"), 0u);
}

TEST(FlagsTest, HelpWinsOverMissingRequiredFlags) {
  for (const core::Role role :
       {core::Role::kBootstrap, core::Role::kGenesis, core::Role::kBridge, core::Role::kNode}) {
    const FlagsParse parse = Parse(role, {"--help"});
    EXPECT_EQ(parse.exit_code, 0);
    EXPECT_FALSE(parse.output.empty());
    EXPECT_TRUE(parse.error.empty()) << parse.error;
  }
  EXPECT_THAT(Parse(core::Role::kNode, {"-h"}).output, HasSubstr("Usage: yz-node"));
}

TEST(FlagsTest, Version) {
  const FlagsParse parse = Parse(core::Role::kBridge, {"--version"});
  EXPECT_EQ(parse.exit_code, 0);
  EXPECT_EQ(parse.output, "yz-bridge 0.1.0\n");
  EXPECT_FALSE(parse.flags.has_value());
  EXPECT_EQ(Parse(core::Role::kNode, {"--version"}).output, "yz-node 0.1.0\n");
}

TEST(FlagsTest, SwitchesTakeNoValue) {
  ExpectError(Parse(core::Role::kNode, {"--help=yes"}), {"--help", "takes no value"});
  ExpectError(ParseNode({"--check-config=true"}), {"--check-config", "takes no value"});
}

TEST(FlagsTest, CheckConfig) {
  const FlagsParse parse = ParseNode({"--check-config"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_TRUE(parse.flags->check_config);
}

// ---- errors ----

TEST(FlagsTest, UnknownFlag) {
  const FlagsParse parse = ParseNode({"--x"});
  ExpectError(parse, {});
  EXPECT_EQ(parse.error, "unknown flag '--x' (see --help)");
}

TEST(FlagsTest, UnknownFlagDoesNotEchoItsValue) {
  const FlagsParse parse = ParseNode({"--passwd=hunter2"});
  ExpectError(parse, {"unknown flag '--passwd'"});
  EXPECT_THAT(parse.error, Not(HasSubstr("hunter2")));
  ExpectError(ParseNode({"-listen", "h:1"}), {"unknown flag '-listen'"});
}

TEST(FlagsTest, PositionalArgumentIsAnError) {
  ExpectError(ParseNode({"extra"}), {"unexpected argument 'extra'"});
}

TEST(FlagsTest, MissingValueNamesTheFlag) {
  ExpectError(ParseNode({"--listen"}), {"--listen", "needs a value"});
  ExpectError(ParseNode({"--name", "--listen", "h:1"}), {"--name", "needs a value"});
  ExpectError(Parse(core::Role::kNode, {"--bootstrap"}), {"--bootstrap", "needs a value"});
  ExpectError(ParseNode({"--health-check-interval"}), {"--health-check-interval"});
}

TEST(FlagsTest, BootstrapRequiredForEveryRoleButTheBootstrap) {
  ExpectError(Parse(core::Role::kNode, {}), {"yz-node", "--bootstrap"});
  ExpectError(Parse(core::Role::kGenesis, {}), {"yz-genesis", "--bootstrap"});
  ExpectError(Parse(core::Role::kBridge, {}, {{"BRIDGE_AUTH", "s"}}), {"yz-bridge", "--bootstrap"});
  const FlagsParse bootstrap =
      Parse(core::Role::kBootstrap, {}, {{"BRIDGE_AUTH", "s"}, {"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(bootstrap.flags.has_value()) << bootstrap.error;
  EXPECT_EQ(bootstrap.flags->name, "bootstrap");
}

TEST(FlagsTest, HostPortValidation) {
  for (const char* bad :
       {"localhost", ":80", "host:", "host:65536", "host:-1", "::1:80", "[::1]", "[::1]80", "[]:1",
        "[127.0.0.1]:1", "host:80x", "a b:1", "h/x:1", "", "host:123456"}) {
    ExpectError(ParseNode({"--listen", bad}), {"--listen", "'" + std::string(bad) + "'"});
    ExpectError(ParseNode({"--http=" + std::string(bad)}), {"--http"});
  }
  for (const char* good :
       {"[::1]:0", "[::]:65535", "localhost:65535", "0.0.0.0:0", "my-host.example:8080"}) {
    const FlagsParse parse = ParseNode({"--listen", good, "--http", good});
    ASSERT_TRUE(parse.flags.has_value()) << good << ": " << parse.error;
    EXPECT_EQ(parse.flags->listen, good);
  }
}

TEST(FlagsTest, BootstrapNeedsARealPort) {
  ExpectError(Parse(core::Role::kNode, {"--bootstrap", "127.0.0.1:0"}),
              {"--bootstrap", "'127.0.0.1:0'", "port 0"});
  ExpectError(Parse(core::Role::kNode, {"--bootstrap", "nohost"}), {"--bootstrap", "'nohost'"});
}

TEST(FlagsTest, ParseHostPort) {
  const auto v6 = parse_host_port("[::1]:4000");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, 4000);
  EXPECT_EQ(format_host_port(v6->host, v6->port), "[::1]:4000");
  const auto v4 = parse_host_port("10.0.0.1:0");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->host, "10.0.0.1");
  EXPECT_EQ(v4->port, 0);
  EXPECT_EQ(format_host_port("10.0.0.1", 65535), "10.0.0.1:65535");
}

TEST(FlagsTest, NameIsValidated) {
  ExpectError(ParseNode({"--name", "a/b"}), {"--name", "'a/b'"});
  ExpectError(ParseNode({"--name", ".."}), {"--name", "'..'"});
  ExpectError(ParseNode({"--name="}), {"--name", "''"});
  ExpectError(ParseNode({"--name", std::string(65, 'a')}), {"--name"});
}

TEST(FlagsTest, DataDirMustNotBeEmpty) { ExpectError(ParseNode({"--data-dir="}), {"--data-dir"}); }

TEST(FlagsTest, ErrorStaysOnOneLine) {
  const FlagsParse parse = ParseNode({"--listen", "bad\nvalue"});
  ExpectError(parse, {"--listen", "'bad\\nvalue'"});
}

// ---- faults ----

TEST(FlagsTest, FaultIsRepeatable) {
  const FlagsParse parse =
      ParseNode({"--fault", "early_return_race", "--fault=replacement_cache_no_callback"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kEarlyReturnRace));
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kReplacementCacheNoCallback));
}

TEST(FlagsTest, FaultAcceptsACommaList) {
  const FlagsParse parse =
      ParseNode({"--fault", "replacement_cache_no_callback,early_return_race"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kEarlyReturnRace));
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kReplacementCacheNoCallback));
}

TEST(FlagsTest, UnknownFaultListsTheValidNames) {
  std::vector<std::string> mentions = {"--fault", "'no_such_fault'"};
  for (const auto& info : core::all_faults()) mentions.emplace_back(info.name);
  ExpectError(ParseNode({"--fault", "no_such_fault"}), mentions);
  ExpectError(ParseNode({"--fault", "early_return_race,"}), {"--fault", "''"});
}

// ---- timing ----

struct DurationCase {
  const char* flag;
  core::Duration core::Timing::*field;
};

TEST(FlagsTest, EveryDurationFlagSetsItsField) {
  const DurationCase cases[] = {
      {"--health-check-interval", &core::Timing::health_check_interval},
      {"--startup-grace", &core::Timing::startup_grace},
      {"--find-node-timeout-connected", &core::Timing::find_node_timeout_connected},
      {"--find-node-timeout", &core::Timing::find_node_timeout},
      {"--onboarding-bridge-timeout", &core::Timing::onboarding_bridge_timeout},
      {"--invitation-timeout", &core::Timing::invitation_timeout},
      {"--invitation-expiry", &core::Timing::invitation_expiry},
      {"--emergency-throttle", &core::Timing::emergency_throttle},
      {"--emergency-throttle-connected", &core::Timing::emergency_throttle_connected},
      {"--onboarding-give-up", &core::Timing::onboarding_give_up},
  };
  for (const DurationCase& c : cases) {
    const FlagsParse parse = ParseNode({c.flag, "1234us"});
    ASSERT_TRUE(parse.flags.has_value()) << c.flag << ": " << parse.error;
    EXPECT_EQ(parse.flags->timing.*c.field, 1'234'000) << c.flag;
    // Every other field keeps its default.
    const core::Timing defaults;
    for (const DurationCase& other : cases) {
      if (other.field != c.field) {
        EXPECT_EQ(parse.flags->timing.*other.field, defaults.*other.field) << other.flag;
      }
    }
  }
}

TEST(FlagsTest, EveryCountFlagSetsItsField) {
  const FlagsParse parse = ParseNode({"--health-failure-limit", "11", "--emergency-min-connections",
                                      "12", "--emergency-min-routing-entries", "13", "--k", "14",
                                      "--alpha", "5", "--helper-candidates", "6"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  const core::Timing& t = parse.flags->timing;
  EXPECT_EQ(t.health_failure_limit, 11u);
  EXPECT_EQ(t.emergency_min_connections, 12u);
  EXPECT_EQ(t.emergency_min_routing_entries, 13u);
  EXPECT_EQ(t.k, 14u);
  EXPECT_EQ(t.alpha, 5u);
  EXPECT_EQ(t.helper_candidates, 6u);
}

TEST(FlagsTest, EveryLimitFlagSetsItsField) {
  const FlagsParse parse =
      ParseNode({"--limit-frames-per-second", "1", "--limit-frames-burst", "2",
                 "--limit-lookups-per-second", "3", "--limit-lookups-burst", "4",
                 "--limit-registrations-per-second", "5", "--limit-registrations-burst", "6",
                 "--max-inbound-links", "7", "--max-bootstrap-links", "8"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  const core::Limits& l = parse.flags->timing.limits;
  EXPECT_EQ(l.frames_per_second, 1u);
  EXPECT_EQ(l.frames_burst, 2u);
  EXPECT_EQ(l.lookups_per_second, 3u);
  EXPECT_EQ(l.lookups_burst, 4u);
  EXPECT_EQ(l.registrations_per_second, 5u);
  EXPECT_EQ(l.registrations_burst, 6u);
  EXPECT_EQ(l.max_inbound_links, 7u);
  EXPECT_EQ(l.max_bootstrap_links, 8u);
  const FlagsParse caps =
      ParseNode({"--max-unauthenticated-links", "9", "--max-unauthenticated-per-address", "10"});
  ASSERT_TRUE(caps.flags.has_value()) << caps.error;
  EXPECT_EQ(caps.flags->timing.limits.max_unauthenticated_links, 9u);
  EXPECT_EQ(caps.flags->timing.limits.max_unauthenticated_per_address, 10u);
  ExpectError(ParseNode({"--max-inbound-links", "0"}), {"--max-inbound-links", "positive"});
  ExpectError(ParseNode({"--limit-frames-burst", "5000000000"}), {"--limit-frames-burst"});
}

TEST(FlagsTest, BadDurationsNameTheFlagAndValue) {
  ExpectError(ParseNode({"--health-check-interval", "abc"}),
              {"--health-check-interval", "'abc'", "duration"});
  ExpectError(ParseNode({"--startup-grace=-5s"}), {"--startup-grace", "'-5s'"});
  ExpectError(ParseNode({"--find-node-timeout", "0s"}),
              {"--find-node-timeout", "'0s'", "greater than zero"});
  ExpectError(ParseNode({"--invitation-expiry", "99999999999h"}), {"--invitation-expiry"});
}

TEST(FlagsTest, BadCountsNameTheFlagAndValue) {
  for (const char* bad : {"0", "-1", "abc", "1.5", "", "+3"}) {
    ExpectError(ParseNode({"--health-failure-limit=" + std::string(bad)}),
                {"--health-failure-limit", "'" + std::string(bad) + "'", "positive integer"});
  }
  ExpectError(ParseNode({"--emergency-min-connections", "4294967296"}),
              {"--emergency-min-connections", "'4294967296'"});
  ExpectError(ParseNode({"--k", "99999999999999999999999"}), {"--k"});
}

TEST(FlagsTest, AlphaMayNotExceedK) {
  ExpectError(ParseNode({"--k", "4", "--alpha", "5"}), {"--alpha 5", "--k 4"});
  ExpectError(ParseNode({"--k", "2"}), {"--alpha 3", "--k 2"});
  const FlagsParse equal = ParseNode({"--k", "5", "--alpha", "5"});
  EXPECT_TRUE(equal.flags.has_value()) << equal.error;
}

// ---- logging ----

TEST(FlagsTest, LogLevelAndFormat) {
  const std::pair<const char*, core::LogLevel> levels[] = {{"debug", core::LogLevel::kDebug},
                                                           {"info", core::LogLevel::kInfo},
                                                           {"warn", core::LogLevel::kWarn},
                                                           {"error", core::LogLevel::kError}};
  for (const auto& [text, level] : levels) {
    const FlagsParse parse = ParseNode({"--log-level", text});
    ASSERT_TRUE(parse.flags.has_value()) << parse.error;
    EXPECT_EQ(parse.flags->log_level, level);
  }
  ExpectError(ParseNode({"--log-level", "verbose"}), {"--log-level", "'verbose'", "debug"});
  const FlagsParse json = ParseNode({"--log-format", "json"});
  ASSERT_TRUE(json.flags.has_value()) << json.error;
  EXPECT_EQ(json.flags->log_format, RuntimeFlags::LogFormat::kJson);
  ExpectError(ParseNode({"--log-format", "xml"}), {"--log-format", "'xml'"});
}

// ---- bridge secret ----

class BridgeAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char path[] = "/tmp/yz-flags-test-XXXXXX";
    ASSERT_NE(::mkdtemp(path), nullptr);
    dir_ = path;
  }
  void TearDown() override {
    for (const std::string& file : files_) std::remove(file.c_str());
    ::rmdir(dir_.c_str());
  }
  std::string WriteFile(const std::string& name, const std::string& content) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << content;
    files_.push_back(path);
    return path;
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(BridgeAuthTest, ReadsTheFileAndTrimsTheNewline) {
  const std::string path = WriteFile("secret", "s3cret\n");
  const FlagsParse parse =
      Parse(core::Role::kBridge, {"--bootstrap", "h:1", "--bridge-auth-file", path});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->bridge_auth, "s3cret");
  EXPECT_EQ(parse.flags->bridge_auth_file, path);
}

TEST_F(BridgeAuthTest, FileBeatsEnvironment) {
  const std::string path = WriteFile("secret", "from-file\r\n");
  const FlagsParse parse = Parse(core::Role::kBootstrap, {"--bridge-auth-file=" + path},
                                 {{"BRIDGE_AUTH", "from-env"}, {"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->bridge_auth, "from-file");
}

TEST_F(BridgeAuthTest, EnvironmentAlone) {
  const FlagsParse parse =
      Parse(core::Role::kBridge, {"--bootstrap", "h:1"}, {{"BRIDGE_AUTH", "from-env\n"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->bridge_auth, "from-env");
}

TEST_F(BridgeAuthTest, FileFromEnvironmentVariable) {
  const std::string path = WriteFile("secret", "via-var");
  const FlagsParse parse =
      Parse(core::Role::kBootstrap, {}, {{"YZ_BRIDGE_AUTH_FILE", path}, {"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->bridge_auth, "via-var");
}

TEST_F(BridgeAuthTest, UnreadableFileNamesThePath) {
  const std::string missing = dir_ + "/missing";
  ExpectError(Parse(core::Role::kBridge, {"--bootstrap", "h:1", "--bridge-auth-file", missing}),
              {"--bridge-auth-file", "'" + missing + "'", "No such file"});
  // A directory opens but cannot be read.
  ExpectError(Parse(core::Role::kBootstrap, {"--bridge-auth-file", dir_}), {"'" + dir_ + "'"});
  ExpectError(Parse(core::Role::kBootstrap, {}, {{"YZ_BRIDGE_AUTH_FILE", missing}}),
              {"YZ_BRIDGE_AUTH_FILE", "'" + missing + "'"});
}

TEST_F(BridgeAuthTest, EmptyFileIsAnError) {
  const std::string path = WriteFile("empty", "\n");
  ExpectError(Parse(core::Role::kBootstrap, {"--bridge-auth-file", path}), {"'" + path + "'"});
}

TEST_F(BridgeAuthTest, RequiredForBridgeAndBootstrap) {
  ExpectError(Parse(core::Role::kBridge, {"--bootstrap", "h:1"}),
              {"yz-bridge", "--bridge-auth-file", "BRIDGE_AUTH"});
  ExpectError(Parse(core::Role::kBootstrap, {}, {{"GENESIS_AUTH", "g"}}),
              {"yz-bootstrap", "--bridge-auth-file", "BRIDGE_AUTH"});
  ExpectError(Parse(core::Role::kBridge, {"--bootstrap", "h:1"}, {{"BRIDGE_AUTH", ""}}),
              {"BRIDGE_AUTH"});
}

TEST_F(BridgeAuthTest, OtherRolesIgnoreTheSecret) {
  const FlagsParse node = ParseNode({"--bridge-auth-file", dir_ + "/missing"});
  ASSERT_TRUE(node.flags.has_value()) << node.error;
  EXPECT_TRUE(node.flags->bridge_auth.empty());
  const FlagsParse genesis = Parse(core::Role::kGenesis, {"--bootstrap", "h:1"},
                                   {{"BRIDGE_AUTH", "x"}, {"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(genesis.flags.has_value()) << genesis.error;
  EXPECT_TRUE(genesis.flags->bridge_auth.empty());
}

// ---- genesis secret: the same rules as the bridge secret ----

using GenesisAuthTest = BridgeAuthTest;

TEST_F(GenesisAuthTest, ReadsTheFileOrTheEnvironment) {
  const std::string path = WriteFile("genesis", "g3nesis\n");
  const FlagsParse from_file =
      Parse(core::Role::kGenesis, {"--bootstrap", "h:1", "--genesis-auth-file", path},
            {{"GENESIS_AUTH", "from-env"}});
  ASSERT_TRUE(from_file.flags.has_value()) << from_file.error;
  EXPECT_EQ(from_file.flags->genesis_auth, "g3nesis");
  const FlagsParse from_env =
      Parse(core::Role::kBootstrap, {}, {{"BRIDGE_AUTH", "b"}, {"GENESIS_AUTH", "from-env\n"}});
  ASSERT_TRUE(from_env.flags.has_value()) << from_env.error;
  EXPECT_EQ(from_env.flags->genesis_auth, "from-env");
  EXPECT_EQ(from_env.flags->bridge_auth, "b");
  const FlagsParse via_var =
      Parse(core::Role::kBootstrap, {}, {{"BRIDGE_AUTH", "b"}, {"YZ_GENESIS_AUTH_FILE", path}});
  ASSERT_TRUE(via_var.flags.has_value()) << via_var.error;
  EXPECT_EQ(via_var.flags->genesis_auth, "g3nesis");
}

TEST_F(GenesisAuthTest, RequiredForGenesisAndBootstrapWithAClearMessage) {
  const FlagsParse genesis = Parse(core::Role::kGenesis, {"--bootstrap", "h:1"});
  ExpectError(genesis, {"yz-genesis", "--genesis-auth-file", "GENESIS_AUTH"});
  EXPECT_EQ(genesis.error,
            "missing the genesis secret, which yz-genesis requires: set --genesis-auth-file PATH "
            "or env GENESIS_AUTH");
  ExpectError(Parse(core::Role::kBootstrap, {}, {{"BRIDGE_AUTH", "b"}}),
              {"yz-bootstrap", "--genesis-auth-file", "GENESIS_AUTH"});
  ExpectError(Parse(core::Role::kGenesis, {"--bootstrap", "h:1"}, {{"GENESIS_AUTH", ""}}),
              {"GENESIS_AUTH"});
  const std::string missing = dir_ + "/missing";
  ExpectError(Parse(core::Role::kGenesis, {"--bootstrap", "h:1", "--genesis-auth-file", missing}),
              {"--genesis-auth-file", "'" + missing + "'", "No such file"});
  const std::string empty = WriteFile("empty", "\n");
  ExpectError(Parse(core::Role::kBootstrap, {"--genesis-auth-file", empty}, {{"BRIDGE_AUTH", "b"}}),
              {"'" + empty + "'", "empty secret"});
}

TEST_F(GenesisAuthTest, NodesAndBridgesIgnoreTheSecret) {
  const FlagsParse node = ParseNode({"--genesis-auth-file", dir_ + "/missing"});
  ASSERT_TRUE(node.flags.has_value()) << node.error;
  EXPECT_TRUE(node.flags->genesis_auth.empty());
  const FlagsParse bridge = Parse(core::Role::kBridge, {"--bootstrap", "h:1"},
                                  {{"BRIDGE_AUTH", "b"}, {"GENESIS_AUTH", "g"}});
  ASSERT_TRUE(bridge.flags.has_value()) << bridge.error;
  EXPECT_TRUE(bridge.flags->genesis_auth.empty());
}

TEST(FlagsTest, GenesisSecretOnTheCommandLineIsRefused) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bootstrap", "h:1", "--genesis-auth", "topsecret"},
        std::vector<std::string>{"--bootstrap", "h:1", "--genesis-auth=topsecret"},
        std::vector<std::string>{"--bootstrap", "h:1", "-genesis-auth=topsecret"}}) {
    const FlagsParse parse = Parse(core::Role::kGenesis, args, {{"GENESIS_AUTH", "g"}});
    ExpectError(parse, {"refusing --genesis-auth", "--genesis-auth-file", "GENESIS_AUTH"});
    EXPECT_THAT(parse.error, Not(HasSubstr("topsecret")));
  }
}

TEST(FlagsTest, SecretOnTheCommandLineIsRefused) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bridge-auth", "topsecret"},
        std::vector<std::string>{"--bridge-auth=topsecret"},
        std::vector<std::string>{"-bridge-auth=topsecret"}}) {
    const FlagsParse parse = Parse(core::Role::kBridge, args, {{"BRIDGE_AUTH", "s"}});
    ExpectError(parse, {"--bridge-auth", "--bridge-auth-file", "BRIDGE_AUTH"});
    EXPECT_THAT(parse.error, Not(HasSubstr("topsecret")));
  }
}

// ---- environment ----

TEST(FlagsTest, EnvVarName) {
  EXPECT_EQ(env_var_name("bootstrap"), "YZ_BOOTSTRAP");
  EXPECT_EQ(env_var_name("--health-check-interval"), "YZ_HEALTH_CHECK_INTERVAL");
  EXPECT_EQ(env_var_name("k"), "YZ_K");
}

TEST(FlagsTest, EnvironmentFillsFlagsNotGiven) {
  const FlagsParse parse = Parse(core::Role::kNode, {},
                                 {{"YZ_BOOTSTRAP", "10.0.0.1:9000"},
                                  {"YZ_HEALTH_CHECK_INTERVAL", "1s"},
                                  {"YZ_NAME", "dht-node-7"},
                                  {"YZ_FAULT", "early_return_race"},
                                  {"YZ_LOG_FORMAT", "json"},
                                  {"YZ_K", "8"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->bootstrap, "10.0.0.1:9000");
  EXPECT_EQ(parse.flags->timing.health_check_interval, kS);
  EXPECT_EQ(parse.flags->name, "dht-node-7");
  EXPECT_EQ(parse.flags->data_dir, ".yz/dht-node-7");
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kEarlyReturnRace));
  EXPECT_EQ(parse.flags->log_format, RuntimeFlags::LogFormat::kJson);
  EXPECT_EQ(parse.flags->timing.k, 8u);
}

TEST(FlagsTest, FlagBeatsEnvironment) {
  const FlagsParse parse =
      ParseNode({"--health-check-interval", "2s", "--fault", "replacement_cache_no_callback"},
                {{"YZ_HEALTH_CHECK_INTERVAL", "1s"},
                 {"YZ_BOOTSTRAP", "other:1"},
                 {"YZ_FAULT", "early_return_race"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->timing.health_check_interval, 2 * kS);
  EXPECT_EQ(parse.flags->bootstrap, "127.0.0.1:9000");
  EXPECT_TRUE(parse.flags->faults.has(core::Fault::kReplacementCacheNoCallback));
  EXPECT_FALSE(parse.flags->faults.has(core::Fault::kEarlyReturnRace));
}

TEST(FlagsTest, EmptyEnvironmentVariableCountsAsUnset) {
  const FlagsParse parse = ParseNode({}, {{"YZ_LISTEN", ""}, {"YZ_NAME", ""}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->listen, "127.0.0.1:0");
  EXPECT_EQ(parse.flags->name, "node");
}

TEST(FlagsTest, BadEnvironmentValueNamesTheVariable) {
  ExpectError(ParseNode({}, {{"YZ_HEALTH_CHECK_INTERVAL", "soon"}}),
              {"YZ_HEALTH_CHECK_INTERVAL", "'soon'"});
  ExpectError(ParseNode({}, {{"YZ_LISTEN", "nope"}}), {"YZ_LISTEN", "'nope'"});
  ExpectError(ParseNode({}, {{"YZ_FAULT", "bogus"}}), {"YZ_FAULT", "'bogus'", "early_return_race"});
}

TEST(FlagsTest, AdvertisedAddressDefaultsToTheListenAddress) {
  const FlagsParse parse = ParseNode({"--listen", "127.0.0.1:0"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(advertised_address(*parse.flags, 4100, "box"), "127.0.0.1:4100");
  const FlagsParse fixed = ParseNode({"--listen", "10.0.0.7:7000"});
  ASSERT_TRUE(fixed.flags.has_value()) << fixed.error;
  EXPECT_EQ(advertised_address(*fixed.flags, 7000, "box"), "10.0.0.7:7000");
}

TEST(FlagsTest, WildcardListenAdvertisesTheHostname) {
  for (const std::string listen : {"0.0.0.0:7000", "[::]:7000"}) {
    const FlagsParse parse = ParseNode({"--listen", listen});
    ASSERT_TRUE(parse.flags.has_value()) << parse.error;
    EXPECT_EQ(advertised_address(*parse.flags, 7000, "3f2a9c1b7d4e"), "3f2a9c1b7d4e:7000");
  }
}

TEST(FlagsTest, AdvertiseOverridesAndItsPortZeroMeansTheBoundPort) {
  const FlagsParse parse =
      ParseNode({"--listen", "0.0.0.0:7000"}, {{"YZ_ADVERTISE", "10.1.2.3:0"}});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(advertised_address(*parse.flags, 7000, "box"), "10.1.2.3:7000");
  const FlagsParse named = ParseNode({"--advertise", "dht-node-3.dht-node:7100"});
  ASSERT_TRUE(named.flags.has_value()) << named.error;
  EXPECT_EQ(advertised_address(*named.flags, 41000, "box"), "dht-node-3.dht-node:7100");
  ExpectError(ParseNode({"--advertise", "no-port"}), {"--advertise", "no-port"});
}

TEST(FlagsTest, EveryEnvVarInTheTableIsConsulted) {
  FakeEnvVars vars(std::map<std::string, std::string>{{"BRIDGE_AUTH", "s"}});
  const FlagsParse parse = parse_flags(core::Role::kBridge, {"--bootstrap", "h:1"}, vars.getter());
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  for (const FlagInfo& info : describe_flags(core::Role::kBridge)) {
    if (info.env_var.empty() || info.name == "--bootstrap") continue;
    EXPECT_EQ(vars.queried().count(info.env_var), 1u) << info.env_var;
  }
  EXPECT_EQ(vars.queried().count("BRIDGE_AUTH"), 1u);
}

}  // namespace
}  // namespace yz::runtime

namespace yz::runtime {
namespace {

TEST(FlagsTest, DelayRulesFlags) {
  const FlagsParse parse =
      ParseNode({"--delay-rules", "rules.textproto", "--delay-rules-time-scale", "2.5"});
  ASSERT_TRUE(parse.flags.has_value()) << parse.error;
  EXPECT_EQ(parse.flags->delay_rules_file, "rules.textproto");
  EXPECT_DOUBLE_EQ(parse.flags->delay_rules_time_scale, 2.5);
  EXPECT_TRUE(ParseNode({}).flags->delay_rules_file.empty());  // off by default
  for (const char* bad : {"0", "-1", "x", "1e9", "nan", ""})
    ExpectError(ParseNode({"--delay-rules-time-scale", bad}), {"--delay-rules-time-scale"});
}

}  // namespace
}  // namespace yz::runtime
