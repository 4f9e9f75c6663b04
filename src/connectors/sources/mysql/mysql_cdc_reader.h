#pragma once
// source-mysql in CDC mode (replication_method {method: CDC}): a consistent snapshot, then row
// events from the binlog, in one GLOBAL state.
//
// A read:
//   1. No saved CDC state (or the saved position is gone and the config says "Re-sync data"):
//      one connection opens a consistent snapshot and records the binlog position it matches —
//      MariaDB: START TRANSACTION WITH CONSISTENT SNAPSHOT and the binlog_snapshot_file /
//      binlog_snapshot_position status (no lock); MySQL: FLUSH TABLES WITH READ LOCK for the
//      moment the transaction starts and SHOW MASTER STATUS is read. Every selected stream is
//      read in that transaction (the standard mode's primary-key chunks, ReadMySqlStream with
//      MySqlCdcSnapshot: rows carry the snapshot position in _ab_cdc_cursor / _ab_cdc_log_file /
//      _ab_cdc_log_pos and the snapshot time in _ab_cdc_updated_at); each chunk's key is kept in
//      the GLOBAL state's stream_states, so an interrupted snapshot resumes (in a new snapshot:
//      rows changed meanwhile may come twice, never not at all).
//   2. Changes: a binlog dump (Connector/C's mariadb_rpl_*) from the saved position — by GTID on
//      MariaDB when the state has one (@slave_connect_state), else by file and position — as a
//      replica with a unique server id (config, or random). Row events of the selected streams'
//      tables become rows in commit order: inserts and updates as the new row, deletes as the old
//      row with _ab_cdc_deleted_at; _ab_cdc_cursor is (file number << 32) | event position.
//      Rolled-back transactions never reach the binlog. A checkpoint goes out at transaction ends
//      every ~50,000 rows; the read stops once caught up with the server's position at its
//      start (or after initial_waiting_seconds) and checkpoints
//      shared_state.state = {"file", "pos", "gtid"}: where the next read starts.
//   3. The position is the engine's to save: it persists a checkpoint only after the destination
//      committed it, and the server keeps its binlog regardless of readers (no slot to advance),
//      so nothing else waits for acknowledgements. Keep binlogs at least as long as syncs are
//      apart (binlog_expire_logs_seconds).
//   4. Continuous mode (`end` given): step 2 does not stop when caught up; a checkpoint follows a
//      transaction end ~100 ms after the last one; the server sends heartbeats while idle, so a
//      stop request is seen within ~0.5 s.
//   5. Table shapes (README "Schema changes"): TABLE_MAP metadata (and names with
//      binlog_row_metadata = FULL) plus information_schema, looked up again after a DDL names the
//      table or when a TABLE_MAP does not fit. A TABLE_MAP with a column the catalog lacks (or
//      retyped since the start), or the first one of a table new in the database, ends the read
//      before its transaction, once per change (SchemaChangesSeen in the GLOBAL state).
//   6. TRUNCATE TABLE of a stream's table: StreamBatcher::Truncate, in order with its rows.
//   7. Continuous mode: the replication lag (binlog bytes from the newest committed checkpoint's
//      position to the server's) goes to Emitter::ReportReplicationLag every 2 s, logged every 10 s.
// Everything runs on the thread that called Read().

#include <atomic>

#include "base/status.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/mysql/mysql_source_config.h"

namespace sluice {

//! Read in CDC mode (above). REQUIRES: config.replication == kCdc; catalog bound. `end` null:
//! batch mode; else continuous until *end is set (by another thread), then a last checkpoint.
Status ReadMySqlCdc(const MySqlSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                    Emitter& out, const std::atomic<bool>* end = nullptr);

}  // namespace sluice
