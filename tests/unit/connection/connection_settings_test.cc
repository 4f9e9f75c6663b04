#include "connection/connection_settings.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

ConnectorSpec Destination(std::vector<DestinationSyncMode> modes) {
  ConnectorSpec spec;
  spec.supported_destination_sync_modes = std::move(modes);
  return spec;
}

TEST(DefaultModesTest, OneRuleForPipelineFilesAndTheApi) {
  const auto all = Destination({DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite});
  const auto append_only = Destination({DestinationSyncMode::kAppend});
  const auto none = Destination({});
  const std::vector<SyncMode> both = {SyncMode::kFullRefresh, SyncMode::kIncremental};

  auto m = DefaultModes(both, true, &all);
  EXPECT_EQ(m.sync, SyncMode::kIncremental);
  EXPECT_EQ(m.destination, DestinationSyncMode::kAppend);
  m = DefaultModes(both, false, &all);
  EXPECT_EQ(m.sync, SyncMode::kFullRefresh);
  EXPECT_EQ(m.destination, DestinationSyncMode::kOverwrite);
  m = DefaultModes(both, false, &append_only);
  EXPECT_EQ(m.destination, DestinationSyncMode::kAppend);
  // A destination that declares no modes, or none known yet, is not second-guessed.
  EXPECT_EQ(DefaultModes(both, false, &none).destination, DestinationSyncMode::kOverwrite);
  EXPECT_EQ(DefaultModes(both, false, nullptr).destination, DestinationSyncMode::kOverwrite);
  // Incremental-only streams (CDC) are incremental even without a cursor; no modes = full refresh.
  EXPECT_EQ(DefaultModes({SyncMode::kIncremental}, false, &all).sync, SyncMode::kIncremental);
  EXPECT_EQ(DefaultModes({}, true, &all).sync, SyncMode::kFullRefresh);
}

Catalog TwoStreams() {
  auto c = Catalog::FromJson(Json::parse(R"({"streams": [
    {"name": "users", "namespace": "public",
     "json_schema": {"type": "object", "properties": {"id": {"type": "integer"}, "updated_at": {"type": "string"}}},
     "supported_sync_modes": ["full_refresh", "incremental"], "default_cursor_field": ["updated_at"],
     "source_defined_primary_key": [["id"]]},
    {"name": "countries", "json_schema": {"type": "object", "properties": {"code": {"type": "string"}}},
     "supported_sync_modes": ["full_refresh"]}]})"));
  EXPECT_TRUE(c.ok());
  return *c;
}

TEST(ConnectionSettingsTest, EveryStreamWithDefaultsThenMappedToTheDestination) {
  ConnectionSettings settings;
  settings.origin = "test";
  settings.namespace_definition = NamespaceDefinition::kCustom;
  settings.namespace_format = "raw_${SOURCE_NAMESPACE}";
  settings.prefix = "p_";
  const auto dest = Destination({DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite});
  auto catalog = BuildConfiguredCatalog(settings, TwoStreams(), dest);
  ASSERT_TRUE(catalog.ok()) << catalog.status().message();
  ASSERT_EQ(catalog->streams.size(), 2u);
  EXPECT_EQ(catalog->streams[0].sync_mode, SyncMode::kIncremental);
  EXPECT_EQ(catalog->streams[0].cursor_field, FieldPath{"updated_at"});
  EXPECT_EQ(catalog->streams[1].destination_sync_mode, DestinationSyncMode::kOverwrite);
  const ConfiguredCatalog mapped = MapToDestination(*catalog, settings);
  EXPECT_EQ(mapped.streams[0].stream.name, "p_users");
  EXPECT_EQ(mapped.streams[0].stream.namespace_, "raw_public");
  EXPECT_EQ(mapped.streams[1].stream.namespace_, "raw_");
}

TEST(ConnectionSettingsTest, ErrorsNameTheStreamsLocation) {
  ConnectionSettings settings;
  settings.origin = "syncCatalog";
  StreamSelection s;
  s.name = "countries";
  s.sync_mode = SyncMode::kIncremental;
  s.location = "syncCatalog.streams[1]";
  settings.streams = std::vector<StreamSelection>{s};
  auto catalog = BuildConfiguredCatalog(settings, TwoStreams(), Destination({DestinationSyncMode::kAppend}));
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().message().rfind("syncCatalog.streams[1]: stream 'countries' does not support incremental", 0),
            0u)
      << catalog.status().message();
}

}  // namespace
}  // namespace sluice
