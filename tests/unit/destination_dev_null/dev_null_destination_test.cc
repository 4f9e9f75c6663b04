#include "connectors/destinations/dev_null/dev_null_destination.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

ConfiguredCatalog TwoStreams() {
  auto c = ConfiguredCatalog::FromJson(Json::parse(R"({"streams":[
    {"stream":{"name":"a","json_schema":{"type":"object","properties":{"id":{"type":"integer"}}},
               "supported_sync_modes":["full_refresh","incremental"]},
     "sync_mode":"incremental","destination_sync_mode":"append_dedup","primary_key":[["id"]],"cursor_field":["id"]},
    {"stream":{"name":"b","json_schema":{"type":"object","properties":{"id":{"type":"integer"}}},
               "supported_sync_modes":["full_refresh"]},
     "sync_mode":"full_refresh","destination_sync_mode":"overwrite"}]})"));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return std::move(c).value();
}

RecordBatch Batch(const ConfiguredCatalog& catalog, uint32_t stream, size_t rows) {
  RecordBatch b(catalog.streams[stream].schema, stream);
  for (size_t i = 0; i < rows; ++i) {
    b.column(0).AppendInt64(static_cast<int64_t>(i));
    b.FinishRow();
  }
  return b;
}

TEST(DevNullDestinationTest, SpecAcceptsEverySyncMode) {
  DevNullDestination dest;
  ConnectorSpec spec = dest.Spec();
  for (auto mode : {DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite, DestinationSyncMode::kAppendDedup,
                    DestinationSyncMode::kUpdate, DestinationSyncMode::kSoftDelete}) {
    EXPECT_TRUE(spec.Supports(mode));
  }
  EXPECT_TRUE(spec.connection_specification["properties"].contains("test_destination"));
  EXPECT_EQ(spec.connection_specification["properties"]["test_destination"]["default"], Json::object());
}

TEST(DevNullDestinationTest, AcceptsAirbyteConfigs) {
  DevNullDestination dest;
  EXPECT_TRUE(dest.Check(Json::object()).ok());
  EXPECT_TRUE(dest.Check(Json::parse(R"({"test_destination":{"test_destination_type":"SILENT"}})")).ok());
  EXPECT_TRUE(dest.Check(Json::parse(R"({"test_destination":{"test_destination_type":"LOGGING","x":1}})")).ok());
  Status st = dest.Check(Json::parse(R"({"test_destination":"SILENT"})"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("test_destination"), std::string::npos);
}

TEST(DevNullDestinationTest, CountsRowsPerStream) {
  ConfiguredCatalog catalog = TwoStreams();
  auto made = MakeDevNullDestination();
  auto& dest = static_cast<DevNullDestination&>(*made);
  ASSERT_TRUE(dest.Begin(Json::object(), catalog).ok());
  auto a = dest.Open(0);
  auto b = dest.Open(1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(dest.Open(2).ok());
  ASSERT_TRUE((*a)->Write(Batch(catalog, 0, 10)).ok());
  ASSERT_TRUE((*a)->Flush().ok());
  ASSERT_TRUE((*b)->Write(Batch(catalog, 1, 7)).ok());
  ASSERT_TRUE((*a)->Write(Batch(catalog, 0, 5)).ok());
  ASSERT_TRUE((*a)->Finish(StreamOutcome::kComplete).ok());
  ASSERT_TRUE((*b)->Finish(StreamOutcome::kIncomplete).ok());
  StateMessage state;
  ASSERT_TRUE(dest.Commit(state).ok());
  ASSERT_TRUE(dest.End(true).ok());
  EXPECT_EQ(dest.rows(0), 15u);
  EXPECT_EQ(dest.rows(1), 7u);
  EXPECT_EQ(dest.rows(), 22u);
  EXPECT_GT(dest.bytes(), 0u);
}

}  // namespace
}  // namespace sluice
