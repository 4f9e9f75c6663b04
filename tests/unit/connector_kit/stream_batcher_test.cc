#include "connectors/kit/stream_batcher.h"

#include <gtest/gtest.h>

#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

SchemaPtr IdSchema() {
  return std::make_shared<const Schema>(std::vector<Field>{{"id", TypeId::kInteger, false, {}}});
}

Status AddRows(StreamBatcher& out, int n) {
  for (int i = 0; i < n; ++i) {
    out.batch().column(0).AppendInt64(i);
    SLUICE_RETURN_IF_ERROR(out.RowAdded());
  }
  return Status::Ok();
}

TEST(StreamBatcherTest, BatchesByRowsThenCompletes) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 2, IdSchema(), {.max_rows = 100});
  ASSERT_TRUE(out.Start().ok());
  ASSERT_TRUE(AddRows(out, 250).ok());
  EXPECT_EQ(emitter.batches.size(), 2u);
  ASSERT_TRUE(out.Finish(Status::Ok()).ok());
  ASSERT_EQ(emitter.batches.size(), 3u);
  EXPECT_EQ(emitter.batches[2].num_rows(), 50u);
  EXPECT_EQ(emitter.batches[0].stream(), 2u);
  EXPECT_GT(emitter.batches[0].emitted_at_ms(), 1'600'000'000'000);
  EXPECT_EQ(out.rows(), 250u);
  EXPECT_EQ(out.batches(), 3u);
  using P = std::pair<uint32_t, StreamStatus>;
  EXPECT_EQ(emitter.statuses, (std::vector<P>{{2, StreamStatus::kStarted}, {2, StreamStatus::kRunning},
                                              {2, StreamStatus::kComplete}}));
}

TEST(StreamBatcherTest, BatchesByBytes) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema(), {.max_rows = 1 << 20, .max_bytes = 8 * 1024, .byte_check_every_rows = 64});
  ASSERT_TRUE(AddRows(out, 5000).ok());
  ASSERT_FALSE(emitter.batches.empty());
  for (const auto& b : emitter.batches) EXPECT_LE(b.ByteSize(), 8u * 1024 + 64 * 9);
}

TEST(StreamBatcherTest, AnEmptyStreamStillRunsAndCompletes) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema());
  ASSERT_TRUE(out.Start().ok());
  ASSERT_TRUE(out.Finish(Status::Ok()).ok());
  EXPECT_TRUE(emitter.batches.empty());
  ASSERT_EQ(emitter.statuses.size(), 3u);
  EXPECT_EQ(emitter.statuses[2].second, StreamStatus::kComplete);
}

TEST(StreamBatcherTest, CheckpointFollowsTheRowsItCovers) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema());
  ASSERT_TRUE(AddRows(out, 10).ok());
  EXPECT_TRUE(emitter.batches.empty());
  StateMessage state;
  state.stream.descriptor = {"s", std::nullopt};
  ASSERT_TRUE(out.Checkpoint(state).ok());
  ASSERT_EQ(emitter.batches.size(), 1u);
  EXPECT_EQ(emitter.states.size(), 1u);
}

TEST(StreamBatcherTest, AFailedReadEndsIncompleteAndKeepsItsError) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema());
  ASSERT_TRUE(AddRows(out, 3).ok());
  Status st = out.Finish(Status::TransientError("connection reset"));
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_TRUE(emitter.batches.empty());  // rows not covered by a checkpoint are not handed over
  EXPECT_EQ(emitter.statuses.back().second, StreamStatus::kIncomplete);
}

TEST(StreamBatcherTest, CancelledReadEmitsNoStatus) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema());
  EXPECT_TRUE(out.Finish(Status::Cancelled()).cancelled());
  EXPECT_TRUE(emitter.statuses.empty());
}

TEST(StreamBatcherTest, LimitsChangeOnTheFly) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema(), {.max_rows = 100});
  ASSERT_TRUE(AddRows(out, 30).ok());
  BatchLimits limits = out.limits();
  limits.max_rows = 40;  // e.g. the rows left before a checkpoint is due
  out.set_limits(limits);
  ASSERT_TRUE(AddRows(out, 10).ok());
  ASSERT_EQ(emitter.batches.size(), 1u);
  EXPECT_EQ(emitter.batches[0].num_rows(), 40u);
  ASSERT_TRUE(AddRows(out, 40).ok());
  EXPECT_EQ(emitter.batches.size(), 2u);
  EXPECT_EQ(out.rows(), 80u);
}

TEST(StreamBatcherTest, RowFinishedCountsARowTheWriterFinished) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema(), {.max_rows = 4});
  for (int i = 0; i < 9; ++i) {
    out.batch().column(0).AppendInt64(i);
    out.batch().FinishRow();
    ASSERT_TRUE(out.RowFinished().ok());
  }
  ASSERT_EQ(emitter.batches.size(), 2u);
  EXPECT_EQ(emitter.batches[1].num_rows(), 4u);
  EXPECT_EQ(out.rows(), 9u);
}

TEST(StreamBatcherTest, BulkDecodersAskFullByInputBytes) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema(), {.max_rows = 1000, .max_bytes = 100});
  for (int i = 0; i < 3; ++i) {
    out.batch().column(0).AppendInt64(i);
    out.batch().FinishRow();
    out.AddInputBytes(40);
  }
  EXPECT_TRUE(out.Full());
  ASSERT_TRUE(out.Flush().ok());
  EXPECT_FALSE(out.Full());  // the input bytes start over with the batch
  EXPECT_EQ(emitter.batches.size(), 1u);
}

TEST(StreamBatcherTest, MarkRunningGoesOutOnceBeforeAnyBatch) {
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, IdSchema());
  ASSERT_TRUE(out.Start().ok());
  ASSERT_TRUE(out.MarkRunning().ok());
  ASSERT_TRUE(AddRows(out, 3).ok());
  ASSERT_TRUE(out.Finish(Status::Ok()).ok());
  using P = std::pair<uint32_t, StreamStatus>;
  EXPECT_EQ(emitter.statuses, (std::vector<P>{{0, StreamStatus::kStarted}, {0, StreamStatus::kRunning},
                                              {0, StreamStatus::kComplete}}));
}

TEST(StreamBatcherTest, PresizedBatchesHoldTheSameRows) {
  SchemaPtr schema = std::make_shared<const Schema>(std::vector<Field>{{"s", TypeId::kString, true, {}}});
  testing::CollectingEmitter emitter;
  StreamBatcher out(emitter, 0, schema, {.max_rows = 50, .presize = true});
  for (int i = 0; i < 120; ++i) {
    out.batch().column(0).AppendBytes("value " + std::to_string(i));
    ASSERT_TRUE(out.RowAdded().ok());
  }
  EXPECT_GE(out.batch().column(0).bytes().capacity(), 50u * 8);
  ASSERT_TRUE(out.Finish(Status::Ok()).ok());
  ASSERT_EQ(emitter.batches.size(), 3u);
  EXPECT_EQ(emitter.Rows()[119]["s"], "value 119");
}

}  // namespace
}  // namespace sluice
