#include "roles/runtime/key_store.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include "roles/core/openssl_ptr.h"
#include "roles/runtime/data_dir.h"
#include "roles/runtime/os_random.h"

namespace yz::runtime {
namespace {

using openssl::BioPtr;
using openssl::PkeyPtr;

// A key file is a few hundred bytes; anything much larger is not one.
constexpr std::size_t kMaxKeyFileBytes = 16 * 1024;

std::string quoted(const std::string& path) { return "'" + path + "'"; }

std::string octal_mode(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777);
  return buf;
}

std::string to_pem(const core::Identity& identity) {
  const std::string raw = identity.private_key();
  PkeyPtr key(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size()));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!key || !bio ||
      PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::shared_ptr<const core::Identity> from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) return nullptr;
  std::string raw(core::kPrivateKeyBytes, '\0');
  std::size_t size = raw.size();
  if (EVP_PKEY_get_raw_private_key(key.get(), reinterpret_cast<unsigned char*>(raw.data()),
                                   &size) != 1 ||
      size != raw.size())
    return nullptr;
  return core::Identity::from_private_key(raw);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const core::Identity>> load_or_create_identity(
    const std::string& dir, const RandomSource& random) {
  const std::string path = dir + "/identity.key";
  const auto fail = [](const std::string& message) {
    return absl::FailedPreconditionError(message);
  };
  std::shared_ptr<const core::Identity> identity;
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISREG(st.st_mode))
      return fail("identity key file " + quoted(path) + " is not a regular file");
    if ((st.st_mode & 077) != 0)
      return fail("identity key file " + quoted(path) + " has mode " + octal_mode(st.st_mode) +
                  ", open to other users; run: chmod 600 " + path);
    if (st.st_uid != ::geteuid())
      return fail("identity key file " + quoted(path) + " belongs to uid " +
                  std::to_string(st.st_uid) + ", not to this user");
    if (static_cast<std::size_t>(st.st_size) > kMaxKeyFileBytes)
      return fail("identity key file " + quoted(path) + " is not an Ed25519 private key (PEM)");
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (file == nullptr)
      return fail("cannot read identity key file " + quoted(path) + ": " +
                  std::generic_category().message(errno));
    std::string pem(kMaxKeyFileBytes + 1, '\0');
    pem.resize(std::fread(pem.data(), 1, pem.size(), file));
    std::fclose(file);
    identity = from_pem(pem);
    if (!identity)
      return fail("identity key file " + quoted(path) +
                  " is not an Ed25519 private key (PEM); restore it, or remove it to start as a "
                  "new node");
  } else if (errno != ENOENT) {
    return fail("cannot read identity key file " + quoted(path) + ": " +
                std::generic_category().message(errno));
  } else {
    std::uint64_t words[4] = {};
    if (const std::string why = random(words, sizeof words); !why.empty())
      return fail(randomness_failure(why) + "; no identity key made for " + quoted(path));
    identity = core::Identity::from_words(words[0], words[1], words[2], words[3]);
    const std::string pem = identity ? to_pem(*identity) : std::string();
    if (pem.empty()) return fail("cannot make an Ed25519 key for " + quoted(path));
    if (const std::string why = write_file_atomically(path, pem, 0600); !why.empty())
      return fail("cannot write identity key file " + quoted(path) + ": " + why);
  }
  const std::string id_path = dir + "/node_id";
  if (const std::string why =
          write_file_atomically(id_path, identity->node_id().to_hex() + "\n", 0600);
      !why.empty())
    return fail("cannot write node id file " + quoted(id_path) + ": " + why);
  return identity;
}

}  // namespace yz::runtime
