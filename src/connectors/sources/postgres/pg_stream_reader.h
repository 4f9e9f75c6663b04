#pragma once
// Reads one configured stream of source-postgres on its own connection, inside one REPEATABLE
// READ, READ ONLY transaction (one snapshot for the whole stream), with binary COPY:
//
//   full refresh  COPY (SELECT … WHERE ctid >= '(a,0)' AND ctid < '(b,0)') per range of pages;
//                 a ctid state after each range; resumes at the saved range (tables and
//                 materialized views on PostgreSQL 14+, partitioned tables leaf by leaf when
//                 the user may select every leaf; anything else in one COPY)
//   incremental   Standard: COPY (SELECT … WHERE cursor >= '<saved>'::type ORDER BY cursor) (the
//                 kit's CursorQuery), a cursor state after every batch. Xmin: the ctid ranges
//                 above, filtered by XminFilterSql, an xmin state after each range.

#include <cstdint>
#include <functional>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_types.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"

namespace sluice {

class PgConnection;

//! How the CDC mode reads a stream's initial snapshot through ReadPgStream: always a full read
//! (resumable in ctid ranges), the CDC columns selected as constants, and every checkpoint built
//! by `state_of` from the stream's blob (the CDC read wraps it in its GLOBAL state).
struct PgCdcSnapshot {
  uint64_t lsn = 0;           //!< _ab_cdc_lsn of every snapshot row: the position changes are read from
  int64_t updated_at_us = 0;  //!< _ab_cdc_updated_at: when the snapshot started (Unix µs)
  std::function<StateMessage(Json blob)> state_of;
};

//! Batch limits of source-postgres: 16 k rows or about 4 MB of COPY data per batch, each batch
//! pre-sized from the last.
BatchLimits PgBatchLimits();

//! Reads `stream` into `out` (its batcher: `out` decides when a batch is full — by rows or by
//! COPY bytes, AddInputBytes — and sends batches and checkpoints; statuses are the caller's).
//! `saved` is its last committed state blob or nullptr. `conn` must be idle, with the session
//! settings of source-postgres; it is idle again after an OK return. Called on the thread that
//! owns `out`. Errors name the table. `cdc`: read as a CDC snapshot (above) instead.
Status ReadPgStream(PgConnection& conn, const PgSourceConfig& config, const PgTypeCatalog& types,
                    const ConfiguredStream& stream, const Json* saved, StreamBatcher& out,
                    const PgCdcSnapshot* cdc = nullptr);

}  // namespace sluice
