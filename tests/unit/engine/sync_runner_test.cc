#include "engine/sync_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "engine/channel.h"

namespace sluice {
namespace {

ConfiguredCatalog Catalog(int streams) {
  ConfiguredCatalog c;
  for (int i = 0; i < streams; ++i) {
    ConfiguredStream s;
    s.stream.name = "s" + std::to_string(i);
    s.stream.json_schema = Json::parse(R"({"type":"object","properties":{"v":{"type":"integer"}}})");
    s.stream.supported_sync_modes = {SyncMode::kFullRefresh};
    c.streams.push_back(s);
  }
  EXPECT_TRUE(c.Bind().ok());
  return c;
}

RecordBatch Batch(const ConfiguredCatalog& c, uint32_t stream, int rows, int64_t start = 0) {
  RecordBatch b(c.streams[stream].schema, stream);
  for (int i = 0; i < rows; ++i) {
    b.column(0).AppendInt64(start + i);
    b.FinishRow();
  }
  return b;
}

StateMessage State(const std::string& stream, int cursor) {
  StateMessage m;
  m.type = StateType::kStream;
  m.stream.descriptor.name = stream;
  m.stream.stream_state = {{"cursor", cursor}};
  return m;
}

// A source scripted by a function.
class FakeSource : public Source {
 public:
  std::function<Status(const ConfiguredCatalog&, Emitter&)> read;
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Result<sluice::Catalog> Discover(const Json&) override { return sluice::Catalog{}; }
  Status Read(const Json&, const ConfiguredCatalog& c, const StateStore&, Emitter& out) override { return read(c, out); }
};

// Records what the engine asks; can be told to fail.
struct DestLog {
  std::vector<std::string> events;
  uint64_t written = 0;
  uint64_t durable = 0;
  int fail_flush_at = -1;  // the Nth flush fails (transient)
  int fail_write_at = -1;
  int flushes = 0;
  int writes = 0;
  int flush_sleep_ms = 0;  // each flush takes this long
};

class FakeWriter : public StreamWriter {
 public:
  FakeWriter(DestLog& log, uint32_t i) : log_(log), i_(i) {}
  Status Write(const RecordBatch& b) override {
    if (++log_.writes == log_.fail_write_at) return Status::TransientError("disk went away");
    log_.written += b.num_rows();
    pending_ += b.num_rows();
    return Status::Ok();
  }
  Status Flush() override {
    if (++log_.flushes == log_.fail_flush_at) return Status::TransientError("flush failed");
    if (log_.flush_sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(log_.flush_sleep_ms));
    log_.durable += pending_;
    pending_ = 0;
    return Status::Ok();
  }
  Status Finish(StreamOutcome o) override {
    log_.events.push_back("finish " + std::to_string(i_) + (o == StreamOutcome::kComplete ? " complete" : " incomplete"));
    return Status::Ok();
  }

 private:
  DestLog& log_;
  uint32_t i_;
  uint64_t pending_ = 0;
};

class FakeDestination : public Destination {
 public:
  explicit FakeDestination(DestLog& log) : log_(log) {}
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Status Begin(const Json&, const ConfiguredCatalog&) override { return Status::Ok(); }
  Result<std::unique_ptr<StreamWriter>> Open(uint32_t i) override {
    return std::unique_ptr<StreamWriter>(std::make_unique<FakeWriter>(log_, i));
  }
  Status Commit(StateMessage&) override {
    log_.events.push_back("commit");
    return Status::Ok();
  }
  Status End(bool ok) override {
    log_.events.push_back(ok ? "end ok" : "end failed");
    return Status::Ok();
  }

 private:
  DestLog& log_;
};

TEST(SyncRunnerTest, CommitsStateOnlyAfterTheDataIsDurable) {
  ConfiguredCatalog c = Catalog(2);
  FakeSource src;
  src.read = [](const ConfiguredCatalog& c, Emitter& out) {
    for (int k = 0; k < 5; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 100, k * 100)));
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 1, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", k)));
    }
    return Status::Ok();
  };
  DestLog log;
  FakeDestination dst(log);
  std::vector<std::pair<int, uint64_t>> persisted;
  SyncOptions options;
  options.commit_interval_ms = 0;
  options.channel_bytes = 4096;  // force back-pressure
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    // Everything before the checkpoint is durable by now.
    EXPECT_EQ(log.durable, log.written);
    EXPECT_EQ(*s.source_record_count, 100);  // s0's records since its last state
    EXPECT_EQ(*s.destination_record_count, 100);
    persisted.emplace_back(s.stream.stream_state["cursor"].get<int>(), log.durable);
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(persisted.size(), 5u);
  EXPECT_EQ(persisted.back().first, 4);
  EXPECT_EQ(r.records, 550u);
  EXPECT_EQ(r.streams[0].records, 500u);
  EXPECT_EQ(r.streams[1].records_committed, 50u);  // no checkpoint of its own, but it completed
  EXPECT_EQ(r.checkpoints, 5u);
  EXPECT_EQ((*r.state.Find({"s0", std::nullopt}))["cursor"], 4);
  EXPECT_TRUE(r.streams[0].complete);
  EXPECT_EQ(log.events.back(), "end ok");
}

TEST(SyncRunnerTest, AFailedFlushKeepsTheLastConfirmedStateAndFinishesIncomplete) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  bool source_saw_cancel = false;
  src.read = [&](const ConfiguredCatalog& c, Emitter& out) {
    for (int k = 0;; ++k) {
      Status st = out.Emit(Batch(c, 0, 10));
      if (st.ok()) st = out.EmitState(State("s0", k));
      if (!st.ok()) {
        source_saw_cancel = st.cancelled();
        return st;
      }
    }
  };
  DestLog log;
  log.fail_flush_at = 3;
  FakeDestination dst(log);
  int last_persisted = -1;
  SyncOptions options;
  options.commit_interval_ms = 0;
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    last_persisted = s.stream.stream_state["cursor"].get<int>();
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.failure_type(), FailureType::kTransient);
  EXPECT_EQ(last_persisted, 1);  // checkpoints 0 and 1 were flushed; the third flush failed
  EXPECT_TRUE(source_saw_cancel);
  EXPECT_EQ((*r.state.Find({"s0", std::nullopt}))["cursor"], 1);
  EXPECT_EQ(log.events[log.events.size() - 2], "finish 0 incomplete");
  EXPECT_EQ(log.events.back(), "end failed");
  ASSERT_TRUE(r.failed_stream);
  EXPECT_EQ(r.failed_stream->name, "s0");
}

TEST(SyncRunnerTest, SourceErrorsKeepTheirClass) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  src.read = [](const ConfiguredCatalog& c, Emitter& out) {
    SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 5)));
    return Status::ConfigError("file x.csv line 7: expected 3 fields, found 4");
  };
  DestLog log;
  FakeDestination dst(log);
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, SyncOptions{.commit_interval_ms = 0});
  EXPECT_EQ(r.status.failure_type(), FailureType::kConfig);
  EXPECT_NE(r.status.message().find("line 7"), std::string::npos);
  EXPECT_EQ(log.events[0], "finish 0 incomplete");
}

TEST(SyncRunnerTest, ACompletedStreamIsFinalizedEvenIfALaterOneFails) {
  ConfiguredCatalog c = Catalog(2);
  FakeSource src;
  src.read = [](const ConfiguredCatalog& c, Emitter& out) {
    SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 5)));
    SLUICE_RETURN_IF_ERROR(out.EmitStreamStatus(0, StreamStatus::kComplete));
    SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 1, 5)));
    return Status::TransientError("connection reset");
  };
  DestLog log;
  FakeDestination dst(log);
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, SyncOptions{.commit_interval_ms = 0});
  EXPECT_EQ(r.status.failure_type(), FailureType::kTransient);
  EXPECT_EQ(log.events[0], "finish 0 complete");
  EXPECT_EQ(log.events[1], "finish 1 incomplete");
}

TEST(SyncRunnerTest, MismatchedSourceStatsFailTheSync) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  src.read = [](const ConfiguredCatalog& c, Emitter& out) {
    SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 5)));
    StateMessage s = State("s0", 1);
    s.source_record_count = 6;
    return out.EmitState(s);
  };
  DestLog log;
  FakeDestination dst(log);
  int persisted = 0;
  SyncOptions options;
  options.commit_interval_ms = 0;
  options.on_checkpoint = [&](const StateMessage&, const StateStore&) {
    ++persisted;
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  EXPECT_EQ(r.status.failure_type(), FailureType::kSystem);
  EXPECT_NE(r.status.message().find("says 6 records"), std::string::npos) << r.status.message();
  EXPECT_EQ(persisted, 0);
}

TEST(SyncRunnerTest, StopFlagCancelsAndKeepsCommittedState) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  std::atomic<bool> stop{false};
  src.read = [&](const ConfiguredCatalog& c, Emitter& out) {
    for (int k = 0;; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", k)));
      if (out.cancelled()) return Status::Cancelled();
    }
  };
  DestLog log;
  FakeDestination dst(log);
  int last = -1;
  SyncOptions options;
  options.commit_interval_ms = 0;
  options.stop = &stop;
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    last = s.stream.stream_state["cursor"].get<int>();
    if (last == 5) stop = true;
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  EXPECT_TRUE(r.status.cancelled()) << r.status.ToString();
  EXPECT_GE(last, 5);
  if (last >= 0) {
    EXPECT_EQ((*r.state.Find({"s0", std::nullopt}))["cursor"], last);
  }
  EXPECT_NE(std::find(log.events.begin(), log.events.end(), "finish 0 incomplete"), log.events.end());
}

TEST(SyncRunnerTest, CoalescesCheckpointsWithinTheCommitInterval) {
  ConfiguredCatalog c = Catalog(2);
  FakeSource src;
  src.read = [](const ConfiguredCatalog& c, Emitter& out) {
    for (int k = 0; k < 100; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", k)));
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 1, 3)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s1", k)));
    }
    return Status::Ok();
  };
  DestLog log;
  FakeDestination dst(log);
  std::vector<StateMessage> persisted;
  SyncOptions options;
  options.commit_interval_ms = 60'000;  // nothing is committed before the end
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    EXPECT_EQ(log.durable, log.written);
    persisted.push_back(s);
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  ASSERT_EQ(persisted.size(), 2u);  // the newest of each stream, counts added up
  EXPECT_EQ(persisted[0].stream.stream_state["cursor"], 99);
  EXPECT_EQ(*persisted[0].source_record_count, 1000);
  EXPECT_EQ(*persisted[1].destination_record_count, 300);
  EXPECT_EQ(r.streams[0].records_committed, 1000u);
  EXPECT_EQ(r.streams[1].records_committed, 300u);
  EXPECT_EQ(log.flushes, 2);
}

// A source that checkpoints every millisecond, `n` times, into a destination whose flushes take
// `flush_ms`: the number of commits under `options`.
int CommitsOf(int n, int flush_ms, SyncOptions options) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  src.read = [n](const ConfiguredCatalog& c, Emitter& out) {
    for (int k = 0; k < n; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10, k * 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", k)));
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return Status::Ok();
  };
  DestLog log;
  log.flush_sleep_ms = flush_ms;
  FakeDestination dst(log);
  int commits = 0;
  options.on_checkpoint = [&](const StateMessage&, const StateStore&) {
    ++commits;
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  EXPECT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(r.streams[0].records_committed, static_cast<uint64_t>(n) * 10);
  return commits;
}

TEST(SyncRunnerTest, SlowCommitsSpaceOutTheNextOnes) {
  // Each commit takes 40 ms: the next waits 4 × that, so 60 checkpoints in about 100 ms of
  // source time become a handful of commits, not one per checkpoint that arrives after one.
  SyncOptions options;
  options.commit_interval_ms = 1;
  options.commit_bytes = UINT64_MAX;
  EXPECT_LE(CommitsOf(60, 40, options), 6);
  // The spacing never exceeds commit_max_interval_ms, and commit_interval_ms 0 commits all.
  options.commit_max_interval_ms = 0;
  EXPECT_GE(CommitsOf(20, 5, options), 10);
  options.commit_interval_ms = 0;
  EXPECT_EQ(CommitsOf(20, 5, options), 20);
}

TEST(SyncRunnerTest, EnoughBytesCommitWithoutWaitingForSlowCommits) {
  SyncOptions options;
  options.commit_interval_ms = 1;
  options.commit_bytes = 1;  // every checkpoint has enough
  EXPECT_GE(CommitsOf(20, 10, options), 18);
}

TEST(SyncRunnerTest, AcknowledgesCheckpointsToTheSourceOnlyAfterTheyArePersisted) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  std::vector<uint64_t> seen_by_source;  // acks()->committed() after each checkpoint
  src.read = [&](const ConfiguredCatalog& c, Emitter& out) {
    if (out.acks() == nullptr) return Status::SystemError("the engine's emitter has no acks");
    for (uint64_t k = 1; k <= 3; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", static_cast<int>(k))));
      // The source thread polls; the destination thread acknowledges.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (out.acks()->committed() < k && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      seen_by_source.push_back(out.acks()->committed());
    }
    return Status::Ok();
  };
  DestLog log;
  FakeDestination dst(log);
  SyncOptions options;
  options.commit_interval_ms = 0;
  std::vector<uint64_t> persisted;
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    persisted.push_back(s.stream.stream_state["cursor"].get<uint64_t>());
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ(seen_by_source, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(persisted, (std::vector<uint64_t>{1, 2, 3}));
}

TEST(SyncRunnerTest, AFailedPersistIsNeverAcknowledged) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  const CheckpointAcks* acks = nullptr;
  src.read = [&](const ConfiguredCatalog& c, Emitter& out) {
    acks = out.acks();
    for (int k = 1; k <= 3; ++k) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", k)));
    }
    return Status::Ok();
  };
  DestLog log;
  FakeDestination dst(log);
  SyncOptions options;
  options.commit_interval_ms = 0;
  uint64_t acked_at_second = 99;
  options.on_checkpoint = [&](const StateMessage& s, const StateStore&) {
    if (s.stream.stream_state["cursor"] == 2) {
      acked_at_second = acks->committed();
      return Status::TransientError("disk full");
    }
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  EXPECT_FALSE(r.status.ok());
  EXPECT_EQ(acked_at_second, 1u);  // checkpoint 2 was being persisted: not acknowledged yet
}

// A continuous source: batches and a checkpoint every few ms until `end`, then a last one.
class FakeContinuousSource : public FakeSource, public ContinuousSource {
 public:
  int emitted = 0;
  int sleep_ms = 2;
  Status CheckContinuous(const Json&) const override { return Status::Ok(); }
  Status ReadContinuous(const Json&, const ConfiguredCatalog& c, const StateStore&, Emitter& out,
                        const std::atomic<bool>& end) override {
    while (!end.load()) {
      SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
      SLUICE_RETURN_IF_ERROR(out.EmitState(State("s0", ++emitted)));
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
    SLUICE_RETURN_IF_ERROR(out.Emit(Batch(c, 0, 10)));
    return out.EmitState(State("s0", ++emitted));
  }
};

TEST(SyncRunnerTest, ContinuousStopCommitsTheSourcesLastCheckpointAndEndsOk) {
  ConfiguredCatalog c = Catalog(1);
  FakeContinuousSource src;
  DestLog log;
  FakeDestination dst(log);
  std::atomic<bool> stop{false};
  SyncOptions options;
  options.continuous = true;
  options.stop = &stop;
  options.commit_interval_ms = 10;
  int commits = 0;
  options.on_checkpoint = [&](const StateMessage&, const StateStore&) {
    if (++commits == 3) stop = true;  // SIGTERM
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_EQ((*r.state.Find({"s0", std::nullopt}))["cursor"], src.emitted);  // the last one
  EXPECT_EQ(r.streams[0].records_committed, static_cast<uint64_t>(src.emitted) * 10);
  EXPECT_EQ(log.events.back(), "end ok");
}

TEST(SyncRunnerTest, ContinuousCapsTheCommitSpacingAndCommitsAfterSilence) {
  ConfiguredCatalog c = Catalog(1);
  FakeContinuousSource src;
  src.sleep_ms = 3000;  // one checkpoint, then silence
  DestLog log;
  FakeDestination dst(log);
  std::atomic<bool> stop{false};
  SyncOptions options;
  options.continuous = true;
  options.stop = &stop;
  options.commit_interval_ms = 60'000;  // capped at kContinuousMaxCommitIntervalMs
  const auto start = std::chrono::steady_clock::now();
  double first_commit_s = -1;
  options.on_checkpoint = [&](const StateMessage&, const StateStore&) {
    if (first_commit_s < 0) {
      first_commit_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      stop = true;
    }
    return Status::Ok();
  };
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  ASSERT_TRUE(r.status.ok()) << r.status.ToString();
  EXPECT_GE(first_commit_s, 0.9);
  EXPECT_LE(first_commit_s, 2.0);  // not 60 s, and without waiting for a second checkpoint
}

TEST(SyncRunnerTest, ContinuousNeedsAContinuousSource) {
  ConfiguredCatalog c = Catalog(1);
  FakeSource src;
  src.read = [](const ConfiguredCatalog&, Emitter&) { return Status::Ok(); };
  DestLog log;
  FakeDestination dst(log);
  SyncOptions options;
  options.continuous = true;
  SyncResult r = RunSync(src, {}, c, dst, {}, c, {}, options);
  EXPECT_EQ(r.status.failure_type(), FailureType::kConfig) << r.status.ToString();
}

TEST(ChannelTest, BoundsBytesAndDrainsAfterClose) {
  Channel ch(100);
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) {
      ChannelItem it;
      it.bytes = 40;
      it.stream = static_cast<uint32_t>(i);
      ASSERT_TRUE(ch.Push(std::move(it)));
      EXPECT_LE(ch.bytes_in_flight(), 120u);
    }
    ch.Close();
  });
  uint32_t expected = 0;
  ChannelItem it;
  while (true) {
    auto r = ch.Pop(it, std::chrono::milliseconds(1000));
    if (r == Channel::PopResult::kEnd) break;
    ASSERT_EQ(r, Channel::PopResult::kItem);
    EXPECT_EQ(it.stream, expected++);
  }
  producer.join();
  EXPECT_EQ(expected, 50u);
}

}  // namespace
}  // namespace sluice
