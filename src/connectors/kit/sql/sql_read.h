#pragma once
// How a SQL source reads a table in primary-key order, written once for every dialect (the SQL
// text comes from sql_planner.h; the source runs it with its own client):
//
//   CheckpointSqlStream   a stream's checkpoint through its batcher: a STREAM state with the
//                         read's blob, or the state a CDC snapshot wraps it in.
//   ReadKeyChunks         the chunk loop: WHERE key > last [AND key <= upto] ORDER BY key LIMIT n,
//                         until a chunk comes back short; after each full chunk its last key is
//                         the position a checkpoint saves.
//   SqlKeyRanges          one table read as several key ranges at once (on several
//                         connections): which ranges are complete and how far each other one
//                         got. Its checkpoints list every range, so a read interrupted anywhere
//                         resumes each range after the last key it handed over. State blob:
//       {"version":2,"state_type":"primary_key","pk_names":["id"],"pk_ranges":[
//          {"upto":["1250000"],"pk_vals":["400000"]},               rows ≤ 400000 were read
//          {"after":["1250000"],"upto":["2500000"],"complete":true},
//          {"after":["2500000"]}]}                                   not started
//   SplitIntegerKeySpan   equal-width range boundaries over an integer key's [min, max].
//
// Order and checkpoints with ranges read at once: each range's rows go out in its own batches,
// interleaved with the other ranges' (keys of different ranges never meet, so nothing depends
// on their relative order). A range records its progress (Advance) only after the batches
// holding those rows were emitted, and a checkpoint is the progress at the moment it is emitted,
// emitted under one lock: on a FIFO emitter (ParallelStreams), every checkpoint follows every
// batch it covers, and no checkpoint covers less than an earlier one.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/sql/sql_planner.h"
#include "connectors/kit/stream_batcher.h"
#include "protocol/catalog.h"
#include "protocol/state.h"

namespace sluice {

//! Flushes `out`, then emits a checkpoint covering every row added so far: a STREAM state of
//! `stream` holding `blob`, or — `wrap` given and set (a CDC snapshot) — the state `wrap` makes
//! of the blob (the GLOBAL state). Called on the thread that owns `out`.
Status CheckpointSqlStream(StreamBatcher& out, const StreamDescriptor& stream, Json blob,
                           const std::function<StateMessage(Json)>* wrap = nullptr);

//! What one chunk's query returned.
struct SqlKeyChunk {
  uint64_t rows = 0;              //!< rows read
  std::vector<std::string> last;  //!< the key of the last row (text forms), at least when rows == the limit
};

//! The key-chunked read of `query` (from query.after, nullopt: the first key, up to query.upto,
//! nullopt: the last): `read_chunk(sql)` runs one chunk's query (KeyChunkQuery text) and says
//! what it read; after each full chunk (rows == query.limit) `on_chunk(last)` runs — the rows up
//! to `last` are read: flush and checkpoint there — and the next chunk starts after `last`. A
//! chunk with fewer rows ends the read (no on_chunk for it). The first error ends it too.
//! REQUIRES: query.limit > 0.
Status ReadKeyChunks(const SqlDialect& dialect, SqlKeyChunkQuery query,
                     const std::function<Result<SqlKeyChunk>(const std::string& sql)>& read_chunk,
                     const std::function<Status(const std::vector<std::string>& last)>& on_chunk);

//! Boundaries splitting the integer key span [min, max] (text forms of signed or unsigned 64-bit
//! integers) into `parts` ranges of equal width, in order: parts − 1 one-column keys — fewer, so
//! that every range spans at least `min_width` keys (≥ 1). Empty (one range: read it whole) when
//! min or max is not such an integer, min > max, or fewer than two ranges remain.
//! PlanKeyRanges(boundaries) gives the ranges.
std::vector<std::vector<std::string>> SplitIntegerKeySpan(std::string_view min, std::string_view max, size_t parts,
                                                          uint64_t min_width = 1);

//! The ranges of one table's key-chunked read, read at once (header comment). Thread-safe.
class SqlKeyRanges {
 public:
  //! A new read: `ranges` (PlanKeyRanges) over the key `columns`, none started.
  SqlKeyRanges(std::vector<std::string> columns, const std::vector<SqlKeyRange>& ranges);
  //! A read saved in the "pk_ranges" shape; null for any other blob (null, sequential
  //! pk_val, malformed).
  static std::unique_ptr<SqlKeyRanges> Parse(const Json* blob);

  const std::vector<std::string>& columns() const { return columns_; }
  size_t size() const { return ranges_.size(); }
  //! The ranges not complete, in key order.
  std::vector<size_t> Pending() const;
  //! Where range `r` goes on: after its last key handed over, else after its lower bound.
  std::optional<std::vector<std::string>> ResumeAfter(size_t r) const;
  //! Range `r`'s upper bound (inclusive); nullopt: the table's end.
  std::optional<std::vector<std::string>> Upto(size_t r) const;
  //! Range `r`'s rows up to key `last` were emitted (call after their batches went out).
  void Advance(size_t r, std::vector<std::string> last);
  //! Every row of range `r` was emitted.
  void Complete(size_t r);
  //! The state blob of the progress now.
  Json ToJson() const;
  //! Emits a checkpoint of the progress now: `emit(ToJson())`, under a lock held while it runs,
  //! so checkpoints go out in progress order. Call after the batches it must cover went out.
  Status Checkpoint(const std::function<Status(Json blob)>& emit);

 private:
  struct Range {
    SqlKeyRange bounds;
    std::optional<std::vector<std::string>> last;
    bool complete = false;
  };
  SqlKeyRanges() = default;

  std::vector<std::string> columns_;
  std::vector<Range> ranges_;
  mutable std::mutex mu_;       //!< guards ranges_' progress
  std::mutex checkpoint_mu_;    //!< one checkpoint emitted at a time
};

}  // namespace sluice
