#pragma once
// source-postgres in CDC mode (replication_method {method: CDC}): logical replication with
// pgoutput from a user-created slot and publication, in batch windows as Airbyte runs it.
//
// A read:
//   1. No saved CDC state (or the saved position cannot be resumed and the config says
//      "Re-sync data"): the slot's confirmed_flush_lsn is the start position; every selected
//      stream is snapshotted (the standard mode's resumable binary-COPY full read, ReadPgStream
//      with PgCdcSnapshot: rows carry _ab_cdc_lsn = the start position and _ab_cdc_updated_at =
//      the snapshot time; its ctid positions live in the GLOBAL state's stream_states).
//      Changes committed after the start position are read afterwards: rows changed during the
//      snapshot may come twice (at-least-once; dedup by primary key and _ab_cdc_lsn).
//   2. Changes: START_REPLICATION from the saved (or start) position, pgoutput proto 2 with
//      streaming on (server >= 14; else proto 1), decoded into the streams' batchers in commit
//      order — inserts and updates as rows, deletes as rows with the key columns and
//      _ab_cdc_deleted_at; _ab_cdc_lsn is the transaction's commit LSN. Streamed in-progress
//      transactions wait in a PgTxnSpool per xid until Stream Commit (dropped on Stream Abort).
//      A leaf partition's changes go to its partition root's stream.
//      The read stops once caught up with the server's WAL flush position at its start (or after
//      initial_waiting_seconds without reaching it), then checkpoints a GLOBAL state whose
//      shared_state.state is {"lsn": <int>, "lsn_text": "X/Y", "txId": <xid>, "ts_usec": <µs>}.
//      Checkpoints also go out at transaction ends every ~kRowsPerCheckpoint rows.
//   3. The slot's flush position ("After loading Data in the destination"): only positions the
//      destination committed and the engine saved. Between Next() calls the reader asks the
//      Emitter's CheckpointAcks how many of its checkpoints are durable and sends the newest
//      one's LSN (SendStatus); the saved position is also sent at the start of the next read.
//      "While reading Data": sent as read.
//   4. Continuous mode (`end` given): step 2 does not stop when caught up. A checkpoint goes out
//      at the first transaction end ~100 ms after the last; while idle a heartbeat checkpoint
//      saves the server's keepalive position every ~2 s (so an idle publication does not hold
//      WAL); heartbeat_action_query runs every 10 s; the lag is logged every 10 s.
// A missing slot, wal_status 'lost', or a confirmed_flush_lsn beyond the saved position follow
// invalid_cdc_cursor_position_behavior. Everything runs on the thread that called Read().

#include <atomic>
#include <functional>
#include <memory>

#include "base/status.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "postgres/pg_connection.h"

namespace sluice {

using PgSessionFactory = std::function<Result<std::unique_ptr<PgConnection>>()>;

//! Check in CDC mode (after the standard access checks): wal_level=logical, the slot exists in
//! this database with pgoutput and has not lost its WAL, the publication exists and covers tables
//! of the configured schemas, and the user may replicate. Each failure names the fix.
Status CheckPgCdc(PgConnection& conn, const PgSourceConfig& config);

//! Read in CDC mode (above). REQUIRES: config.replication == kCdc; catalog bound. `end` null:
//! batch mode (stop when caught up); else continuous mode until *end is set (by another thread),
//! then a last checkpoint and OK.
Status ReadPgCdc(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out, const PgSessionFactory& open_session, const std::atomic<bool>* end = nullptr);

}  // namespace sluice
