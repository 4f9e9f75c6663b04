#include "connectors/destinations/postgres/pg_stream_plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "connectors/destinations/postgres/pg_identifiers.h"
#include "postgres/pg_connection.h"

namespace sluice {

namespace {

std::string Qualified(const std::string& schema, const std::string& table) {
  return QuoteIdent(schema) + "." + QuoteIdent(table);
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

}  // namespace

std::string PgStreamPlan::FinalName() const { return Qualified(final_schema, final_table); }
std::string PgStreamPlan::RawName() const { return Qualified(raw_schema, raw_table); }
std::string PgStreamPlan::RawLoadName() const { return Qualified(raw_schema, raw_load_table); }
std::string PgStreamPlan::LoadName() const {
  return staged() ? "pg_temp." + QuoteIdent(load_table) : Qualified(final_schema, load_table);
}
std::string PgStreamPlan::MergeTargetName() const { return normalize ? NormLoadName(0) : FinalName(); }
std::string PgStreamPlan::NormFinalName(size_t t) const { return Qualified(final_schema, norm.tables[t].table); }
std::string PgStreamPlan::NormLoadName(size_t t) const { return Qualified(final_schema, norm_load_tables[t]); }

std::string PgStreamPlan::PkColumnList() const {
  std::string cols;
  for (int k : primary_key) cols += (cols.empty() ? "" : ", ") + QuoteIdent(columns[static_cast<size_t>(k)]);
  return cols;
}

namespace {
// `{table}_pk_{hash of the key's columns}`: a new key gets a new index.
std::string PkIndexFor(const std::string& table, const PgStreamPlan& p) {
  std::string key;
  for (int k : p.primary_key) key += "\x1f" + p.columns[static_cast<size_t>(k)];
  return PgIdentifier(fmt::format("{}_pk_{:08x}", table, static_cast<uint32_t>(Fnv1a64(key))));
}
}  // namespace

std::string PgStreamPlan::PkIndexName() const { return PkIndexFor(final_table, *this); }
std::string PgStreamPlan::TmpPkIndexName() const { return PkIndexFor(load_table, *this); }

std::string PgStreamPlan::MetaDefaultSql() const {
  return fmt::format("'{{\"changes\": [], \"sync_id\": {}}}'::jsonb", sync_id);
}

std::string PgStreamPlan::CopyFinalSql(bool with_meta) const {
  std::vector<std::string> cols = {QuoteIdent(kColRawId), QuoteIdent(kColExtractedAt), QuoteIdent(kColGenerationId)};
  for (const auto& c : columns) cols.push_back(QuoteIdent(c));
  if (dedup()) cols.push_back(QuoteIdent(kColSeq));
  if (with_meta) cols.push_back(QuoteIdent(kColMeta));
  if (with_meta && keeps_unchanged()) cols.push_back(QuoteIdent(kColKeep));
  return fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", LoadName(), Join(cols, ", "));
}

std::string PgStreamPlan::CopyRawSql(bool with_meta) const {
  if (legacy_raw) {
    return fmt::format("COPY {} (\"_airbyte_ab_id\", \"_airbyte_data\", \"_airbyte_emitted_at\") FROM STDIN (FORMAT binary)",
                       RawLoadName());
  }
  return fmt::format("COPY {} ({}, {}, {}, {}, {}{}) FROM STDIN (FORMAT binary)", RawLoadName(), QuoteIdent(kColRawId),
                     QuoteIdent(kColData), QuoteIdent(kColExtractedAt), QuoteIdent(kColLoadedAt),
                     QuoteIdent(kColGenerationId), with_meta ? ", " + QuoteIdent(kColMeta) : std::string());
}

std::string PgStreamPlan::CreateFinalSql(const std::string& qualified_name, bool with_seq) const {
  std::vector<std::string> cols = {
      fmt::format("{} character varying(36) NOT NULL", QuoteIdent(kColRawId)),
      fmt::format("{} timestamp with time zone NOT NULL", QuoteIdent(kColExtractedAt)),
      fmt::format("{} jsonb NOT NULL DEFAULT {}", QuoteIdent(kColMeta), MetaDefaultSql()),
      fmt::format("{} bigint", QuoteIdent(kColGenerationId)),
  };
  for (size_t i = 0; i < columns.size(); ++i) {
    cols.push_back(fmt::format("{} {}", QuoteIdent(columns[i]), PgTypeForField(schema->field(i).type)));
  }
  if (with_seq) cols.push_back(fmt::format("{} bigint", QuoteIdent(kColSeq)));
  if (with_seq && keeps_unchanged()) cols.push_back(fmt::format("{} jsonb", QuoteIdent(kColKeep)));
  return fmt::format("CREATE TABLE {} ({})", qualified_name, Join(cols, ", "));
}

std::string PgStreamPlan::CreateRawSql(const std::string& qualified_name, bool if_not_exists) const {
  if (legacy_raw) {
    return fmt::format(
        "CREATE TABLE {}{} (\"_airbyte_ab_id\" character varying(36) NOT NULL, \"_airbyte_data\" jsonb, "
        "\"_airbyte_emitted_at\" timestamp with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP)",
        if_not_exists ? "IF NOT EXISTS " : "", qualified_name);
  }
  return fmt::format(
      "CREATE TABLE {}{} ({} character varying(36) NOT NULL, {} jsonb, {} timestamp with time zone NOT NULL, "
      "{} timestamp with time zone, {} jsonb DEFAULT {}, {} bigint)",
      if_not_exists ? "IF NOT EXISTS " : "", qualified_name, QuoteIdent(kColRawId), QuoteIdent(kColData),
      QuoteIdent(kColExtractedAt), QuoteIdent(kColLoadedAt), QuoteIdent(kColMeta), MetaDefaultSql(),
      QuoteIdent(kColGenerationId));
}

std::string PgStreamPlan::CreateStageSql() const {
  std::vector<std::string> cols = {
      fmt::format("{} character varying(36)", QuoteIdent(kColRawId)),
      fmt::format("{} timestamp with time zone", QuoteIdent(kColExtractedAt)),
      fmt::format("{} bigint", QuoteIdent(kColGenerationId)),
  };
  for (size_t i = 0; i < columns.size(); ++i) cols.push_back(fmt::format("{} {}", QuoteIdent(columns[i]), column_sql[i]));
  cols.push_back(fmt::format("{} bigint", QuoteIdent(kColSeq)));
  cols.push_back(fmt::format("{} jsonb DEFAULT {}", QuoteIdent(kColMeta), MetaDefaultSql()));
  if (keeps_unchanged()) cols.push_back(fmt::format("{} jsonb", QuoteIdent(kColKeep)));
  return fmt::format("CREATE TEMP TABLE IF NOT EXISTS {} ({}) ON COMMIT DELETE ROWS", QuoteIdent(load_table),
                     Join(cols, ", "));
}

std::string PgStreamPlan::StageHasNullKeySql() const {
  std::vector<std::string> tests;
  for (int k : primary_key) tests.push_back(QuoteIdent(columns[static_cast<size_t>(k)]) + " IS NULL");
  return fmt::format("SELECT EXISTS (SELECT 1 FROM {} WHERE {})", LoadName(), Join(tests, " OR "));
}

std::vector<std::string> PgStreamPlan::MergeSql(bool null_keys) const {
  const std::string stage = LoadName(), final_name = MergeTargetName();
  std::vector<std::string> key_eq, key_null, key_is_null;
  for (int k : primary_key) {
    const std::string c = QuoteIdent(columns[static_cast<size_t>(k)]);
    key_eq.push_back(fmt::format("f.{0} = s.{0}", c));
    key_null.push_back(fmt::format("f.{0} IS NOT DISTINCT FROM s.{0}", c));
    key_is_null.push_back(fmt::format("s.{} IS NULL", c));
  }
  const std::string ext = QuoteIdent(kColExtractedAt);
  // "f is better than s" under ORDER BY cursor DESC NULLS LAST, extracted_at DESC.
  std::string f_better;
  if (cursor >= 0) {
    const std::string c = QuoteIdent(columns[static_cast<size_t>(cursor)]);
    f_better = fmt::format(
        "((f.{0} IS NOT NULL AND s.{0} IS NULL) OR f.{0} > s.{0} OR "
        "((f.{0} = s.{0} OR (f.{0} IS NULL AND s.{0} IS NULL)) AND f.{1} > s.{1}))",
        c, ext);
  } else {
    f_better = fmt::format("f.{0} > s.{0}", ext);
  }
  const std::string match =
      null_keys ? fmt::format("({}) AND ({})", Join(key_null, " AND "), Join(key_is_null, " OR ")) : Join(key_eq, " AND ");
  // Rows the final table already has in a better version are dropped; the others replace theirs.
  // Without hash and merge joins, the only plan left is a nested loop probing the key index.
  const char* joins = null_keys ? "on" : "off";
  return {fmt::format("SET LOCAL enable_hashjoin = {0}; SET LOCAL enable_mergejoin = {0}", joins),
          fmt::format("DELETE FROM {} AS s USING {} AS f WHERE {} AND {}", stage, final_name, match, f_better),
          fmt::format("DELETE FROM {} AS f USING {} AS s WHERE {}", final_name, stage, match)};
}

std::string PgStreamPlan::DedupSql(const std::string& table) const {
  const std::string order =
      cursor >= 0 ? QuoteIdent(columns[static_cast<size_t>(cursor)]) + " DESC NULLS LAST, " : std::string();
  return fmt::format("DELETE FROM {0} WHERE ctid IN (SELECT ctid FROM (SELECT ctid, row_number() OVER (PARTITION "
                     "BY {1} ORDER BY {2}{3} DESC, {4} DESC) AS rn FROM {0}) AS ranked WHERE rn > 1)",
                     table, PkColumnList(), order, QuoteIdent(kColExtractedAt), QuoteIdent(kColSeq));
}

std::vector<std::string> PgStreamPlan::KeepUnchangedSql(const std::string& table, size_t column,
                                                        bool from_final) const {
  const std::string c = QuoteIdent(columns[column]);
  const std::string keep = QuoteIdent(kColKeep);
  const std::string missing = fmt::format("{} ? {}", keep, QuoteLiteral(columns[column]));
  std::vector<std::string> sql;
  if (from_final) {
    // First every such row takes the stored value; those with an earlier row in `table` that
    // has the column take that one next.
    std::vector<std::string> key_eq;
    for (int k : primary_key) key_eq.push_back(fmt::format("f.{0} = s.{0}", QuoteIdent(columns[static_cast<size_t>(k)])));
    sql.push_back("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
    sql.push_back(fmt::format("UPDATE {} AS s SET {} = f.{} FROM {} AS f WHERE {} AND (s.{})", table, c, c,
                              MergeTargetName(), Join(key_eq, " AND "), missing));
    sql.push_back("SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on");
  }
  // Rows in dedup order, ascending; `grp` counts the rows that have the column up to each row,
  // so a row without it shares its group with the latest earlier row that has it.
  std::vector<std::string> order_cols;
  if (cursor >= 0) order_cols.push_back(QuoteIdent(columns[static_cast<size_t>(cursor)]));
  order_cols.push_back(QuoteIdent(kColExtractedAt));
  order_cols.push_back(QuoteIdent(kColSeq));
  std::string order = Join(order_cols, ", ");
  if (cursor >= 0) order.insert(order_cols[0].size(), " ASC NULLS FIRST");
  std::vector<std::string> picked;  // what the window reads, each column once
  for (int k : primary_key) picked.push_back(QuoteIdent(columns[static_cast<size_t>(k)]));
  for (const std::string& col : order_cols) picked.push_back(col);
  picked.push_back(c);
  std::sort(picked.begin(), picked.end());
  picked.erase(std::unique(picked.begin(), picked.end()), picked.end());
  sql.push_back(fmt::format(
      "UPDATE {0} AS s SET {1} = w._sluice_v FROM (SELECT _sluice_row, _sluice_grp, first_value({1}) OVER (PARTITION "
      "BY {2}, _sluice_grp ORDER BY {3}) AS _sluice_v FROM (SELECT ctid AS _sluice_row, {4}, count(*) FILTER (WHERE {5} "
      "IS NULL OR NOT ({6})) OVER (PARTITION BY {2} ORDER BY {3} ROWS UNBOUNDED PRECEDING) AS _sluice_grp FROM {0}) "
      "AS g) AS w WHERE s.ctid = w._sluice_row AND w._sluice_grp > 0 AND (s.{6})",
      table, c, PkColumnList(), order, Join(picked, ", "), keep, missing));
  return sql;
}

std::string PgStreamPlan::CreateTmpPkIndexSql(bool unique) const {
  return fmt::format("CREATE {}INDEX {} ON {} ({}){}", unique ? "UNIQUE " : "", QuoteIdent(TmpPkIndexName()),
                     LoadName(), PkColumnList(), unique && unique_nulls_not_distinct ? " NULLS NOT DISTINCT" : "");
}

std::vector<std::string> PgStreamPlan::FinishTmpDedupSql() const {
  std::vector<std::string> sql;
  if (cdc_deleted_at >= 0 && cdc_deletion_mode == CdcDeletionMode::kHardDelete) {
    sql.push_back(fmt::format("DELETE FROM {} WHERE {} IS NOT NULL", LoadName(),
                              QuoteIdent(columns[static_cast<size_t>(cdc_deleted_at)])));
  }
  sql.push_back(fmt::format("ALTER TABLE {} DROP COLUMN {}", LoadName(), QuoteIdent(kColSeq)));
  if (keeps_unchanged()) sql.push_back(fmt::format("ALTER TABLE {} DROP COLUMN {}", LoadName(), QuoteIdent(kColKeep)));
  return sql;
}

std::string PgStreamPlan::InsertFromStageSql() const {
  std::vector<std::string> cols = {QuoteIdent(kColRawId), QuoteIdent(kColExtractedAt), QuoteIdent(kColGenerationId)};
  for (const auto& c : columns) cols.push_back(QuoteIdent(c));
  cols.push_back(QuoteIdent(kColMeta));
  const std::string list = Join(cols, ", ");
  std::string sql = fmt::format("INSERT INTO {} ({}) SELECT {} FROM {}", FinalName(), list, list, LoadName());
  if (cdc_deleted_at >= 0 && cdc_deletion_mode == CdcDeletionMode::kHardDelete) {
    sql += fmt::format(" WHERE {} IS NULL", QuoteIdent(columns[static_cast<size_t>(cdc_deleted_at)]));
  }
  return sql;
}

std::vector<std::string> PgStreamPlan::TruncateSql(int64_t at_us) const {
  const std::string target = normalize ? NormLoadName(0) : merge() ? FinalName() : LoadName();
  if (dedup() && cdc_deleted_at >= 0 && cdc_deletion_mode == CdcDeletionMode::kSoftDelete) {
    const std::string& column = columns[static_cast<size_t>(cdc_deleted_at)];
    return {fmt::format("UPDATE {} SET {} = (pg_catalog.to_timestamp({} / 1000000.0))::{} WHERE {} IS NULL", target,
                        QuoteIdent(column), at_us, column_sql[static_cast<size_t>(cdc_deleted_at)],
                        QuoteIdent(column))};
  }
  std::vector<std::string> sql = {fmt::format("DELETE FROM {}", target)};
  for (size_t t = 1; normalize && t < norm.tables.size(); ++t) sql.push_back("DELETE FROM " + NormLoadName(t));
  return sql;
}

std::vector<std::string> PgStreamPlan::SwapSql() const {
  const char* cascade = drop_cascade ? " CASCADE" : "";
  std::vector<std::string> sql;
  if (write_final) {
    sql.push_back(fmt::format("DROP TABLE IF EXISTS {}{}", FinalName(), cascade));
    sql.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", LoadName(), QuoteIdent(final_table)));
    if (dedup()) {
      sql.push_back(fmt::format("ALTER INDEX {} RENAME TO {}", Qualified(final_schema, TmpPkIndexName()),
                                QuoteIdent(PkIndexName())));
    }
  }
  if (write_raw && raw_swap) {
    sql.push_back(fmt::format("DROP TABLE IF EXISTS {}{}", RawName(), cascade));
    sql.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", RawLoadName(), QuoteIdent(raw_table)));
  }
  return sql;
}

std::string PgStreamPlan::NormCreateSql(size_t t, const std::string& qualified, bool if_not_exists) const {
  std::vector<std::string> cols;
  for (const PgNormColumn& c : norm.tables[t].columns) {
    std::string col = fmt::format("{} {}", QuoteIdent(c.name), c.sql_type);
    if (c.name == kColMeta) col += " DEFAULT " + MetaDefaultSql();
    cols.push_back(std::move(col));
  }
  return fmt::format("CREATE TABLE {}{} ({})", if_not_exists ? "IF NOT EXISTS " : "", qualified, Join(cols, ", "));
}

std::string PgStreamPlan::NormIndexName(size_t t, const std::string& load_table) const {
  if (t == 0) return PkIndexFor(load_table, *this);
  return PgIdentifier(fmt::format("{}_root_{:08x}", load_table,
                                  static_cast<uint32_t>(Fnv1a64(norm.tables[t].root_hashid_column))));
}

std::string PgStreamPlan::NormCreateIndexSql(size_t t) const {
  const std::string cols = t == 0 ? PkColumnList() : QuoteIdent(norm.tables[t].root_hashid_column);
  return fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", QuoteIdent(NormIndexName(t, norm_load_tables[t])),
                     NormLoadName(t), cols);
}

std::vector<std::string> PgStreamPlan::NormApplySql() const {
  std::vector<std::string> sql;
  const std::string stage = LoadName();
  if (dedup() && norm.tables.size() > 1) {
    sql.push_back("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
    for (size_t t = norm.tables.size() - 1; t > 0; --t) sql.push_back(NormDeleteChildrenSql(norm, t, stage, NormLoadName(t)));
    sql.push_back("SET LOCAL enable_hashjoin = on; SET LOCAL enable_mergejoin = on");
  }
  const std::string live = dedup() && cdc_deleted_at >= 0 && cdc_deletion_mode == CdcDeletionMode::kHardDelete
                               ? QuoteIdent(columns[static_cast<size_t>(cdc_deleted_at)])
                               : std::string();
  for (size_t t = 0; t < norm.tables.size(); ++t) sql.push_back(NormInsertSql(norm, t, stage, NormLoadName(t), live));
  return sql;
}

std::string PgStreamPlan::NormCopySql(size_t t, bool with_meta) const {
  std::vector<std::string> names;
  for (const PgNormColumn& c : norm.tables[t].columns) {
    if (c.role != PgNormRole::kMeta) names.push_back(QuoteIdent(c.name));
  }
  if (with_meta) names.push_back(QuoteIdent(kColMeta));
  return fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", NormLoadName(t), Join(names, ", "));
}

int16_t PgStreamPlan::NormFieldCount(size_t t) const {
  int16_t n = 0;
  for (const PgNormColumn& c : norm.tables[t].columns) n += c.role == PgNormRole::kMeta ? 0 : 1;
  return n;
}

std::vector<std::string> PgStreamPlan::NormSwapSql() const {
  const char* cascade = drop_cascade ? " CASCADE" : "";
  std::vector<std::string> sql;
  for (size_t t = 0; t < norm.tables.size(); ++t) {
    sql.push_back(fmt::format("DROP TABLE IF EXISTS {}{}", NormFinalName(t), cascade));
    sql.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", NormLoadName(t), QuoteIdent(norm.tables[t].table)));
    if (dedup()) {
      sql.push_back(fmt::format("ALTER INDEX {} RENAME TO {}", Qualified(final_schema, NormIndexName(t, norm_load_tables[t])),
                                QuoteIdent(NormIndexName(t, norm.tables[t].table))));
    }
  }
  if (write_raw && raw_swap) {
    sql.push_back(fmt::format("DROP TABLE IF EXISTS {}{}", RawName(), cascade));
    sql.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", RawLoadName(), QuoteIdent(raw_table)));
  }
  return sql;
}

}  // namespace sluice
