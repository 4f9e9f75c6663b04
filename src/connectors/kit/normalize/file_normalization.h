#pragma once
// Basic normalization for file destinations (destination-local, destination-s3; meant for
// Parquet): every normalized stream is written as one dataset per flat table — the stream's
// own folder holds the root table, each child table gets the folder its name gives in the path
// template (`customers/…parquet`, `customers_addresses/…parquet`), linked by the hash id
// columns. The tables come from the kit's plan (flattener.h) with names kept whole (no length
// limit in files); table names taken by other streams of the namespace get `_2`, `_3`, ….
//
// How a destination uses it: Begin expands its stream plans with ExpandNormalizedFileStreams
// (one FileStreamPlan per table, the stream's mode; the location checks then cover every
// table) and Open makes a NormalizingStreamWriter over the writers of a stream's tables. A
// table row carries the record's Airbyte columns from the table's own writer (its own
// `_airbyte_raw_id`); the root hash id comes from the catalog's primary key where one is given,
// else from a UUID made per record. Tables are published independently: an overwrite replaces
// each table's files when the stream completes (one table after the other, not atomically).
// Single-threaded, as the destination's writers.

#include <functional>
#include <memory>
#include <vector>

#include "base/status.h"
#include "base/uuid.h"
#include "connectors/kit/file_destination.h"
#include "connectors/kit/normalize/flattener.h"
#include "connectors/sdk/destination.h"
#include "protocol/catalog.h"

namespace sluice {

//! The expanded plans of a catalog's streams.
struct NormalizedFileStreams {
  //! every stream's tables, streams in catalog order (the destination takes them as its plans)
  std::vector<FileStreamPlan> tables;
  struct Stream {
    size_t first = 0;  //!< index of the stream's root table in `tables`
    std::shared_ptr<const NormPlan> plan;
    std::vector<SchemaPtr> schemas;  //!< per table: its plan's schema
  };
  std::vector<Stream> streams;  //!< per catalog stream
};

//! One plan per flat table of every stream (`streams` as PlanFileStreams made them for
//! `catalog`). The table plans' schemas: the table's data columns (typed), its hash id columns
//! (`_airbyte_{parent}_hashid` first in children, the root's in depth ≥ 2, its own) and
//! `_airbyte_normalized_at`.
Result<NormalizedFileStreams> ExpandNormalizedFileStreams(std::vector<FileStreamPlan> streams,
                                                          const ConfiguredCatalog& catalog);

//! Open of catalog stream `stream` when normalizing: `open(i)` opens the writer of table plan
//! `i` (n.streams[stream].first + table); the result writes all of the stream's tables.
Result<std::unique_ptr<StreamWriter>> OpenNormalizedStream(
    const NormalizedFileStreams& n, uint32_t stream,
    const std::function<Result<std::unique_ptr<StreamWriter>>(size_t)>& open);

//! A stream's StreamWriter that flattens each record (Flattener) and writes the rows of each
//! table through that table's writer. `writers[t]` writes table t of `plan`; `schemas[t]` is
//! its plan's schema.
class NormalizingStreamWriter final : public StreamWriter {
 public:
  NormalizingStreamWriter(std::shared_ptr<const NormPlan> plan, std::vector<SchemaPtr> schemas,
                          std::vector<std::unique_ptr<StreamWriter>> writers);
  ~NormalizingStreamWriter() override;

  Status Write(const RecordBatch& batch) override;
  Status Flush() override;
  Status Finish(StreamOutcome outcome) override;

 private:
  std::shared_ptr<const NormPlan> plan_;
  std::vector<SchemaPtr> schemas_;
  std::vector<std::unique_ptr<StreamWriter>> writers_;
  Flattener flattener_;
  std::vector<RecordBatch> batches_;  //!< per table, reused
  UuidV4Generator uuid_;
  int64_t normalized_at_micros_ = 0;
};

}  // namespace sluice
