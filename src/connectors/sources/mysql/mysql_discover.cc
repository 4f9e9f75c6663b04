#include "connectors/sources/mysql/mysql_discover.h"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_dialect.h"

namespace sluice {

namespace {

int ToInt(std::string_view s) {
  int v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Result columns: MySqlDialect::ColumnsQuery and PrimaryKeysQuery.
Result<std::vector<MySqlTable>> QueryTables(MySqlConnection& conn, const std::string& columns_sql,
                                            const std::string& keys_sql) {
  SLUICE_ASSIGN_OR_RETURN(MySqlResult r, conn.Query(columns_sql, "reading information_schema.COLUMNS"));
  std::vector<MySqlTable> tables;
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (int i = 0; i < r.rows(); ++i) {
    auto key = std::make_pair(std::string(r.Get(i, 0)), std::string(r.Get(i, 1)));
    auto [it, inserted] = index.emplace(key, tables.size());
    if (inserted) {
      MySqlTable t;
      t.schema = key.first;
      t.name = key.second;
      t.kind = SqlRelationKindFromLetter(r.Get(i, 2).empty() ? 'r' : r.Get(i, 2)[0]);
      tables.push_back(std::move(t));
    }
    MySqlColumn c;
    c.name = std::string(r.Get(i, 3));
    c.type_name = std::string(r.Get(i, 4));
    c.nullable = r.Get(i, 5) != "1";
    c.readable = true;
    c.column_type = std::string(r.Get(i, 7));
    c.charset = std::string(r.Get(i, 8));
    if (c.type_name == "decimal" || c.type_name == "numeric") {
      c.precision = ToInt(r.Get(i, 9));
      c.scale = ToInt(r.Get(i, 10));
    } else if (!r.IsNull(i, 11)) {
      c.precision = ToInt(r.Get(i, 11));
    }
    c.Resolve(r.Get(i, 12) == "1");
    tables[it->second].columns.push_back(std::move(c));
  }
  if (tables.empty()) return tables;
  SLUICE_ASSIGN_OR_RETURN(MySqlResult pk, conn.Query(keys_sql, "reading information_schema.KEY_COLUMN_USAGE"));
  for (int i = 0; i < pk.rows(); ++i) {
    auto it = index.find({std::string(pk.Get(i, 0)), std::string(pk.Get(i, 1))});
    if (it != index.end()) tables[it->second].primary_key.emplace_back(pk.Get(i, 2));
  }
  return tables;
}

//! SQL LIKE with % and _ (and \ escapes), case-insensitive as MySQL's default collations.
bool Like(std::string_view s, std::string_view p) {
  if (p.empty()) return s.empty();
  if (p[0] == '%') {
    for (size_t i = 0; i <= s.size(); ++i) {
      if (Like(s.substr(i), p.substr(1))) return true;
    }
    return false;
  }
  if (s.empty()) return false;
  if (p[0] == '\\' && p.size() > 1) return s[0] == p[1] && Like(s.substr(1), p.substr(2));
  if (p[0] == '_' || std::tolower(static_cast<unsigned char>(p[0])) == std::tolower(static_cast<unsigned char>(s[0]))) {
    return Like(s.substr(1), p.substr(1));
  }
  return false;
}

}  // namespace

std::string MySqlTable::QualifiedName() const { return MySqlQuoteIdent(schema) + "." + MySqlQuoteIdent(name); }

Result<std::vector<MySqlTable>> ListMySqlTables(MySqlConnection& conn, const MySqlSourceConfig& config) {
  const MySqlDialect& d = MySqlDialect::Get(conn.is_mariadb());
  SLUICE_ASSIGN_OR_RETURN(std::vector<MySqlTable> tables,
                          QueryTables(conn, d.ColumnsQuery({config.database}), d.PrimaryKeysQuery({config.database})));
  std::vector<const MySqlTableFilter*> filters;
  for (const auto& f : config.table_filters) {
    if (f.database_name == config.database) filters.push_back(&f);
  }
  if (filters.empty()) return tables;
  std::vector<MySqlTable> kept;
  for (auto& t : tables) {
    bool match = false;
    for (const auto* f : filters) {
      for (const auto& p : f->patterns) match = match || Like(t.name, p);
    }
    if (match) kept.push_back(std::move(t));
  }
  return kept;
}

Result<std::optional<MySqlTable>> FindMySqlTable(MySqlConnection& conn, const std::string& database,
                                                 const std::string& name) {
  const MySqlDialect& d = MySqlDialect::Get(conn.is_mariadb());
  SLUICE_ASSIGN_OR_RETURN(std::vector<MySqlTable> tables,
                          QueryTables(conn, d.ColumnsQuery(database, name), d.PrimaryKeysQuery(database, name)));
  for (auto& t : tables) {
    if (t.name == name) return std::optional<MySqlTable>(std::move(t));
  }
  return std::optional<MySqlTable>();
}

AirbyteStream StreamForMySqlTable(const MySqlTable& table, MySqlReplication method) {
  SqlStreamOptions options;
  options.is_resumable = !table.primary_key.empty();
  AirbyteStream s = SqlStreamFor(table, options);
  if (method == MySqlReplication::kCdc && table.kind != SqlRelationKind::kView) {
    AddCdcColumns(s, kBinlogPositionColumns);
  }
  if (table.primary_key.empty()) {
    s.json_schema["description"] =
        table.kind == SqlRelationKind::kView
            ? "A view: read whole on every sync (no primary key to resume in chunks). Use Full Refresh or Append."
            : "No primary key: read whole (not resumable mid-table); Append + Deduped needs a primary key picked "
              "by the user. Use Full Refresh or Append.";
  }
  return s;
}

}  // namespace sluice
