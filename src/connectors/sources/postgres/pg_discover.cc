#include "connectors/sources/postgres/pg_discover.h"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/sources/postgres/pg_dialect.h"
#include "postgres/pg_connection.h"

namespace sluice {

namespace {

constexpr int kTidRangeScanVersion = 140000;


// Result columns: PgDialect::ColumnsQuery and PrimaryKeysQuery.
Result<std::vector<PgTable>> QueryTables(PgConnection& conn, const PgTypeCatalog& types, const PgCatalogScope& scope,
                                         bool readable_only) {
  const PgDialect& dialect = PgDialect::Get();
  SLUICE_ASSIGN_OR_RETURN(PgResult r, conn.Query(dialect.ColumnsQuery(scope)));
  std::vector<PgTable> tables;
  std::map<uint32_t, size_t> by_oid;
  for (int i = 0; i < r.rows(); ++i) {
    const uint32_t oid = ParseCatalogNumber<uint32_t>(r.Get(i, 7));
    auto [it, inserted] = by_oid.emplace(oid, tables.size());
    if (inserted) {
      PgTable t;
      t.oid = oid;
      t.schema = std::string(r.Get(i, 0));
      t.name = std::string(r.Get(i, 1));
      t.relkind = r.Get(i, 2).empty() ? 'r' : r.Get(i, 2)[0];
      t.kind = SqlRelationKindFromLetter(t.relkind);
      tables.push_back(std::move(t));
    }
    if (r.IsNull(i, 3)) continue;  // a relation without columns
    PgColumn c;
    c.name = std::string(r.Get(i, 3));
    c.type_name = std::string(r.Get(i, 4));
    c.nullable = r.Get(i, 5) != "t";
    c.readable = r.Get(i, 6) == "t";
    c.type_oid = ParseCatalogNumber<uint32_t>(r.Get(i, 8));
    c.typmod = ParseCatalogNumber<int32_t>(r.Get(i, 9));
    c.SetPgType(types.Resolve(c.type_oid, c.typmod));
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
  SLUICE_ASSIGN_OR_RETURN(PgResult pk, conn.Query(dialect.PrimaryKeysQuery(scope)));
  for (int i = 0; i < pk.rows(); ++i) {
    auto it = by_oid.find(ParseCatalogNumber<uint32_t>(pk.Get(i, 3)));
    if (it != by_oid.end()) tables[it->second].primary_key.emplace_back(pk.Get(i, 2));
  }
  return tables;
}

}  // namespace

void PgColumn::SetPgType(const PgColumnType& type) {
  pg_type = type;
  SqlColumn::type = type.type;
  cursor_ok = type.cursor_ok;
  json_schema = type.JsonSchema(nullable);
}

std::string PgTable::QualifiedName() const { return PgDialect::Get().QualifiedName(schema, name); }

Result<std::vector<PgTable>> ListTables(PgConnection& conn, const PgTypeCatalog& types,
                                        const std::vector<std::string>& schemas) {
  return QueryTables(conn, types, PgCatalogScope{schemas, std::nullopt}, /*readable_only=*/true);
}

Result<std::optional<PgTable>> FindTable(PgConnection& conn, const PgTypeCatalog& types, const std::string& schema,
                                         const std::string& name) {
  SLUICE_ASSIGN_OR_RETURN(auto tables,
                          QueryTables(conn, types, PgCatalogScope{{schema}, name}, /*readable_only=*/false));
  if (tables.empty()) return std::optional<PgTable>();
  return std::optional<PgTable>(std::move(tables.front()));
}

bool ReadsInCtidRanges(const PgTable& table, int server_version) {
  // Partitioned tables: partition by partition.
  return (table.HasHeap() || table.relkind == 'p') && server_version >= kTidRangeScanVersion;
}

AirbyteStream StreamForTable(const PgTable& table, ReplicationMethod method, int server_version) {
  if (method == ReplicationMethod::kCdc) {
    SqlStreamOptions options;
    options.incremental = true;
    options.source_defined_cursor = true;
    options.is_resumable = false;
    options.cursor_candidates = false;
    AirbyteStream stream = SqlStreamFor(table, options);
    AddCdcColumns(stream);
    if (stream.source_defined_primary_key.empty()) {
      // Without a key, changes cannot be merged: each one is a new row (Incremental | Append).
      stream.json_schema["description"] =
          "No primary key: CDC changes of this table can only be appended (Incremental | Append); updates and "
          "deletes arrive as new rows (deletes with _ab_cdc_deleted_at set). Add a primary key to deduplicate.";
    }
    return stream;
  }
  const bool xmin = method == ReplicationMethod::kXmin;
  const bool has_xmin = table.HasHeap() || table.relkind == 'p';
  SqlStreamOptions options;
  options.incremental = !xmin || has_xmin;
  // Xmin: the row's transaction id is the cursor; Standard: the user picks one of the candidates.
  options.source_defined_cursor = xmin && has_xmin;
  options.is_resumable = ReadsInCtidRanges(table, server_version);
  options.cursor_candidates = !xmin;
  return SqlStreamFor(table, options);
}

}  // namespace sluice
