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
//   2. Changes: START_REPLICATION from the saved (or start) position, pgoutput proto 1, decoded
//      into the streams' batchers in commit order — inserts and updates as rows, deletes as rows
//      with the key columns and _ab_cdc_deleted_at; _ab_cdc_lsn is the transaction's commit LSN.
//      The read stops once caught up with the server's WAL flush position at its start (or after
//      initial_waiting_seconds without reaching it), then checkpoints a GLOBAL state whose
//      shared_state.state is {"lsn": <int>, "lsn_text": "X/Y", "txId": <xid>, "ts_usec": <µs>}.
//      Checkpoints also go out at transaction ends every ~kRowsPerCheckpoint rows.
//   3. The slot's flush position ("After loading Data in the destination"): the saved position
//      was only saved after the destination committed it, so it is sent as the flush position
//      at the start of the next read, before streaming. "While reading Data": sent as read.
//      The seam for a continuous mode: PgCdcChanges::Confirm(lsn) is where the engine would
//      report a durable checkpoint mid-read (see the README).
// A missing slot, wal_status 'lost', or a confirmed_flush_lsn beyond the saved position follow
// invalid_cdc_cursor_position_behavior. Everything runs on the thread that called Read().

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

//! Read in CDC mode (above). REQUIRES: config.replication == kCdc; catalog bound.
Status ReadPgCdc(const PgSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out, const PgSessionFactory& open_session);

}  // namespace sluice
