#include "connectors/destinations/postgres/pg_normalization.h"

#include <fmt/format.h>


#include "connectors/destinations/postgres/pg_copy_encoder.h"
#include "connectors/destinations/postgres/pg_identifiers.h"
#include "connectors/destinations/postgres/pg_stream_plan.h"
#include "postgres/pg_connection.h"

namespace sluice {

namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : std::string()) + parts[i];
  return out;
}

}  // namespace

std::string_view NormLeafType(TypeId type) {
  if (type == TypeId::kBinary) return "text";
  return PgTypeForField(type);
}

std::string NormLeafExpr(const std::string& v, TypeId type) {
  const std::string text = fmt::format("({} #>> '{{}}')", v);
  auto when_string = [&](const char* pattern, const char* cast) {
    return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'string' AND {1} ~ '{2}' THEN {1}::{3} END)", v, text, pattern,
                       cast);
  };
  switch (type) {
    case TypeId::kBoolean: return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'boolean' THEN ({0})::boolean END)", v);
    case TypeId::kInteger:
      return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' AND {1} ~ '^-?[0-9]{{1,18}}$' THEN {1}::bigint END)",
                         v, text);
    case TypeId::kNumber:
      return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' AND abs(({0})::numeric) < 1e300 THEN "
                         "({0})::double precision END)",
                         v);
    case TypeId::kDecimal: return fmt::format("(CASE WHEN jsonb_typeof({0}) = 'number' THEN ({0})::numeric END)", v);
    case TypeId::kDate: return when_string("^\\d{4}-\\d{2}-\\d{2}$", "date");
    case TypeId::kTimeNoTz: return when_string("^\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?$", "time");
    case TypeId::kTimeTz: return when_string("^\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$", "timetz");
    case TypeId::kTimestampNoTz:
      return when_string("^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?$", "timestamp");
    case TypeId::kTimestampTz:
      return when_string("^\\d{4}-\\d{2}-\\d{2}([T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d+)?)?)?(Z|[+-]\\d{2}(:?\\d{2})?)?$",
                         "timestamptz");
    case TypeId::kJson: return fmt::format("NULLIF({}, 'null'::jsonb)", v);
    default: return text;  // string, binary (base64 text)
  }
}

PgNormalization PlanNormalization(const Schema& schema, const std::vector<std::string>& columns,
                                  const std::string& root_table, const std::vector<int>& hash_key,
                                  std::set<std::string>& taken) {
  PgNormalization n;
  n.plan = PlanNormalizedTables(schema, columns, root_table, hash_key, taken,
                                [](const std::string& name) { return PgIdentifier(name); });
  n.root_has_field = n.plan.root_has_field;
  const std::string ts = "timestamp with time zone";
  const PgColumnType text_type = PgColumnTypeForField(TypeId::kString);
  const PgColumnType ts_type = PgColumnTypeForField(TypeId::kTimestampTz);
  // The jsonb expression of `path` from a top-level field (the stage's column) or the table's element.
  auto at = [&](size_t t, int field, const std::vector<std::string>& path) {
    std::string expr = field >= 0 ? "s." + QuoteIdent(columns[static_cast<size_t>(field)]) : fmt::format("e{}.v", t);
    for (const std::string& key : path) expr = fmt::format("({} -> {})", expr, QuoteLiteral(key));
    return expr;
  };
  for (size_t t = 0; t < n.plan.tables.size(); ++t) {
    const NormTable& nt = n.plan.tables[t];
    PgNormTable table;
    table.table = nt.name;
    table.parent = nt.parent;
    table.depth = nt.depth;
    table.hashid_column = nt.hashid_column;
    table.parent_hashid_column = nt.parent_hashid_column;
    table.root_hashid_column = nt.root_hashid_column;
    if (t == 0) {
      if (hash_key.empty()) {
        table.hashid_expr = fmt::format("md5(s.{})", QuoteIdent(kColRawId));
      } else {
        std::vector<std::string> parts;
        for (int k : hash_key) parts.push_back("s." + QuoteIdent(columns[static_cast<size_t>(k)]));
        table.hashid_expr = fmt::format("md5(jsonb_build_array({})::text)", Join(parts, ", "));
      }
    } else {
      const PgNormTable& parent = n.tables[static_cast<size_t>(nt.parent)];
      // The array in the parent's context: a top-level field (parent is the root) or the parent's element.
      const std::string array = nt.array_field >= 0 ? at(0, nt.array_field, nt.array_path)
                                                    : at(static_cast<size_t>(nt.parent), -1, nt.array_path);
      table.laterals = fmt::format(
          "{} CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof({}) = 'array' THEN {} END) WITH "
          "ORDINALITY AS e{}(v, n)",
          parent.laterals, array, array, t);
      table.hashid_expr = fmt::format("md5({} || '-' || e{}.n::text)", parent.hashid_expr, t);
      table.columns.push_back({table.parent_hashid_column, "text", parent.hashid_expr, PgNormRole::kParentHash, 0,
                               text_type});
    }
    for (size_t c = 0; c < nt.columns.size(); ++c) {
      const NormColumn& col = nt.columns[c];
      if (col.leaf) {
        table.columns.push_back({col.name, std::string(NormLeafType(col.type)),
                                 NormLeafExpr(at(t, col.field, col.path), col.type), PgNormRole::kData, c,
                                 PgColumnTypeForField(col.type == TypeId::kBinary ? TypeId::kString : col.type)});
      } else {
        // A top-level value keeps its typed column as it is.
        table.columns.push_back({col.name, std::string(PgTypeForField(col.type)),
                                 "s." + QuoteIdent(columns[static_cast<size_t>(col.field)]), PgNormRole::kData, c,
                                 PgColumnTypeForField(col.type)});
      }
    }
    if (t > 0 && table.depth > 1) {
      table.columns.push_back({table.root_hashid_column, "text", n.tables[0].hashid_expr, PgNormRole::kRootHash, 0,
                               text_type});
    }
    table.columns.push_back({table.hashid_column, "text", table.hashid_expr, PgNormRole::kHash, 0, text_type});
    table.columns.push_back({kColRawId, "character varying(36)", "s." + QuoteIdent(kColRawId), PgNormRole::kRawId, 0,
                             PgColumnType{pg_oid::kVarchar, 36 + 4}});
    table.columns.push_back({kColExtractedAt, ts, "s." + QuoteIdent(kColExtractedAt), PgNormRole::kExtractedAt, 0,
                             ts_type});
    if (t == 0) {
      table.columns.push_back({kColMeta, "jsonb", "s." + QuoteIdent(kColMeta), PgNormRole::kMeta, 0,
                               PgColumnTypeForField(TypeId::kJson)});
    }
    table.columns.push_back({kColGenerationId, "bigint", "s." + QuoteIdent(kColGenerationId),
                             PgNormRole::kGenerationId, 0, PgColumnTypeForField(TypeId::kInteger)});
    table.columns.push_back({kColNormalizedAt, ts, "now()", PgNormRole::kNormalizedAt, 0, ts_type});
    n.tables.push_back(std::move(table));
  }
  return n;
}

std::string NormInsertSql(const PgNormalization& n, size_t t, const std::string& stage, const std::string& target,
                          const std::string& only_live) {
  const PgNormTable& table = n.tables[t];
  std::vector<std::string> names, exprs;
  for (const PgNormColumn& c : table.columns) {
    names.push_back(QuoteIdent(c.name));
    exprs.push_back(c.expr);
  }
  std::string sql = fmt::format("INSERT INTO {} ({}) SELECT {} FROM {} AS s{}", target, Join(names, ", "),
                                Join(exprs, ", "), stage, table.laterals);
  if (!only_live.empty()) sql += fmt::format(" WHERE s.{} IS NULL", only_live);
  return sql;
}

std::string NormDeleteChildrenSql(const PgNormalization& n, size_t t, const std::string& stage,
                                  const std::string& target) {
  const PgNormTable& table = n.tables[t];
  return fmt::format("DELETE FROM {} AS c USING {} AS s WHERE c.{} = {}", target, stage,
                     QuoteIdent(table.root_hashid_column), n.tables[0].hashid_expr);
}

}  // namespace sluice
