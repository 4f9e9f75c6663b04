#include "platform/sync_catalog.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

AirbyteStream Stream(std::string name, std::optional<std::string> ns, bool incremental) {
  AirbyteStream s;
  s.name = std::move(name);
  s.namespace_ = std::move(ns);
  s.json_schema = Json::parse(R"({"type":"object","properties":{"id":{"type":"integer"},"updated_at":{"type":"string"}}})");
  s.supported_sync_modes = {SyncMode::kFullRefresh};
  if (incremental) {
    s.supported_sync_modes.push_back(SyncMode::kIncremental);
    s.default_cursor_field = {"updated_at"};
  }
  s.source_defined_primary_key = {{"id"}};
  return s;
}

ConnectorSpec DestinationSpec() {
  ConnectorSpec spec;
  spec.supported_destination_sync_modes = {DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite,
                                           DestinationSyncMode::kAppendDedup};
  return spec;
}

TEST(SyncCatalogTest, DiscoveredCatalogGetsAirbyteDefaults) {
  Catalog discovered{{Stream("users", "public", true), Stream("events", "public", false)}};
  ConnectorSpec dest = DestinationSpec();
  Json catalog = SyncCatalogFromDiscovered(discovered, &dest);
  ASSERT_EQ(catalog["streams"].size(), 2u);
  const Json& users = catalog["streams"][0];
  EXPECT_EQ(users["stream"]["namespace"], "public");
  EXPECT_EQ(users["stream"]["supportedSyncModes"], Json::parse(R"(["full_refresh","incremental"])"));
  EXPECT_EQ(users["config"]["syncMode"], "incremental");
  EXPECT_EQ(users["config"]["destinationSyncMode"], "append");
  EXPECT_EQ(users["config"]["cursorField"], Json::parse(R"(["updated_at"])"));
  EXPECT_EQ(users["config"]["primaryKey"], Json::parse(R"([["id"]])"));
  EXPECT_EQ(catalog["streams"][1]["config"]["syncMode"], "full_refresh");
  EXPECT_EQ(catalog["streams"][1]["config"]["destinationSyncMode"], "overwrite");
}

TEST(SyncCatalogTest, SeedBodyIsNormalized) {
  // The seed's connections/create body: a stream with only a name and a schema.
  Json body = Json::parse(R"({"streams":[{"stream":{"name":"customers","jsonSchema":{}},
      "config":{"syncMode":"incremental","destinationSyncMode":"append","cursorField":["updated_at"]}}]})");
  auto normalized = NormalizeSyncCatalog(body, DestinationSpec());
  ASSERT_TRUE(normalized.ok()) << normalized.status().ToString();
  const Json& config = (*normalized)["streams"][0]["config"];
  EXPECT_EQ(config["selected"], true);
  EXPECT_EQ(config["primaryKey"], Json::array());
  EXPECT_EQ(config["aliasName"], "customers");
}

TEST(SyncCatalogTest, EveryProblemIsNamedByItsPath) {
  Json body = Json::parse(R"({"streams":[
      {"stream":{"name":"a","supportedSyncModes":["full_refresh"]},"config":{"syncMode":"incremental"}},
      {"stream":{"name":"b"},"config":{"syncMode":"sometimes","destinationSyncMode":"append_dedup"}},
      {"stream":{"name":"c"},"config":{"syncMode":"full_refresh","destinationSyncMode":"update"}},
      {"stream":{"name":"a","supportedSyncModes":["full_refresh"]},"config":{"primaryKey":"id"}},
      {"stream":{}}]})");
  auto normalized = NormalizeSyncCatalog(body, DestinationSpec());
  ASSERT_FALSE(normalized.ok());
  const std::string m = normalized.status().message();
  EXPECT_NE(m.find("syncCatalog.streams[0].config.syncMode: stream 'a' does not support incremental"), std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[1].config.syncMode: must be one of"), std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[1].config.primaryKey: stream 'b' is deduplicated but has no primary key"),
            std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[2].config.destinationSyncMode: the destination does not support update"),
            std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[3].stream: stream 'a' is listed twice"), std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[3].config.primaryKey: must be an array of field paths"), std::string::npos) << m;
  EXPECT_NE(m.find("syncCatalog.streams[4].stream.name: must be a non-empty string"), std::string::npos) << m;
}

TEST(SyncCatalogTest, IncrementalWithoutCursorIsRejected) {
  Json body = Json::parse(R"({"streams":[{"stream":{"name":"x"},"config":{"syncMode":"incremental"}}]})");
  auto normalized = NormalizeSyncCatalog(body, DestinationSpec());
  ASSERT_FALSE(normalized.ok());
  EXPECT_NE(normalized.status().message().find("syncCatalog.streams[0].config.cursorField"), std::string::npos);
}

TEST(SyncCatalogTest, BuildsBothSidesWithNamespaceFormatAndPrefix) {
  Catalog discovered{{Stream("users", "public", true), Stream("events", "public", false)}};
  ConnectorSpec dest = DestinationSpec();
  Connection connection;
  connection.sync_catalog = SyncCatalogFromDiscovered(discovered, &dest);
  connection.sync_catalog["streams"][1]["config"]["selected"] = false;
  connection.namespace_definition = "customformat";
  connection.namespace_format = "production_${SOURCE_NAMESPACE}";
  connection.prefix = "raw_";
  auto catalogs = BuildConnectionCatalogs(connection, discovered, dest);
  ASSERT_TRUE(catalogs.ok()) << catalogs.status().ToString();
  ASSERT_EQ(catalogs->source.streams.size(), 1u);
  EXPECT_EQ(catalogs->source.streams[0].stream.name, "users");
  EXPECT_EQ(catalogs->source.streams[0].sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(catalogs->source.streams[0].cursor_field, std::vector<std::string>{"updated_at"});
  ASSERT_EQ(catalogs->destination.streams.size(), 1u);
  EXPECT_EQ(catalogs->destination.streams[0].stream.name, "raw_users");
  EXPECT_EQ(catalogs->destination.streams[0].stream.namespace_, "production_public");
  EXPECT_NE(catalogs->source.streams[0].schema, nullptr);
}

TEST(SyncCatalogTest, StreamGoneFromSourceIsAConfigError) {
  Catalog discovered{{Stream("users", "public", true)}};
  Connection connection;
  connection.sync_catalog = Json::parse(R"({"streams":[{"stream":{"name":"orders"},"config":{}}]})");
  auto catalogs = BuildConnectionCatalogs(connection, discovered, DestinationSpec());
  ASSERT_FALSE(catalogs.ok());
  EXPECT_EQ(catalogs.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(catalogs.status().message().find("syncCatalog.streams[0]: stream 'orders' is not in the source's catalog"),
            std::string::npos)
      << catalogs.status().message();
}

TEST(SyncCatalogTest, DestinationNamespaceDropsTheSourceNamespace) {
  Catalog discovered{{Stream("users", "public", false)}};
  Connection connection;
  connection.sync_catalog = SyncCatalogFromDiscovered(discovered, nullptr);
  connection.namespace_definition = "destination";
  auto catalogs = BuildConnectionCatalogs(connection, discovered, DestinationSpec());
  ASSERT_TRUE(catalogs.ok()) << catalogs.status().ToString();
  EXPECT_FALSE(catalogs->destination.streams[0].stream.namespace_.has_value());
  EXPECT_EQ(catalogs->source.streams[0].stream.namespace_, "public");
  EXPECT_EQ(catalogs->source.streams[0].destination_sync_mode, DestinationSyncMode::kOverwrite);
}

}  // namespace
}  // namespace sluice
