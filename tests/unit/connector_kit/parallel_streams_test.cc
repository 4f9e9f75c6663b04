#include "connectors/kit/parallel_streams.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "connectors/kit/stream_batcher.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

SchemaPtr IdSchema() {
  return std::make_shared<const Schema>(std::vector<Field>{{"id", TypeId::kInteger, false, {}}});
}

//! Records what reaches the source thread, in order, and checks it is that thread.
class OrderEmitter : public testing::CollectingEmitter {
 public:
  Status Emit(RecordBatch batch) override {
    EXPECT_EQ(std::this_thread::get_id(), owner);
    events.push_back({batch.stream(), "batch"});
    if (fail_after_batches > 0 && ++emitted >= fail_after_batches) return Status::TransientError("channel broke");
    return CollectingEmitter::Emit(std::move(batch));
  }
  Status EmitState(StateMessage state) override {
    EXPECT_EQ(std::this_thread::get_id(), owner);
    events.push_back({static_cast<uint32_t>(std::stoi(state.stream.descriptor.name)), "state"});
    return CollectingEmitter::EmitState(std::move(state));
  }
  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    EXPECT_EQ(std::this_thread::get_id(), owner);
    events.push_back({stream, std::string(StreamStatusName(status))});
    return CollectingEmitter::EmitStreamStatus(stream, status);
  }
  bool cancelled() const override { return cancel.load(); }

  std::thread::id owner = std::this_thread::get_id();
  std::vector<std::pair<uint32_t, std::string>> events;
  int fail_after_batches = 0;
  int emitted = 0;
  std::atomic<bool> cancel{false};
};

//! A stream of `batches` batches of 10 rows, each followed by a state.
Status ReadBatches(uint32_t stream, Emitter& out, int batches) {
  StreamBatcher batcher(out, stream, IdSchema(), {.max_rows = 10});
  SLUICE_RETURN_IF_ERROR(batcher.Start());
  Status st;
  for (int b = 0; b < batches && st.ok(); ++b) {
    for (int r = 0; r < 10 && st.ok(); ++r) {
      batcher.batch().column(0).AppendInt64(b * 10 + r);
      st = batcher.RowAdded();
    }
    if (!st.ok()) break;
    StateMessage state;
    state.type = StateType::kStream;
    state.stream.descriptor = {std::to_string(stream), std::nullopt};
    state.stream.stream_state = Json{{"batch", b}};
    st = batcher.Checkpoint(std::move(state));
  }
  return batcher.Finish(st);
}

TEST(ParallelStreamsTest, EveryStreamArrivesInOrderOnTheSourceThread) {
  OrderEmitter out;
  ParallelStreams streams(out, {.workers = 3, .queued_events_per_worker = 1});
  std::atomic<int> concurrent{0}, most{0};
  Status st = streams.Run(5, [&](size_t worker, uint32_t stream, Emitter& emitter) {
    EXPECT_LT(worker, 3u);
    const int now = ++concurrent;
    most = std::max(most.load(), now);
    Status result = ReadBatches(stream, emitter, 20);
    --concurrent;
    return result;
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_LE(most.load(), 3);
  // Per stream: STARTED, RUNNING, (batch, state) × 20, COMPLETE.
  std::map<uint32_t, std::vector<std::string>> per_stream;
  for (const auto& [stream, what] : out.events) per_stream[stream].push_back(what);
  ASSERT_EQ(per_stream.size(), 5u);
  for (const auto& [stream, seq] : per_stream) {
    ASSERT_EQ(seq.size(), 43u) << stream;
    EXPECT_EQ(seq[0], "STARTED");
    EXPECT_EQ(seq[1], "RUNNING");
    for (size_t i = 2; i < 42; i += 2) {
      EXPECT_EQ(seq[i], "batch");
      EXPECT_EQ(seq[i + 1], "state");  // a state only after the batch it covers
    }
    EXPECT_EQ(seq[42], "COMPLETE");
  }
  EXPECT_EQ(out.batches.size(), 100u);
}

TEST(ParallelStreamsTest, AFailedStreamLetsTheOthersFinishAndItsErrorWins) {
  OrderEmitter out;
  ParallelStreams streams(out, {.workers = 2});
  Status st = streams.Run(
      4,
      [&](size_t, uint32_t stream, Emitter& emitter) {
        if (stream == 1) {
          StreamBatcher batcher(emitter, stream, IdSchema());
          SLUICE_RETURN_IF_ERROR(batcher.Start());
          return batcher.Finish(Status::ConfigError("table t1 is gone"));
        }
        return ReadBatches(stream, emitter, 2);
      },
      [](uint32_t stream) { return "t" + std::to_string(stream); });
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("t1 is gone"), std::string::npos);
  int complete = 0;
  bool incomplete1 = false;
  for (const auto& [stream, status] : out.statuses) {
    complete += status == StreamStatus::kComplete;
    incomplete1 |= stream == 1 && status == StreamStatus::kIncomplete;
  }
  EXPECT_EQ(complete, 3);
  EXPECT_TRUE(incomplete1);
}

TEST(ParallelStreamsTest, AnEmitterErrorStopsEveryWorker) {
  OrderEmitter out;
  out.fail_after_batches = 3;
  ParallelStreams streams(out, {.workers = 2});
  std::atomic<bool> stopped_hook{false};
  streams.set_on_stop([&] { stopped_hook = true; });
  Status st = streams.Run(6, [&](size_t, uint32_t stream, Emitter& emitter) {
    return ReadBatches(stream, emitter, 1000);  // would never end by itself in time
  });
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_TRUE(stopped_hook);
  EXPECT_TRUE(streams.stopping());
  EXPECT_LE(out.batches.size(), 3u);
}

TEST(ParallelStreamsTest, CancellationInterruptsBlockedReadsThroughTheHook) {
  OrderEmitter out;
  ParallelStreams streams(out, {.workers = 2, .poll_interval = std::chrono::milliseconds(5)});
  std::atomic<bool> interrupted{false};
  std::atomic<int> started{0};
  streams.set_on_stop([&] { interrupted = true; });
  std::thread canceller([&] {
    while (started < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    out.cancel = true;
  });
  Status st = streams.Run(10, [&](size_t, uint32_t, Emitter& emitter) {
    ++started;
    // A read blocked outside the emitter (e.g. a long query) until the hook interrupts it.
    while (!interrupted) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_TRUE(emitter.cancelled());
    return Status::TransientError("query cancelled by the server");  // reported as Cancelled
  });
  canceller.join();
  EXPECT_TRUE(st.cancelled()) << st.ToString();
  EXPECT_EQ(started.load(), 2);  // the streams not started are skipped
}

TEST(ParallelStreamsTest, NoStreamsIsOk) {
  OrderEmitter out;
  ParallelStreams streams(out);
  EXPECT_TRUE(streams.Run(0, [](size_t, uint32_t, Emitter&) { return Status::SystemError("never called"); }).ok());
}

}  // namespace
}  // namespace sluice
