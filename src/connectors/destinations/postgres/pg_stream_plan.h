#pragma once
// PgStreamPlan: where and how one stream lands (tables, columns, encoders, keys), and the SQL
// built from it. Begin() makes the plans; writers only read them.

#include <cstdint>
#include <string>
#include <vector>

#include "connectors/destinations/postgres/pg_copy_encoder.h"
#include "connectors/destinations/postgres/pg_destination_config.h"
#include "connectors/destinations/postgres/pg_normalization.h"
#include "protocol/catalog.h"

namespace sluice {

inline constexpr const char* kColRawId = "_airbyte_raw_id";
inline constexpr const char* kColExtractedAt = "_airbyte_extracted_at";
inline constexpr const char* kColLoadedAt = "_airbyte_loaded_at";
inline constexpr const char* kColData = "_airbyte_data";
inline constexpr const char* kColMeta = "_airbyte_meta";
inline constexpr const char* kColGenerationId = "_airbyte_generation_id";
inline constexpr const char* kColSeq = "_sluice_seq";  //!< staging only: arrival order inside a batch
//! staging only (CDC streams): the columns whose value the source did not send because it did
//! not change (PostgreSQL's unchanged TOAST), as a jsonb array of column names
inline constexpr const char* kColKeep = "_sluice_keep";
inline constexpr const char* kCdcDeletedAt = "_ab_cdc_deleted_at";

//! How a stream's typed rows reach its final table.
enum class PgLoad {
  kAppend,  //!< COPY straight into the final table (append)
  //! COPY into a session temp table, merged into the final table at every checkpoint through
  //! its primary-key index (append_dedup into an existing table)
  kMerge,
  //! COPY into `{table}_airbyte_tmp`, which replaces the final table when the stream completes
  //! (overwrite; a truncate refresh; append_dedup into a new table, deduplicated once before
  //! the swap instead of merged at every checkpoint)
  kSwap,
};

struct PgStreamPlan {
  uint32_t index = 0;
  std::string name;  //!< "namespace.stream" for messages
  DestinationSyncMode mode = DestinationSyncMode::kAppend;
  SchemaPtr schema;
  int64_t generation_id = 0;
  int64_t sync_id = 0;
  bool write_final = true;
  bool write_raw = true;
  CdcDeletionMode cdc_deletion_mode = CdcDeletionMode::kHardDelete;
  bool drop_cascade = false;
  int parallel_copies = 1;  //!< connections per table kind (kAppend, kSwap)
  PgLoad load = PgLoad::kAppend;
  //! kSwap except overwrite: a tmp table left by an earlier attempt of the same generation is
  //! kept and loaded further (its rows were committed with checkpoints the state may cover).
  bool resume_tmp = false;
  //! Raw rows go to the raw tmp table and are swapped in with the typed ones (overwrite and
  //! truncate refresh); otherwise they are appended to the raw table.
  bool raw_swap = false;
  bool unique_nulls_not_distinct = false;  //!< the server has UNIQUE … NULLS NOT DISTINCT (PG ≥ 15)
  //! Raw rows in Airbyte's pre-V2 layout `{schema}._airbyte_raw_{stream}` (_airbyte_ab_id,
  //! _airbyte_data, _airbyte_emitted_at) instead of the V2 raw table.
  bool legacy_raw = false;
  //! Basic normalization: typed rows are staged (like kMerge) and projected into the tables of
  //! `norm` at every checkpoint; the final table is norm.tables[0] (flattened).
  bool normalize = false;
  //! normalize: records are flattened in C++ and every table's rows COPYed straight into it
  //! (append, overwrite, truncate refreshes: no stage); false: staged and projected in SQL
  //! (append_dedup; a key the C++ hash ids do not cover; existing columns of other types).
  bool norm_direct = false;
  PgNormalization norm;
  //! normalize: per table of `norm`, where its rows go: the table itself, or its _airbyte_tmp
  //! (kSwap, replaced together when the stream completes).
  std::vector<std::string> norm_load_tables;

  std::string final_schema;
  std::string final_table;  //!< the table readers see
  std::string raw_schema;
  std::string raw_table;
  //! Where typed rows are COPYed: final_table (kAppend), a session temp table (kMerge) or
  //! final_table's _airbyte_tmp (kSwap).
  std::string load_table;
  std::string raw_load_table;  //!< raw_table, or its _airbyte_tmp (raw_swap)

  std::vector<std::string> columns;     //!< per field: the column name
  std::vector<std::string> column_sql;  //!< per field: the column's SQL type (existing or new)
  std::vector<ValueEncoder> encoders;   //!< per field
  std::vector<int> primary_key;         //!< field indexes (append_dedup)
  //! normalize: the fields the root hash id comes from (the primary key in append_dedup, the
  //! catalog's key in overwrite); empty: the raw id.
  std::vector<int> hash_key;
  int cursor = -1;                      //!< field index of the cursor, or -1: latest extracted wins
  int cdc_deleted_at = -1;              //!< field index of _ab_cdc_deleted_at, or -1

  bool overwrite() const { return mode == DestinationSyncMode::kOverwrite; }
  bool dedup() const { return mode == DestinationSyncMode::kAppendDedup && write_final; }
  bool merge() const { return dedup() && load == PgLoad::kMerge; }
  //! Typed rows go to a session temp table first (kMerge, and normalized streams not direct).
  bool staged() const { return merge() || (normalize && !norm_direct); }
  //! A deduplicated CDC stream: a value the source marks as not sent (a NULLED change with
  //! SOURCE_RETRIEVAL_ERROR, e.g. an unchanged TOAST column) keeps the value stored before it.
  bool keeps_unchanged() const { return dedup() && cdc_deleted_at >= 0; }
  bool swap() const { return load == PgLoad::kSwap; }

  //! "schema"."table" of the final/load/raw tables.
  std::string FinalName() const;
  std::string LoadName() const;
  std::string RawLoadName() const;
  std::string RawName() const;
  //! The table a dedup merge compares with and replaces rows in: the final table, or with
  //! normalization the root table's load table (final or tmp).
  std::string MergeTargetName() const;
  //! normalize: "schema"."table" of norm table `t` as readers see it / where its rows go.
  std::string NormFinalName(size_t t) const;
  std::string NormLoadName(size_t t) const;
  //! normalize: CREATE TABLE for norm table `t` under `qualified` (IF NOT EXISTS when asked).
  std::string NormCreateSql(size_t t, const std::string& qualified, bool if_not_exists) const;
  //! normalize + dedup: the index on `column` of norm table `t` loaded as `load_table`
  //! (the primary key on the root, the root hash id on children).
  std::string NormIndexName(size_t t, const std::string& load_table) const;
  std::string NormCreateIndexSql(size_t t) const;
  //! normalize, at each checkpoint after the merge steps (dedup) on the stage: child rows of
  //! staged keys deleted (dedup), then every table's rows inserted from the stage.
  std::vector<std::string> NormApplySql() const;
  //! norm_direct: COPY … FROM STDIN (FORMAT binary) into the load table of norm table `t`:
  //! its columns in table order without `_airbyte_meta`, which comes last `with_meta` (root).
  std::string NormCopySql(size_t t, bool with_meta) const;
  //! norm_direct: number of fields of a COPY row of norm table `t` without meta.
  int16_t NormFieldCount(size_t t) const;
  //! normalize + kSwap: every tmp table replaces its table, in one transaction.
  std::vector<std::string> NormSwapSql() const;

  //! `_airbyte_meta` of a row without changes: '{"changes": [], "sync_id": N}'::jsonb. It is
  //! the column's DEFAULT, so such rows are COPYed without it (jsonb input is costly).
  std::string MetaDefaultSql() const;

  //! The primary-key index of the final table (append_dedup), and the name it has while it
  //! is built on the tmp table (kSwap).
  std::string PkIndexName() const;
  std::string TmpPkIndexName() const;
  //! "col1", "col2" of the primary key.
  std::string PkColumnList() const;

  //! COPY ... FROM STDIN (FORMAT binary) for typed rows: columns raw id, extracted at,
  //! generation id, the fields, [_sluice_seq], [meta, [_sluice_keep]] — the order the writer
  //! encodes (_sluice_keep with meta when keeps_unchanged(): such rows always have changes).
  std::string CopyFinalSql(bool with_meta) const;
  //! COPY for raw rows: raw id, data, extracted at, loaded at, generation id, [meta].
  std::string CopyRawSql(bool with_meta) const;
  //! Number of fields per typed / raw COPY row without meta.
  int16_t FinalFieldCount() const { return static_cast<int16_t>(columns.size() + 3 + (dedup() ? 1 : 0)); }
  int16_t RawFieldCount() const { return legacy_raw ? 3 : 5; }

  //! CREATE TABLE for a final (or tmp) table with the natural column types; a tmp table of an
  //! append_dedup stream also has `_sluice_seq` (the arrival order, dropped at the swap).
  std::string CreateFinalSql(const std::string& qualified_name, bool with_seq = false) const;
  //! CREATE TABLE [IF NOT EXISTS] for a raw table.
  std::string CreateRawSql(const std::string& qualified_name, bool if_not_exists) const;
  //! CREATE TEMP TABLE for the dedup staging table.
  std::string CreateStageSql() const;
  //! Dedup merge (kMerge), run in the transaction that loaded the stage, in this order:
  //! DedupSql(LoadName()) — one row per key left in the stage;
  //! MergeSql(false) — staged rows that lose to the final table's row are dropped, the final
  //! rows they replace are deleted; MergeSql(true) — the same for keys with NULLs (only when
  //! StageHasNullKeySql() says there are some); InsertFromStageSql() — the survivors go in.
  //! MergeSql(false) begins with SET LOCAL statements that leave PostgreSQL one plan: a nested
  //! loop over the staged rows probing the final table's primary-key index, so a merge costs
  //! what the checkpoint's rows cost, whatever the size of the table (never a full scan).
  //! MergeSql(true) turns hash joins back on: NULL keys cannot use the index.
  //! DedupSql(table): keeps the best row per key in `table`: the highest cursor (NULLs last),
  //! then the latest extracted, then the latest to arrive (`_sluice_seq`).
  std::string DedupSql(const std::string& table) const;
  //! keeps_unchanged(), before DedupSql: column `column` of the rows of `table` that did not
  //! receive it takes the value of the same key's latest earlier row that did (in dedup order)
  //! — from `table` itself (a window), or else, with `from_final`, from the final table (a key
  //! index probe). Returns the statements in order.
  std::vector<std::string> KeepUnchangedSql(const std::string& table, size_t column, bool from_final) const;
  std::vector<std::string> MergeSql(bool null_keys) const;
  std::string InsertFromStageSql() const;
  //! SELECT true when some staged row has a NULL in its primary key.
  std::string StageHasNullKeySql() const;
  //! kSwap of an append_dedup stream, before SwapSql(): CREATE [UNIQUE] INDEX on the tmp
  //! table (TmpPkIndexName()). Unique (NULLS NOT DISTINCT) when the server has it: building it
  //! fails exactly when the tmp table has two rows with one key, and only then is DedupSql()
  //! needed (the writer tries it in a savepoint).
  std::string CreateTmpPkIndexSql(bool unique) const;
  //! kSwap of an append_dedup stream, after deduplication: hard-deleted rows removed,
  //! `_sluice_seq` dropped.
  std::vector<std::string> FinishTmpDedupSql() const;
  //! The statements that replace the final (and, with raw_swap, raw) table by the tmp ones
  //! (kSwap); an append_dedup stream's index takes the final table's index name.
  std::vector<std::string> SwapSql() const;
  //! A replicated TRUNCATE at `at_us` (Unix µs) of a dedup or overwrite stream: the rows loaded
  //! so far go — deleted from the final table (kMerge) or the tmp table (kSwap), or with soft
  //! deletes marked with _ab_cdc_deleted_at. REQUIRES: dedup() or overwrite(), write_final.
  std::vector<std::string> TruncateSql(int64_t at_us) const;
};

}  // namespace sluice
