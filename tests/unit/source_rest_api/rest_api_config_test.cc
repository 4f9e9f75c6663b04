// Unit tests of source-rest-api's config: key spelling and labels normalized, the spec spelled
// as the config writes it (validation and secret masking), and the manifest it becomes.

#include <gtest/gtest.h>

#include "connectors/sources/rest_api/rest_api_config.h"
#include "protocol/config_validator.h"

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

//! The seed's "REST API" configuration (airbyte-integration-guide, "REST API-bron"), as YAML
//! parses it, with a token and a start date.
Json SeedConfig() {
  return J(R"j({"Name": "External API", "URL Base": "https://api.example.com/v1",
                "Authentication": {"Type": "Bearer Token", "Token": "tok-123"},
                "Endpoints": [{"name": "customers", "path": "/customers", "http_method": "GET"},
                              {"name": "orders", "path": "/orders", "http_method": "GET",
                               "params": {"start_date": "{{ config['start_date'] }}"}}],
                "Start Date": "2024-01-01", "Account ID": "acc-1"})j");
}

TEST(RestApiConfigTest, KeySpelling) {
  EXPECT_EQ(NormalizeKeySpelling("URL Base"), "url_base");
  EXPECT_EQ(NormalizeKeySpelling("HTTP  Method"), "http_method");
  EXPECT_EQ(NormalizeKeySpelling("record-path"), "record_path");
  EXPECT_EQ(NormalizeKeySpelling("url_base"), "url_base");
  EXPECT_EQ(NormalizeKeySpelling(" Primary Key "), "primary_key");
}

TEST(RestApiConfigTest, SeedConfigNormalizes) {
  const Json n = NormalizeRestApiConfig(SeedConfig());
  EXPECT_EQ(n["url_base"], "https://api.example.com/v1");
  EXPECT_EQ(n["name"], "External API");
  EXPECT_EQ(n["authentication"], J(R"j({"type": "bearer", "token": "tok-123"})j"));
  EXPECT_EQ(n["endpoints"][1]["params"], J(R"j({"start_date": "{{ config['start_date'] }}"})j"));
  EXPECT_EQ(n["start_date"], "2024-01-01");
  EXPECT_FALSE(n.contains("Start Date"));
  // A free key stays as written and is also visible under its normalized spelling.
  EXPECT_EQ(n["Account ID"], "acc-1");
  EXPECT_EQ(n["account_id"], "acc-1");
  // Keys of params / headers are the API's: never renamed.
  const Json h = NormalizeRestApiConfig(J(R"j({"url_base": "u", "endpoints": [{"Name": "a", "Path": "/a",
      "Headers": {"X-Api-Version": "2"}, "Pagination": {"Type": "Page Number", "Page Size": 50}}]})j"));
  EXPECT_EQ(h["endpoints"][0]["headers"], J(R"j({"X-Api-Version": "2"})j"));
  EXPECT_EQ(h["endpoints"][0]["pagination"], J(R"j({"type": "page", "page_size": 50})j"));
}

TEST(RestApiConfigTest, AuthLabels) {
  for (const auto& [label, type] : std::vector<std::pair<std::string, std::string>>{
           {"Bearer Token", "bearer"}, {"bearer", "bearer"}, {"API Key", "api_key"}, {"api-key", "api_key"},
           {"Basic Auth", "basic"}, {"Basic HTTP", "basic"}, {"No Auth", "none"}, {"None", "none"}}) {
    Json c = {{"url_base", "u"}, {"authentication", {{"type", label}}}};
    EXPECT_EQ(NormalizeRestApiConfig(c)["authentication"]["type"], type) << label;
  }
  // An unknown label is left for validation to name.
  Json c = {{"url_base", "u"}, {"authentication", {{"type", "Kerberos"}}}, {"endpoints", J(R"j([{"name": "a", "path": "/"}])j")}};
  auto prepared = PrepareConfig(RestApiSpec(), NormalizeRestApiConfig(c), "config");
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.status().message().find("$.authentication.type"), std::string::npos) << prepared.status().message();
}

TEST(RestApiConfigTest, SpecSpelledAsTheConfigValidatesAndMasksIt) {
  const Json spelled = SpellSpecLike(RestApiSpec(), SeedConfig());
  EXPECT_TRUE(ValidateConfig(spelled, ApplyDefaults(spelled, SeedConfig())).empty());
  // The canonical spec rejects the seed's spelling: the spelled one is what makes it valid.
  EXPECT_FALSE(ValidateConfig(RestApiSpec(), SeedConfig()).empty());
  const Json masked = MaskSecrets(spelled, SeedConfig());
  EXPECT_EQ(masked["Authentication"]["Token"], "**********");
  EXPECT_EQ(masked["URL Base"], "https://api.example.com/v1");
  // A typo in an endpoint is still an error (endpoints reject unknown keys).
  Json typo = SeedConfig();
  typo["Endpoints"][0]["pagnation"] = Json::object();
  const Json spelled_typo = SpellSpecLike(RestApiSpec(), typo);
  EXPECT_FALSE(ValidateConfig(spelled_typo, typo).empty());
}

Result<Json> ManifestOf(const Json& config) {
  SLUICE_ASSIGN_OR_RETURN(Json prepared, PrepareConfig(RestApiSpec(), NormalizeRestApiConfig(config), "config"));
  return RestApiManifest(prepared);
}

TEST(RestApiConfigTest, SeedConfigBecomesAManifest) {
  auto m = ManifestOf(SeedConfig());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ((*m)["streams"].size(), 2u);
  const Json& orders = (*m)["streams"][1];
  EXPECT_EQ(orders["name"], "orders");
  const Json& requester = orders["retriever"]["requester"];
  EXPECT_EQ(requester["url_base"], "https://api.example.com/v1");
  EXPECT_EQ(requester["path"], "/orders");
  EXPECT_EQ(requester["http_method"], "GET");
  EXPECT_EQ(requester["request_parameters"], J(R"j({"start_date": "{{ config['start_date'] }}"})j"));
  // The secret is read from the config by a template, never copied into the manifest.
  EXPECT_EQ(requester["authenticator"], J(R"j({"type": "BearerAuthenticator", "api_token": "{{ config['authentication']['token'] }}"})j"));
  EXPECT_EQ(m->dump().find("tok-123"), std::string::npos);
  EXPECT_EQ(orders["retriever"]["paginator"]["type"], "NoPagination");
  EXPECT_EQ(orders["retriever"]["record_selector"]["extractor"]["field_path"], Json::array());
  EXPECT_EQ(orders["schema_loader"]["type"], "InferredSchemaLoader");
  EXPECT_EQ((*m)["check"]["stream_names"], J(R"j(["customers"])j"));
}

TEST(RestApiConfigTest, PaginationsAuthAndIncremental) {
  Json c = J(R"j({"url_base": "http://h", "start_date": "2024-01-01T00:00:00Z",
    "authentication": {"type": "api_key", "api_key": "k", "inject_into": "query", "header": "key"},
    "endpoints": [
      {"name": "a", "path": "/a", "record_path": "data/items", "primary_key": "id",
       "pagination": {"type": "cursor", "cursor_path": "meta/next", "cursor_param": "after", "page_size": 20, "size_param": "limit"}},
      {"name": "b", "path": "/b", "pagination": {"type": "cursor", "last_record_field": "id", "has_more_path": "has_more", "cursor_param": "starting_after"},
       "cursor_field": "created", "incremental": {"datetime_format": "%s", "start_param": "created[gte]", "step": "P30D"}},
      {"name": "c", "path": "/c", "pagination": {"type": "offset", "page_size": 10}, "primary_key": ["k1", "k2"]},
      {"name": "d", "path": "/d", "pagination": {"type": "page", "page_size": 5, "size_param": "n"}},
      {"name": "e", "path": "/e", "pagination": {"type": "cursor", "next_url_path": "links/next"}, "schema": {"type": "object"}}]})j");
  auto m = ManifestOf(c);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const Json& s = (*m)["streams"];
  EXPECT_EQ(s[0]["retriever"]["requester"]["authenticator"]["inject_into"],
            J(R"j({"type": "RequestOption", "inject_into": "request_parameter", "field_name": "key"})j"));
  EXPECT_EQ(s[0]["retriever"]["record_selector"]["extractor"]["field_path"], J(R"j(["data", "items"])j"));
  EXPECT_EQ(s[0]["primary_key"], J(R"j(["id"])j"));
  const Json& pa = s[0]["retriever"]["paginator"];
  EXPECT_EQ(pa["pagination_strategy"]["cursor_value"], "{{ response.get('meta', {}).get('next') }}");
  EXPECT_EQ(pa["page_token_option"]["field_name"], "after");
  EXPECT_EQ(pa["page_size_option"]["field_name"], "limit");
  EXPECT_EQ(pa["pagination_strategy"]["page_size"], 20);
  const Json& pb = s[1]["retriever"]["paginator"]["pagination_strategy"];
  EXPECT_EQ(pb["cursor_value"], "{{ last_record.get('id') }}");
  EXPECT_EQ(pb["stop_condition"], "{{ not response.get('has_more') }}");
  const Json& cursor = s[1]["incremental_sync"];
  EXPECT_EQ(cursor["type"], "DatetimeBasedCursor");
  EXPECT_EQ(cursor["cursor_field"], "created");
  EXPECT_EQ(cursor["datetime_format"], "%s");
  EXPECT_EQ(cursor["start_datetime"]["datetime"], "{{ config['start_date'] }}");
  EXPECT_EQ(cursor["start_time_option"]["field_name"], "created[gte]");
  EXPECT_EQ(cursor["step"], "P30D");
  EXPECT_EQ(cursor["cursor_granularity"], "PT1S");
  EXPECT_EQ(s[2]["retriever"]["paginator"]["pagination_strategy"], J(R"j({"type": "OffsetIncrement", "page_size": 10})j"));
  EXPECT_EQ(s[2]["retriever"]["paginator"]["page_token_option"]["field_name"], "offset");
  EXPECT_EQ(s[2]["primary_key"], J(R"j(["k1", "k2"])j"));
  EXPECT_EQ(s[3]["retriever"]["paginator"]["pagination_strategy"]["type"], "PageIncrement");
  EXPECT_EQ(s[3]["retriever"]["paginator"]["page_size_option"]["field_name"], "n");
  EXPECT_EQ(s[4]["retriever"]["paginator"]["page_token_option"], J(R"j({"type": "RequestPath"})j"));
  EXPECT_EQ(s[4]["schema_loader"], J(R"j({"type": "InlineSchemaLoader", "schema": {"type": "object"}})j"));
}

TEST(RestApiConfigTest, RequestsPerSecondBecomesTheApiBudget) {
  auto none = ManifestOf(J(R"j({"url_base": "u", "endpoints": [{"name": "a", "path": "/a"}]})j"));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->contains("api_budget"));
  auto four = ManifestOf(J(R"j({"url_base": "u", "requests_per_second": 4, "endpoints": [{"name": "a", "path": "/a"}]})j"));
  ASSERT_TRUE(four.ok());
  EXPECT_EQ((*four)["api_budget"]["policies"][0]["rates"], J(R"j([{"limit": 4, "interval": "PT1S"}])j"));
  auto half = ManifestOf(J(R"j({"url_base": "u", "requests_per_second": 0.5, "endpoints": [{"name": "a", "path": "/a"}]})j"));
  ASSERT_TRUE(half.ok());
  EXPECT_EQ((*half)["api_budget"]["policies"][0]["rates"], J(R"j([{"limit": 1, "interval": "PT2.000000S"}])j"));
}

TEST(RestApiConfigTest, ErrorsNameTheConfigPath) {
  auto no_cursor_source = ManifestOf(J(R"j({"url_base": "u", "endpoints": [{"name": "a", "path": "/a"},
      {"name": "b", "path": "/b", "pagination": {"type": "cursor"}}]})j"));
  ASSERT_FALSE(no_cursor_source.ok());
  EXPECT_NE(no_cursor_source.status().message().find("$.endpoints[1].pagination"), std::string::npos)
      << no_cursor_source.status().message();
  auto no_start = ManifestOf(J(R"j({"url_base": "u", "endpoints": [{"name": "a", "path": "/a", "cursor_field": "t"}]})j"));
  ASSERT_FALSE(no_start.ok());
  EXPECT_NE(no_start.status().message().find("$.endpoints[0].incremental.start_date"), std::string::npos)
      << no_start.status().message();
  auto bearer = ManifestOf(J(R"j({"url_base": "u", "authentication": {"type": "bearer"}, "endpoints": [{"name": "a", "path": "/a"}]})j"));
  ASSERT_FALSE(bearer.ok());
  EXPECT_NE(bearer.status().message().find("$.authentication.token"), std::string::npos) << bearer.status().message();
  auto twice = ManifestOf(J(R"j({"url_base": "u", "endpoints": [{"name": "a", "path": "/a"}, {"name": "a", "path": "/b"}]})j"));
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("$.endpoints[1].name"), std::string::npos) << twice.status().message();
}

}  // namespace
}  // namespace sluice
