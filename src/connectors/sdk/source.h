#pragma once
// The source seam: a connector that reads streams and emits RecordBatches and state checkpoints.

#include <atomic>
#include <cstdint>
#include <optional>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/checkpoint_acks.h"
#include "connectors/sdk/spec.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"
#include "protocol/state.h"

namespace sluice {

//! A stream's lifecycle, as Airbyte's STREAM_STATUS trace messages.
enum class StreamStatus { kStarted, kRunning, kComplete, kIncomplete };
std::string_view StreamStatusName(StreamStatus status);  //!< "STARTED", ...

//! Where a source sends its output. Implemented by the engine (and by the protocol printer of
//! `sluice connector NAME read`). Called from the source's thread only.
class Emitter {
 public:
  virtual ~Emitter() = default;
  //! Hands over a finished batch (batch.stream() = index in the ConfiguredCatalog). May block
  //! while the channel is full. Returns Cancelled when the run is stopping: the source must then
  //! return promptly (returning that Status is fine).
  virtual Status Emit(RecordBatch batch) = 0;
  //! A checkpoint covering every batch emitted before it. STREAM states name the stream by the
  //! source's descriptor. The engine fills sourceStats.recordCount when absent.
  virtual Status EmitState(StateMessage state) = 0;
  virtual Status EmitStreamStatus(uint32_t stream, StreamStatus status) = 0;
  //! True once the run is stopping; long loops should poll it between batches.
  virtual bool cancelled() const = 0;
  //! Which of this Read's checkpoints are durable (checkpoint_acks.h); null when nobody
  //! reports it. Lives as long as the Read.
  virtual const CheckpointAcks* acks() const { return nullptr; }
  //! A change-log source's replication lag: bytes of log the server holds for it beyond what
  //! the destination committed (PostgreSQL: WAL position − the slot's flushed LSN). Reported
  //! now and then (continuous mode: every few seconds); shown as a metric. Default: dropped.
  virtual void ReportReplicationLag(uint64_t bytes) { (void)bytes; }
  //! The source changed its own config (Airbyte's CONTROL message CONNECTOR_CONFIG: an OAuth
  //! token endpoint rotated a single-use refresh token): `config` is the whole config as the
  //! source received it, with the new values written in. Reported as soon as it happens (the
  //! old value may already be void), not ordered with batches or checkpoints; the caller
  //! persists it for the next run. Default: dropped.
  virtual Status EmitConnectorConfig(const Json& config) {
    (void)config;
    return Status::Ok();
  }
};

//! One instance per run; methods are not called concurrently. `config` has been validated
//! against Spec() and its defaults applied before any call.
class Source {
 public:
  virtual ~Source() = default;
  //! Pure: no I/O.
  virtual ConnectorSpec Spec() const = 0;
  //! Verifies the config can be used (may do I/O). A config error names the field.
  virtual Status Check(const Json& config) = 0;
  virtual Result<Catalog> Discover(const Json& config) = 0;
  //! Reads the selected streams. REQUIRES: catalog.Bind() done (every stream has its schema);
  //! batches use catalog.streams[i].schema. `state` is the last committed state (may be empty).
  //! Returns OK only if every stream was read completely.
  virtual Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state,
                      Emitter& out) = 0;
};

//! A source that can also read without end (a change log: CDC). A separate interface, so the
//! plain Source keeps its four methods; the engine finds it with dynamic_cast.
class ContinuousSource {
 public:
  virtual ~ContinuousSource() = default;
  //! Pure: whether `config` can be read continuously (a config error naming the key if not,
  //! e.g. source-postgres without replication_method CDC).
  virtual Status CheckContinuous(const Json& config) const = 0;
  //! As Source::Read, but once caught up it keeps reading new changes, checkpointing often
  //! (every fraction of a second while changes flow, every few seconds while idle), until
  //! `end` becomes true (set by the engine from another thread): then it emits a last
  //! checkpoint and returns OK. Durable checkpoints arrive through out.acks().
  virtual Status ReadContinuous(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state,
                                Emitter& out, const std::atomic<bool>& end) = 0;
};

//! A source whose config carries the spec of its own values (source-declarative-manifest: the
//! manifest's `spec.connection_specification` sits in the config beside the values). The platform
//! validates, masks, keeps and redacts secrets by SpecForConfig(config) instead of Spec().
//! A separate interface, found with dynamic_cast (connection/connector_runtime.h wraps it).
class ConfigSpecSource {
 public:
  virtual ~ConfigSpecSource() = default;
  //! Pure: no I/O, any thread. Spec() extended with the carried spec's properties (its
  //! `airbyte_secret` marks included); Spec() when `config` carries none or an unreadable one.
  virtual ConnectorSpec SpecForConfig(const Json& config) const = 0;
};

//! A source that may change its own config while it runs (see Emitter::EmitConnectorConfig).
//! Read reports changes through its Emitter; Check and Discover have none, so the caller asks
//! afterwards (and uses the changed config in its next calls). Found with dynamic_cast
//! (TakeConfigUpdate below).
class ConfigUpdatingSource {
 public:
  virtual ~ConfigUpdatingSource() = default;
  //! The whole config as the last Check or Discover of this instance changed it, then
  //! forgotten; nullopt when none changed it. Called from the thread that made the call.
  virtual std::optional<Json> TakeConfigUpdate() = 0;
};

//! `source`'s TakeConfigUpdate() when it is a ConfigUpdatingSource, else nullopt.
inline std::optional<Json> TakeConfigUpdate(Source& source) {
  auto* updating = dynamic_cast<ConfigUpdatingSource*>(&source);
  return updating != nullptr ? updating->TakeConfigUpdate() : std::nullopt;
}

}  // namespace sluice
