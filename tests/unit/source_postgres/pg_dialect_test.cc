// PostgreSQL as the SQL toolkit's dialect: quoting, typed literals, the built-in type table
// (one table for name lookups and for binary decoding), catalog queries, cursor queries.
#include "connectors/sources/postgres/pg_dialect.h"

#include <gtest/gtest.h>

#include "connectors/kit/sql/sql_planner.h"
#include "connectors/sources/postgres/pg_types.h"

namespace sluice {
namespace {

TEST(PgDialect, QuotesAndTypedLiterals) {
  const PgDialect& d = PgDialect::Get();
  EXPECT_EQ(d.QuoteIdentifier("Order \"x\""), "\"Order \"\"x\"\"\"");
  EXPECT_EQ(d.QualifiedName("public", "t"), "\"public\".\"t\"");
  EXPECT_EQ(d.TypedLiteral("it's", "timestamp with time zone"), "'it''s'::timestamp with time zone");
}

TEST(PgDialect, OneTypeTableForNamesAndDecoders) {
  const PgDialect& d = PgDialect::Get();
  EXPECT_EQ(d.types().Find("timestamp with time zone").type, TypeId::kTimestampTz);
  EXPECT_TRUE(d.types().Find("bigint").cursor_ok);
  EXPECT_EQ(d.types().Find("uuid").format, "uuid");
  EXPECT_EQ(d.types().Find("interval").type, TypeId::kString);  // the text form
  // Every built-in row resolves to the same mapping through the type catalog (by oid).
  PgTypeCatalog catalog;
  for (const auto& row : d.types().rows()) {
    bool found = false;
    for (uint32_t oid = 0; oid < 4000 && !found; ++oid) {
      const PgBuiltinType* builtin = FindPgBuiltinType(oid);
      if (builtin == nullptr || builtin->mapping.type_name != row.type_name) continue;
      found = true;
      const PgColumnType t = catalog.Resolve(oid, -1);
      EXPECT_EQ(t.type, row.type) << row.type_name;
      EXPECT_EQ(t.cursor_ok, row.cursor_ok) << row.type_name;
      EXPECT_EQ(t.decoder, builtin->decoder) << row.type_name;
    }
    EXPECT_TRUE(found) << row.type_name;
  }
}

TEST(PgDialect, CatalogQueriesFollowTheKitsColumnContract) {
  const PgDialect& d = PgDialect::Get();
  const std::string columns = d.ColumnsQuery(std::vector<std::string>{"shop"});
  EXPECT_NE(columns.find("SELECT n.nspname, c.relname, c.relkind, a.attname, pg_catalog.format_type"),
            std::string::npos);
  EXPECT_NE(columns.find("n.nspname IN ('shop') AND pg_catalog.has_schema_privilege"), std::string::npos);
  const std::string one = d.ColumnsQuery(PgCatalogScope{{"shop"}, std::string("orders")});
  EXPECT_NE(one.find("n.nspname = 'shop' AND c.relname = 'orders'"), std::string::npos);
  EXPECT_NE(d.PrimaryKeysQuery(std::vector<std::string>{}).find("SELECT n.nspname, c.relname, a.attname"),
            std::string::npos);
}

TEST(PgDialect, CursorQueryAsSourcePostgresHasAlwaysSentIt) {
  const PgDialect& d = PgDialect::Get();
  const SqlCursorQuery q{"\"id\", \"at\"", d.QualifiedName("public", "t"), {"at", "timestamp with time zone"},
                         std::string("2024-01-01 00:00:00+00")};
  EXPECT_EQ(CursorQuery(d, q),
            "SELECT \"id\", \"at\" FROM \"public\".\"t\" WHERE \"at\" >= '2024-01-01 00:00:00+00'::timestamp with time "
            "zone ORDER BY \"at\"");
}

}  // namespace
}  // namespace sluice
