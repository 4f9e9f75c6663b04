// Table and column names: kept verbatim when PostgreSQL can hold them, shortened past 63 bytes
// deterministically on character boundaries, and never colliding.
#include "connectors/destinations/postgres/pg_identifiers.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "connectors/destinations/postgres/pg_destination_config.h"
#include "connectors/destinations/postgres/pg_stream_plan.h"
#include "postgres/pg_connection.h"

namespace sluice {
namespace {

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

TEST(PgIdentifier, KeepsNamesThatFit) {
  for (std::string_view name : {"users", "Mixed Case", "with \"quotes\"", "select", "ünïcödé 日本", "a.b", "1abc", "x;drop"}) {
    EXPECT_EQ(PgIdentifier(name), name);
  }
  EXPECT_EQ(PgIdentifier(std::string(63, 'a')), std::string(63, 'a'));
}

TEST(PgIdentifier, ReplacesWhatPostgresCannotHold) {
  EXPECT_EQ(PgIdentifier(std::string_view("a\0b", 3)), "a_b");
  EXPECT_EQ(PgIdentifier("a\xFF" "b"), "a_b");
  EXPECT_EQ(PgIdentifier(""), "_");
}

TEST(PgIdentifier, ShortensLongNamesDeterministically) {
  const std::string long_name = std::string(100, 'x');
  const std::string a = PgIdentifier(long_name);
  EXPECT_EQ(a.size(), 63u);
  EXPECT_EQ(a, PgIdentifier(long_name));
  EXPECT_EQ(a.substr(0, 54), std::string(54, 'x'));
  EXPECT_EQ(a[54], '_');
  // Names that differ only past the cut stay distinct.
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) seen.insert(PgIdentifier(std::string(70, 'c') + std::to_string(i)));
  EXPECT_EQ(seen.size(), 2000u);
  // 64 bytes is one too many.
  EXPECT_EQ(PgIdentifier(std::string(64, 'a')).size(), 63u);
}

TEST(PgIdentifier, CutsOnCharacterBoundaries) {
  // 3-byte characters: no cut may split one, whatever the offset.
  for (size_t prefix = 0; prefix < 4; ++prefix) {
    std::string name(prefix, 'p');
    for (int i = 0; i < 40; ++i) name += "\xE6\x97\xA5";  // 日
    const std::string s = PgIdentifier(name);
    EXPECT_LE(s.size(), 63u);
    EXPECT_TRUE(ValidUtf8(s)) << prefix;
    EXPECT_EQ(s.substr(0, prefix), std::string(prefix, 'p'));
  }
  std::string emoji;
  for (int i = 0; i < 30; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_TRUE(ValidUtf8(PgIdentifier(emoji)));
}

TEST(AssignColumnNames, SuffixesDuplicatesAndReservedNames) {
  const std::vector<std::string> reserved = {"_airbyte_raw_id", "_airbyte_meta"};
  auto names = AssignColumnNames({"id", "_airbyte_raw_id", "name", "_airbyte_raw_id_2"}, reserved);
  // The field literally named "_airbyte_raw_id_2" keeps its name; the colliding one moves on.
  EXPECT_EQ(names, (std::vector<std::string>{"id", "_airbyte_raw_id_3", "name", "_airbyte_raw_id_2"}));
}

TEST(AssignColumnNames, LongNamesWithACommonPrefixStayDistinct) {
  std::vector<std::string> fields;
  for (int i = 0; i < 50; ++i) fields.push_back(std::string(80, 'f') + std::to_string(i));
  // A field whose name equals another's shortened form.
  fields.push_back(PgIdentifier(fields[0]));
  auto names = AssignColumnNames(fields, {});
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), fields.size());
  for (const auto& n : names) EXPECT_LE(n.size(), 63u);
  EXPECT_EQ(names, AssignColumnNames(fields, {}));  // deterministic
}

TEST(TableNames, RawAndTmpFollowAirbyte) {
  EXPECT_EQ(RawTableName("public", "users"), "public_raw__stream_users");
  EXPECT_EQ(TmpTableName("users"), "users_airbyte_tmp");
  const std::string long_table = PgIdentifier(std::string(80, 't'));
  EXPECT_NE(TmpTableName(long_table), long_table);
  EXPECT_LE(TmpTableName(long_table).size(), 63u);
  EXPECT_LE(RawTableName(std::string(40, 'n'), std::string(40, 's')).size(), 63u);
}

TEST(QuoteIdent, QuotesAndEscapes) {
  EXPECT_EQ(QuoteIdent("select"), "\"select\"");
  EXPECT_EQ(QuoteIdent("a\"b"), "\"a\"\"b\"");
}

TEST(PgDestinationConfig, DefaultsAndValidation) {
  Json config = {{"host", "h"}, {"port", 5432}, {"database", "d"}, {"username", "u"}};
  auto c = ParsePgDestinationConfig(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->schema, "public");
  EXPECT_EQ(c->raw_data_schema, "airbyte_internal");
  // Direct load by default: final tables only.
  EXPECT_FALSE(c->writes_raw());
  EXPECT_TRUE(c->writes_final());
  config["direct_load"] = false;
  auto v2 = ParsePgDestinationConfig(config);
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->writes_raw() && v2->writes_final());
  // Raw tables only wins over direct_load (whose default is true).
  config["direct_load"] = true;
  config["disable_type_dedupe"] = true;
  auto raw_only = ParsePgDestinationConfig(config);
  ASSERT_TRUE(raw_only.ok());
  EXPECT_TRUE(raw_only->writes_raw());
  EXPECT_FALSE(raw_only->writes_final());
  config["disable_type_dedupe"] = false;
  config["tunnel_method"] = {{"tunnel_method", "SSH_KEY_AUTH"}};
  auto tunnel = ParsePgDestinationConfig(config);
  ASSERT_FALSE(tunnel.ok());
  EXPECT_NE(tunnel.status().message().find("tunnel_method"), std::string::npos);
  const ConnectorSpec spec = PgDestinationSpec();
  EXPECT_TRUE(spec.Supports(DestinationSyncMode::kAppendDedup));
  EXPECT_TRUE(spec.connection_specification["properties"]["password"].value("airbyte_secret", false));
}

TEST(PgWidening, OnlyExactWidenings) {
  using namespace pg_oid;
  auto widen = [](uint32_t oid, int32_t typmod, TypeId type) {
    auto w = WidenColumnType({oid, typmod}, type);
    return w ? w->sql : std::string("-");
  };
  EXPECT_EQ(widen(kInt4, -1, TypeId::kInteger), "bigint");
  EXPECT_EQ(widen(kInt2, -1, TypeId::kInteger), "bigint");
  EXPECT_EQ(widen(kInt8, -1, TypeId::kInteger), "-");  // already natural
  EXPECT_EQ(widen(kInt8, -1, TypeId::kNumber), "numeric");  // a bigint's digits are not rounded
  EXPECT_EQ(widen(kFloat4, -1, TypeId::kNumber), "double precision");
  EXPECT_EQ(widen(kFloat8, -1, TypeId::kDecimal), "numeric");
  EXPECT_EQ(widen(kNumeric, (6 << 16 | 2) + 4, TypeId::kNumber), "numeric");
  EXPECT_EQ(widen(kNumeric, -1, TypeId::kNumber), "-");  // doubles fit an unconstrained numeric
  EXPECT_EQ(widen(kDate, -1, TypeId::kTimestampTz), "timestamp with time zone");
  EXPECT_EQ(widen(kTimestamp, -1, TypeId::kTimestampTz), "-");  // lands exactly, as UTC
  EXPECT_EQ(widen(kNumeric, (6 << 16 | 2) + 4, TypeId::kDecimal), "numeric");
  EXPECT_EQ(widen(kVarchar, -1, TypeId::kString), "-");
  EXPECT_EQ(widen(kDate, -1, TypeId::kTimestampNoTz), "timestamp without time zone");
  EXPECT_EQ(widen(kVarchar, 9, TypeId::kString), "text");
  EXPECT_EQ(widen(kInt8, -1, TypeId::kString), "text");
  EXPECT_EQ(widen(kJsonb, -1, TypeId::kString), "text");
  EXPECT_EQ(widen(kBytea, -1, TypeId::kString), "-");   // hex text would not be the value
  EXPECT_EQ(widen(kText, -1, TypeId::kInteger), "-");   // narrowing: values go through text
  EXPECT_EQ(widen(kFloat8, -1, TypeId::kInteger), "-");
  EXPECT_EQ(widen(kTimestampTz, -1, TypeId::kDate), "-");
  auto w = WidenColumnType({kDate, -1}, TypeId::kTimestampTz);
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->using_, "{}::timestamp AT TIME ZONE 'UTC'");
}

TEST(PgDestinationConfig, ParallelCopies) {
  Json config = {{"host", "h"}, {"port", 5432}, {"database", "d"}, {"username", "u"}};
  auto c = ParsePgDestinationConfig(config);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->parallel_copies, 2);
  config["parallel_copies"] = 1;
  EXPECT_EQ(ParsePgDestinationConfig(config)->parallel_copies, 1);
  config["parallel_copies"] = 8;
  EXPECT_EQ(ParsePgDestinationConfig(config)->parallel_copies, 8);
  for (const Json& bad : {Json(0), Json(-1), Json(33), Json(1.5), Json("2"), Json(true)}) {
    config["parallel_copies"] = bad;
    auto r = ParsePgDestinationConfig(config);
    ASSERT_FALSE(r.ok()) << bad.dump();
    EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
    EXPECT_NE(r.status().message().find("parallel_copies"), std::string::npos);
  }
  const ConnectorSpec full = PgDestinationSpec();
  const Json& spec = full.connection_specification["properties"]["parallel_copies"];
  EXPECT_EQ(spec.value("default", 0), 2);
  EXPECT_EQ(spec.value("minimum", 0), 1);
  EXPECT_FALSE(spec.value("description", std::string()).empty());
}

TEST(PgStreamPlan, MergeSqlQuotesEverything) {
  PgStreamPlan p;
  p.mode = DestinationSyncMode::kAppendDedup;
  p.final_schema = "my schema";
  p.final_table = "Order\"s";
  p.load_table = "sluice_stage_0";
  p.load = PgLoad::kMerge;
  p.columns = {"id", "updated at", "_ab_cdc_deleted_at"};
  p.primary_key = {0};
  p.cursor = 1;
  p.cdc_deleted_at = 2;
  const auto merge = p.MergeSql(false);
  ASSERT_EQ(merge.size(), 3u);
  EXPECT_EQ(merge[0], "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off");
  EXPECT_NE(merge[1].find("\"my schema\".\"Order\"\"s\""), std::string::npos) << merge[1];
  EXPECT_NE(merge[1].find("f.\"updated at\" > s.\"updated at\""), std::string::npos) << merge[1];
  EXPECT_NE(p.InsertFromStageSql().find("WHERE \"_ab_cdc_deleted_at\" IS NULL"), std::string::npos);
  EXPECT_NE(p.MergeSql(true)[1].find("IS NOT DISTINCT FROM"), std::string::npos);
  EXPECT_EQ(p.LoadName(), "pg_temp.\"sluice_stage_0\"");
  // A CDC stream keeps values the source did not send: from the final table, then from the
  // same key's earlier staged row (a window over dedup order, ascending).
  EXPECT_TRUE(p.keeps_unchanged());
  const auto keep = p.KeepUnchangedSql(p.LoadName(), 1, true);
  ASSERT_EQ(keep.size(), 4u);
  EXPECT_NE(keep[1].find("FROM \"my schema\".\"Order\"\"s\" AS f WHERE f.\"id\" = s.\"id\""), std::string::npos) << keep[1];
  EXPECT_NE(keep[1].find("\"_sluice_keep\" ? 'updated at'"), std::string::npos) << keep[1];
  EXPECT_NE(keep[3].find("ORDER BY \"updated at\" ASC NULLS FIRST, \"_airbyte_extracted_at\", \"_sluice_seq\""),
            std::string::npos) << keep[3];
  EXPECT_EQ(p.KeepUnchangedSql("t", 0, false).size(), 1u);
  EXPECT_NE(p.CopyFinalSql(true).find("\"_airbyte_meta\", \"_sluice_keep\")"), std::string::npos);
  EXPECT_EQ(p.CopyFinalSql(false).find("_sluice_keep"), std::string::npos);
}

}  // namespace
}  // namespace sluice
