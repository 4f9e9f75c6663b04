#include "protocol/config_update.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

TEST(ConfigUpdateTest, SetAndFindConfigPaths) {
  Json config = J(R"j({"base_url": "http://x", "credentials": {"refresh_token": "r0"}, "flat": 3})j");
  SetConfigPath(config, {"credentials", "refresh_token"}, "r1");
  SetConfigPath(config, {"credentials", "access_token"}, "a1");  // created beside
  SetConfigPath(config, {"oauth", "nested", "expiry"}, "2026-01-01T00:00:00+00:00");  // objects made on the way
  SetConfigPath(config, {"flat", "x"}, 1);  // a non-object on the way becomes one
  SetConfigPath(config, {}, "ignored");
  EXPECT_EQ(config, J(R"j({"base_url": "http://x", "credentials": {"refresh_token": "r1", "access_token": "a1"},
                          "flat": {"x": 1}, "oauth": {"nested": {"expiry": "2026-01-01T00:00:00+00:00"}}})j"));
  ASSERT_NE(FindConfigPath(config, {"credentials", "access_token"}), nullptr);
  EXPECT_EQ(*FindConfigPath(config, {"credentials", "access_token"}), "a1");
  EXPECT_EQ(FindConfigPath(config, {"credentials", "missing"}), nullptr);
  EXPECT_EQ(FindConfigPath(config, {"base_url", "deeper"}), nullptr);
}

TEST(ConfigUpdateTest, ChangesAreTheUpdatedLeavesOnly) {
  Json before = J(R"j({"base_url": "http://x", "start": "2024", "credentials": {"client_id": "c", "refresh_token": "r0"},
                      "__injected_declarative_manifest": {"streams": []}})j");
  Json after = J(R"j({"base_url": "http://x", "credentials": {"client_id": "c", "refresh_token": "r1", "access_token": "a1"},
                     "__injected_declarative_manifest": {"streams": [1]}, "__injected_manifest_directory": "/m"})j");
  Json changes = ConfigChanges(before, after);
  // Nothing deleted ("start" is absent from `after`), runner keys left out.
  EXPECT_EQ(changes, J(R"j({"credentials": {"refresh_token": "r1", "access_token": "a1"}})j")) << changes.dump();
  EXPECT_EQ(ConfigChangePaths(changes), (std::vector<std::string>{"/credentials/refresh_token", "/credentials/access_token"}));
  EXPECT_TRUE(ConfigChanges(before, before).empty());
  Json applied = ApplyConfigChanges(before, changes);
  EXPECT_EQ(applied["credentials"], J(R"j({"client_id": "c", "refresh_token": "r1", "access_token": "a1"})j"));
  EXPECT_EQ(applied["start"], "2024");
  // A value replacing an object, and keys that need JSON-pointer escapes.
  Json odd = ConfigChanges(J(R"j({"a": {"b": 1}})j"), J(R"j({"a": "flat", "x/y~z": {"k": 2}})j"));
  EXPECT_EQ(odd, J(R"j({"a": "flat", "x/y~z": {"k": 2}})j"));
  EXPECT_EQ(ConfigChangePaths(odd), (std::vector<std::string>{"/a", "/x~1y~0z/k"}));
}

TEST(ConfigUpdateTest, ControlMessageRoundTrip) {
  Json config = J(R"j({"credentials": {"refresh_token": "r1"}})j");
  Json message = ConnectorConfigControlMessage(config);
  EXPECT_EQ(message["type"], "CONTROL");
  EXPECT_EQ(message["control"]["type"], "CONNECTOR_CONFIG");
  EXPECT_GT(message["control"]["emitted_at"].get<int64_t>(), 1700000000000);
  EXPECT_EQ(ConnectorConfigOfControl(message), config);
  EXPECT_FALSE(ConnectorConfigOfControl(J(R"j({"type": "LOG", "log": {}})j")).has_value());
  EXPECT_FALSE(ConnectorConfigOfControl(J(R"j({"type": "CONTROL", "control": {"type": "OTHER"}})j")).has_value());
  EXPECT_FALSE(ConnectorConfigOfControl(J(R"j({"type": "CONTROL", "control": {"type": "CONNECTOR_CONFIG",
      "connectorConfig": {"config": "not an object"}}})j")).has_value());
}

}  // namespace
}  // namespace sluice
