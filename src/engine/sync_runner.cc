#include "engine/sync_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <thread>

#include "base/log.h"
#include "base/time.h"
#include "engine/channel.h"

namespace sluice {

namespace {

// The source side: turns Emitter calls into channel items, counting as it goes.
class ChannelEmitter : public Emitter {
 public:
  ChannelEmitter(Channel& channel, const std::atomic<bool>* stop, SyncProgress* progress,
                 const std::function<Status(const Json&)>* on_config)
      : channel_(channel), stop_(stop), progress_(progress), on_config_(on_config) {}

  Status EmitConnectorConfig(const Json& config) override {
    if (on_config_ == nullptr || !*on_config_) {
      Log(LogLevel::kWarn, "the source updated its config (a CONTROL message), but nothing here persists it");
      return Status::Ok();
    }
    return (*on_config_)(config).WithContext("source config update");
  }

  Status Emit(RecordBatch batch) override {
    if (cancelled()) return Status::Cancelled();
    if (batch.num_rows() == 0 && batch.truncated_at_us() == 0) return Status::Ok();
    if (batch.emitted_at_ms() == 0) batch.set_emitted_at_ms(NowMicros() / 1000);
    ChannelItem item;
    item.kind = ChannelItem::Kind::kBatch;
    item.bytes = batch.ByteSize();
    if (progress_ && batch.stream() < progress_->num_streams()) {
      auto& p = progress_->stream(batch.stream());
      p.records_emitted += batch.num_rows();
      p.bytes_emitted += item.bytes;
    }
    item.batch = std::move(batch);
    if (!channel_.Push(std::move(item))) return Status::Cancelled();
    return Status::Ok();
  }

  Status EmitState(StateMessage state) override {
    if (cancelled()) return Status::Cancelled();
    ChannelItem item;
    item.kind = ChannelItem::Kind::kState;
    item.bytes = 256;
    item.state = std::move(state);
    if (!channel_.Push(std::move(item))) return Status::Cancelled();
    return Status::Ok();
  }

  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    if (cancelled()) return Status::Cancelled();
    ChannelItem item;
    item.kind = ChannelItem::Kind::kStreamStatus;
    item.stream = stream;
    item.status = status;
    if (!channel_.Push(std::move(item))) return Status::Cancelled();
    return Status::Ok();
  }

  bool cancelled() const override {
    return (stop_ && stop_->load(std::memory_order_relaxed)) || aborted_.load(std::memory_order_relaxed);
  }
  void Abort() { aborted_ = true; }
  const CheckpointAcks* acks() const override { return &acks_; }
  void ReportReplicationLag(uint64_t bytes) override {
    if (progress_) progress_->replication_lag_bytes.store(static_cast<int64_t>(bytes), std::memory_order_relaxed);
  }
  CheckpointAcks& mutable_acks() { return acks_; }

 private:
  Channel& channel_;
  const std::atomic<bool>* stop_;
  SyncProgress* progress_;
  const std::function<Status(const Json&)>* on_config_;
  std::atomic<bool> aborted_{false};
  CheckpointAcks acks_;
};

StreamDescriptor MapDescriptor(const StreamDescriptor& d, const ConfiguredCatalog& from, const ConfiguredCatalog& to) {
  const int i = from.Find(d);
  return i < 0 ? d : to.streams[static_cast<size_t>(i)].descriptor();
}

// The destination side.
class Consumer {
 public:
  Consumer(const ConfiguredCatalog& source_catalog, Destination& destination,
           const ConfiguredCatalog& destination_catalog, const SyncOptions& options, SyncResult& result,
           SyncProgress& progress, CheckpointAcks& acks)
      : source_catalog_(source_catalog),
        destination_(destination),
        destination_catalog_(destination_catalog),
        options_(options),
        result_(result),
        progress_(progress),
        acks_(acks),
        n_(source_catalog.streams.size()),
        writers_(n_),
        dirty_(n_, false),
        since_state_(n_, 0),
        received_(n_, 0),
        committed_(n_, 0),
        complete_(n_, false) {}

  Status Open() {
    for (uint32_t i = 0; i < n_; ++i) {
      auto w = destination_.Open(i);
      if (!w.ok()) {
        failed_stream_ = source_catalog_.streams[i].descriptor();
        return w.status();
      }
      writers_[i] = std::move(w).value();
    }
    return Status::Ok();
  }

  Status Handle(ChannelItem& item) {
    switch (item.kind) {
      case ChannelItem::Kind::kBatch: return HandleBatch(item.batch, item.bytes);
      case ChannelItem::Kind::kState: return HandleState(item.state);
      case ChannelItem::Kind::kStreamStatus:
        if (item.stream < n_) {
          auto& p = progress_.stream(item.stream);
          p.status = static_cast<int>(item.status);
          const int64_t now = MonotonicMicros();
          if (item.status == StreamStatus::kStarted && p.started_us == 0) p.started_us = now;
          if (item.status == StreamStatus::kComplete || item.status == StreamStatus::kIncomplete) p.finished_us = now;
          if (item.status == StreamStatus::kComplete) complete_[item.stream] = true;
          if (options_.on_stream_status) options_.on_stream_status(item.stream, item.status);
        }
        return Status::Ok();
    }
    return Status::Ok();
  }

  // Ends every stream: complete when the whole read succeeded or the stream reported COMPLETE
  // before a failure elsewhere, and the destination side had no error. Pending checkpoints are
  // committed first whenever the destination is healthy: the data they cover was received.
  Status Finish(bool source_ok, bool destination_ok, bool stopped) {
    Status first;
    if (destination_ok || stopped) {
      first = CommitPending();
      if (first.ok() && source_ok && destination_ok) first = FlushDirty();
      if (!first.ok()) destination_ok = false;
    }
    for (uint32_t i = 0; i < n_; ++i) {
      if (!writers_[i]) continue;
      const bool complete = destination_ok && (source_ok || complete_[i]);
      Status st = writers_[i]->Finish(complete ? StreamOutcome::kComplete : StreamOutcome::kIncomplete);
      auto& p = progress_.stream(i);
      if (p.finished_us == 0) p.finished_us = MonotonicMicros();
      if (!st.ok()) {
        if (first.ok()) {
          first = st;
          failed_stream_ = source_catalog_.streams[i].descriptor();
        }
        destination_ok = false;
        continue;
      }
      result_.streams[i].complete = complete;
      // A completed stream is durable as a whole, checkpoint or not.
      if (complete) result_.streams[i].records_committed = result_.streams[i].records;
    }
    return first;
  }

  std::optional<StreamDescriptor> failed_stream() const { return failed_stream_; }

  //! Between items (and when none came for a while): commits pending checkpoints that are due,
  //! so a checkpoint followed by silence does not wait for the next one.
  Status Tick() { return !pending_.empty() && CommitDue() ? CommitPending() : Status::Ok(); }

 private:
  // `bytes` is the batch's ByteSize(), measured once by the emitter.
  Status HandleBatch(const RecordBatch& batch, size_t bytes) {
    const uint32_t s = batch.stream();
    if (s >= n_) return Status::SystemError(fmt::format("batch for unknown stream index {}", s));
    auto& p = progress_.stream(s);
    if (p.started_us == 0) p.started_us = MonotonicMicros();
    if (batch.truncated_at_us() != 0) {
      SLUICE_RETURN_IF_ERROR(HandleTruncate(s, batch.truncated_at_us()));
      if (batch.num_rows() == 0) return Status::Ok();
    }
    Status st = writers_[s]->Write(batch);
    if (!st.ok()) {
      failed_stream_ = source_catalog_.streams[s].descriptor();
      return st;
    }
    dirty_[s] = true;
    since_state_[s] += batch.num_rows();
    since_global_ += batch.num_rows();
    received_[s] += batch.num_rows();
    result_.streams[s].records += batch.num_rows();
    result_.streams[s].bytes += bytes;
    bytes_since_commit_ += bytes;
    return Status::Ok();
  }

  Status HandleTruncate(uint32_t s, int64_t at_us) {
    const std::string name = source_catalog_.streams[s].descriptor().ToString();
    Result<bool> removed = writers_[s]->Truncate(at_us);
    if (!removed.ok()) {
      failed_stream_ = source_catalog_.streams[s].descriptor();
      return removed.status().WithContext("replicating a TRUNCATE");
    }
    dirty_[s] = true;
    if (*removed) {
      Log(LogLevel::kInfo, "stream '{}': the source table was truncated; the destination removed its rows", name);
    } else {
      Log(LogLevel::kWarn, "stream '{}': the source table was truncated; the destination keeps the rows it has "
          "(it keeps history in this mode)", name);
    }
    return Status::Ok();
  }

  Status HandleState(StateMessage& state) {
    // What this checkpoint covers, by the engine's count.
    Pending entry;
    entry.seq = ++states_received_;
    if (state.type == StateType::kStream) {
      const int i = source_catalog_.Find(state.stream.descriptor);
      if (i < 0) {
        return Status::SystemError(fmt::format("the source emitted state for stream '{}', which is not in the catalog",
                                               state.stream.descriptor.ToString()));
      }
      entry.key = i;
      entry.count = since_state_[static_cast<size_t>(i)];
      entry.received.assign(n_, 0);
      entry.received[static_cast<size_t>(i)] = received_[static_cast<size_t>(i)];
    } else {
      entry.key = -1;
      entry.count = since_global_;
      entry.received = received_;
    }
    if (state.source_record_count &&
        std::llround(*state.source_record_count) != static_cast<long long>(entry.count)) {
      return Status::SystemError(fmt::format(
          "record count mismatch: the source's checkpoint says {} records{} but the engine received {}",
          std::llround(*state.source_record_count),
          state.type == StateType::kStream ? " for stream " + state.stream.descriptor.ToString() : std::string(),
          entry.count));
    }
    if (entry.key >= 0) {
      since_state_[static_cast<size_t>(entry.key)] = 0;
    } else {
      std::fill(since_state_.begin(), since_state_.end(), 0);
      since_global_ = 0;
    }
    // A newer checkpoint of the same stream replaces a pending one and covers its records too.
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (it->key != entry.key) continue;
      entry.count += it->count;
      pending_.erase(it);
      break;
    }
    entry.state = std::move(state);
    pending_.push_back(std::move(entry));
    return CommitDue() ? CommitPending() : Status::Ok();
  }

  // SyncOptions::commit_interval_ms and what follows it.
  // Continuous mode caps every term at kContinuousMaxCommitIntervalMs (the lag goal).
  bool CommitDue() const {
    const int64_t elapsed = MonotonicMicros() - last_commit_us_;
    const int64_t cap = options_.continuous ? kContinuousMaxCommitIntervalMs * 1000 : INT64_MAX;
    const int64_t floor = std::min(options_.commit_interval_ms * 1000, cap);
    if (floor == 0) return true;  // every checkpoint, as the peer sends them
    if (elapsed < floor) return false;
    if (bytes_since_commit_ >= options_.commit_bytes) return true;
    // Batch: commits take at most ~1/5 of the run. Continuous: up to ~1/2 — lag matters more.
    const int64_t factor = options_.continuous ? 1 : 4;
    const int64_t adaptive = std::min({factor * last_commit_took_us_, options_.commit_max_interval_ms * 1000, cap});
    return elapsed >= adaptive;
  }

  Status FlushDirty() {
    for (uint32_t i = 0; i < n_; ++i) {
      if (!dirty_[i]) continue;
      Status st = writers_[i]->Flush();
      if (!st.ok()) {
        failed_stream_ = source_catalog_.streams[i].descriptor();
        return st;
      }
      dirty_[i] = false;
    }
    return Status::Ok();
  }

  // Makes everything received durable, then commits the pending checkpoints in order. Flushing
  // every dirty writer keeps one simple rule: a committed checkpoint never depends on unflushed data.
  Status CommitPending() {
    last_commit_us_ = MonotonicMicros();
    if (pending_.empty()) return Status::Ok();
    bytes_since_commit_ = 0;
    SLUICE_RETURN_IF_ERROR(FlushDirty());
    last_commit_took_us_ = MonotonicMicros() - last_commit_us_;
    uint64_t acked = 0;
    for (Pending& p : pending_) {
      acked = std::max(acked, p.seq);
      StateMessage& state = p.state;
      state.source_record_count = static_cast<double>(p.count);
      StateMessage mapped = state;
      mapped.destination_record_count.reset();
      if (mapped.type == StateType::kStream) {
        mapped.stream.descriptor = MapDescriptor(mapped.stream.descriptor, source_catalog_, destination_catalog_);
      } else if (mapped.type == StateType::kGlobal) {
        for (auto& s : mapped.stream_states) {
          s.descriptor = MapDescriptor(s.descriptor, source_catalog_, destination_catalog_);
        }
      }
      SLUICE_RETURN_IF_ERROR(destination_.Commit(mapped));
      if (mapped.destination_record_count &&
          std::llround(*mapped.destination_record_count) != static_cast<long long>(p.count)) {
        return Status::SystemError(fmt::format(
            "record count mismatch: the destination confirmed {} records for a checkpoint covering {}",
            std::llround(*mapped.destination_record_count), p.count));
      }
      state.destination_record_count = static_cast<double>(p.count);
      result_.state.Apply(state);
      if (options_.on_checkpoint) SLUICE_RETURN_IF_ERROR(options_.on_checkpoint(state, result_.state));
      ++result_.checkpoints;
      ++progress_.checkpoints;
      for (uint32_t i = 0; i < n_; ++i) {
        if (p.received[i] <= committed_[i]) continue;
        const uint64_t delta = p.received[i] - committed_[i];
        committed_[i] = p.received[i];
        result_.streams[i].records_committed += delta;
        progress_.stream(i).records_committed += delta;
      }
    }
    pending_.clear();
    acks_.Acknowledge(acked);  // committed and persisted: the source may release it upstream
    return Status::Ok();
  }

  // A checkpoint waiting to be committed.
  struct Pending {
    StateMessage state;
    int key = -1;                    //!< stream index of a STREAM state; -1 for GLOBAL/LEGACY
    uint64_t count = 0;              //!< records it covers (coalesced checkpoints add up)
    uint64_t seq = 0;                //!< the source's checkpoint number (1 = its first EmitState)
    std::vector<uint64_t> received;  //!< per stream: records received when it arrived
  };

  const ConfiguredCatalog& source_catalog_;
  Destination& destination_;
  const ConfiguredCatalog& destination_catalog_;
  const SyncOptions& options_;
  SyncResult& result_;
  SyncProgress& progress_;
  CheckpointAcks& acks_;
  const uint32_t n_;
  std::vector<std::unique_ptr<StreamWriter>> writers_;
  std::vector<bool> dirty_;
  std::vector<uint64_t> since_state_;
  uint64_t since_global_ = 0;
  uint64_t states_received_ = 0;
  std::vector<uint64_t> received_;   //!< per stream, since the run began
  std::vector<uint64_t> committed_;  //!< per stream: records covered by committed checkpoints
  std::vector<Pending> pending_;
  int64_t last_commit_us_ = MonotonicMicros();
  int64_t last_commit_took_us_ = 0;  //!< how long the last commit's flush took
  uint64_t bytes_since_commit_ = 0;
  std::vector<bool> complete_;
  std::optional<StreamDescriptor> failed_stream_;
};

}  // namespace

SyncResult RunSync(Source& source, const Json& source_config, const ConfiguredCatalog& source_catalog,
                   Destination& destination, const Json& destination_config,
                   const ConfiguredCatalog& destination_catalog, const StateStore& state, const SyncOptions& options) {
  SyncResult result;
  result.state = state;
  const int64_t start = MonotonicMicros();
  const size_t n = source_catalog.streams.size();
  SyncProgress own_progress(n);
  SyncProgress& progress = options.progress ? *options.progress : own_progress;
  progress.started_us = start;
  for (size_t i = 0; i < n; ++i) result.streams.push_back({.stream = source_catalog.streams[i].descriptor()});

  auto finish = [&](Status status) {
    result.status = std::move(status);
    result.duration_us = MonotonicMicros() - start;
    for (size_t i = 0; i < n; ++i) {
      result.records += result.streams[i].records;
      result.bytes += result.streams[i].bytes;
      const auto& p = progress.stream(i);
      const int64_t s = p.started_us.load(), f = p.finished_us.load();
      result.streams[i].duration_us = s == 0 ? 0 : (f == 0 ? MonotonicMicros() : f) - s;
    }
    return result;
  };

  if (destination_catalog.streams.size() != n) {
    return finish(Status::SystemError("source and destination catalogs differ in length"));
  }
  ContinuousSource* continuous = nullptr;
  if (options.continuous) {
    continuous = dynamic_cast<ContinuousSource*>(&source);
    if (continuous == nullptr) return finish(Status::ConfigError("this source cannot run continuously"));
    Status can = continuous->CheckContinuous(source_config);
    if (!can.ok()) return finish(can);
  }
  Status begun = destination.Begin(destination_config, destination_catalog);
  if (!begun.ok()) return finish(begun);

  Channel channel(options.channel_bytes);
  // Continuous: a stop request is the source's `end`, not a cancellation of its emits.
  ChannelEmitter emitter(channel, continuous ? nullptr : options.stop, &progress, &options.on_connector_config);
  Consumer consumer(source_catalog, destination, destination_catalog, options, result, progress,
                    emitter.mutable_acks());
  Status destination_status = consumer.Open();
  std::atomic<bool> end_requested{false};
  Status source_status;
  std::thread source_thread;
  if (destination_status.ok()) {
    source_thread = std::thread([&] {
      try {
        source_status = continuous
                            ? continuous->ReadContinuous(source_config, source_catalog, state, emitter, end_requested)
                            : source.Read(source_config, source_catalog, state, emitter);
      } catch (const std::exception& e) {
        source_status = Status::SystemError(std::string("source failed: ") + e.what());
      }
      channel.Close();
    });

    bool stopped = false;
    int64_t drain_deadline_us = 0;  // continuous: when a stop gives up waiting for the source
    const auto pop_timeout = std::chrono::milliseconds(continuous ? 50 : 100);
    while (true) {
      ChannelItem item;
      const auto r = channel.Pop(item, pop_timeout);
      if (r == Channel::PopResult::kEnd) break;
      if (options.stop && options.stop->load()) {
        if (continuous && drain_deadline_us == 0) {
          Log(LogLevel::kInfo, "stop requested: ending the continuous read after its last checkpoint");
          end_requested = true;
          drain_deadline_us = MonotonicMicros() + options.stop_drain_ms * 1000;
        }
        if (!continuous || MonotonicMicros() > drain_deadline_us) {
          stopped = true;
          emitter.Abort();
          channel.Abort();
          break;
        }
      }
      try {
        destination_status = r == Channel::PopResult::kTimeout ? consumer.Tick() : consumer.Handle(item);
      } catch (const std::exception& e) {
        destination_status = Status::SystemError(std::string("destination failed: ") + e.what());
      }
      if (!destination_status.ok()) {
        emitter.Abort();
        channel.Abort();
        break;
      }
    }
    source_thread.join();
    if (stopped && destination_status.ok()) destination_status = Status::Cancelled("the sync was stopped");
  }

  // A source that stopped only because we aborted it is not the cause.
  if (!destination_status.ok() && source_status.cancelled()) source_status = Status::Ok();
  const bool source_ok = source_status.ok();
  const bool destination_ok = destination_status.ok();
  Status finished = consumer.Finish(source_ok, destination_ok, destination_status.cancelled());
  Status ended = destination.End(source_ok && destination_ok && finished.ok());

  Status overall = !destination_status.ok() ? destination_status
                   : !source_status.ok()    ? source_status
                   : !finished.ok()         ? finished
                                            : ended;
  if (!overall.ok()) {
    result.failed_stream = consumer.failed_stream();
    if (!source_status.ok() && destination_status.ok()) result.failed_stream.reset();
  }
  return finish(overall);
}

}  // namespace sluice
