// The CDC seam: the metadata columns added to a discovered stream, the GLOBAL state, and the
// ChangeLogReader hand-off against an in-memory log.
#include <gtest/gtest.h>

#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/kit/cdc/change_log_reader.h"
#include "connectors/kit/cdc/cdc_state.h"
#include "connectors/kit/cdc/cdc_streams.h"
#include "connectors/kit/cdc/position_emitter.h"
#include "connectors/kit/cdc/schema_changes.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

AirbyteStream Discovered() {
  AirbyteStream s;
  s.name = "orders";
  s.namespace_ = "public";
  s.json_schema = Json::parse(R"({"type":"object","properties":{"id":{"type":"integer"}}})");
  s.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
  s.source_defined_primary_key = {{"id"}};
  s.is_resumable = true;
  s.extra["cursor_candidates"] = Json::parse(R"([["id"]])");
  return s;
}

TEST(CdcColumns, AugmentationAddsAirbytesColumns) {
  AirbyteStream s = Discovered();
  AddCdcColumns(s);
  const Json& p = s.json_schema["properties"];
  EXPECT_EQ(p["id"], Json::parse(R"({"type":"integer"})"));  // the table's columns stay
  EXPECT_EQ(p["_ab_cdc_lsn"], JsonSchemaForType(TypeId::kInteger, true));
  EXPECT_EQ(p["_ab_cdc_updated_at"], JsonSchemaForType(TypeId::kTimestampTz, true));
  EXPECT_EQ(p["_ab_cdc_deleted_at"], JsonSchemaForType(TypeId::kTimestampTz, true));
  EXPECT_TRUE(s.source_defined_cursor);
  EXPECT_EQ(s.default_cursor_field, std::vector<std::string>{"_ab_cdc_lsn"});
  EXPECT_EQ(s.supported_sync_modes, (std::vector<SyncMode>{SyncMode::kFullRefresh, SyncMode::kIncremental}));
  EXPECT_EQ(s.source_defined_primary_key, (std::vector<std::vector<std::string>>{{"id"}}));
  EXPECT_FALSE(s.extra.contains("cursor_candidates"));
  // Idempotent; the JSON form round-trips.
  const Json once = s.ToJson();
  AddCdcColumns(s);
  EXPECT_EQ(s.ToJson(), once);
  EXPECT_TRUE(IsCdcColumn("_ab_cdc_deleted_at"));
  EXPECT_FALSE(IsCdcColumn("id"));
}

TEST(CdcState, GlobalStateRoundTrip) {
  CdcState state;
  state.position = Json{{"lsn", "0/16B3748"}};
  state.streams.push_back({{"orders", std::string("public")}, Json{{"state_type", "ctid"}, {"ctid", "(3,0)"}}});
  state.streams.push_back({{"users", std::string("public")}, Json{{"state_type", "snapshot_completed"}}});
  const StateMessage message = CdcStateMessage(state);
  EXPECT_EQ(message.type, StateType::kGlobal);
  const Json wire = message.ToJson();
  EXPECT_EQ(wire["type"], "GLOBAL");
  EXPECT_EQ(wire["global"]["shared_state"],
            Json::parse(R"({"state":{"lsn":"0/16B3748"},"state_type":"cdc","version":2})"));
  ASSERT_EQ(wire["global"]["stream_states"].size(), 2u);
  EXPECT_EQ(wire["global"]["stream_states"][0]["stream_descriptor"]["name"], "orders");

  // Through the wire and a state store, as the engine saves and hands it back.
  auto back = StateMessage::FromJson(wire, "state");
  ASSERT_TRUE(back.ok());
  auto parsed = ParseCdcState(*back);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->position, state.position);
  ASSERT_EQ(parsed->streams.size(), 2u);
  EXPECT_EQ(parsed->streams[1].stream_state["state_type"], "snapshot_completed");
  StateStore store;
  store.Apply(*back);
  auto from_store = ParseCdcState(store);
  ASSERT_TRUE(from_store);
  EXPECT_EQ(from_store->position, state.position);
  ASSERT_EQ(from_store->streams.size(), 2u);
  EXPECT_EQ(store.Find({"orders", std::string("public")})->at("ctid"), "(3,0)");
}

TEST(CdcState, OtherStatesAreNotCdc) {
  StateStore empty;
  EXPECT_FALSE(ParseCdcState(empty));
  StateMessage stream_state;
  stream_state.type = StateType::kStream;
  EXPECT_FALSE(ParseCdcState(stream_state));
  StateMessage other;
  other.type = StateType::kGlobal;
  other.shared_state = Json{{"state_type", "something_else"}, {"state", 1}};
  EXPECT_FALSE(ParseCdcState(other));
}

}  // namespace
}  // namespace sluice

// The hand-off contract, against an in-memory log: open at a position, snapshot, read changes
// until a position, checkpoint, commit only what the destination confirmed.
namespace sluice {
namespace {

class MemoryLog final : public ChangeLogReader {
 public:
  Result<Json> Open(const Json& saved) override {
    next_ = saved.is_null() ? head_ : saved.at("lsn").get<uint64_t>();
    return Json{{"lsn", next_}};
  }
  Result<Json> ReadChanges(const Until& until, ChangeSink& sink) override {
    const uint64_t stop = until.position ? until.position->at("lsn").get<uint64_t>() : UINT64_MAX;
    for (; next_ < changes_.size() && next_ <= stop; ++next_) SLUICE_RETURN_IF_ERROR(sink.OnChange(changes_[next_]));
    return Json{{"lsn", next_}};
  }
  Status Commit(const Json& position) override {
    committed_ = position.at("lsn").get<uint64_t>();
    return Status::Ok();
  }
  void Close() override {}

  std::vector<Change> changes_;
  uint64_t head_ = 0;  //!< the log's end when the reader is opened without a position
  uint64_t next_ = 0;
  uint64_t committed_ = 0;
};

class Collect final : public ChangeSink {
 public:
  Status OnChange(const Change& change) override {
    lsns.push_back(change.lsn);
    return Status::Ok();
  }
  std::vector<uint64_t> lsns;
};

TEST(ChangeLogReader, SnapshotThenChangesThenCommit) {
  MemoryLog log;
  for (uint64_t i = 0; i < 5; ++i) log.changes_.push_back({Change::Kind::kInsert, 0, i, 0, Json::object()});
  log.head_ = 2;  // changes 0 and 1 happened before the first sync: the snapshot holds them
  auto start = log.Open(Json());
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->at("lsn"), 2);
  Collect sink;
  ChangeLogReader::Until until;
  until.position = Json{{"lsn", 3}};
  auto after = log.ReadChanges(until, sink);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(sink.lsns, (std::vector<uint64_t>{2, 3}));
  // The checkpoint carries the position; the log is committed only once it is durable.
  const StateMessage checkpoint = CdcStateMessage({*after, {}});
  EXPECT_EQ(log.committed_, 0u);
  ASSERT_TRUE(log.Commit(ParseCdcState(checkpoint)->position).ok());
  EXPECT_EQ(log.committed_, 4u);
  // The next sync resumes from the saved position.
  MemoryLog again = log;
  ASSERT_TRUE(again.Open(ParseCdcState(checkpoint)->position).ok());
  Collect rest;
  ASSERT_TRUE(again.ReadChanges({}, rest).ok());
  EXPECT_EQ(rest.lsns, std::vector<uint64_t>{4});  // no change twice, none lost
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

TEST(SchemaChangesSeen, NotesOnceAndRoundTripsThroughThePosition) {
  SchemaChangesSeen seen;
  EXPECT_TRUE(seen.empty());
  EXPECT_TRUE(seen.Announce("shop.orders", "note"));
  EXPECT_FALSE(seen.Announce("shop.orders", "note"));
  EXPECT_TRUE(seen.Announce("shop.orders", ""));
  EXPECT_TRUE(seen.Announce("shop.extra", ""));
  Json position = {{"file", "binlog.000001"}, {"pos", 4}};
  seen.SaveTo(position);
  EXPECT_EQ(position["schema_changes_seen"], Json::parse(R"({"shop.orders":["note",""],"shop.extra":[""]})"));
  SchemaChangesSeen loaded;
  loaded.Load(position);
  EXPECT_TRUE(loaded.Seen("shop.orders", "note"));
  EXPECT_TRUE(loaded.Seen("shop.extra", ""));
  EXPECT_FALSE(loaded.Seen("shop.extra", "note"));
  EXPECT_FALSE(loaded.Announce("shop.orders", ""));
  Json bare = {{"lsn", "0/1"}};
  SchemaChangesSeen().SaveTo(bare);
  EXPECT_FALSE(bare.contains("schema_changes_seen"));  // nothing noted: the position is unchanged
  loaded.Load(Json::parse(R"({"schema_changes_seen": "junk"})"));
  EXPECT_TRUE(loaded.empty());
}

struct CountingEmitter : Emitter {
  Status Emit(RecordBatch) override { return Status::Ok(); }
  Status EmitState(StateMessage) override { return Status::Ok(); }
  Status EmitStreamStatus(uint32_t, StreamStatus) override { return Status::Ok(); }
  bool cancelled() const override { return false; }
  const CheckpointAcks* acks() const override { return &acks_; }
  CheckpointAcks acks_;
};

TEST(PositionEmitter, MapsAcknowledgedCheckpointsBackToPositions) {
  CountingEmitter engine;
  int position = 10;
  PositionEmitter<int> out(engine, position);
  EXPECT_EQ(out.TakeDurable(), std::nullopt);
  ASSERT_TRUE(out.EmitState(StateMessage{}).ok());  // 1 → 10
  position = 20;
  ASSERT_TRUE(out.EmitState(StateMessage{}).ok());  // 2 → 20
  position = 30;
  ASSERT_TRUE(out.EmitState(StateMessage{}).ok());  // 3 → 30
  engine.acks_.Acknowledge(2);
  EXPECT_EQ(out.TakeDurable(), 20);
  EXPECT_EQ(out.TakeDurable(), std::nullopt);  // taken
  engine.acks_.Acknowledge(3);
  EXPECT_EQ(out.TakeDurable(), 30);
}

}  // namespace
}  // namespace sluice

namespace sluice {
namespace {

ConfiguredCatalog TwoStreams() {
  ConfiguredCatalog catalog;
  for (const char* name : {"orders", "lookup"}) {
    ConfiguredStream s;
    s.stream.name = name;
    s.stream.namespace_ = "shop";
    s.sync_mode = std::string_view(name) == "orders" ? SyncMode::kIncremental : SyncMode::kFullRefresh;
    s.schema = std::make_shared<const Schema>(std::vector<Field>{{"id", TypeId::kInteger, false, {}}});
    catalog.streams.push_back(std::move(s));
  }
  return catalog;
}

TEST(CdcStreams, BlobsOfIncrementalStreamsGoIntoTheGlobalState) {
  ConfiguredCatalog catalog = TwoStreams();
  testing::CollectingEmitter out;
  CdcStreams streams(catalog, out, BatchLimits{});
  ASSERT_TRUE(streams.Start().ok());
  EXPECT_EQ(out.statuses.size(), 2u);
  EXPECT_TRUE(streams.HasIncremental());
  EXPECT_TRUE(streams.Incremental(0));
  EXPECT_FALSE(streams.Incremental(1));
  // The snapshot's checkpoints keep the incremental stream's blob; "complete" becomes the marker.
  auto global = [&] { return streams.GlobalState(Json{{"pos", 7}}); };
  StateMessage m = streams.SnapshotStateOf(0, global)(Json{{"pk_val", "10"}});
  ASSERT_EQ(m.stream_states.size(), 1u);
  EXPECT_EQ(m.stream_states[0].stream_state, (Json{{"pk_val", "10"}}));
  EXPECT_EQ(m.shared_state["state"], (Json{{"pos", 7}}));
  m = streams.SnapshotStateOf(1, global)(Json{{"pk_val", "3"}});  // full refresh: nothing kept
  ASSERT_EQ(m.stream_states.size(), 1u);
  m = streams.SnapshotStateOf(0, global)(Json{{"complete", true}});
  EXPECT_TRUE(IsCdcSnapshotComplete(&m.stream_states[0].stream_state));
  EXPECT_TRUE(IsCdcSnapshotComplete(streams.Blob(0)));
  EXPECT_EQ(streams.Blob(1), nullptr);
  // A resumed read starts from the saved blobs.
  CdcStreams again(catalog, out, BatchLimits{});
  again.LoadBlobs(*ParseCdcState(m));
  EXPECT_TRUE(IsCdcSnapshotComplete(again.Blob(0)));
}

TEST(CdcStreams, FinishEndsEveryStreamAndAnErrorAfterACancelIsACancel) {
  ConfiguredCatalog catalog = TwoStreams();
  {
    testing::CollectingEmitter out;
    CdcStreams streams(catalog, out, BatchLimits{});
    ASSERT_TRUE(streams.Start().ok());
    streams.batcher(0).batch().column(0).AppendInt64(1);
    ASSERT_TRUE(streams.batcher(0).RowAdded().ok());
    EXPECT_TRUE(streams.Finish(Status::Ok(), out).ok());
    EXPECT_EQ(out.batches.size(), 1u) << "pending rows are flushed";
    EXPECT_EQ(out.statuses.back().second, StreamStatus::kComplete);
  }
  {
    testing::CollectingEmitter out;
    CdcStreams streams(catalog, out, BatchLimits{});
    ASSERT_TRUE(streams.Start().ok());
    EXPECT_EQ(streams.Finish(Status::TransientError("lost"), out).failure_type(), FailureType::kTransient);
    EXPECT_EQ(out.statuses.back().second, StreamStatus::kIncomplete);
  }
  {
    struct Stopped : testing::CollectingEmitter {
      bool cancelled() const override { return true; }
    } out;
    CdcStreams streams(catalog, out, BatchLimits{});
    ASSERT_TRUE(streams.Start().ok());
    EXPECT_TRUE(streams.Finish(Status::TransientError("interrupted"), out).cancelled());
    EXPECT_EQ(out.statuses.size(), 2u) << "no INCOMPLETE for a cancelled read";
  }
  ConfiguredCatalog unbound = TwoStreams();
  unbound.streams[1].schema = nullptr;
  testing::CollectingEmitter out;
  CdcStreams streams(unbound, out, BatchLimits{});
  EXPECT_EQ(streams.Start().failure_type(), FailureType::kSystem);
}

}  // namespace
}  // namespace sluice
