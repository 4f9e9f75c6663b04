// Unit tests of the manifests source-google-sheets makes from its config.

#include <gtest/gtest.h>

#include "connectors/kit/schema_inference.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "connectors/sources/google_sheets/google_sheets_manifest.h"

namespace sluice {
namespace {

Json Config() {
  return {{"spreadsheet_id", "https://docs.google.com/spreadsheets/d/1Bxi-M_v0/edit#gid=0"},
          {"credentials", {{"auth_type", "Client"}, {"client_id", "id"}, {"client_secret", "s"}, {"refresh_token", "r"}}}};
}

TEST(GoogleSheetsManifestTest, SpreadsheetIdAndRanges) {
  EXPECT_EQ(SpreadsheetIdOf("https://docs.google.com/spreadsheets/d/1Bxi-M_v0/edit#gid=0"), "1Bxi-M_v0");
  EXPECT_EQ(SpreadsheetIdOf("1Bxi-M_v0"), "1Bxi-M_v0");
  EXPECT_EQ(SheetRangePath("Class Data"), "%27Class%20Data%27");
  EXPECT_EQ(SheetRangePath("Bob's"), "%27Bob%27%27s%27");  // A1 notation doubles a quote
}

TEST(GoogleSheetsManifestTest, OneStreamPerSheetWithHeaderRows) {
  auto m = SheetsManifest(Config(), {"Class Data", "Summary"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Json& streams = (*m)[kInjectedManifestKey]["streams"];
  ASSERT_EQ(streams.size(), 2u);
  EXPECT_EQ(streams[0]["name"], "Class Data");
  const Json& retriever = streams[0]["retriever"];
  EXPECT_EQ(retriever["requester"]["path"], "/v4/spreadsheets/1Bxi-M_v0/values/%27Class%20Data%27");
  EXPECT_EQ(retriever["requester"]["authenticator"]["type"], "OAuthAuthenticator");
  EXPECT_EQ(retriever["record_selector"]["extractor"]["type"], "HeaderRowsExtractor");
  EXPECT_EQ((*m)["spreadsheet_id"], Config()["spreadsheet_id"]);  // the values stay beside the manifest
  EXPECT_EQ((*m)[kInjectedManifestKey].dump().find("\"refresh_token\":\"r\""), std::string::npos);
}

TEST(GoogleSheetsManifestTest, ListingAsksForHeaderRows) {
  auto m = ListingManifest(Config(), {"A", "it's \"q\""});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Json& headers = (*m)[kInjectedManifestKey]["streams"][1];
  EXPECT_EQ(headers["name"], "headers");
  EXPECT_EQ(headers["retriever"]["requester"]["request_parameters"]["ranges"], R"(["'A'!1:1", "'it''s \"q\"'!1:1"])");
}

TEST(GoogleSheetsManifestTest, ServiceAccountsSignAJwt) {
  Json c = Config();
  c["credentials"] = {{"auth_type", "Service"}, {"service_account_info", "{}"}};
  auto bad = SheetsManifest(c, {"A"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(bad.status().message().find("$.credentials.service_account_info"), std::string::npos);
  c["credentials"]["service_account_info"] =
      R"({"type": "service_account", "client_email": "r@p.iam.gserviceaccount.com", "private_key": "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n", "private_key_id": "k1"})";
  auto m = SheetsManifest(c, {"A"});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Json& auth = (*m)[kInjectedManifestKey]["streams"][0]["retriever"]["requester"]["authenticator"];
  EXPECT_EQ(auth["type"], "JwtAuthenticator");
  EXPECT_EQ(auth["algorithm"], "RS256");
  EXPECT_EQ(auth["jwt_payload"]["aud"], "https://sheets.googleapis.com/");
  EXPECT_EQ((*m)["__service_account"]["client_email"], "r@p.iam.gserviceaccount.com");
  EXPECT_EQ((*m)[kInjectedManifestKey].dump().find("PRIVATE KEY"), std::string::npos);  // read by template
}

TEST(GoogleSheetsManifestTest, HeaderFieldNames) {
  EXPECT_EQ(HeaderFieldNames({"Name", "", "Name", "Order ID", "2nd"}, false),
            (std::vector<std::string>{"Name", "", "Name_2", "Order ID", "2nd"}));
  EXPECT_EQ(HeaderFieldNames({"Order ID", "Home  State!", "2nd", "order id"}, true),
            (std::vector<std::string>{"order_id", "home_state", "_2nd", "order_id_2"}));
}

}  // namespace
}  // namespace sluice
