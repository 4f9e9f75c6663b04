// Refreshes and clears on the platform side: which streams a request names, the saved state
// without them, and Airbyte's generation rule on the catalogs of an attempt.
#include "platform/job_streams.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

ConfiguredStream Configured(std::string name, std::optional<std::string> ns, DestinationSyncMode mode) {
  ConfiguredStream s;
  s.stream.name = std::move(name);
  s.stream.namespace_ = std::move(ns);
  s.destination_sync_mode = mode;
  s.sync_mode = mode == DestinationSyncMode::kOverwrite ? SyncMode::kFullRefresh : SyncMode::kIncremental;
  return s;
}

JobStream Job(std::string name, std::optional<std::string> ns, StreamAction action, std::optional<int64_t> gen) {
  JobStream s;
  s.name = std::move(name);
  s.namespace_ = std::move(ns);
  s.action = action;
  s.generation_id = gen;
  return s;
}

const Json kSyncCatalog = Json::parse(R"({"streams": [
  {"stream": {"name": "users", "namespace": "public"}, "config": {"selected": true}},
  {"stream": {"name": "orders", "namespace": "public"}, "config": {"selected": true}},
  {"stream": {"name": "events", "namespace": null}, "config": {}},
  {"stream": {"name": "audit", "namespace": "public"}, "config": {"selected": false}}]})");

TEST(JobStreamsTest, SelectedStreamsAreTheDefault) {
  auto all = SelectedJobStreams(kSyncCatalog, StreamAction::kClear);
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].name, "users");
  EXPECT_EQ(all[0].namespace_, "public");
  EXPECT_EQ(all[2].name, "events");
  EXPECT_FALSE(all[2].namespace_);
  EXPECT_EQ(all[1].action, StreamAction::kClear);
}

TEST(JobStreamsTest, RequestedStreamsMustBeSelectedAndAreKeptOnce) {
  auto ok = ResolveJobStreams(kSyncCatalog,
                              {{"orders", "public"}, {"events", std::string()}, {"orders", "public"}},
                              StreamAction::kRefreshMerge, "streams");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].name, "orders");
  EXPECT_EQ((*ok)[1].name, "events");
  EXPECT_EQ((*ok)[1].action, StreamAction::kRefreshMerge);

  auto bad = ResolveJobStreams(kSyncCatalog, {{"users", "public"}, {"audit", "public"}, {"nope", std::nullopt}},
                               StreamAction::kClear, "streams");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(bad.status().message().find("streams[1]: 'public.audit' is not a selected stream"), std::string::npos)
      << bad.status().message();
  EXPECT_NE(bad.status().message().find("streams[2]: 'nope'"), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ResolveJobStreams(kSyncCatalog, {}, StreamAction::kClear, "streams").ok());
}

TEST(JobStreamsTest, RemovingStreamStatesKeepsTheOthersAndTheSharedState) {
  const Json state = Json::parse(R"([
    {"type": "STREAM", "stream": {"stream_descriptor": {"name": "users", "namespace": "public"}, "stream_state": {"c": 1}}},
    {"type": "STREAM", "stream": {"stream_descriptor": {"name": "orders", "namespace": "public"}, "stream_state": {"c": 2}}}])");
  auto out = RemoveStreamStates(state, {Job("users", "public", StreamAction::kRefreshTruncate, 1)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0]["stream"]["stream_descriptor"]["name"], "orders");

  const Json global = Json::parse(R"([{"type": "GLOBAL", "global": {"shared_state": {"lsn": 42},
    "stream_states": [{"stream_descriptor": {"name": "users", "namespace": "public"}, "stream_state": {"c": 1}},
                      {"stream_descriptor": {"name": "orders", "namespace": "public"}, "stream_state": {"c": 2}}]}}])");
  out = RemoveStreamStates(global, {Job("orders", "public", StreamAction::kClear, 1)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0]["global"]["shared_state"]["lsn"], 42);
  ASSERT_EQ((*out)[0]["global"]["stream_states"].size(), 1u);
  EXPECT_EQ((*out)[0]["global"]["stream_states"][0]["stream_descriptor"]["name"], "users");

  // A legacy blob cannot be split: it goes whole.
  out = RemoveStreamStates(Json::parse(R"([{"type": "LEGACY", "data": {"users": 1, "orders": 2}}])"),
                           {Job("users", std::nullopt, StreamAction::kClear, 1)});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->empty());
  out = RemoveStreamStates(Json(), {Job("users", std::nullopt, StreamAction::kClear, 1)});
  ASSERT_TRUE(out.ok());
  EXPECT_TRUE(out->is_null());
  EXPECT_FALSE(RemoveStreamStates(Json::parse(R"([{"type": "NOPE"}])"), {Job("x", std::nullopt, StreamAction::kClear, 1)}).ok());
}

TEST(JobStreamsTest, GenerationIdsFollowAirbytesRule) {
  ConnectionCatalogs catalogs;
  for (auto [name, mode] : {std::pair{"appended", DestinationSyncMode::kAppend},
                            std::pair{"deduped", DestinationSyncMode::kAppendDedup},
                            std::pair{"overwritten", DestinationSyncMode::kOverwrite},
                            std::pair{"truncated", DestinationSyncMode::kAppend},
                            std::pair{"merged", DestinationSyncMode::kAppendDedup},
                            std::pair{"merged_overwrite", DestinationSyncMode::kOverwrite},
                            std::pair{"cleared", DestinationSyncMode::kOverwrite}}) {
    catalogs.source.streams.push_back(Configured(name, "public", mode));
    ConfiguredStream dst = Configured(std::string("pre_") + name, "raw", mode);  // mapped names
    catalogs.destination.streams.push_back(std::move(dst));
  }
  const std::vector<StreamGeneration> generations = {{"appended", "public", 4}, {"overwritten", "public", 2},
                                                     {"truncated", "public", 6}, {"merged", std::nullopt, 1}};
  const std::vector<JobStream> job = {Job("truncated", "public", StreamAction::kRefreshTruncate, 7),
                                      Job("merged", "public", StreamAction::kRefreshMerge, 2),
                                      Job("merged_overwrite", "public", StreamAction::kRefreshMerge, 1),
                                      Job("cleared", "public", StreamAction::kClear, 3)};
  SetGenerationIds(catalogs, 99, generations, job);
  struct Want {
    int64_t generation, minimum;
  };
  const std::vector<Want> want = {{4, 0}, {0, 0}, {2, 2}, {7, 7}, {2, 0}, {1, 1}, {3, 3}};
  for (size_t i = 0; i < want.size(); ++i) {
    for (const ConfiguredCatalog* c : {&catalogs.source, &catalogs.destination}) {
      const ConfiguredStream& s = c->streams[i];
      SCOPED_TRACE(s.descriptor().ToString());
      EXPECT_EQ(s.sync_id, 99);
      EXPECT_EQ(s.generation_id, want[i].generation);
      EXPECT_EQ(s.minimum_generation_id, want[i].minimum);
    }
  }
  // The fields reach the protocol form the destination reads.
  Json wire = catalogs.destination.streams[3].ToJson();
  EXPECT_EQ(wire["generation_id"], 7);
  EXPECT_EQ(wire["minimum_generation_id"], 7);
  EXPECT_EQ(wire["sync_id"], 99);
}

}  // namespace
}  // namespace sluice
