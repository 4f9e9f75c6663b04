#include "security/secret_box.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/subprocess.h"
#include "security/secret_key.h"
#include "security/sodium_util.h"

namespace sluice {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void ExpectNoLeak(const Status& status, std::string_view secret) {
  EXPECT_EQ(status.message().find(secret), std::string::npos) << status.message();
  EXPECT_EQ(status.detail().find(secret), std::string::npos) << status.detail();
}

TEST(SecretBoxTest, RoundTripsTextInTheVersionedForm) {
  auto box = SecretBox::WithRandomKey();
  ASSERT_TRUE(box.ok());
  for (const std::string& plaintext : {std::string("hunter2"), std::string(), std::string("ünïcødé \0 bytes", 17),
                                      std::string(100000, 'x')}) {
    const std::string text = box->Encrypt(plaintext);
    EXPECT_TRUE(text.starts_with("v1:")) << text;
    EXPECT_TRUE(SecretBox::LooksEncrypted(text));
    auto decrypted = box->Decrypt(text);
    ASSERT_TRUE(decrypted.ok()) << decrypted.status().ToString();
    EXPECT_EQ(*decrypted, plaintext);
  }
}

TEST(SecretBoxTest, EncryptingTwiceGivesDifferentTexts) {
  auto box = SecretBox::WithRandomKey();
  ASSERT_TRUE(box.ok());
  EXPECT_NE(box->Encrypt("same"), box->Encrypt("same"));
}

TEST(SecretBoxTest, WrongKeyFailsWithAClearMessageAndNoSecret) {
  auto a = SecretBox::WithRandomKey();
  auto b = SecretBox::WithRandomKey();
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string text = a->Encrypt("s3cr3t-password");
  auto decrypted = b->Decrypt(text);
  ASSERT_FALSE(decrypted.ok());
  EXPECT_EQ(decrypted.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(decrypted.status().message().find("wrong key or tampered data"), std::string::npos);
  ExpectNoLeak(decrypted.status(), "s3cr3t-password");
  ExpectNoLeak(decrypted.status(), text.substr(3));
}

TEST(SecretBoxTest, TamperedOrMalformedTextIsRefused) {
  auto box = SecretBox::WithRandomKey();
  ASSERT_TRUE(box.ok());
  const std::string text = box->Encrypt("attack at dawn");
  auto sealed = Base64Decode(text.substr(3), Base64Variant::kStandard);
  ASSERT_TRUE(sealed.ok());
  for (size_t i : {size_t{0}, size_t{30}, sealed->size() - 1}) {  // nonce, MAC, ciphertext
    std::string edited = *sealed;
    edited[i] = static_cast<char>(edited[i] ^ 0x01);
    auto result = box->Decrypt("v1:" + Base64Encode(edited, Base64Variant::kStandard));
    ASSERT_FALSE(result.ok()) << "byte " << i;
    EXPECT_NE(result.status().message().find("tampered"), std::string::npos);
  }
  const std::string truncated = "v1:" + Base64Encode(sealed->substr(0, 30), Base64Variant::kStandard);
  for (const std::string& bad : {std::string("attack at dawn"), std::string("v2:AAAA"), std::string("v1:!!!"),
                                truncated, text.substr(0, text.size() - 4)}) {
    auto result = box->Decrypt(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.status().failure_type(), FailureType::kConfig);
    EXPECT_TRUE(result.status().message().starts_with("cannot decrypt secret")) << result.status().message();
    ExpectNoLeak(result.status(), "attack at dawn");
  }
}

TEST(SecretBoxTest, KeyMustBe32Bytes) {
  EXPECT_FALSE(SecretBox::FromKey("short").ok());
  EXPECT_TRUE(SecretBox::FromKey(std::string(32, 'k')).ok());
}

TEST(SecretKeyTest, Base64KeyOfTheWrongSizeOrShapeIsRefusedWithoutQuotingIt) {
  auto good = SecretBoxFromBase64Key(Base64Encode(std::string(32, 'k'), Base64Variant::kStandard), "SLUICE_SECRET_KEY");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->key(), std::string(32, 'k'));
  for (const std::string& bad : {Base64Encode("sixteen-byte-key", Base64Variant::kStandard), std::string("not base64!!")}) {
    auto result = SecretBoxFromBase64Key(bad, "SLUICE_SECRET_KEY");
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("SLUICE_SECRET_KEY must hold the base64 of 32"), std::string::npos);
    ExpectNoLeak(result.status(), bad);
  }
}

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("SLUICE_SECRET_KEY");
    auto dir = MakeTempDir("sluice-key-test");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
  }
  void TearDown() override {
    unsetenv("SLUICE_SECRET_KEY");
    RemoveTreeIgnoringErrors(dir_);
  }
  std::string dir_;
};

TEST_F(KeyFileTest, CreatedPrivateOnFirstUseAndReusedAfter) {
  const std::string data_dir = dir_ + "/data";  // does not exist yet
  auto first = LoadSecretKey(data_dir);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_TRUE(first->created);
  EXPECT_EQ(first->origin, data_dir + "/secret.key");
  struct stat st{};
  ASSERT_EQ(stat(first->origin.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(ReadFile(first->origin), Base64Encode(first->box.key(), Base64Variant::kStandard) + "\n");

  const std::string text = first->box.Encrypt("kept across restarts");
  auto second = LoadSecretKey(data_dir);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  auto decrypted = second->box.Decrypt(text);
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(*decrypted, "kept across restarts");
  EXPECT_FALSE(std::filesystem::exists(first->origin + ".tmp." + std::to_string(getpid())));
}

TEST_F(KeyFileTest, KeyFileReadableByOthersIsRefused) {
  const std::string path = dir_ + "/secret.key";
  ASSERT_TRUE(SecretBoxFromKeyFile(path, /*create_if_missing=*/true).ok());
  const std::string key_text = ReadFile(path);
  for (mode_t mode : {0644, 0640, 0604, 0660}) {
    ASSERT_EQ(chmod(path.c_str(), mode), 0);
    auto result = SecretBoxFromKeyFile(path, true);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().failure_type(), FailureType::kConfig);
    EXPECT_NE(result.status().message().find("chmod 600"), std::string::npos) << result.status().message();
    ExpectNoLeak(result.status(), key_text.substr(0, 43));
  }
  ASSERT_EQ(chmod(path.c_str(), 0400), 0);
  EXPECT_TRUE(SecretBoxFromKeyFile(path, true).ok());
}

TEST_F(KeyFileTest, MissingOrMalformedKeyFile) {
  const std::string path = dir_ + "/secret.key";
  auto missing = SecretBoxFromKeyFile(path, /*create_if_missing=*/false);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);

  {
    std::ofstream out(path);
    out << "this is not a key\n";
  }
  ASSERT_EQ(chmod(path.c_str(), 0600), 0);
  auto malformed = SecretBoxFromKeyFile(path, true);
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("key file '" + path + "' must hold the base64 of 32"), std::string::npos)
      << malformed.status().message();
  ExpectNoLeak(malformed.status(), "this is not a key");
}

TEST_F(KeyFileTest, EnvironmentKeyWinsOverTheKeyFile) {
  auto box = SecretBox::WithRandomKey();
  ASSERT_TRUE(box.ok());
  const std::string env_key = Base64Encode(box->key(), Base64Variant::kStandard);
  ASSERT_EQ(setenv("SLUICE_SECRET_KEY", env_key.c_str(), 1), 0);
  auto loaded = LoadSecretKey(dir_);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->origin, "SLUICE_SECRET_KEY");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/secret.key"));
  auto decrypted = loaded->box.Decrypt(box->Encrypt("from env"));
  ASSERT_TRUE(decrypted.ok());
  EXPECT_EQ(*decrypted, "from env");

  ASSERT_EQ(setenv("SLUICE_SECRET_KEY", "dG9vIHNob3J0", 1), 0);
  auto bad = LoadSecretKey(dir_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SLUICE_SECRET_KEY"), std::string::npos);
  ExpectNoLeak(bad.status(), "dG9vIHNob3J0");
}

}  // namespace
}  // namespace sluice
