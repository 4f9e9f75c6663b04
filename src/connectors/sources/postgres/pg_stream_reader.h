#pragma once
// Reads one configured stream of source-postgres on its own connection, inside one REPEATABLE
// READ, READ ONLY transaction (one snapshot for the whole stream), with binary COPY:
//
//   full refresh  COPY (SELECT … WHERE ctid >= '(a,0)' AND ctid < '(b,0)') per range of pages;
//                 a ctid state after each range; resumes at the saved range (tables and
//                 materialized views on PostgreSQL 14+, partitioned tables leaf by leaf when
//                 the user may select every leaf; anything else in one COPY)
//   incremental   Standard: COPY (SELECT … WHERE cursor >= '<saved>'::type ORDER BY cursor), a
//                 cursor state after every batch. Xmin: the ctid ranges above, filtered by
//                 XminFilterSql, an xmin state after each range.

#include <cstdint>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/source.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_types.h"
#include "protocol/catalog.h"
#include "protocol/record_batch.h"

namespace sluice {

class PgConnection;

//! Where a stream reader's output goes. Called on the reader's thread; an error (Cancelled
//! when the run stops) makes the reader return it at once.
class PgStreamSink {
 public:
  virtual ~PgStreamSink() = default;
  virtual Status Batch(RecordBatch batch) = 0;
  //! A STREAM state covering every batch handed over before it.
  virtual Status State(Json stream_state) = 0;
};

struct PgStreamReadOptions {
  size_t batch_rows = 16384;            //!< a batch is handed over at this many rows
  size_t batch_bytes = size_t{4} << 20;  //!< ... or about this many bytes of COPY data
};

//! Reads `stream` (index `index` of the catalog). `saved` is its last committed state blob or
//! nullptr. `conn` must be idle, with the session settings of source-postgres; it is idle again
//! after an OK return. Errors name the table.
Status ReadPgStream(PgConnection& conn, const PgSourceConfig& config, const PgTypeCatalog& types,
                    const ConfiguredStream& stream, uint32_t index, const Json* saved, PgStreamSink& sink,
                    const PgStreamReadOptions& options = {});

}  // namespace sluice
