#include "connectors/destinations/postgres/pg_normalization.h"

#include <gtest/gtest.h>

#include "connectors/destinations/postgres/pg_identifiers.h"

namespace sluice {
namespace {

SchemaPtr Parse(const char* json) { return *Schema::FromJsonSchema(Json::parse(json)); }

std::vector<std::string> Names(const PgNormTable& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

TEST(PgNormalization, SeedCustomers) {
  SchemaPtr s = Parse(R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},
    "contact":{"type":["null","object"],"properties":{"email":{"type":"string"},"phone":{"type":"string"}}},
    "addresses":{"type":"array","items":{"type":"object","properties":{"type":{"type":"string"},"city":{"type":"string"}}}}}})");
  std::set<std::string> taken;
  PgNormalization n = PlanNormalization(*s, {"id", "name", "contact", "addresses"}, "customers", {0}, taken);
  ASSERT_EQ(n.tables.size(), 2u);
  EXPECT_EQ(Names(n.tables[0]),
            (std::vector<std::string>{"id", "name", "contact_email", "contact_phone", "_airbyte_customers_hashid",
                                      "_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta",
                                      "_airbyte_generation_id", "_airbyte_normalized_at"}));
  EXPECT_EQ(n.tables[1].table, "customers_addresses");
  EXPECT_EQ(Names(n.tables[1])[0], "_airbyte_customers_hashid");
  EXPECT_EQ(Names(n.tables[1])[1], "type");
  EXPECT_EQ(Names(n.tables[1])[2], "city");
  EXPECT_EQ(n.tables[0].hashid_expr, "md5(jsonb_build_array(s.\"id\")::text)");
  EXPECT_EQ(n.root_has_field, (std::vector<bool>{true, true, false, false}));
}

TEST(PgNormalization, CollisionsAndLongNamesAreDeterministic) {
  const std::string longname(70, 'x');
  SchemaPtr s = Parse((R"({"type":"object","properties":{"a_b":{"type":"string"},
    "a":{"type":"object","properties":{"b":{"type":"integer"}}},
    "t":{"type":"array","items":{"type":"string"}},
    ")" + longname + R"(":{"type":"array","items":{"type":"integer"}}}})").c_str());
  std::set<std::string> taken = {"s_t"};  // another stream's table
  PgNormalization n = PlanNormalization(*s, {"a_b", "a", "t", longname}, "s", {}, taken);
  ASSERT_EQ(n.tables.size(), 3u);
  EXPECT_EQ(Names(n.tables[0])[0], "a_b");
  EXPECT_EQ(Names(n.tables[0])[1], "a_b_2");
  EXPECT_EQ(n.tables[1].table, "s_t_2");
  EXPECT_EQ(Names(n.tables[1])[1], "value");
  EXPECT_EQ(n.tables[2].table, PgIdentifier("s_" + longname));
  EXPECT_EQ(n.tables[2].table.size(), 63u);
  EXPECT_EQ(n.tables[0].hashid_expr, "md5(s.\"_airbyte_raw_id\")");
  std::set<std::string> again = {"s_t"};
  EXPECT_EQ(PlanNormalization(*s, {"a_b", "a", "t", longname}, "s", {}, again).tables[2].table, n.tables[2].table);
}

TEST(PgNormalization, LeafExpressionsGuardTypes) {
  EXPECT_NE(NormLeafExpr("v", TypeId::kInteger).find("'number'"), std::string::npos);
  EXPECT_EQ(NormLeafExpr("v", TypeId::kString), "(v #>> '{}')");
  EXPECT_EQ(NormLeafType(TypeId::kBinary), "text");
}

}  // namespace
}  // namespace sluice
