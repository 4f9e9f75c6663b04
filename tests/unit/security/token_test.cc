#include "security/token.h"

#include <gtest/gtest.h>

#include <set>

namespace sluice {
namespace {

bool UrlSafe(std::string_view s) {
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

TEST(TokenTest, SessionTokensAre43UrlSafeRandomCharacters) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto token = NewSessionToken();
    ASSERT_TRUE(token.ok());
    EXPECT_EQ(token->size(), 43u);
    EXPECT_TRUE(UrlSafe(*token)) << *token;
    EXPECT_FALSE(LooksLikeApiKey(*token));
    seen.insert(*token);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(TokenTest, ApiKeysCarryThePrefix) {
  auto key = NewApiKey();
  ASSERT_TRUE(key.ok());
  EXPECT_TRUE(key->starts_with("sk_"));
  EXPECT_EQ(key->size(), 46u);
  EXPECT_TRUE(UrlSafe(key->substr(3)));
  EXPECT_TRUE(LooksLikeApiKey(*key));
  EXPECT_FALSE(LooksLikeApiKey(key->substr(0, 45)));
  EXPECT_FALSE(LooksLikeApiKey("sk_" + std::string(42, 'a') + "+"));
  EXPECT_FALSE(LooksLikeApiKey("pk_" + key->substr(3)));
  auto other = NewApiKey();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*key, *other);
}

TEST(TokenTest, HashIsSha256Hex) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(TokenHash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(TokenHash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto key = NewApiKey();
  ASSERT_TRUE(key.ok());
  const std::string hash = TokenHash(*key);
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash.find(key->substr(3, 10)), std::string::npos);
  EXPECT_EQ(TokenHash(*key), hash);
}

TEST(TokenTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals(TokenHash("a"), TokenHash("a")));
  EXPECT_FALSE(ConstantTimeEquals(TokenHash("a"), TokenHash("b")));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
}

}  // namespace
}  // namespace sluice
