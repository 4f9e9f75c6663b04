#pragma once
// ChangeLogReader: the seam between a CDC source's snapshot and its change stream. A dialect
// implements it over its log (PostgreSQL: a logical replication slot with pgoutput; MySQL: the
// binlog); the kit's CDC read (a later issue) drives it. No implementation yet.
//
// The hand-off, in order (one reader per Read(), used from the source thread only):
//   1. Open(saved position or null). No saved position: the reader creates what it needs (a
//      replication slot, …) and returns the position from which changes will be read; the
//      source then snapshots every stream (SQL toolkit, one consistent snapshot at or after that
//      position where the database allows it: PostgreSQL exports the slot's snapshot), and
//      changes from that position on are read afterwards — rows changed during the snapshot
//      may come twice, never not at all (at-least-once; dedup by primary key and _ab_cdc_lsn).
//      With a saved position the reader resumes there; a position the log no longer holds is
//      an error telling the user to resync (config error: the slot was dropped or the binlog
//      purged).
//   2. ReadChanges(until, sink) as often as the source likes: changes in log order, each
//      through the sink, until `until` (a deadline or a log position, whichever comes first) or
//      nothing is left; then the position after the last change handed over.
//   3. The source checkpoints: a GLOBAL CdcState with that position, after the batches holding
//      the changes (StreamBatcher::Checkpoint per stream, then the GLOBAL state).
//   4. Commit(position) once the engine reports the checkpoint durable at the destination —
//      only then may the database discard the log up to it (PostgreSQL: the slot's
//      confirmed_flush_lsn). Committing earlier would lose changes if the sync fails.
//   5. Close(): releases the connection; never drops the slot (the next sync resumes from it).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! One row change, decoded to the stream's columns by the dialect.
struct Change {
  enum class Kind { kInsert, kUpdate, kDelete };
  Kind kind = Kind::kInsert;
  uint32_t stream = 0;      //!< index in the ConfiguredCatalog
  uint64_t lsn = 0;         //!< _ab_cdc_lsn: grows with the log
  int64_t commit_time_us = 0;  //!< _ab_cdc_updated_at (and _ab_cdc_deleted_at for deletes)
  Json row;                 //!< column name → value (deletes: the key columns at least)
};

//! Receives changes on the source thread. An error (Cancelled when the run stops) makes
//! ReadChanges return it at once.
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  virtual Status OnChange(const Change& change) = 0;
};

class ChangeLogReader {
 public:
  //! Where to stop a ReadChanges: a deadline, or a log position (inclusive), or both.
  struct Until {
    std::optional<std::chrono::steady_clock::time_point> deadline;
    std::optional<Json> position;
  };

  virtual ~ChangeLogReader() = default;
  //! Step 1. `saved` is shared_state.state of the last committed CdcState, or null. Returns
  //! the position changes will be read from (to save once the snapshot is done).
  virtual Result<Json> Open(const Json& saved) = 0;
  //! Step 2. REQUIRES: Open() succeeded. Returns the position after the last change handed to
  //! `sink` (the position it started from when there was none).
  virtual Result<Json> ReadChanges(const Until& until, ChangeSink& sink) = 0;
  //! Step 4. `position` was returned by Open or ReadChanges and its checkpoint is durable.
  virtual Status Commit(const Json& position) = 0;
  //! Step 5. Idempotent.
  virtual void Close() = 0;
};

}  // namespace sluice
