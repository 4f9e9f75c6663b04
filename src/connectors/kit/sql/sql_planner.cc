#include "connectors/kit/sql/sql_planner.h"

#include "connectors/kit/sql/sql_dialect.h"

namespace sluice {

namespace {

std::string Value(const SqlDialect& d, const SqlKeyColumn& column, const std::string& text) {
  return d.TypedLiteral(text, column.type_name);
}

//! (k1 OP1 v1) or the lexicographic expansion: k1 > v1 OR (k1 = v1 AND (k2 > v2 OR …)), the
//! last column compared with `last_op`.
std::string Lexicographic(const SqlDialect& d, const std::vector<SqlKeyColumn>& key,
                          const std::vector<std::string>& values, std::string_view strict_op,
                          std::string_view last_op, size_t i = 0) {
  const std::string column = d.QuoteIdentifier(key[i].name);
  const std::string value = Value(d, key[i], values[i]);
  if (i + 1 == key.size()) return column + " " + std::string(last_op) + " " + value;
  return "(" + column + " " + std::string(strict_op) + " " + value + " OR (" + column + " = " + value + " AND " +
         Lexicographic(d, key, values, strict_op, last_op, i + 1) + "))";
}

}  // namespace

std::string CursorQuery(const SqlDialect& dialect, const SqlCursorQuery& query) {
  std::string sql = "SELECT " + query.select_list + " FROM " + query.table;
  const std::string cursor = dialect.QuoteIdentifier(query.cursor.name);
  if (query.saved) sql += " WHERE " + cursor + " >= " + Value(dialect, query.cursor, *query.saved);
  sql += " ORDER BY " + cursor;
  return sql;
}

std::string KeyAfterCondition(const SqlDialect& dialect, const std::vector<SqlKeyColumn>& key,
                              const std::vector<std::string>& values) {
  return Lexicographic(dialect, key, values, ">", ">");
}

std::string KeyUptoCondition(const SqlDialect& dialect, const std::vector<SqlKeyColumn>& key,
                             const std::vector<std::string>& values) {
  return Lexicographic(dialect, key, values, "<", "<=");
}

std::string KeyChunkQuery(const SqlDialect& dialect, const SqlKeyChunkQuery& query) {
  std::string sql = "SELECT " + query.select_list + " FROM " + query.table;
  std::vector<std::string> conditions;
  if (query.after) conditions.push_back(KeyAfterCondition(dialect, query.key, *query.after));
  if (query.upto) conditions.push_back(KeyUptoCondition(dialect, query.key, *query.upto));
  if (!query.filter.empty()) conditions.push_back("(" + query.filter + ")");
  for (size_t i = 0; i < conditions.size(); ++i) sql += (i == 0 ? " WHERE " : " AND ") + conditions[i];
  sql += " ORDER BY ";
  for (size_t i = 0; i < query.key.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += dialect.QuoteIdentifier(query.key[i].name);
  }
  if (query.limit > 0) sql += " LIMIT " + std::to_string(query.limit);
  return sql;
}

std::vector<SqlKeyRange> PlanKeyRanges(const std::vector<std::vector<std::string>>& boundaries) {
  std::vector<SqlKeyRange> ranges;
  std::optional<std::vector<std::string>> after;
  for (const auto& boundary : boundaries) {
    ranges.push_back({after, boundary});
    after = boundary;
  }
  ranges.push_back({after, std::nullopt});
  return ranges;
}

}  // namespace sluice
