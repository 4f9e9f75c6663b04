// source-mysql without a server: config parsing (Airbyte's keys, jdbc_url_params), the type
// mapping and value conversion (zero dates, unsigned, geometry, charsets), and the dialect's
// literals. The server-facing behaviour is tested end to end in tests/e2e/test_mysql_source.py.
#include <gtest/gtest.h>

#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_dialect.h"
#include "connectors/sources/mysql/mysql_source_config.h"
#include "connectors/sources/mysql/mysql_types.h"

namespace sluice {
namespace {

Json Base() {
  return Json{{"host", "db"}, {"port", 3306}, {"database", "shop"}, {"username", "u"}, {"password", "p"}};
}

TEST(MySqlConfig, AirbyteShapeWithDefaults) {
  auto c = ParseMySqlSourceConfig(Base());
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ssl.mode, MySqlSslMode::kRequired);
  EXPECT_EQ(c->replication, MySqlReplication::kStandard);
  EXPECT_EQ(c->max_db_connections, 2);
  EXPECT_EQ(c->chunk_rows, 100000);
}

TEST(MySqlConfig, CdcKeysAndSslObject) {
  Json j = Base();
  j["ssl_mode"] = {{"mode", "verify_identity"}, {"ca_certificate", "PEM"}};
  j["replication_method"] = {{"method", "CDC"}, {"initial_waiting_seconds", 200}, {"server_timezone", "Europe/Paris"},
                             {"invalid_cdc_cursor_position_behavior", "Re-sync data"}, {"server_id", 6001}};
  auto c = ParseMySqlSourceConfig(j);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->ssl.mode, MySqlSslMode::kVerifyIdentity);
  EXPECT_EQ(c->ssl.ca_certificate, "PEM");
  EXPECT_EQ(c->replication, MySqlReplication::kCdc);
  EXPECT_EQ(c->cdc.initial_waiting_seconds, 200);
  EXPECT_TRUE(c->cdc.resync_on_invalid_position);
  EXPECT_EQ(c->cdc.server_id.value_or(0), 6001u);
}

TEST(MySqlConfig, ErrorsNameTheField) {
  Json j = Base();
  j["replication_method"] = {{"method", "XMIN"}};
  auto c = ParseMySqlSourceConfig(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("replication_method.method"), std::string::npos);
  j = Base();
  j["ssl_mode"] = {{"mode", "verify_ca"}};
  c = ParseMySqlSourceConfig(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("ca_certificate"), std::string::npos);
  j = Base();
  j["jdbc_url_params"] = "connectTimeout";
  c = ParseMySqlSourceConfig(j);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("jdbc_url_params"), std::string::npos);
}

TEST(MySqlConfig, JdbcParams) {
  Json j = Base();
  j["jdbc_url_params"] = "connectTimeout=2500&socketTimeout=60000&sessionVariables=max_statement_time=0,sql_mode=%27%27";
  auto c = ParseMySqlSourceConfig(j);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->connect_timeout_s, 3);
  EXPECT_EQ(c->socket_timeout_s, 60);
  ASSERT_EQ(c->session_variables.size(), 2u);
  EXPECT_EQ(c->session_variables[1].first, "sql_mode");
  EXPECT_EQ(c->session_variables[1].second, "''");
}

MySqlColumn Col(std::string type, std::string column_type, bool json = false) {
  MySqlColumn c;
  c.name = "c";
  c.type_name = std::move(type);
  c.column_type = std::move(column_type);
  c.Resolve(json);
  return c;
}

TEST(MySqlTypes, Mapping) {
  EXPECT_EQ(Col("tinyint", "tinyint(1)").type, TypeId::kBoolean);
  EXPECT_EQ(Col("tinyint", "tinyint(4)").type, TypeId::kInteger);
  EXPECT_EQ(Col("bigint", "bigint(20) unsigned").type, TypeId::kDecimal);
  EXPECT_EQ(Col("int", "int(10) unsigned").type, TypeId::kInteger);
  EXPECT_EQ(Col("bit", "bit(1)").type, TypeId::kBoolean);
  EXPECT_EQ(Col("bit", "bit(9)").type, TypeId::kBinary);
  EXPECT_EQ(Col("longtext", "longtext", true).type, TypeId::kJson);
  EXPECT_EQ(Col("time", "time(6)").type, TypeId::kString);
  EXPECT_EQ(Col("timestamp", "timestamp(6)").type, TypeId::kTimestampTz);
  EXPECT_EQ(Col("point", "point").kind, MySqlKind::kGeometry);
  EXPECT_EQ(Col("enum", "enum('a','it''s')").labels, (std::vector<std::string>{"a", "it's"}));
  EXPECT_FALSE(Col("float", "float").cursor_ok);
  EXPECT_TRUE(Col("datetime", "datetime(6)").cursor_ok);
}

//! The cell a text becomes, as JSON-ish text, plus whether a change was noted.
std::pair<std::string, bool> Cell(const MySqlColumn& c, std::string_view text) {
  auto schema = std::make_shared<Schema>(std::vector<Field>{{"c", c.type, true, {}}});
  RecordBatch batch(schema, 0);
  AppendMySqlText(c, text, batch.column(0), batch, "c");
  batch.FinishRow();
  const Column& col = batch.column(0);
  const bool changed = !batch.changes().empty();
  if (col.IsNull(0)) return {"null", changed};
  switch (c.type) {
    case TypeId::kBoolean: return {col.Bool(0) ? "true" : "false", changed};
    case TypeId::kInteger: return {std::to_string(col.Int64(0)), changed};
    case TypeId::kDate: return {std::to_string(col.Int32(0)), changed};
    case TypeId::kTimestampNoTz:
    case TypeId::kTimestampTz: return {std::to_string(col.Int64(0)), changed};
    default: return {std::string(col.Bytes(0)), changed};
  }
}

TEST(MySqlTypes, Values) {
  EXPECT_EQ(Cell(Col("bigint", "bigint unsigned"), "18446744073709551615").first, "18446744073709551615");
  EXPECT_EQ(Cell(Col("tinyint", "tinyint(1)"), "5").first, "true");
  EXPECT_EQ(Cell(Col("date", "date"), "1970-01-02").first, "1");
  EXPECT_EQ(Cell(Col("date", "date"), "0000-00-00"), std::make_pair(std::string("null"), true));
  EXPECT_EQ(Cell(Col("date", "date"), "2023-02-29"), std::make_pair(std::string("null"), true));
  EXPECT_EQ(Cell(Col("date", "date"), "2024-00-10"), std::make_pair(std::string("null"), true));
  EXPECT_EQ(Cell(Col("datetime", "datetime(6)"), "1970-01-01 00:00:01.5").first, "1500000");
  EXPECT_EQ(Cell(Col("datetime", "datetime"), "0000-00-00 00:00:00"), std::make_pair(std::string("null"), true));
  EXPECT_EQ(Cell(Col("time", "time"), "-838:59:59").first, "-838:59:59");
  EXPECT_EQ(Cell(Col("int", "int"), "x1").second, true);
}

TEST(MySqlTypes, GeometryAsWkt) {
  // SRID 0, then WKB little-endian POINT(1.5 -2).
  std::string v(4, '\0');
  v += '\x01';
  v += std::string("\x01\x00\x00\x00", 4);
  double x = 1.5, y = -2;
  v.append(reinterpret_cast<const char*>(&x), 8);
  v.append(reinterpret_cast<const char*>(&y), 8);
  std::string out;
  ASSERT_TRUE(GeometryToWkt(v, out));
  EXPECT_EQ(out, "POINT(1.5 -2)");
  out.clear();
  EXPECT_FALSE(GeometryToWkt(v.substr(0, v.size() - 1), out));
}

TEST(MySqlTypes, Charsets) {
  std::string out;
  ASSERT_TRUE(ConvertToUtf8("latin1", "caf\xe9 \x80", out));
  EXPECT_EQ(out, "café €");  // MySQL's latin1 is Windows-1252
  out.clear();
  ASSERT_TRUE(ConvertToUtf8("utf8mb4", "😀", out));
  EXPECT_EQ(out, "😀");
  out.clear();
  EXPECT_FALSE(ConvertToUtf8("nosuch", "x", out));
}

TEST(MySqlDialect, Literals) {
  const MySqlDialect& d = MySqlDialect::Get(true);
  EXPECT_EQ(d.QuoteIdentifier("we`ird"), "`we``ird`");
  EXPECT_EQ(d.QuoteLiteral("it's a \\"), "'it''s a \\\\'");
  EXPECT_EQ(d.TypedLiteral("-12.50", "decimal"), "-12.50");
  EXPECT_EQ(d.TypedLiteral("1; DROP", "int"), "'1; DROP'");
  EXPECT_EQ(d.TypedLiteral("2024-01-01 00:00:00", "datetime"), "CAST('2024-01-01 00:00:00' AS DATETIME(6))");
  EXPECT_EQ(d.TypedLiteral("00ff", "varbinary"), "X'00ff'");
  EXPECT_EQ(d.KeySelectExpression("k", "binary"), "HEX(`k`)");
}

TEST(MySqlErrors, Classification) {
  EXPECT_EQ(MySqlFailureType(1045), FailureType::kConfig);     // access denied
  EXPECT_EQ(MySqlFailureType(1236), FailureType::kConfig);     // binlog purged
  EXPECT_EQ(MySqlFailureType(2013), FailureType::kTransient);  // lost connection
  EXPECT_EQ(MySqlFailureType(1213), FailureType::kTransient);  // deadlock
  EXPECT_EQ(MySqlFailureType(1064), FailureType::kSystem);     // syntax: a bug
}

}  // namespace
}  // namespace sluice
