#include "connectors/sources/postgres/pg_dialect.h"

#include <array>

#include "postgres/pg_connection.h"

namespace sluice {

namespace {

using pgbin::Decoder;

// Built-in type oids are fixed in pg_type.dat since forever; names as format_type(oid, NULL).
const std::array<PgBuiltinType, 23> kBuiltins = {{
    {16, {"boolean", TypeId::kBoolean, false}, Decoder::kBool},
    {21, {"smallint", TypeId::kInteger, true}, Decoder::kInt2},
    {23, {"integer", TypeId::kInteger, true}, Decoder::kInt4},
    {20, {"bigint", TypeId::kInteger, true}, Decoder::kInt8},
    {26, {"oid", TypeId::kInteger, true}, Decoder::kOid},
    {700, {"real", TypeId::kNumber, true}, Decoder::kFloat4},
    {701, {"double precision", TypeId::kNumber, true}, Decoder::kFloat8},
    {1700, {"numeric", TypeId::kDecimal, true}, Decoder::kNumeric},
    {25, {"text", TypeId::kString, true}, Decoder::kText},
    {1043, {"character varying", TypeId::kString, true}, Decoder::kText},
    {1042, {"bpchar", TypeId::kString, true}, Decoder::kText},
    {19, {"name", TypeId::kString, true}, Decoder::kText},
    {2950, {"uuid", TypeId::kString, true, "uuid"}, Decoder::kUuid},
    {17, {"bytea", TypeId::kBinary, false}, Decoder::kBytea},
    // inet::text always shows the prefix length, unlike inet's output: decode the binary form.
    {869, {"inet", TypeId::kString, false}, Decoder::kInet},
    {650, {"cidr", TypeId::kString, false}, Decoder::kInet},
    {114, {"json", TypeId::kJson, false}, Decoder::kJson},
    {3802, {"jsonb", TypeId::kJson, false}, Decoder::kJsonb},
    {1082, {"date", TypeId::kDate, true}, Decoder::kDate},
    {1083, {"time without time zone", TypeId::kTimeNoTz, true}, Decoder::kTime},
    // timetz orders equal instants by zone, which the UTC value does not keep: no cursor.
    {1266, {"time with time zone", TypeId::kTimeTz, false}, Decoder::kTimeTz},
    {1114, {"timestamp without time zone", TypeId::kTimestampNoTz, true}, Decoder::kTimestamp},
    {1184, {"timestamp with time zone", TypeId::kTimestampTz, true}, Decoder::kTimestampTz},
}};

// Columns of the selected relations; {filter} is a condition on c (pg_class) and n (pg_namespace).
constexpr std::string_view kColumnsSql = R"sql(
SELECT n.nspname, c.relname, c.relkind, a.attname, pg_catalog.format_type(a.atttypid, NULL), a.attnotnull,
       a.attnum IS NULL OR pg_catalog.has_column_privilege(c.oid, a.attnum, 'SELECT'),
       c.oid, a.atttypid, a.atttypmod
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition AND {filter}
ORDER BY n.nspname, c.relname, a.attnum)sql";

constexpr std::string_view kPrimaryKeysSql = R"sql(
SELECT n.nspname, c.relname, a.attname, i.indrelid
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

}  // namespace

const PgBuiltinType* FindPgBuiltinType(uint32_t oid) {
  for (const auto& t : kBuiltins) {
    if (t.oid == oid) return &t;
  }
  return nullptr;
}

const PgDialect& PgDialect::Get() {
  static const PgDialect dialect;
  return dialect;
}

std::string PgDialect::QuoteIdentifier(std::string_view identifier) const { return QuoteIdent(identifier); }

std::string PgDialect::QuoteLiteral(std::string_view text) const { return sluice::QuoteLiteral(text); }

std::string PgDialect::TypedLiteral(std::string_view text, std::string_view type_name) const {
  return sluice::QuoteLiteral(text) + "::" + std::string(type_name);
}

const SqlTypeTable& PgDialect::types() const {
  static const SqlTypeTable table = [] {
    std::vector<SqlTypeMapping> rows;
    for (const auto& t : kBuiltins) rows.push_back(t.mapping);
    return SqlTypeTable(std::move(rows));
  }();
  return table;
}

std::string PgDialect::SchemaFilter(const std::vector<std::string>& schemas) const {
  if (schemas.empty()) {
    return "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' "
           "AND n.nspname NOT LIKE 'pg\\_temp\\_%'";
  }
  std::string in;
  for (const auto& s : schemas) {
    if (!in.empty()) in += ", ";
    in += sluice::QuoteLiteral(s);
  }
  return "n.nspname IN (" + in + ")";
}

std::string PgDialect::ScopeFilter(const PgCatalogScope& scope) const {
  if (scope.table) {
    const std::string schema = scope.schemas.empty() ? std::string("public") : scope.schemas.front();
    return "n.nspname = " + sluice::QuoteLiteral(schema) + " AND c.relname = " + sluice::QuoteLiteral(*scope.table);
  }
  return SchemaFilter(scope.schemas) + " AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')";
}

std::string PgDialect::ColumnsQuery(const PgCatalogScope& scope) const { return Fill(kColumnsSql, ScopeFilter(scope)); }

std::string PgDialect::PrimaryKeysQuery(const PgCatalogScope& scope) const {
  return Fill(kPrimaryKeysSql, ScopeFilter(scope));
}

}  // namespace sluice
