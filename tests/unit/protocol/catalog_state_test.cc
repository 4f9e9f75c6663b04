#include <gtest/gtest.h>

#include "protocol/catalog.h"
#include "protocol/state.h"

namespace sluice {
namespace {

const char* kConfiguredCatalog = R"({"streams":[{"stream":{"name":"users","namespace":"public",
  "json_schema":{"type":"object","properties":{"id":{"type":"integer"}}},
  "supported_sync_modes":["full_refresh","incremental"],"source_defined_cursor":true,
  "default_cursor_field":["updated_at"],"source_defined_primary_key":[["id"]],"x_custom":1},
  "sync_mode":"incremental","destination_sync_mode":"append_dedup","cursor_field":["updated_at"],
  "primary_key":[["id"]],"generation_id":3,"minimum_generation_id":0,"sync_id":9}]})";

TEST(CatalogTest, ConfiguredCatalogRoundTripsExactly) {
  const Json in = Json::parse(kConfiguredCatalog);
  auto c = ConfiguredCatalog::FromJson(in);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_EQ(c->streams.size(), 1u);
  const ConfiguredStream& s = c->streams[0];
  EXPECT_EQ(s.sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(s.destination_sync_mode, DestinationSyncMode::kAppendDedup);
  EXPECT_EQ(s.descriptor().ToString(), "public.users");
  ASSERT_TRUE(s.schema);
  EXPECT_EQ(s.schema->num_fields(), 1u);
  EXPECT_EQ(c->ToJson(), in);
  EXPECT_EQ(c->Find({"users", "public"}), 0);
  EXPECT_EQ(c->Find({"users", std::nullopt}), -1);
}

TEST(CatalogTest, ErrorsNameThePath) {
  Json bad = Json::parse(kConfiguredCatalog);
  bad["streams"][0]["sync_mode"] = "sometimes";
  auto c = ConfiguredCatalog::FromJson(bad);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(c.status().message().find("streams[0].sync_mode"), std::string::npos) << c.status().message();
  bad = Json::parse(kConfiguredCatalog);
  bad["streams"][0]["stream"].erase("json_schema");
  c = ConfiguredCatalog::FromJson(bad);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("streams[0].stream"), std::string::npos);
}

TEST(StateTest, StreamGlobalAndLegacyStatesFold) {
  StateStore store;
  auto m1 = StateMessage::FromJson(Json::parse(R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},
      "stream_state":{"cursor":1}},"sourceStats":{"recordCount":10.0}})"), "t");
  ASSERT_TRUE(m1.ok());
  EXPECT_EQ(*m1->source_record_count, 10.0);
  store.Apply(*m1);
  auto m2 = StateMessage::FromJson(Json::parse(R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"a"},
      "stream_state":{"cursor":2}}})"), "t");
  store.Apply(*m2);
  ASSERT_NE(store.Find({"a", std::nullopt}), nullptr);
  EXPECT_EQ((*store.Find({"a", std::nullopt}))["cursor"], 2);
  auto g = StateMessage::FromJson(Json::parse(R"({"type":"GLOBAL","global":{"shared_state":{"lsn":5},
      "stream_states":[{"stream_descriptor":{"name":"b","namespace":"s"},"stream_state":{"x":1}}]}})"), "t");
  ASSERT_TRUE(g.ok());
  store.Apply(*g);
  EXPECT_EQ((*store.SharedState())["lsn"], 5);
  EXPECT_EQ((*store.Find({"b", "s"}))["x"], 1);
  // Serialized form parses back to the same store.
  auto back = StateStore::FromJson(store.ToJson());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->ToJson(), store.ToJson());
  // A legacy blob (no type) is accepted.
  auto legacy = StateStore::FromJson(Json::parse(R"({"cursor":"2020-01-01"})"));
  ASSERT_TRUE(legacy.ok());
  EXPECT_FALSE(legacy->empty());
  EXPECT_EQ(legacy->ToJson()[0]["type"], "LEGACY");
  store.Remove({"a", std::nullopt});
  EXPECT_EQ(store.Find({"a", std::nullopt}), nullptr);
}

TEST(StateTest, RejectsUnknownType) {
  auto m = StateMessage::FromJson(Json::parse(R"({"type":"PARTIAL"})"), "line 3");
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("line 3.type"), std::string::npos);
}

}  // namespace
}  // namespace sluice
