#pragma once
// RunSync: one sync of a source into a destination.
//
//   source thread: Source::Read → Emitter → Channel (bounded in bytes)
//   calling thread: Channel → StreamWriter::Write; at each checkpoint Flush + Commit, then the
//                   checkpoint is handed to `on_checkpoint` (persist it) — never before.
//
// Continuous mode (options.continuous, a ContinuousSource): the source does not stop when caught
// up, commits stay at most ~1 s apart, and a stop request asks the source to end — it emits a
// last checkpoint, which is committed — so the run ends OK.
//
// Durable checkpoints are reported back to the source (Emitter::acks(), CheckpointAcks): once a
// checkpoint is committed and on_checkpoint returned OK, the destination thread acknowledges it
// and the source thread polls the count. The engine knows nothing of what the source does with
// it (source-postgres moves its replication slot).
//
// State is committed only after the destination confirmed everything before it; each
// checkpoint's sourceStats/destinationStats.recordCount are checked against the engine's own
// counts. A stop request (SIGINT/SIGTERM) or any error stops both sides; streams that did not
// complete are finished as kIncomplete so the destination keeps its previous data.

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/destination.h"
#include "connectors/sdk/source.h"
#include "protocol/catalog.h"
#include "protocol/state.h"

namespace sluice {

//! Live per-stream counters; written by the engine, readable from any thread (progress display).
struct StreamProgress {
  std::atomic<uint64_t> records_emitted{0};
  std::atomic<uint64_t> bytes_emitted{0};    //!< in-memory batch bytes
  std::atomic<uint64_t> records_committed{0};  //!< covered by a committed checkpoint
  std::atomic<int64_t> started_us{0};        //!< monotonic; 0 = not started
  std::atomic<int64_t> finished_us{0};       //!< monotonic; 0 = not finished
  std::atomic<int> status{-1};               //!< StreamStatus, -1 = none yet
};

class SyncProgress {
 public:
  explicit SyncProgress(size_t streams) : streams_(streams) {}
  StreamProgress& stream(size_t i) { return streams_[i]; }
  const StreamProgress& stream(size_t i) const { return streams_[i]; }
  size_t num_streams() const { return streams_.size(); }
  std::atomic<int64_t> started_us{0};
  std::atomic<uint64_t> checkpoints{0};
  //! The source's last Emitter::ReportReplicationLag, bytes; -1 until it reports one.
  std::atomic<int64_t> replication_lag_bytes{-1};

 private:
  std::vector<StreamProgress> streams_;
};

//! Continuous mode's default commit spacing (ms; `sluice sync --continuous` and continuous
//! connections): small enough for sub-second lag.
inline constexpr int64_t kContinuousCommitIntervalMs = 200;
//! Continuous mode's cap on the time between commits (ms).
inline constexpr int64_t kContinuousMaxCommitIntervalMs = 1000;

struct SyncOptions {
  size_t channel_bytes = 64 << 20;  //!< channel capacity, bytes (default 64 MiB)
  //! Called on the destination thread when a checkpoint is durable, with the checkpoint (its
  //! stats filled) and the folded state so far. Persist it here; an error fails the sync.
  std::function<Status(const StateMessage&, const StateStore&)> on_checkpoint;
  //! Checkpoints arriving within this many milliseconds of the last commit wait and are
  //! coalesced (the newest state per stream wins, its record count covers both); 0 commits
  //! every checkpoint as it arrives. Each commit flushes the destination, so this bounds the
  //! number of files / transactions per second. Pending checkpoints are committed at the end.
  //! The spacing adapts to the destination: a checkpoint waits until 4 × the last commit's
  //! duration has passed too (commits then take at most about a fifth of the run, and a slow
  //! destination gets fewer, bigger batches), up to commit_max_interval_ms — unless
  //! commit_bytes have arrived since the last commit: a commit every N bytes or T seconds,
  //! whichever comes first. With commit_interval_ms 0 every checkpoint is committed.
  int64_t commit_interval_ms = 1000;
  int64_t commit_max_interval_ms = 30000;
  uint64_t commit_bytes = 128ull << 20;
  //! Set (e.g. by a signal handler) to stop the run; the result is then Cancelled — except in
  //! continuous mode, where it asks the source to end (ContinuousSource::ReadContinuous's `end`)
  //! and the run ends OK once the source's last checkpoint is committed (Cancelled if the source
  //! does not end within stop_drain_ms).
  const std::atomic<bool>* stop = nullptr;
  //! Read with ContinuousSource::ReadContinuous (a source without it is a config error). Commit
  //! spacing is capped at kContinuousMaxCommitIntervalMs: the floor, the adaptive wait and
  //! commit_max_interval_ms never exceed it, so lag stays around a second at worst; the adaptive
  //! wait is 1 × (not 4 ×) the last commit's duration.
  bool continuous = false;
  int64_t stop_drain_ms = 10000;  //!< continuous: how long a stop waits for the source to end
  SyncProgress* progress = nullptr;  //!< optional live counters; sized to the catalog
  //! Called on the destination thread for each stream status the source emits, in order with
  //! the stream's batches (every batch before it was written). `sluice connector read` prints
  //! them as STREAM_STATUS traces.
  std::function<void(uint32_t stream, StreamStatus status)> on_stream_status;
  //! Called on the source thread, at once, for each config the source reports changed
  //! (Emitter::EmitConnectorConfig, Airbyte's CONTROL CONNECTOR_CONFIG: a rotated OAuth refresh
  //! token) — not ordered with batches or checkpoints: the old value may already be void, so it
  //! is persisted even when the run fails later. An error fails the sync. Unset: dropped (logged).
  std::function<Status(const Json& config)> on_connector_config;
};

struct StreamResult {
  StreamDescriptor stream;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t records_committed = 0;
  int64_t duration_us = 0;
  bool complete = false;
};

struct SyncResult {
  Status status;                      //!< OK, or the first failure (source's or destination's)
  std::optional<StreamDescriptor> failed_stream;  //!< when the failure is tied to one stream
  std::vector<StreamResult> streams;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t checkpoints = 0;
  int64_t duration_us = 0;
  StateStore state;                   //!< the last committed state
};

//! Runs one sync. `source_catalog` and `destination_catalog` have the same streams in the same
//! order (the destination's may carry mapped namespaces / prefixed names). `state` is the last
//! committed state; the result's `state` folds in every checkpoint committed by this run.
SyncResult RunSync(Source& source, const Json& source_config, const ConfiguredCatalog& source_catalog,
                   Destination& destination, const Json& destination_config,
                   const ConfiguredCatalog& destination_catalog, const StateStore& state, const SyncOptions& options);

}  // namespace sluice
