// The kit's normalization: the plan of the seed's customers example and deeper shapes, and the
// rows the Flattener gives, checked against handwritten expectations (hash ids are md5 values
// computed independently, e.g. PostgreSQL's md5('[1]')).
#include "connectors/kit/normalize/flattener.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

namespace sluice {
namespace {

SchemaPtr Parse(const char* json) { return *Schema::FromJsonSchema(Json::parse(json)); }

// A stand-in for a destination's shortening: past 63 bytes, a prefix and a marker.
std::string Same(const std::string& s) { return s.size() > 63 ? s.substr(0, 60) + "_h" : s; }

std::string Hex(std::string_view s) {
  const auto h = Md5Hex(s);
  return std::string(h.data(), h.size());
}

// One emitted row: table, hash ids and the leaves as text ("NULL", "b:1", "i:7", "d:2.5", "t:…", "j:…").
struct Got {
  std::string table, hash, parent_hash, root_hash;
  std::vector<std::string> values;
};

std::vector<Got> Flatten(const NormPlan& plan, const RecordBatch& batch, size_t row, std::string_view raw_id) {
  Flattener f(plan);
  std::vector<Got> out;
  f.Flatten(batch, row, raw_id, [&](const NormRow& r) {
    Got g{plan.tables[r.table].name, std::string(r.hash), std::string(r.parent_hash), std::string(r.root_hash), {}};
    const NormTable& t = plan.tables[r.table];
    for (size_t c = 0; c < t.columns.size(); ++c) {
      if (!t.columns[c].leaf) {
        g.values.push_back("field");
        continue;
      }
      const NormLeaf& l = r.leaves[c];
      switch (l.kind) {
        case NormLeaf::kNull: g.values.push_back("NULL"); break;
        case NormLeaf::kBool: g.values.push_back(l.b ? "b:1" : "b:0"); break;
        case NormLeaf::kInt: g.values.push_back("i:" + std::to_string(l.i)); break;
        case NormLeaf::kDouble: g.values.push_back(fmt::format("d:{}", l.d)); break;
        case NormLeaf::kText: g.values.push_back("t:" + std::string(l.text)); break;
        case NormLeaf::kJson: g.values.push_back("j:" + std::string(l.text)); break;
      }
    }
    out.push_back(std::move(g));
  });
  return out;
}

std::vector<std::string> ColumnNames(const NormTable& t) {
  std::vector<std::string> out;
  for (const auto& c : t.columns) out.push_back(c.name);
  return out;
}

TEST(NormalizeFlattener, Md5MatchesKnownDigests) {
  EXPECT_EQ(Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Hex("[1]"), "35dba5d75538a9bbe0b4da4422759a0e");  // PostgreSQL: md5('[1]')
  // Padding boundaries: 55, 56, 64 and 100 bytes.
  EXPECT_EQ(Hex(std::string(55, 'x')), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(Hex(std::string(56, 'x')), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(Hex(std::string(64, 'x')), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(Hex(std::string(100, 'y')), "46234a6de3b2157d3a9510451b33b619");
}

TEST(NormalizeFlattener, JsonbStyleText) {
  std::string out;
  ASSERT_TRUE(AppendJsonbStyle(out, R"({"bb":1,"a":[1,"x\"y",null,{"c":true}],"bb":2})"));
  // Keys by length then bytes, the last duplicate kept, ", " and ": " as jsonb prints them.
  EXPECT_EQ(out, R"({"a": [1, "x\"y", null, {"c": true}], "bb": 2})");
  EXPECT_FALSE(AppendJsonbStyle(out, "{nope"));
}

SchemaPtr Customers() {
  return Parse(R"({"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"},
    "contact":{"type":["null","object"],"properties":{"email":{"type":"string"},"phone":{"type":"string"}}},
    "addresses":{"type":"array","items":{"type":"object","properties":{"type":{"type":"string"},"city":{"type":"string"},
      "lines":{"type":"array","items":{"type":"string"}}}}}}})");
}

TEST(NormalizeFlattener, SeedCustomersPlanAndRows) {
  SchemaPtr s = Customers();
  std::set<std::string> taken = {"customers"};
  NormPlan plan = PlanNormalizedTables(*s, {"id", "name", "contact", "addresses"}, "customers", {0}, taken, Same);
  ASSERT_EQ(plan.tables.size(), 3u);
  EXPECT_EQ(ColumnNames(plan.tables[0]), (std::vector<std::string>{"id", "name", "contact_email", "contact_phone"}));
  EXPECT_EQ(plan.tables[1].name, "customers_addresses");
  EXPECT_EQ(ColumnNames(plan.tables[1]), (std::vector<std::string>{"type", "city"}));
  EXPECT_EQ(plan.tables[1].parent_hashid_column, "_airbyte_customers_hashid");
  EXPECT_EQ(plan.tables[2].name, "customers_addresses_lines");
  EXPECT_EQ(plan.tables[2].root_hashid_column, "_airbyte_customers_hashid");
  EXPECT_EQ(plan.root_has_field, (std::vector<bool>{true, true, false, false}));

  RecordBatch batch(s, 0);
  batch.column(0).AppendInt64(1);
  batch.column(1).AppendBytes("Acme Corp");
  batch.column(2).AppendBytes(R"({"email":"info@acme.com","phone":"+1234567890"})");
  batch.column(3).AppendBytes(
      R"([{"type":"billing","city":"New York","lines":["5th Ave","Floor 2"]},{"type":"shipping","city":"Boston"}])");
  batch.FinishRow();
  const auto rows = Flatten(plan, batch, 0, "raw-1");
  ASSERT_EQ(rows.size(), 5u);  // customer, address 1, its 2 lines, address 2 (parents first)
  const std::string root = "35dba5d75538a9bbe0b4da4422759a0e";  // md5('[1]')
  EXPECT_EQ(rows[0].table, "customers");
  EXPECT_EQ(rows[0].hash, root);
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"field", "field", "t:info@acme.com", "t:+1234567890"}));
  EXPECT_EQ(rows[1].table, "customers_addresses");
  EXPECT_EQ(rows[1].parent_hash, root);
  EXPECT_EQ(rows[1].hash, "014755496251835bacba92f63e868646");  // md5(root || '-1')
  EXPECT_EQ(rows[1].values, (std::vector<std::string>{"t:billing", "t:New York"}));
  EXPECT_EQ(rows[2].table, "customers_addresses_lines");
  EXPECT_EQ(rows[2].parent_hash, rows[1].hash);
  EXPECT_EQ(rows[2].root_hash, root);
  EXPECT_EQ(rows[2].hash, Hex(rows[1].hash + "-1"));
  EXPECT_EQ(rows[2].values, (std::vector<std::string>{"t:5th Ave"}));
  EXPECT_EQ(rows[3].values, (std::vector<std::string>{"t:Floor 2"}));
  EXPECT_EQ(rows[4].hash, "a67eb7693b55412f34093368d2434e23");  // md5(root || '-2')
  EXPECT_EQ(rows[4].values, (std::vector<std::string>{"t:shipping", "t:Boston"}));
}

TEST(NormalizeFlattener, TypesNullsEmptyArraysAndArraysOfArrays) {
  SchemaPtr s = Parse(R"({"type":"object","properties":{"k":{"type":"string"},
    "o":{"type":"object","properties":{"i":{"type":"integer"},"n":{"type":"number"},"b":{"type":"boolean"},
      "d":{"type":"string","format":"date"},"s":{"type":"string"},"free":{"type":"object"}}},
    "m":{"type":"array","items":{"type":"array","items":{"type":"integer"}}},
    "e":{"type":"array","items":{"type":"string"}}}})");
  std::set<std::string> taken;
  NormPlan plan = PlanNormalizedTables(*s, {"k", "o", "m", "e"}, "t", {0}, taken, Same);
  ASSERT_EQ(plan.tables.size(), 4u);
  EXPECT_EQ(plan.tables[1].name, "t_m");
  EXPECT_EQ(plan.tables[2].name, "t_m_value");  // arrays of arrays: a grandchild with `value`
  EXPECT_EQ(plan.tables[3].name, "t_e");
  EXPECT_EQ(ColumnNames(plan.tables[2]), (std::vector<std::string>{"value"}));

  RecordBatch batch(s, 0);
  batch.column(0).AppendBytes("a\"b\n");
  batch.column(1).AppendBytes(R"({"i":7,"n":2.5,"b":true,"d":"2020-01-31","s":{"z":1,"a":[1,2]},"free":{"x":null}})");
  batch.column(2).AppendBytes("[[1,2],[3]]");
  batch.column(3).AppendBytes("[]");
  batch.FinishRow();
  batch.column(0).AppendBytes("x");
  batch.column(1).AppendBytes(R"({"i":"seven","n":"2","b":1,"d":"bad-date","s":12,"free":null})");
  batch.column(2).AppendBytes("null");
  batch.FinishRow();
  batch.column(0).AppendBytes("y");
  batch.column(1).AppendBytes("5");  // not an object: every flattened leaf NULL
  batch.FinishRow();                 // m and e NULL: no child rows

  auto rows = Flatten(plan, batch, 0, "r0");
  ASSERT_EQ(rows.size(), 6u);  // root, two inner arrays, their three values; `e` is empty
  EXPECT_EQ(rows[0].hash, Hex(R"(["a\"b\n"])"));  // the key as jsonb prints it
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"field", "i:7", "d:2.5", "b:1", "t:2020-01-31",
                                                      R"(t:{"a": [1, 2], "z": 1})", R"(j:{"x":null})"}));
  EXPECT_EQ(rows[1].table, "t_m");
  EXPECT_EQ(rows[2].table, "t_m_value");
  EXPECT_EQ(rows[2].parent_hash, rows[1].hash);
  EXPECT_EQ(rows[2].values, (std::vector<std::string>{"i:1"}));
  EXPECT_EQ(rows[3].values, (std::vector<std::string>{"i:2"}));
  EXPECT_EQ(rows[4].table, "t_m");
  EXPECT_EQ(rows[5].values, (std::vector<std::string>{"i:3"}));

  rows = Flatten(plan, batch, 1, "r1");
  ASSERT_EQ(rows.size(), 1u);
  // Another JSON type than declared is NULL; a string leaf takes any value's text.
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"field", "NULL", "NULL", "NULL", "NULL", "t:12", "NULL"}));

  rows = Flatten(plan, batch, 2, "r2");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].values, (std::vector<std::string>{"field", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"}));
}

TEST(NormalizeFlattener, RawIdHashAndNameCollisions) {
  SchemaPtr s = Parse(R"({"type":"object","properties":{"a_b":{"type":"string"},
    "a":{"type":"object","properties":{"b":{"type":"integer"}}},"t":{"type":"array","items":{"type":"string"}}}})");
  std::set<std::string> taken = {"s_t"};  // another stream's table
  NormPlan plan = PlanNormalizedTables(*s, {"a_b", "a", "t"}, "s", {}, taken, Same);
  EXPECT_EQ(ColumnNames(plan.tables[0]), (std::vector<std::string>{"a_b", "a_b_2"}));
  EXPECT_EQ(plan.tables[1].name, "s_t_2");
  RecordBatch batch(s, 0);
  batch.column(0).AppendBytes("v");
  batch.FinishRow();
  const auto rows = Flatten(plan, batch, 0, "abc");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].hash, "900150983cd24fb0d6963f7d28e17f72");  // md5 of the raw id
}

}  // namespace
}  // namespace sluice
