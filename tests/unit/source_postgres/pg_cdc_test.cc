// source-postgres CDC mode: the replication_method config in Airbyte's keys, and pgoutput text
// values converted by the source's type mapping.
#include <gtest/gtest.h>

#include <cmath>

#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_text_values.h"
#include "connectors/sources/postgres/pg_types.h"

namespace sluice {
namespace {

using pgbin::Decoder;

Json Base(Json method) {
  return Json{{"host", "h"}, {"port", 5432}, {"database", "db"}, {"username", "u"}, {"replication_method", method}};
}

TEST(PgCdcConfig, Defaults) {
  auto c = ParsePgSourceConfig(Base({{"method", "CDC"}, {"replication_slot", "s"}, {"publication", "p"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->replication, ReplicationMethod::kCdc);
  EXPECT_EQ(c->cdc.replication_slot, "s");
  EXPECT_EQ(c->cdc.publication, "p");
  EXPECT_EQ(c->cdc.plugin, "pgoutput");
  EXPECT_EQ(c->cdc.initial_waiting_seconds, 300);
  EXPECT_TRUE(c->cdc.flush_after_destination);
  EXPECT_FALSE(c->cdc.resync_on_invalid_position);
  EXPECT_EQ(c->cdc.queue_size, 10000);
  EXPECT_EQ(c->cdc.initial_load_timeout_hours, 8);
}

TEST(PgCdcConfig, EveryKey) {
  auto c = ParsePgSourceConfig(Base({{"method", "CDC"},
                                     {"plugin", "pgoutput"},
                                     {"replication_slot", "s"},
                                     {"publication", "p"},
                                     {"initial_waiting_seconds", 1200},
                                     {"lsn_commit_behaviour", "While reading Data"},
                                     {"heartbeat_action_query", "select 1"},
                                     {"queue_size", 1000},
                                     {"initial_load_timeout_hours", 24},
                                     {"invalid_cdc_cursor_position_behavior", "Re-sync data"}}));
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->cdc.initial_waiting_seconds, 1200);
  EXPECT_FALSE(c->cdc.flush_after_destination);
  EXPECT_EQ(c->cdc.heartbeat_action_query, "select 1");
  EXPECT_TRUE(c->cdc.resync_on_invalid_position);
}

TEST(PgCdcConfig, SeedConfigNamesBothKeysAndTheirSql) {
  auto c = ParsePgSourceConfig(Base({{"method", "CDC"}, {"plugin", "pgoutput"}, {"initial_waiting_seconds", 300}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().failure_type(), FailureType::kConfig);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("$.replication_method.replication_slot"), std::string::npos) << m;
  EXPECT_NE(m.find("pg_create_logical_replication_slot('airbyte_slot', 'pgoutput')"), std::string::npos) << m;
  EXPECT_NE(m.find("$.replication_method.publication"), std::string::npos) << m;
  EXPECT_NE(m.find("CREATE PUBLICATION airbyte_publication FOR TABLE"), std::string::npos) << m;
}

TEST(PgCdcConfig, OnlyTheMissingKeyIsNamed) {
  auto c = ParsePgSourceConfig(Base({{"method", "CDC"}, {"replication_slot", "s"}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message().find("replication_slot"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("publication"), std::string::npos);
}

TEST(PgCdcConfig, BadValuesNameTheirPath) {
  for (const Json& bad : {Json{{"lsn_commit_behaviour", "Sometimes"}}, Json{{"initial_waiting_seconds", 5}},
                          Json{{"invalid_cdc_cursor_position_behavior", "Ignore"}}, Json{{"plugin", "wal2json"}}}) {
    Json method = {{"method", "CDC"}, {"replication_slot", "s"}, {"publication", "p"}};
    method.update(bad);
    auto c = ParsePgSourceConfig(Base(method));
    ASSERT_FALSE(c.ok()) << bad.dump();
    EXPECT_NE(c.status().message().find("$.replication_method." + bad.begin().key()), std::string::npos)
        << c.status().message();
  }
}

TEST(PgCdcConfig, SpecHasAirbytesCdcBranch) {
  const Json spec = PgSourceSpecJson();
  const Json& branches = spec["properties"]["replication_method"]["oneOf"];
  const Json* cdc = nullptr;
  for (const auto& b : branches) {
    if (b["properties"]["method"]["const"] == "CDC") cdc = &b;
  }
  ASSERT_NE(cdc, nullptr);
  for (const char* key : {"plugin", "replication_slot", "publication", "initial_waiting_seconds", "lsn_commit_behaviour",
                          "heartbeat_action_query", "queue_size", "initial_load_timeout_hours",
                          "invalid_cdc_cursor_position_behavior"}) {
    EXPECT_TRUE((*cdc)["properties"].contains(key)) << key;
  }
  EXPECT_EQ((*cdc)["properties"]["lsn_commit_behaviour"]["default"], "After loading Data in the destination");
}

// ---- text values --------------------------------------------------------------------------------

PgColumnType Type(uint32_t oid) {
  PgTypeCatalog types;
  return types.Resolve(oid, -1);
}

TEST(PgTextValues, Scalars) {
  {
    Column c(TypeId::kInteger);
    ASSERT_TRUE(AppendPgText(c, Type(20), "-9223372036854775808"));
    ASSERT_TRUE(AppendPgText(c, Type(23), "42"));
    EXPECT_FALSE(AppendPgText(c, Type(23), "4x"));
    EXPECT_EQ(c.size(), 2u);
    EXPECT_EQ(c.Int64(0), INT64_MIN);
    EXPECT_EQ(c.Int64(1), 42);
  }
  {
    Column c(TypeId::kNumber);
    ASSERT_TRUE(AppendPgText(c, Type(701), "1.5e-07"));
    ASSERT_TRUE(AppendPgText(c, Type(701), "NaN"));
    ASSERT_TRUE(AppendPgText(c, Type(701), "-Infinity"));
    EXPECT_DOUBLE_EQ(c.Double(0), 1.5e-07);
    EXPECT_TRUE(std::isnan(c.Double(1)));
    EXPECT_TRUE(std::isinf(c.Double(2)) && c.Double(2) < 0);
  }
  {
    Column c(TypeId::kDecimal);
    ASSERT_TRUE(AppendPgText(c, Type(1700), "123456789012345678901234567890.000000001"));
    EXPECT_EQ(c.Bytes(0), "123456789012345678901234567890.000000001");
  }
  {
    Column c(TypeId::kBoolean);
    ASSERT_TRUE(AppendPgText(c, Type(16), "t"));
    ASSERT_TRUE(AppendPgText(c, Type(16), "f"));
    EXPECT_FALSE(AppendPgText(c, Type(16), "true"));
    EXPECT_TRUE(c.Bool(0));
    EXPECT_FALSE(c.Bool(1));
  }
  {
    Column c(TypeId::kBinary);
    ASSERT_TRUE(AppendPgText(c, Type(17), "\\x00ff41"));
    EXPECT_FALSE(AppendPgText(c, Type(17), "\\x0g"));
    EXPECT_EQ(c.size(), 1u);
    EXPECT_EQ(c.Bytes(0), std::string("\x00\xff" "A", 3));
  }
  {
    Column c(TypeId::kJson);
    ASSERT_TRUE(AppendPgText(c, Type(3802), "{\"a\": [1, 2]}"));
    EXPECT_EQ(c.Bytes(0), "{\"a\": [1, 2]}");
  }
}

TEST(PgTextValues, DatesAndTimes) {
  {
    Column c(TypeId::kDate);
    ASSERT_TRUE(AppendPgText(c, Type(1082), "1970-01-02"));
    EXPECT_FALSE(AppendPgText(c, Type(1082), "infinity"));  // the caller nulls it with a change note
    EXPECT_EQ(c.Int32(0), 1);
  }
  {
    Column c(TypeId::kTimestampTz);
    ASSERT_TRUE(AppendPgText(c, Type(1184), "1970-01-01 00:00:01.5+00"));
    ASSERT_TRUE(AppendPgText(c, Type(1184), "1970-01-01 02:00:00+02"));
    ASSERT_TRUE(AppendPgText(c, Type(1184), "1970-01-01 05:30:00+05:30"));
    ASSERT_TRUE(AppendPgText(c, Type(1184), "infinity"));
    EXPECT_EQ(c.Int64(0), 1'500'000);
    EXPECT_EQ(c.Int64(1), 0);
    EXPECT_EQ(c.Int64(2), 0);
    EXPECT_EQ(c.Int64(3), kInfinityMicros);
  }
  {
    Column c(TypeId::kTimestampNoTz);
    ASSERT_TRUE(AppendPgText(c, Type(1114), "2000-01-01 00:00:00"));
    EXPECT_EQ(c.Int64(0), 946684800LL * 1'000'000);
  }
  {
    Column c(TypeId::kTimeTz);
    ASSERT_TRUE(AppendPgText(c, Type(1266), "10:00:00+03"));
    EXPECT_EQ(c.Int64(0), 7LL * 3600 * 1'000'000);
  }
}

TEST(PgTextValues, Arrays) {
  std::string out;
  ASSERT_TRUE(PgArrayTextToJson(out, Decoder::kInt4, "{1,2,NULL,-3}"));
  EXPECT_EQ(out, "[1,2,null,-3]");
  out.clear();
  ASSERT_TRUE(PgArrayTextToJson(out, Decoder::kText, R"({a,"b c","say \"hi\"",NULL,"NULL"})"));
  EXPECT_EQ(out, R"(["a","b c","say \"hi\"",null,"NULL"])");
  out.clear();
  ASSERT_TRUE(PgArrayTextToJson(out, Decoder::kInt4, "{{1,2},{3,4}}"));
  EXPECT_EQ(out, "[[1,2],[3,4]]");
  out.clear();
  ASSERT_TRUE(PgArrayTextToJson(out, Decoder::kInt4, "{}"));
  EXPECT_EQ(out, "[]");
  out.clear();
  EXPECT_FALSE(PgArrayTextToJson(out, Decoder::kInt4, "{1,2"));
}

TEST(PgTextValues, ACatalogTypeThatDiffersTakesTheTextOnlyAsAString) {
  Column s(TypeId::kString);
  ASSERT_TRUE(AppendPgText(s, Type(23), "7"));
  EXPECT_EQ(s.Bytes(0), "7");
  Column b(TypeId::kBoolean);
  EXPECT_FALSE(AppendPgText(b, Type(23), "7"));
}

}  // namespace
}  // namespace sluice
