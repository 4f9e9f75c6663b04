// The SQL-source toolkit against a MySQL-like test dialect (backquotes, CAST literals): type
// table, discovery → stream, cursor and key-chunk queries, state shapes.
#include <gtest/gtest.h>

#include "connectors/kit/sql/sql_catalog.h"
#include "connectors/kit/sql/sql_dialect.h"
#include "connectors/kit/sql/sql_planner.h"
#include "connectors/kit/sql/sql_state.h"

namespace sluice {
namespace {

class BackquoteDialect final : public SqlDialect {
 public:
  std::string_view name() const override { return "Test"; }
  std::string QuoteIdentifier(std::string_view id) const override {
    std::string out = "`";
    for (char c : id) out += c == '`' ? std::string("``") : std::string(1, c);
    return out + "`";
  }
  std::string QuoteLiteral(std::string_view text) const override {
    std::string out = "'";
    for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
  }
  std::string TypedLiteral(std::string_view text, std::string_view type_name) const override {
    return "CAST(" + QuoteLiteral(text) + " AS " + std::string(type_name) + ")";
  }
  const SqlTypeTable& types() const override { return types_; }
  std::string ColumnsQuery(const std::vector<std::string>&) const override { return "SELECT 1"; }
  std::string PrimaryKeysQuery(const std::vector<std::string>&) const override { return "SELECT 1"; }

 private:
  SqlTypeTable types_{{{"int", TypeId::kInteger, true},
                       {"decimal", TypeId::kDecimal, true},
                       {"datetime", TypeId::kTimestampNoTz, true},
                       {"json", TypeId::kJson, false},
                       {"binary(16)", TypeId::kString, false, "uuid"}}};
};

TEST(SqlTypeTable, FindsByNameIgnoringCaseAndModifiers) {
  BackquoteDialect d;
  EXPECT_EQ(d.types().Find("INT").type, TypeId::kInteger);
  EXPECT_EQ(d.types().Find("decimal(10,2)").type, TypeId::kDecimal);
  const SqlTypeMapping& unknown = d.types().Find("geometry");
  EXPECT_EQ(unknown.type, TypeId::kString);  // the text form
  EXPECT_FALSE(unknown.cursor_ok);
}

TEST(SqlCatalog, ATableBecomesAStream) {
  BackquoteDialect d;
  SqlTable t;
  t.schema = "shop";
  t.name = "orders";
  for (auto [name, type, nullable] : {std::tuple{"id", "int", false}, {"doc", "json", true}, {"at", "datetime", true}}) {
    SqlColumn c;
    c.name = name;
    c.type_name = type;
    c.nullable = nullable;
    c.ApplyMapping(d.types().Find(type));
    t.columns.push_back(std::move(c));
  }
  t.primary_key = {"id"};
  AirbyteStream s = SqlStreamFor(t, {.is_resumable = true});
  EXPECT_EQ(s.name, "orders");
  EXPECT_EQ(*s.namespace_, "shop");
  EXPECT_EQ(s.json_schema["properties"]["id"], JsonSchemaForType(TypeId::kInteger, false));
  EXPECT_EQ(s.json_schema["properties"]["doc"], JsonSchemaForType(TypeId::kJson, true));
  EXPECT_EQ(s.source_defined_primary_key, (std::vector<std::vector<std::string>>{{"id"}}));
  EXPECT_EQ(s.supported_sync_modes, (std::vector<SyncMode>{SyncMode::kFullRefresh, SyncMode::kIncremental}));
  EXPECT_TRUE(s.is_resumable);
  EXPECT_EQ(s.extra["cursor_candidates"], Json::parse(R"([["id"],["at"]])"));
  EXPECT_EQ(t.FindColumn("at")->type, TypeId::kTimestampNoTz);
  EXPECT_EQ(t.DisplayName(), "shop.orders");
}

TEST(SqlPlanner, CursorQueryIsInclusiveAndOrdered) {
  BackquoteDialect d;
  SqlCursorQuery q{"`id`, `at`", d.QualifiedName("shop", "orders"), {"at", "datetime"}, std::nullopt};
  EXPECT_EQ(CursorQuery(d, q), "SELECT `id`, `at` FROM `shop`.`orders` ORDER BY `at`");
  q.saved = "2024-01-01 00:00:00";
  EXPECT_EQ(CursorQuery(d, q),
            "SELECT `id`, `at` FROM `shop`.`orders` WHERE `at` >= CAST('2024-01-01 00:00:00' AS datetime) ORDER BY `at`");
}

TEST(SqlPlanner, KeyChunksResumeAfterTheLastKey) {
  BackquoteDialect d;
  SqlKeyChunkQuery q;
  q.select_list = "*";
  q.table = "`t`";
  q.key = {{"id", "int"}};
  q.limit = 1000;
  EXPECT_EQ(KeyChunkQuery(d, q), "SELECT * FROM `t` ORDER BY `id` LIMIT 1000");
  q.after = std::vector<std::string>{"41"};
  EXPECT_EQ(KeyChunkQuery(d, q), "SELECT * FROM `t` WHERE `id` > CAST('41' AS int) ORDER BY `id` LIMIT 1000");
  // Composite keys compare lexicographically; a range has an upper bound too.
  q.key = {{"a", "int"}, {"b", "int"}};
  q.after = std::vector<std::string>{"1", "2"};
  q.upto = std::vector<std::string>{"5", "6"};
  q.limit = 0;
  q.filter = "`deleted` = 0";
  EXPECT_EQ(KeyChunkQuery(d, q),
            "SELECT * FROM `t` WHERE (`a` > CAST('1' AS int) OR (`a` = CAST('1' AS int) AND `b` > CAST('2' AS int))) "
            "AND (`a` < CAST('5' AS int) OR (`a` = CAST('5' AS int) AND `b` <= CAST('6' AS int))) "
            "AND (`deleted` = 0) ORDER BY `a`, `b`");
}

TEST(SqlPlanner, KeyRangesCoverEveryKeyOnce) {
  auto ranges = PlanKeyRanges({{"100"}, {"200"}});
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_FALSE(ranges[0].after);
  EXPECT_EQ(*ranges[0].upto, std::vector<std::string>{"100"});
  EXPECT_EQ(*ranges[1].after, std::vector<std::string>{"100"});
  EXPECT_EQ(*ranges[1].upto, std::vector<std::string>{"200"});
  EXPECT_EQ(*ranges[2].after, std::vector<std::string>{"200"});
  EXPECT_FALSE(ranges[2].upto);
  EXPECT_EQ(PlanKeyRanges({}).size(), 1u);
}

TEST(SqlState, CursorStateKeepsSourcePostgresShape) {
  SqlCursorState s{{"updated_at"}, std::string("2024-01-01T00:00:00+00"), 3};
  const Json j = CursorStateJson("orders", std::string("public"), s);
  // The exact JSON source-postgres has always written: saved states still resume.
  EXPECT_EQ(j.dump(), R"({"version":2,"state_type":"cursor_based","stream_name":"orders","stream_namespace":"public",)"
                      R"("cursor_field":["updated_at"],"cursor":"2024-01-01T00:00:00+00","cursor_record_count":3})");
  auto parsed = ParseCursorState(&j);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed->cursor, "2024-01-01T00:00:00+00");
  EXPECT_EQ(parsed->record_count, 3u);
  const Json airbyte = Json::parse(R"({"state_type":"cursor_based","cursor_field":["id"],"cursor":42})");
  EXPECT_EQ(*ParseCursorState(&airbyte)->cursor, "42");
  EXPECT_FALSE(ParseCursorState(nullptr));
}

TEST(SqlState, KeyPositionsRoundTrip) {
  const Json one = KeyPositionJson({{"id"}, {"1042"}});
  EXPECT_EQ(one, Json::parse(R"({"version":2,"state_type":"primary_key","pk_name":"id","pk_val":"1042"})"));
  auto p = ParseKeyPosition(&one);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->values, std::vector<std::string>{"1042"});
  const Json two = KeyPositionJson({{"a", "b"}, {"1", "x"}});
  auto q = ParseKeyPosition(&two);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q->values, (std::vector<std::string>{"1", "x"}));
  // Airbyte's MySQL source may save a numeric key as a number.
  const Json airbyte = Json::parse(R"({"state_type":"primary_key","pk_name":"id","pk_val":7})");
  EXPECT_EQ(ParseKeyPosition(&airbyte)->values, std::vector<std::string>{"7"});
  const Json other = Json::parse(R"({"state_type":"ctid"})");
  EXPECT_FALSE(ParseKeyPosition(&other));
}

}  // namespace
}  // namespace sluice
