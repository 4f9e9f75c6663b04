#pragma once
// Reads one configured stream of source-mysql with SELECTs streamed row by row
// (mysql_use_result), inside one consistent-snapshot transaction:
//
//   full refresh  tables with a primary key: the kit's ReadKeyChunks (WHERE key > last ORDER BY
//                 key LIMIT chunk_rows), a `primary_key` state (pk_name/pk_val, Airbyte MySQL's
//                 shape) after each chunk; an append destination resumes after the saved key.
//                 With MySqlRangeReaders of more than one connection (standard mode), a table
//                 whose key is one integer column and spans at least two chunks is split into
//                 key ranges (the kit's SplitIntegerKeySpan, 4 per connection) read at once, one
//                 range per connection at a time; the state lists every range and how far it got
//                 (the kit's SqlKeyRanges), so each resumes. The readers' snapshots open while
//                 the table is held by LOCK TABLES … READ (one view of the table); without the
//                 privilege they open one after another, and the log says so.
//                 Views and tables without a key: one SELECT, not resumable.
//                 At the end: {"version":2,"state_type":"primary_key","complete":true}.
//   incremental   STANDARD: the kit's CursorQuery (WHERE cursor >= saved ORDER BY cursor), a
//                 `cursor_based` state after every batch (the cursor saved in MySQL's text form).
//   CDC snapshot  (MySqlCdcSnapshot given) a full refresh whose rows carry the snapshot's binlog
//                 position in the CDC columns; checkpoints are built by `state_of` (the GLOBAL
//                 state); the caller owns the transaction (one snapshot for every stream).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sources/mysql/mysql_source_config.h"
#include "protocol/catalog.h"
#include "protocol/state.h"

namespace sluice {

class MySqlConnection;

//! How the CDC mode reads a stream's initial snapshot through ReadMySqlStream.
struct MySqlCdcSnapshot {
  int64_t cursor = 0;         //!< _ab_cdc_cursor of every snapshot row: the position changes are read from
  std::string log_file;       //!< _ab_cdc_log_file
  uint64_t log_pos = 0;       //!< _ab_cdc_log_pos
  int64_t updated_at_us = 0;  //!< _ab_cdc_updated_at: when the snapshot started (Unix µs)
  std::function<StateMessage(Json blob)> state_of;
};

//! More connections for one table's full refresh (standard mode): its key ranges read at once.
struct MySqlRangeReaders {
  int connections = 1;  //!< ranges read at once (1: chunks one after another)
  //! Opens one more connection, registered so that a stop interrupts its query (any thread).
  std::function<Result<std::unique_ptr<MySqlConnection>>()> open;
  //! Unregisters a connection `open` made, before it is closed (any thread).
  std::function<void(MySqlConnection&)> release;
};

//! 16 k rows or about 4 MB per batch, each pre-sized from the last.
BatchLimits MySqlBatchLimits();

//! Reads `stream` into `out` (its batcher; statuses are the caller's). `saved` is the stream's
//! last committed state blob or nullptr. `conn` must be idle; it is idle again after an OK
//! return. Without `cdc` the read runs in its own consistent-snapshot, read-only transaction;
//! with it, inside the caller's. Errors name the table. `ranges` (optional, ignored with `cdc`):
//! more connections for a table's key ranges; their output goes through `out`'s emitter, which
//! must keep its events in order (ParallelStreams' emitters do).
Status ReadMySqlStream(MySqlConnection& conn, const MySqlSourceConfig& config, const ConfiguredStream& stream,
                       const Json* saved, StreamBatcher& out, const MySqlCdcSnapshot* cdc = nullptr,
                       const MySqlRangeReaders* ranges = nullptr);

//! {"version":2,"state_type":"primary_key","complete":true}
Json MySqlFullRefreshCompleteJson();

}  // namespace sluice
