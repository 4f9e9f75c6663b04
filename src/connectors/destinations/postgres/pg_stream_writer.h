#pragma once
// PgStreamWriter: one stream's rows → binary COPY → its tables, one transaction per checkpoint.
//
// Rows are encoded into one buffer per COPY target (typed rows into PgStreamPlan::load_table,
// JSON rows into the raw load table); a full buffer (about 1 MB) goes to a lane (PgCopyLane: a
// connection with an open transaction, taken from the run's pool when first needed). Overwrite
// and append use PgStreamPlan::parallel_copies lanes per table kind (typed, raw), buffers going
// round-robin, so several server backends load at once; a merging stream (PgLoad::kMerge) uses
// one lane for both (its merge needs the staged rows in its session), switching COPYs every few
// MB. Flush() ends every lane's COPY, merges the staged rows (kMerge) and COMMITs every lane
// before it returns, so a checkpoint the engine commits afterwards covers only committed rows
// (with several lanes, a crash between their COMMITs leaves part of a checkpoint committed
// without its state: at-least-once, the rerun sends it again). Finish(kComplete) does the same
// and, for PgLoad::kSwap, then swaps the loaded tables in, in one transaction (an append_dedup
// stream's tmp table deduplicated first); a failure on any lane, and Finish(kIncomplete), roll
// back every open lane and leave the tables as they were (a kSwap's old table untouched, its
// tmp table kept with the committed checkpoints for the next attempt when resume_tmp).
//
// Normalized streams loaded directly (PgStreamPlan::norm_direct) flatten each record in C++
// (kit Flattener) and encode each table's rows into that table's own COPY stream: an overwrite
// (fresh tmp tables, invisible until the swap) loads through one lane per table, side by side;
// append and resumed tmp tables load every table (and the raw table) through one lane, so a
// checkpoint is one transaction and no child row commits without its parent.

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/uuid.h"
#include "connectors/destinations/postgres/pg_copy_encoder.h"
#include "connectors/destinations/postgres/pg_copy_lane.h"
#include "connectors/destinations/postgres/pg_destination_config.h"
#include "connectors/destinations/postgres/pg_stream_plan.h"
#include "connectors/kit/normalize/flattener.h"
#include "postgres/pg_connection.h"
#include "connectors/sdk/destination.h"

namespace sluice {

class PgStreamWriter final : public StreamWriter {
 public:
  //! `plan` and `pool` outlive the writer.
  PgStreamWriter(const PgStreamPlan& plan, PgConnectionPool& pool);
  ~PgStreamWriter() override;

  Status Write(const RecordBatch& batch) override;
  Status Flush() override;
  //! Dedup and overwrite streams: flushes the rows before it (merged and committed), then
  //! deletes the stream's rows in their own transaction (PgStreamPlan::TruncateSql) — committed
  //! ahead of the checkpoint covering the TRUNCATE, which a rerun replays (idempotent). Append
  //! and raw-only streams keep their rows (history): false.
  Result<bool> Truncate(int64_t at_us) override;
  Status Finish(StreamOutcome outcome) override;

 private:
  //! The COPY streams: typed and raw rows, each without _airbyte_meta (its DEFAULT: no
  //! changes) and with it (rows with changes).
  enum Target { kFinal, kFinalMeta, kRaw, kRawMeta, kTargets };

  //! The lane of the next buffer of `target` (round-robin over its table kind's lanes).
  //! (Targets from kTargets on are the norm_direct tables' streams: 2 t, and 2 t + 1 with meta.)
  size_t NextLane(int target);
  Status BeginLane(size_t lane);
  Status Send(int target);
  CopyBuffer& BufferOf(int target) { return target < kTargets ? buffers_[target] : norm_buffers_[target - kTargets]; }
  size_t num_targets() const { return kTargets + norm_buffers_.size(); }
  //! Moves queued data of every lane to its socket as far as it goes without waiting, so the
  //! backends keep loading while rows are encoded.
  Status SendQueued();
  //! Sends what is buffered, ends every COPY and merges (dedup): the transactions are ready to
  //! commit.
  Status Drain();
  //! COMMITs every open lane (all COMMITs are sent before the first is waited for).
  Status Commit();
  //! Rolls back every lane. Never fails.
  void Abort();
  Status Fail(Status status);
  Status ExecSteps(PgCopyLane& lane, const std::vector<std::string>& sql, std::string_view what);
  //! kMerge: the staged rows into the final table (PgStreamPlan::MergeSql), timed.
  Status Merge(PgCopyLane& lane);
  //! kSwap of an append_dedup stream, before the swap: one row per key, the key index built.
  Status DedupTmp(PgCopyLane& lane);

  void EncodeRow(const RecordBatch& batch, size_t row, size_t& change_cursor);
  //! Ends the row that starts at `row_start` in buffers_[plain]: when it has changes (the
  //! source's, first at `first_change`, or `extra`), it moves to buffers_[plain + 1] with meta.
  void EndRow(Target plain, size_t row_start, const RecordBatch& batch, size_t row, size_t first_change,
              const std::vector<const std::string*>& extra, ChangeReason extra_reason);
  void EndRowIn(CopyBuffer& from, CopyBuffer& to, bool keep, size_t row_start, const RecordBatch& batch, size_t row,
                size_t first_change, const std::vector<const std::string*>& extra, ChangeReason extra_reason);
  //! norm_direct: one table row the Flattener hands out, into its table's COPY stream.
  void EncodeNormRow(const NormRow& r);
  static void EncodeLeaf(const NormLeaf& leaf, TypeId type, CopyBuffer& out);
  void AppendRawData(PodBuffer& out, const RecordBatch& batch, size_t row);

  const PgStreamPlan& plan_;
  PgConnectionPool& pool_;
  std::vector<PgCopyLane> lanes_;  //!< dedup: one; else typed lanes, then raw lanes
  size_t lanes_per_kind_ = 1;
  size_t raw_lane_base_ = 0;      //!< index of the first raw lane
  size_t next_lane_[2] = {0, 0};  //!< round-robin position per kind (typed, raw)
  bool failed_ = false;
  bool finished_ = false;
  uint64_t rows_in_transaction_ = 0;
  int64_t seq_ = 0;
  int64_t loaded_at_micros_ = 0;

  CopyBuffer buffers_[kTargets];
  //! norm_direct: the flattener, its callback, the tables' COPY streams and the row in hand
  std::unique_ptr<Flattener> flattener_;
  std::function<void(const NormRow&)> emit_;
  std::vector<CopyBuffer> norm_buffers_;
  std::vector<std::string> norm_copy_sql_;
  std::vector<std::string> norm_what_;
  std::vector<int16_t> norm_fields_;
  bool norm_lane_per_table_ = false;
  const RecordBatch* cur_batch_ = nullptr;
  size_t cur_row_ = 0;
  size_t cur_first_change_ = 0;
  std::string_view cur_raw_id_;
  int64_t cur_extracted_micros_ = 0;
  std::string copy_sql_[kTargets];
  std::string what_[kTargets];  //!< "stream 's': COPY into table", for messages
  UuidV4Generator uuid_;
  std::string scratch_;
  std::string json_;
  std::vector<const std::string*> final_changes_;  //!< fields nulled in the typed row
  std::vector<const std::string*> raw_changes_;    //!< fields nulled in _airbyte_data
  std::vector<std::string> data_prefixes_;          //!< `"field":` per field for _airbyte_data
  std::string meta_tail_;                           //!< `],"sync_id":N}`
  size_t send_bytes_ = 0;                           //!< a buffer is sent at this size
  std::set<size_t> kept_columns_;  //!< fields marked "not sent" in this transaction (keeps_unchanged)
  uint64_t merges_ = 0;  //!< kMerge: merges so far, the rows they took and their time
  uint64_t merge_rows_ = 0;
  int64_t merge_micros_ = 0;
  int64_t merge_micros_max_ = 0;
};

}  // namespace sluice
