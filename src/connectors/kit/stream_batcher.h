#pragma once
// StreamBatcher: what every source does between "a row is ready" and Emitter::Emit — one batch
// being filled, the thresholds that end it (rows, bytes), `emitted_at`, the stream status
// sequence (STARTED → RUNNING before the first batch → COMPLETE | INCOMPLETE) and the counts.
//
//   StreamBatcher out(emitter, index, schema);
//   SLUICE_RETURN_IF_ERROR(out.Start());
//   for (...) { append one value per column to out.batch(); SLUICE_RETURN_IF_ERROR(out.RowAdded()); }
//   return out.Finish(status_of_the_read);
//
// Writers that finish rows themselves (RecordBatch::FinishRow already called) use RowFinished()
// instead of RowAdded(); decoders that append rows in bulk count their input with
// AddInputBytes() and ask Full(). Limits may change between rows (set_limits), e.g. so a batch
// ends exactly where a checkpoint is due.
//
// Not thread-safe: one batcher per stream, used from the thread that owns the Emitter (a
// parallel source uses one per stream on its worker thread, over the emitter ParallelStreams
// gives that stream).

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "connectors/sdk/source.h"
#include "protocol/record_batch.h"
#include "protocol/state.h"

namespace sluice {

//! When a batch is handed over. Defaults suit the channel (a few MB, DESIGN.md §2).
struct BatchLimits {
  size_t max_rows = 16384;          //!< rows per batch
  size_t max_bytes = 4 << 20;       //!< bytes per batch (RecordBatch::ByteSize), checked every few rows
  size_t byte_check_every_rows = 256;  //!< power of two; ByteSize() is not free
  //! After a flush, the next batch reserves about as many rows and bytes as the last one held
  //! (default false): a source with steady rows then never regrows its buffers.
  bool presize = false;
};

class StreamBatcher {
 public:
  //! `stream` is the index in the run's ConfiguredCatalog; `schema` its bound schema. No output
  //! until Start() or the first batch.
  StreamBatcher(Emitter& out, uint32_t stream, SchemaPtr schema, BatchLimits limits = {});

  //! Emits STARTED. Optional: a stream that ends without Start() emits no STARTED.
  Status Start();
  //! The batch being filled. After appending one value (or null) per column, call RowAdded().
  RecordBatch& batch() { return batch_; }
  //! Ends the current row (FinishRow: missing values become null) and hands the batch over
  //! when it is full. Returns Cancelled when the run is stopping.
  Status RowAdded() {
    batch_.FinishRow();
    return RowFinished();
  }
  //! As RowAdded(), for a row the writer finished itself (RecordBatch::FinishRow called).
  Status RowFinished() {
    const size_t n = batch_.num_rows();
    if (n >= limits_.max_rows) return Flush();
    if ((n & (limits_.byte_check_every_rows - 1)) == 0 && batch_.ByteSize() >= limits_.max_bytes) return Flush();
    return Status::Ok();
  }
  //! For decoders that append finished rows in bulk: `bytes` of source data (e.g. wire bytes)
  //! went into the batch. Full() then compares their sum with max_bytes instead of ByteSize().
  void AddInputBytes(size_t bytes) { input_bytes_ += bytes; }
  //! True when the batch has max_rows rows or max_bytes input bytes (AddInputBytes): the caller
  //! then calls Flush() or Checkpoint().
  bool Full() const { return batch_.num_rows() >= limits_.max_rows || input_bytes_ >= limits_.max_bytes; }
  //! Emits RUNNING now if it has not gone out yet (else it goes before the first batch), for
  //! sources that report RUNNING once their read has started, batch or not.
  Status MarkRunning() { return EnsureRunning(); }
  //! For a batcher carrying part of a stream whose statuses another batcher sends (one key range
  //! of a table read on several connections): it never emits RUNNING itself. Call before any output.
  void AssumeRunning() { running_ = true; }
  //! Counts `n` rows a bulk appender already finished on batch() (AppendJsonObjectRow, a Parquet
  //! reader's Next) and hands the batch over when it is full. Cancelled when the run is stopping.
  Status RowsFinished(size_t n) {
    const size_t rows = batch_.num_rows();
    if (rows >= limits_.max_rows) return Flush();
    if ((n > 1 || (rows & (limits_.byte_check_every_rows - 1)) == 0) && batch_.ByteSize() >= limits_.max_bytes) {
      return Flush();
    }
    return Status::Ok();
  }
  //! Hands over the rows collected so far (none: nothing happens), stamped with the current
  //! time; RUNNING goes out before the first batch. Cancelled when the run is stopping.
  Status Flush();
  //! Flushes, then emits `state`: a checkpoint covering every row added so far.
  Status Checkpoint(StateMessage state);
  //! A replicated TRUNCATE at `at_us` (Unix µs): flushes the rows before it, then emits an
  //! empty batch marked RecordBatch::truncated_at_us, so rows added afterwards come after it.
  Status Truncate(int64_t at_us);
  //! Ends the stream: after OK `read_status`, flushes and emits COMPLETE (RUNNING first when no
  //! batch went out); after an error other than Cancelled, emits INCOMPLETE. Returns the first
  //! error: `read_status`, else the flush's.
  Status Finish(const Status& read_status);

  //! Rows added so far (emitted or pending).
  uint64_t rows() const { return flushed_rows_ + batch_.num_rows(); }
  //! Batches emitted so far.
  uint64_t batches() const { return batches_; }
  uint32_t stream() const { return stream_; }
  //! The Emitter this batcher sends to (e.g. to read parts of the stream on more threads).
  Emitter& emitter() const { return out_; }
  const SchemaPtr& schema() const { return schema_; }
  const BatchLimits& limits() const { return limits_; }
  //! New limits, in force from the next row (a batch already over them goes at its next row).
  void set_limits(const BatchLimits& limits) { limits_ = limits; }

 private:
  Status EnsureRunning();
  //! A fresh batch, pre-sized from `last` when limits_.presize.
  void NewBatch(RecordBatch& last);

  Emitter& out_;
  uint32_t stream_;
  SchemaPtr schema_;
  BatchLimits limits_;
  RecordBatch batch_;
  bool running_ = false;
  uint64_t flushed_rows_ = 0;
  uint64_t batches_ = 0;
  size_t input_bytes_ = 0;
};

}  // namespace sluice
