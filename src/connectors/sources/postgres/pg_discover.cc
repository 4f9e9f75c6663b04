#include "connectors/sources/postgres/pg_discover.h"

#include <fmt/format.h>

#include <map>

#include "postgres/pg_connection.h"

namespace sluice {

namespace {

constexpr int kTidRangeScanVersion = 140000;

// Columns of the selected relations; {filter} is a condition on c (pg_class) and n (pg_namespace).
constexpr std::string_view kColumnsSql = R"sql(
SELECT c.oid, n.nspname, c.relname, c.relkind, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
       pg_catalog.format_type(a.atttypid, NULL),
       a.attnum IS NULL OR pg_catalog.has_column_privilege(c.oid, a.attnum, 'SELECT')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter}
ORDER BY n.nspname, c.relname, a.attnum)sql";

constexpr std::string_view kPrimaryKeysSql = R"sql(
SELECT i.indrelid, a.attname
FROM pg_catalog.pg_index i
JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indisprimary AND {filter}
ORDER BY i.indrelid, pg_catalog.array_position(i.indkey::smallint[], a.attnum))sql";


std::string Fill(std::string_view sql, const std::string& filter) {
  std::string out(sql);
  out.replace(out.find("{filter}"), 8, filter);
  return out;
}

Result<std::vector<PgTable>> QueryTables(PgConnection& conn, const PgTypeCatalog& types, const std::string& filter,
                                         bool readable_only) {
  SLUICE_ASSIGN_OR_RETURN(PgResult r, conn.Query(Fill(kColumnsSql, filter)));
  std::vector<PgTable> tables;
  std::map<uint32_t, size_t> by_oid;
  for (int i = 0; i < r.rows(); ++i) {
    const uint32_t oid = ParseCatalogNumber<uint32_t>(r.Get(i, 0));
    auto [it, inserted] = by_oid.emplace(oid, tables.size());
    if (inserted) {
      PgTable t;
      t.oid = oid;
      t.schema = std::string(r.Get(i, 1));
      t.name = std::string(r.Get(i, 2));
      t.relkind = r.Get(i, 3).empty() ? 'r' : r.Get(i, 3)[0];
      tables.push_back(std::move(t));
    }
    if (r.IsNull(i, 4)) continue;  // a relation without columns
    PgColumn c;
    c.name = std::string(r.Get(i, 4));
    c.type_oid = ParseCatalogNumber<uint32_t>(r.Get(i, 5));
    c.typmod = ParseCatalogNumber<int32_t>(r.Get(i, 6));
    c.not_null = r.Get(i, 7) == "t";
    c.type_name = std::string(r.Get(i, 8));
    c.readable = r.Get(i, 9) == "t";
    c.type = types.Resolve(c.type_oid, c.typmod);
    tables[it->second].columns.push_back(std::move(c));
  }
  if (readable_only) {
    std::vector<PgTable> kept;
    for (auto& t : tables) {
      std::erase_if(t.columns, [](const PgColumn& c) { return !c.readable; });
      if (!t.columns.empty()) kept.push_back(std::move(t));
    }
    tables = std::move(kept);
    by_oid.clear();
    for (size_t i = 0; i < tables.size(); ++i) by_oid[tables[i].oid] = i;
  }
  if (tables.empty()) return tables;
  SLUICE_ASSIGN_OR_RETURN(PgResult pk, conn.Query(Fill(kPrimaryKeysSql, filter)));
  for (int i = 0; i < pk.rows(); ++i) {
    auto it = by_oid.find(ParseCatalogNumber<uint32_t>(pk.Get(i, 0)));
    if (it != by_oid.end()) tables[it->second].primary_key.emplace_back(pk.Get(i, 1));
  }
  return tables;
}

}  // namespace

std::string PgTable::QualifiedName() const { return QuoteIdent(schema) + "." + QuoteIdent(name); }

const PgColumn* PgTable::FindColumn(std::string_view column) const {
  for (const auto& c : columns) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

std::string SchemaFilterSql(const std::vector<std::string>& schemas) {
  if (schemas.empty()) {
    return "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
           "AND n.nspname NOT LIKE 'pg\\_temp\\_%'";
  }
  std::string in;
  for (const auto& s : schemas) {
    if (!in.empty()) in += ", ";
    in += QuoteLiteral(s);
  }
  return "n.nspname IN (" + in + ")";
}

Result<std::vector<PgTable>> ListTables(PgConnection& conn, const PgTypeCatalog& types,
                                        const std::vector<std::string>& schemas) {
  const std::string filter =
      SchemaFilterSql(schemas) + " AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')";
  return QueryTables(conn, types, filter, /*readable_only=*/true);
}

Result<std::optional<PgTable>> FindTable(PgConnection& conn, const PgTypeCatalog& types, const std::string& schema,
                                         const std::string& name) {
  const std::string filter = "n.nspname = " + QuoteLiteral(schema) + " AND c.relname = " + QuoteLiteral(name);
  SLUICE_ASSIGN_OR_RETURN(auto tables, QueryTables(conn, types, filter, /*readable_only=*/false));
  if (tables.empty()) return std::optional<PgTable>();
  return std::optional<PgTable>(std::move(tables.front()));
}

bool ReadsInCtidRanges(const PgTable& table, int server_version) {
  // Partitioned tables: partition by partition.
  return (table.HasHeap() || table.relkind == 'p') && server_version >= kTidRangeScanVersion;
}

AirbyteStream StreamForTable(const PgTable& table, ReplicationMethod method, int server_version) {
  AirbyteStream s;
  s.name = table.name;
  s.namespace_ = table.schema;
  Json properties = Json::object();
  Json candidates = Json::array();
  for (const auto& c : table.columns) {
    properties[c.name] = c.type.JsonSchema(!c.not_null);
    if (c.type.cursor_ok) candidates.push_back(Json::array({c.name}));
  }
  s.json_schema = {{"type", "object"}, {"properties", std::move(properties)}};
  const bool xmin = method == ReplicationMethod::kXmin;
  const bool has_xmin = table.HasHeap() || table.relkind == 'p';
  s.supported_sync_modes = {SyncMode::kFullRefresh};
  if (!xmin || has_xmin) s.supported_sync_modes.push_back(SyncMode::kIncremental);
  // Xmin: the row's transaction id is the cursor; Standard: the user picks one of the candidates.
  s.source_defined_cursor = xmin && has_xmin;
  for (const auto& k : table.primary_key) s.source_defined_primary_key.push_back({k});
  s.is_resumable = ReadsInCtidRanges(table, server_version);
  if (!xmin) s.extra["cursor_candidates"] = std::move(candidates);
  return s;
}

}  // namespace sluice
