#pragma once
// The destination seam: a connector that makes batches durable and confirms checkpoints.
//
// Lifecycle of one run, all calls from one thread (the engine's destination thread):
//   Begin(config, catalog) → Open(i) for every stream → { Write(batch)… ; at a checkpoint:
//   Flush() on every writer that got data since the last one, then Commit(state) } →
//   Finish(outcome) on every writer → End(success).
// "Sinks defer finalization until delivery": nothing may look complete before Finish(kComplete).

#include <cstdint>
#include <memory>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"
#include "protocol/state.h"

namespace sluice {

enum class StreamOutcome {
  kComplete,    //!< the stream was read to its end: finalize (an overwrite replaces old data now)
  kIncomplete,  //!< the run failed or was cancelled: keep what earlier runs left intact
};

class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  //! Takes the rows of `batch` (its schema is the stream's). May buffer.
  virtual Status Write(const RecordBatch& batch) = 0;
  //! After OK, every row written so far is durable: the engine may commit the state covering it.
  virtual Status Flush() = 0;
  //! A replicated TRUNCATE (RecordBatch::truncated_at_us, Unix µs): the source table was
  //! emptied after the rows written so far. Returns true when the destination removed (or,
  //! with soft deletes, marked deleted) those rows, false when it keeps them (history: files,
  //! append). Called before the marked batch's own rows are written.
  virtual Result<bool> Truncate(int64_t at_us) {
    (void)at_us;
    return false;
  }
  //! Ends the stream. Called exactly once, also after errors.
  virtual Status Finish(StreamOutcome outcome) = 0;
};

class Destination {
 public:
  virtual ~Destination() = default;
  //! Pure: no I/O.
  virtual ConnectorSpec Spec() const = 0;
  virtual Status Check(const Json& config) = 0;
  //! Starts a run. Rejects what the destination cannot do (a sync mode it does not support: a
  //! config error naming the stream). `catalog` outlives the run.
  virtual Status Begin(const Json& config, const ConfiguredCatalog& catalog) = 0;
  //! A writer for catalog.streams[stream]; called once per stream after Begin.
  virtual Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) = 0;
  //! Called after the writers holding data since the last checkpoint were flushed; when it
  //! returns OK the checkpoint is durable. A destination that counts what it received may set
  //! state.destination_record_count (the engine checks it).
  virtual Status Commit(StateMessage& state) {
    (void)state;
    return Status::Ok();
  }
  //! Ends the run after every writer finished; `success` is false after any failure.
  virtual Status End(bool success) {
    (void)success;
    return Status::Ok();
  }
};

}  // namespace sluice
