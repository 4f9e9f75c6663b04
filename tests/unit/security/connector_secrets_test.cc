#include "security/connector_secrets.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

// A spec with secrets at the top, in a oneOf branch, in a nested object and in an array of
// objects, beside non-secret values.
const Json kSpec = Json::parse(R"({
  "type": "object",
  "properties": {
    "host": {"type": "string"},
    "password": {"type": "string", "airbyte_secret": true},
    "port": {"type": "integer"},
    "tunnel_method": {
      "type": "object",
      "oneOf": [
        {"properties": {"tunnel_method": {"const": "NO_TUNNEL"}}},
        {"properties": {"tunnel_method": {"const": "SSH_KEY_AUTH"},
                        "tunnel_user": {"type": "string"},
                        "ssh_key": {"type": "string", "airbyte_secret": true}}},
        {"properties": {"tunnel_method": {"const": "SSH_PASSWORD_AUTH"},
                        "tunnel_user_password": {"type": "string", "airbyte_secret": true}}}
      ]
    },
    "credentials": {
      "type": "object",
      "properties": {
        "client_id": {"type": "string"},
        "client_secret": {"type": "string", "airbyte_secret": true}
      }
    },
    "endpoints": {
      "type": "array",
      "items": {"type": "object", "properties": {"url": {"type": "string"},
                                                 "api key": {"type": "string", "airbyte_secret": true}}}
    }
  }
})");

const Json kConfig = Json::parse(R"({
  "host": "db.internal",
  "password": "pg-pass-123",
  "port": 5432,
  "tunnel_method": {"tunnel_method": "SSH_KEY_AUTH", "tunnel_user": "bastion",
                    "ssh_key": "-----BEGIN KEY-----\nabc\"def\n-----END KEY-----"},
  "credentials": {"client_id": "app-1", "client_secret": "oauth-secret-xyz"},
  "endpoints": [{"url": "https://a.example", "api key": "key-aaa"},
                {"url": "https://b.example", "api key": "key-bbb"}]
})");

TEST(ConnectorSecretsTest, MaskHidesEverySecretAndKeepsTheRest) {
  const Json masked = MaskSecrets(kSpec, kConfig);
  EXPECT_EQ(masked["password"], "**********");
  EXPECT_EQ(masked["tunnel_method"]["ssh_key"], "**********");
  EXPECT_EQ(masked["credentials"]["client_secret"], "**********");
  EXPECT_EQ(masked["endpoints"][0]["api key"], "**********");
  EXPECT_EQ(masked["endpoints"][1]["api key"], "**********");
  EXPECT_EQ(masked["host"], "db.internal");
  EXPECT_EQ(masked["port"], 5432);
  EXPECT_EQ(masked["tunnel_method"]["tunnel_user"], "bastion");
  EXPECT_EQ(masked["credentials"]["client_id"], "app-1");
  EXPECT_EQ(masked["endpoints"][1]["url"], "https://b.example");
  for (const std::string& secret : CollectSecretValues(kSpec, kConfig)) {
    EXPECT_EQ(masked.dump().find(secret), std::string::npos) << secret;
  }
}

TEST(ConnectorSecretsTest, EncryptedConfigRoundTripsAndHidesSecrets) {
  auto box = SecretBox::WithRandomKey();
  ASSERT_TRUE(box.ok());
  const std::string stored = EncryptConfig(*box, kConfig);
  EXPECT_TRUE(stored.starts_with("v1:"));
  EXPECT_EQ(stored.find("pg-pass-123"), std::string::npos);
  EXPECT_EQ(stored.find("db.internal"), std::string::npos);
  auto config = DecryptConfig(*box, stored);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(*config, kConfig);

  auto other = SecretBox::WithRandomKey();
  ASSERT_TRUE(other.ok());
  auto wrong = DecryptConfig(*other, stored);
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("wrong key"), std::string::npos);

  auto not_json = DecryptConfig(*box, box->Encrypt("{not json"));
  ASSERT_FALSE(not_json.ok());
  EXPECT_EQ(not_json.status().message().find("{not json"), std::string::npos);
}

TEST(ConnectorSecretsTest, MergeKeepsMaskedSecretsAndTakesNewOnes) {
  Json update = MaskSecrets(kSpec, kConfig);  // what the API returned, edited by the user
  update["host"] = "db2.internal";
  update["credentials"]["client_secret"] = "rotated-secret";
  auto merged = MergeSecrets(kSpec, kConfig, update);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  Json expected = kConfig;
  expected["host"] = "db2.internal";
  expected["credentials"]["client_secret"] = "rotated-secret";
  EXPECT_EQ(*merged, expected);
}

TEST(ConnectorSecretsTest, MergeRefusesAMaskWithNothingToKeep) {
  Json update = MaskSecrets(kSpec, kConfig);
  update["tunnel_method"] = {{"tunnel_method", "SSH_PASSWORD_AUTH"}, {"tunnel_user_password", "**********"}};
  auto merged = MergeSecrets(kSpec, kConfig, update);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(merged.status().message().find("$.tunnel_method.tunnel_user_password"), std::string::npos)
      << merged.status().message();

  update = MaskSecrets(kSpec, kConfig);
  update["endpoints"].push_back({{"url", "https://c.example"}, {"api key", "**********"}});
  merged = MergeSecrets(kSpec, kConfig, update);
  ASSERT_FALSE(merged.ok());
  EXPECT_NE(merged.status().message().find("$.endpoints[2]['api key']"), std::string::npos)
      << merged.status().message();
  for (const std::string& secret : CollectSecretValues(kSpec, kConfig)) {
    EXPECT_EQ(merged.status().message().find(secret), std::string::npos);
  }
}

TEST(ConnectorSecretsTest, CollectsSecretsLongestFirstWithTheirJsonEscapedForms) {
  const std::vector<std::string> secrets = CollectSecretValues(kSpec, kConfig);
  const std::string ssh_key = kConfig["tunnel_method"]["ssh_key"];
  const std::string ssh_key_escaped = "-----BEGIN KEY-----\\nabc\\\"def\\n-----END KEY-----";
  const std::vector<std::string> expected = {ssh_key_escaped, ssh_key, "oauth-secret-xyz", "pg-pass-123",
                                             "key-aaa", "key-bbb"};
  EXPECT_EQ(secrets, expected);

  Json config = kConfig;
  config["password"] = "";
  config["credentials"]["client_secret"] = "**********";
  config["endpoints"] = Json::array();
  config["tunnel_method"] = {{"tunnel_method", "NO_TUNNEL"}};
  EXPECT_TRUE(CollectSecretValues(kSpec, config).empty());
}

TEST(ConnectorSecretsTest, RedactsEverySecretOccurrenceInText) {
  const SecretRedactor redactor = SecretRedactor::ForConfig(kSpec, kConfig);
  EXPECT_EQ(redactor.Redact("auth failed for pg-pass-123 (again: pg-pass-123) via key-bbb"),
            "auth failed for ********** (again: **********) via **********");
  // A secret as it appears inside a JSON log line (escaped) goes too.
  const std::string line = Json({{"config", kConfig}}).dump();
  const std::string redacted = redactor.Redact(line);
  for (const std::string& secret : CollectSecretValues(kSpec, kConfig)) {
    EXPECT_EQ(redacted.find(secret), std::string::npos) << secret;
  }
  EXPECT_EQ(redacted.find("BEGIN KEY"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("db.internal"), std::string::npos);
  EXPECT_EQ(RedactSecrets(kSpec, kConfig, "x oauth-secret-xyz y"), "x ********** y");
  EXPECT_EQ(SecretRedactor().Redact("nothing to hide"), "nothing to hide");
}

TEST(ConnectorSecretsTest, ASecretContainingAnotherIsRedactedWhole) {
  const SecretRedactor redactor({"abc", "xxabcxx"});
  EXPECT_EQ(redactor.Redact("[xxabcxx] [abc]"), "[**********] [**********]");
}

TEST(ConnectorSecretsTest, NonStringSecretsAreRedactedByTheirText) {
  const Json spec = Json::parse(R"({"properties": {"pin": {"type": "integer", "airbyte_secret": true},
                                     "blob": {"type": "object", "airbyte_secret": true}}})");
  const Json config = Json::parse(R"({"pin": 987654, "blob": {"a": "inner-secret", "b": [true]}})");
  const std::vector<std::string> secrets = CollectSecretValues(spec, config);
  EXPECT_EQ(secrets, (std::vector<std::string>{"inner-secret", "987654"}));
}

}  // namespace
}  // namespace sluice
