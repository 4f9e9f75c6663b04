#include "security/password.h"

#include <gtest/gtest.h>
#include <sodium.h>

namespace sluice {
namespace {

TEST(PasswordTest, HashVerifiesOnlyTheRightPassword) {
  auto hash = HashPassword("password");
  ASSERT_TRUE(hash.ok()) << hash.status().ToString();
  EXPECT_TRUE(hash->starts_with("$argon2id$")) << *hash;
  EXPECT_EQ(hash->find("password"), std::string::npos);
  EXPECT_TRUE(VerifyPassword(*hash, "password"));
  EXPECT_FALSE(VerifyPassword(*hash, "Password"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(PasswordNeedsRehash(*hash));
}

TEST(PasswordTest, SaltMakesEveryHashDifferent) {
  auto a = HashPassword("same");
  auto b = HashPassword("same");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*b, "same"));
}

TEST(PasswordTest, MalformedHashNeverMatchesAndNeedsRehash) {
  for (const std::string& bad : {std::string(), std::string("password"), std::string("$argon2id$v=19$garbage"),
                                std::string(1000, '$')}) {
    EXPECT_FALSE(VerifyPassword(bad, "password")) << bad;
    EXPECT_TRUE(PasswordNeedsRehash(bad)) << bad;
  }
}

TEST(PasswordTest, HashWithOtherLimitsOrAlgorithmVerifiesButNeedsRehash) {
  char weaker[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_argon2id_str(weaker, "pw", 2, crypto_pwhash_argon2id_OPSLIMIT_MIN,
                                       crypto_pwhash_argon2id_MEMLIMIT_MIN),
            0);
  EXPECT_TRUE(VerifyPassword(weaker, "pw"));
  EXPECT_TRUE(PasswordNeedsRehash(weaker));

  char argon2i[crypto_pwhash_STRBYTES];
  ASSERT_EQ(crypto_pwhash_argon2i_str(argon2i, "pw", 2, crypto_pwhash_argon2i_OPSLIMIT_INTERACTIVE,
                                      crypto_pwhash_argon2i_MEMLIMIT_INTERACTIVE),
            0);
  EXPECT_TRUE(VerifyPassword(argon2i, "pw"));
  EXPECT_TRUE(PasswordNeedsRehash(argon2i));
}

}  // namespace
}  // namespace sluice
