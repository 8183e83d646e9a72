// Reads docs/PROTOCOL.md and checks every test vector in it against the
// core's own functions, so the document cannot drift from the code. A
// vector is a fenced block opened with ```vector, one `key: value` per line:
// bytes in lowercase hex, integers in decimal. Its `kind` says what it
// describes (key, handshake, invitation, token, chain).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "roles/core/credentials.h"
#include "roles/core/identity.h"
#include "roles/core/protocol.h"
#include "roles/core/value.h"
#include "tests/unit/fake_env.h"

#ifndef YZ_PROTOCOL_DOC
#error "YZ_PROTOCOL_DOC must name docs/PROTOCOL.md"
#endif

namespace yz::core {
namespace {

struct Vector {
  int line = 0;  // where the block starts in the document, for messages
  std::map<std::string, std::string> fields;

  std::string at(const std::string& key) const {
    auto it = fields.find(key);
    if (it == fields.end()) {
      ADD_FAILURE() << "vector at line " << line << " has no `" << key << "`";
      return {};
    }
    return it->second;
  }
};

std::vector<Vector> read_vectors(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<Vector> out;
  std::string line;
  int number = 0;
  bool inside = false;
  while (std::getline(in, line)) {
    ++number;
    if (!inside) {
      if (line == "```vector") {
        inside = true;
        out.push_back(Vector{number, {}});
      }
      continue;
    }
    if (line == "```") {
      inside = false;
      continue;
    }
    if (line.empty()) continue;
    const auto colon = line.find(": ");
    EXPECT_NE(colon, std::string::npos) << path << ":" << number << ": not `key: value`";
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, colon);
    EXPECT_FALSE(out.back().fields.contains(key))
        << path << ":" << number << ": `" << key << "` twice";
    out.back().fields[key] = line.substr(colon + 2);
  }
  EXPECT_FALSE(inside) << path << ": a vector block is not closed";
  return out;
}

std::string unhex(const std::string& hex) {
  EXPECT_EQ(hex.size() % 2, 0u) << hex;
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  return out;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

NodeId id(const std::string& text) {
  auto parsed = NodeId::from_hex(text);
  EXPECT_TRUE(parsed.has_value()) << text << " is not a node id";
  EXPECT_EQ(parsed ? parsed->to_hex() : "", text) << "ids are written in lowercase";
  return parsed.value_or(NodeId{});
}

std::shared_ptr<const Identity> key(const std::string& seed_hex) {
  auto identity = Identity::from_private_key(unhex(seed_hex));
  EXPECT_NE(identity, nullptr) << seed_hex << " is not a 32-byte Ed25519 seed";
  return identity;
}

class ProtocolDocTest : public ::testing::Test {
 protected:
  void SetUp() override { vectors_ = read_vectors(YZ_PROTOCOL_DOC); }

  std::vector<const Vector*> of_kind(const std::string& kind) const {
    std::vector<const Vector*> out;
    for (const Vector& v : vectors_)
      if (v.at("kind") == kind) out.push_back(&v);
    return out;
  }

  std::vector<Vector> vectors_;
};

TEST_F(ProtocolDocTest, EveryVectorHasAKnownKind) {
  ASSERT_GE(vectors_.size(), 8u) << "the document lost its test vectors";
  for (const Vector& v : vectors_) {
    const std::string kind = v.at("kind");
    EXPECT_TRUE(kind == "key" || kind == "handshake" || kind == "invitation" || kind == "token" ||
                kind == "chain" || kind == "value")
        << "vector at line " << v.line << ": unknown kind " << kind;
  }
}

TEST_F(ProtocolDocTest, KeysAndNodeIds) {
  const auto keys = of_kind("key");
  ASSERT_GE(keys.size(), 2u);
  for (const Vector* v : keys) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    auto identity = key(v->at("seed"));
    ASSERT_NE(identity, nullptr);
    EXPECT_EQ(hex(identity->public_key()), v->at("public_key"));
    EXPECT_EQ(hex(identity->private_key()), v->at("seed"));
    EXPECT_EQ(node_id_for_key(unhex(v->at("public_key"))).to_hex(), v->at("node_id"));
    EXPECT_EQ(identity->node_id().to_hex(), v->at("node_id"));
    // The node id is the first 20 bytes of SHA-256 of the raw public key.
    const auto digest = sha256(identity->public_key());
    EXPECT_EQ(hex(std::string_view(reinterpret_cast<const char*>(digest.data()), 20)),
              v->at("node_id"));
  }
}

TEST_F(ProtocolDocTest, HandshakeSignatures) {
  const auto vectors = of_kind("handshake");
  ASSERT_GE(vectors.size(), 2u);
  for (const Vector* v : vectors) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    auto signer = key(v->at("signer_seed"));
    ASSERT_NE(signer, nullptr);
    const std::string side = v->at("side");
    ASSERT_TRUE(side == "A" || side == "D") << side;
    EXPECT_EQ(signer->node_id().to_hex(), v->at("signer_node_id"));
    const std::string message = handshake_message(side[0], unhex(v->at("nonce")), signer->node_id(),
                                                  id(v->at("other_node_id")));
    EXPECT_EQ(hex(message), v->at("message"));
    EXPECT_EQ(hex(signer->sign(message)), v->at("signature"));
    EXPECT_TRUE(
        verify_signature(signer->public_key(), unhex(v->at("message")), unhex(v->at("signature"))));
  }
}

Invitation invitation_of(const Vector& v) {
  auto inviter = key(v.at("inviter_seed"));
  if (inviter == nullptr) return {};
  EXPECT_EQ(inviter->node_id().to_hex(), v.at("inviter"));
  return sign_invitation(*inviter, id(v.at("invitee")), std::stoll(v.at("expires_at_ms")),
                         std::stoull(v.at("nonce")));
}

MembershipToken token_of(const Vector& v) {
  auto member = key(v.at("member_seed"));
  if (member == nullptr) return {};
  EXPECT_EQ(member->node_id().to_hex(), v.at("node_id"));
  Invitation cited;
  cited.inviter = id(v.at("issuer"));
  cited.nonce = std::stoull(v.at("invitation_nonce"));
  return sign_token(*member, cited);
}

TEST_F(ProtocolDocTest, Invitations) {
  const auto vectors = of_kind("invitation");
  ASSERT_GE(vectors.size(), 2u);
  for (const Vector* v : vectors) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    const Invitation invitation = invitation_of(*v);
    EXPECT_EQ(hex(invitation_message(invitation)), v->at("message"));
    EXPECT_EQ(hex(invitation.signature), v->at("signature"));
    EXPECT_EQ(hex(invitation.inviter_public_key), v->at("inviter_public_key"));
  }
}

TEST_F(ProtocolDocTest, MembershipTokens) {
  const auto vectors = of_kind("token");
  ASSERT_GE(vectors.size(), 2u);
  for (const Vector* v : vectors) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    const MembershipToken token = token_of(*v);
    EXPECT_EQ(hex(token_message(token)), v->at("message"));
    EXPECT_EQ(hex(token.signature), v->at("signature"));
    EXPECT_EQ(hex(token.public_key), v->at("public_key"));
  }
}

// A chain names its links holder first, each `token-name + invitation-name`
// of the vectors above, and must verify from `holder` back to `anchor`.
TEST_F(ProtocolDocTest, ChainsVerify) {
  const auto vectors = of_kind("chain");
  ASSERT_GE(vectors.size(), 1u);
  std::map<std::string, Invitation> invitations;
  std::map<std::string, MembershipToken> tokens;
  for (const Vector* v : of_kind("invitation")) invitations[v->at("name")] = invitation_of(*v);
  for (const Vector* v : of_kind("token")) tokens[v->at("name")] = token_of(*v);
  for (const Vector* v : vectors) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    CredentialChain chain;
    std::istringstream links(v->at("links"));
    std::string item;
    while (std::getline(links, item, ',')) {
      item.erase(0, item.find_first_not_of(' '));
      const auto plus = item.find('+');
      ASSERT_NE(plus, std::string::npos) << item;
      const std::string token = item.substr(0, plus), invitation = item.substr(plus + 1);
      ASSERT_TRUE(tokens.contains(token)) << token;
      ASSERT_TRUE(invitations.contains(invitation)) << invitation;
      chain.push_back(ChainLink{tokens[token], invitations[invitation]});
    }
    testing::FakeEnv env;
    CredentialChecker checker(env.metrics());
    EXPECT_EQ(checker.check_chain(chain, id(v->at("holder")), id(v->at("anchor"))),
              v->at("result") == "valid" ? "" : v->at("result"));
  }
}

// A value of the data plane (issue 17): its DHT key, the bytes its
// signature covers, and the signature.
TEST_F(ProtocolDocTest, Values) {
  const auto vectors = of_kind("value");
  ASSERT_GE(vectors.size(), 1u);
  for (const Vector* v : vectors) {
    SCOPED_TRACE("vector at line " + std::to_string(v->line));
    auto publisher = key(v->at("publisher_seed"));
    ASSERT_NE(publisher, nullptr);
    EXPECT_EQ(publisher->node_id().to_hex(), v->at("publisher"));
    const SignedValue value =
        sign_value(*publisher, v->at("name"), unhex(v->at("data")), std::stoull(v->at("seq")),
                   std::stoll(v->at("expires_at_ms")));
    EXPECT_EQ(value.key.to_hex(), v->at("key"));
    EXPECT_EQ(value_key_id(v->at("name")).to_hex(), v->at("key"));
    EXPECT_EQ(hex(value_message(value)), v->at("message"));
    EXPECT_EQ(hex(value.signature), v->at("signature"));
    EXPECT_TRUE(verify_signature(publisher->public_key(), unhex(v->at("message")),
                                 unhex(v->at("signature"))));
  }
}

TEST_F(ProtocolDocTest, ProtocolVersionAndRange) {
  std::ifstream in(YZ_PROTOCOL_DOC);
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  const std::string doc = text.str();
  // "Protocol version: **1**. Accepted range: **1–1**" (an en dash).
  ASSERT_TRUE(std::regex_search(doc, m,
                                std::regex("Protocol version: \\*\\*([0-9]+)\\*\\*\\. Accepted "
                                           "range: \\*\\*([0-9]+)\xe2\x80\x93([0-9]+)\\*\\*")))
      << "the document lost its version line";
  EXPECT_EQ(std::stoul(m[1]), kProtocolVersion);
  EXPECT_EQ(std::stoul(m[2]), kMinProtocolVersion);
  EXPECT_EQ(std::stoul(m[3]), kMaxProtocolVersion);
  EXPECT_NE(doc.find("supported: " + std::to_string(kMinProtocolVersion) + "-" +
                     std::to_string(kMaxProtocolVersion)),
            std::string::npos)
      << "the version_mismatch example names another range";
}

}  // namespace
}  // namespace yz::core
