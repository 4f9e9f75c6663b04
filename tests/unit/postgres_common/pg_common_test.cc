#include <gtest/gtest.h>

#include "connectors/postgres_common/pg_config.h"
#include "postgres/pg_connection.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

TEST(QuoteIdent, DoublesQuotesAndKeepsEverythingElse) {
  EXPECT_EQ(QuoteIdent("users"), "\"users\"");
  EXPECT_EQ(QuoteIdent("select"), "\"select\"");
  EXPECT_EQ(QuoteIdent("my \"odd\" name"), "\"my \"\"odd\"\" name\"");
  EXPECT_EQ(QuoteIdent("naïve 表"), "\"naïve 表\"");
}

TEST(QuoteLiteral, UsesEscapeFormOnlyForBackslashes) {
  EXPECT_EQ(QuoteLiteral("it's"), "'it''s'");
  EXPECT_EQ(QuoteLiteral("a\\b"), "E'a\\\\b'");
}

TEST(ClassifySqlState, SeparatesUserProblemsFromPassingOnes) {
  EXPECT_EQ(ClassifySqlState("28P01"), FailureType::kConfig);     // invalid password
  EXPECT_EQ(ClassifySqlState("3D000"), FailureType::kConfig);     // unknown database
  EXPECT_EQ(ClassifySqlState("42501"), FailureType::kConfig);     // insufficient privilege
  EXPECT_EQ(ClassifySqlState("42P01"), FailureType::kConfig);     // undefined table
  EXPECT_EQ(ClassifySqlState("08006"), FailureType::kTransient);  // connection failure
  EXPECT_EQ(ClassifySqlState("40001"), FailureType::kTransient);  // serialization failure
  EXPECT_EQ(ClassifySqlState("40P01"), FailureType::kTransient);  // deadlock
  EXPECT_EQ(ClassifySqlState("57P01"), FailureType::kTransient);  // admin shutdown
  EXPECT_EQ(ClassifySqlState("55P03"), FailureType::kTransient);  // lock not available
  EXPECT_EQ(ClassifySqlState("XX000"), FailureType::kSystem);     // internal error
  EXPECT_EQ(ClassifySqlState(""), FailureType::kSystem);
}

Json SpecSchema() {
  return {{"type", "object"},
          {"required", {"host", "database", "username"}},
          {"properties", PgConnectionSpecProperties()}};
}

TEST(PgConnectionConfig, DefaultsFromTheSpecAndExtraParameters) {
  Json config = {{"host", "db.internal"}, {"database", "shop"}, {"username", "reader"},
                 {"password", "pw"}, {"jdbc_url_params", "options=-c%20statement_timeout%3D0&keepalives=1"}};
  auto prepared = PrepareConfig(SpecSchema(), config, "source config");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  auto parsed = ParsePgConnectionConfig(*prepared);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->port, 5432);
  EXPECT_EQ(parsed->ssl_mode, "prefer");
  EXPECT_EQ(parsed->connect_timeout_seconds, 10);
  ASSERT_EQ(parsed->extra_params.size(), 2u);
  EXPECT_EQ(parsed->extra_params[0].first, "options");
  EXPECT_EQ(parsed->extra_params[0].second, "-c statement_timeout=0");
  EXPECT_EQ(parsed->Describe(), "db.internal:5432/shop");
}

TEST(PgConnectionConfig, SslModeAsObjectOrString) {
  Json config = {{"host", "h"}, {"database", "d"}, {"username", "u"},
                 {"ssl_mode", {{"mode", "verify-full"}, {"ca_certificate", "-----BEGIN CERTIFICATE-----"}}}};
  auto prepared = PrepareConfig(SpecSchema(), config, "config");
  ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
  auto parsed = ParsePgConnectionConfig(*prepared);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->ssl_mode, "verify-full");
  EXPECT_FALSE(parsed->ca_certificate.empty());

  auto plain = ParsePgConnectionConfig({{"host", "h"}, {"database", "d"}, {"ssl_mode", "require"}});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->ssl_mode, "require");
}

TEST(PgConnectionConfig, ErrorsNameTheField) {
  Json missing_ca = {{"host", "h"}, {"database", "d"}, {"username", "u"}, {"ssl_mode", {{"mode", "verify-ca"}}}};
  auto prepared = PrepareConfig(SpecSchema(), missing_ca, "config");
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.status().message().find("ssl_mode"), std::string::npos) << prepared.status().ToString();

  auto bad_mode = ParsePgConnectionConfig({{"host", "h"}, {"database", "d"}, {"ssl_mode", "always"}});
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_EQ(bad_mode.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(bad_mode.status().message().find("ssl_mode"), std::string::npos);

  auto bad_param = ParsePgConnectionConfig({{"host", "h"}, {"database", "d"}, {"jdbc_url_params", "novalue"}});
  ASSERT_FALSE(bad_param.ok());
  EXPECT_NE(bad_param.status().message().find("jdbc_url_params: 'novalue'"), std::string::npos);

  auto password_param =
      ParsePgConnectionConfig({{"host", "h"}, {"database", "d"}, {"jdbc_url_params", "password=x"}});
  ASSERT_FALSE(password_param.ok());
}

TEST(PgConnection, UnreachableHostIsTransientAndNamesTheServer) {
  PgConnectionConfig config;
  config.host = "127.0.0.1";
  config.port = 1;  // nothing listens there
  config.database = "db";
  config.username = "u";
  config.password = "top-secret";
  config.ssl_mode = "disable";
  config.connect_timeout_seconds = 2;
  auto conn = PgConnection::Connect(config, "sluice-test");
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.status().failure_type(), FailureType::kTransient);
  EXPECT_NE(conn.status().message().find("127.0.0.1:1/db"), std::string::npos) << conn.status().ToString();
  EXPECT_EQ(conn.status().ToString().find("top-secret"), std::string::npos);
}

}  // namespace
}  // namespace sluice
