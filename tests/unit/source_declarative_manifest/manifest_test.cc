// Unit tests of the manifest pieces: reference and parameter resolution, interpolation,
// request options, the datetime cursor's slices and state, the record selector, and the
// requester + paginator against a scripted transport.

#include <deque>

#include <gtest/gtest.h>

#include "base/text.h"
#include "base/time.h"
#include "connectors/sources/declarative_manifest/datetime_cursor.h"
#include "connectors/sources/declarative_manifest/declarative_stream.h"
#include "connectors/sources/declarative_manifest/dynamic_streams.h"
#include "connectors/sources/declarative_manifest/http_requester.h"
#include "connectors/sources/declarative_manifest/manifest_resolver.h"
#include "connectors/sources/declarative_manifest/paginator.h"
#include "protocol/config_update.h"
#include "template/py_datetime.h"
#include "connectors/sources/declarative_manifest/record_selector.h"
#include "unit/source_declarative_manifest/scripted_transport.h"

namespace sluice {
namespace {

Json J(const char* text) { return Json::parse(text); }

TEST(ManifestResolverTest, RefsMergeSiblingsAndChain) {
  Json m = J(R"j({"definitions": {"base": {"a": 1, "b": {"c": 2}}, "more": {"$ref": "#/definitions/base", "a": 3}},
                 "streams": [{"$ref": "#/definitions/more", "d": 4}], "old": "*ref(definitions.base.b)"})j");
  Result<Json> r = ResolveManifestReferences(m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["streams"][0], J(R"j({"a": 3, "b": {"c": 2}, "d": 4})j"));
  EXPECT_EQ((*r)["old"], J(R"j({"c": 2})j"));
}

TEST(ManifestResolverTest, MissingAndCyclicRefsNameThePath) {
  Result<Json> missing = ResolveManifestReferences(J(R"j({"streams": [{"$ref": "#/definitions/nope"}]})j"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("$.streams[0]['$ref']"), std::string::npos) << missing.status().message();
  EXPECT_NE(missing.status().message().find("does not exist"), std::string::npos);
  Result<Json> cycle = ResolveManifestReferences(J(R"j({"definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
                                                       "streams": [{"$ref": "#/definitions/a"}]})j"));
  ASSERT_FALSE(cycle.ok());
  EXPECT_NE(cycle.status().message().find("cycle"), std::string::npos);
}

TEST(ManifestResolverTest, ParametersFlowDownAndTypesDefault) {
  Json m = J(R"j({"streams": [{"$parameters": {"name": "users", "path": "/u"},
                              "retriever": {"requester": {"url_base": "http://x", "$parameters": {"path": "/own"}},
                                            "record_selector": {"extractor": {"field_path": []}}},
                              "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object", "properties": {}}}}]})j");
  Result<Json> r = ResolveManifest(m);
  ASSERT_TRUE(r.ok());
  const Json& s = (*r)["streams"][0];
  EXPECT_EQ(s["type"], "DeclarativeStream");
  EXPECT_EQ(s["name"], "users");  // a parameter fills the missing field
  EXPECT_EQ(s["retriever"]["type"], "SimpleRetriever");
  EXPECT_EQ(s["retriever"]["requester"]["type"], "HttpRequester");
  EXPECT_EQ(s["retriever"]["requester"]["path"], "/own");  // the component's own parameters win
  EXPECT_EQ(s["retriever"]["requester"]["$parameters"]["name"], "users");
  EXPECT_EQ(s["retriever"]["record_selector"]["extractor"]["type"], "DpathExtractor");
  EXPECT_FALSE(s["schema_loader"]["schema"].contains("name"));  // JSON Schemas are left alone
}

TEST(InterpolationTest, ValuesAreLiteralEvaluatedAndUndefinedFallsBack) {
  Interpolator in(1709618828000000);
  Json config = J(R"j({"n": 5, "s": "abc", "list": ["a", "b"]})j");
  Vars v;
  v.config = &config;
  EXPECT_EQ(*in.Value(Json("{{ config['n'] + 1 }}"), v, "$.x"), Json(6));
  EXPECT_EQ(*in.Value(Json("{{ config['list'] }}"), v, "$.x"), J(R"j(["a", "b"])j"));
  EXPECT_EQ(*in.Value(Json("{{ config['missing'] }}"), v, "$.x", Json("d")), Json("d"));
  EXPECT_EQ(*in.Value(Json("{{ config.missing.deeper }}"), v, "$.x"), Json());
  EXPECT_EQ(*in.Text(Json("v1/{{ config.s }}"), v, "$.x"), "v1/abc");
  EXPECT_FALSE(*in.Condition(Json("{{ config.missing }}"), v, "$.x"));
  EXPECT_TRUE(*in.Condition(Json("{{ config.n > 3 }}"), v, "$.x"));
  EXPECT_FALSE(*in.Condition(Json("{{ 'False' }}"), v, "$.x"));
  Result<Json> bad = in.Value(Json("{{ 'a' - 1 }}"), v, "$.streams[0].path");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("$.streams[0].path"), std::string::npos);
  Json mapping = J(R"j({"limit": "{{ config.n }}", "gone": "{{ config.missing }}", "{{ config.s }}": 1})j");
  EXPECT_EQ(*in.Mapping(mapping, v, "$.p"), J(R"j({"limit": 5, "gone": null, "abc": 1})j"));
}

TEST(RequestOptionsTest, UrlJoinAndInjection) {
  PreparedRequest r;
  r.url_base = "http://h/v1/";
  r.path = "/customers";
  r.SetQuery("limit", "5");
  r.SetQuery("created[gte]", "10");
  EXPECT_EQ(r.Url(), "http://h/v1/customers?limit=5&created%5Bgte%5D=10");
  RequestOption path;
  path.target = RequestOption::Target::kPath;
  path.Apply(Json("http://other/next?page=2"), r);
  EXPECT_EQ(r.UrlForMessages(), "http://other/next?page=2");
  RequestOption body;
  body.target = RequestOption::Target::kBodyJson;
  body.field_path = {"paging", "cursor"};
  body.Apply(Json("c1"), r);
  EXPECT_EQ(r.body_json, J(R"j({"paging": {"cursor": "c1"}})j"));
  EXPECT_EQ(r.Body().second, "application/json");
}

struct Fixture {
  Json config = J(R"j({"start": "2024-01-01T00:00:00Z"})j");
  Interpolator interpolator{1709618828000000};
  BuildContext ctx;
  Fixture() {
    ctx.config = &config;
    ctx.interpolator = &interpolator;
    ctx.sleep = [](double) { return true; };
  }
};

TEST(DatetimeCursorTest, StepsGranularityLookbackAndState) {
  Fixture f;
  Json c = J(R"j({"type": "DatetimeBasedCursor", "cursor_field": "updated", "datetime_format": "%Y-%m-%d",
                 "start_datetime": "{{ config.start }}", "end_datetime": "2024-01-10T00:00:00Z", "step": "P3D",
                 "cursor_granularity": "P1D", "lookback_window": "P1D",
                 "start_time_option": {"inject_into": "request_parameter", "field_name": "from"}})j");
  Result<DatetimeCursor> cursor = DatetimeCursor::Make(ConfigReader(c), f.ctx);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  ASSERT_TRUE(cursor->Begin(Json()).ok());
  std::vector<Json> slices = cursor->Slices();
  ASSERT_EQ(slices.size(), 4u);
  EXPECT_EQ(slices[0], J(R"j({"start_time": "2023-12-31", "end_time": "2024-01-02"})j"));  // lookback from the start
  EXPECT_EQ(slices[3], J(R"j({"start_time": "2024-01-09", "end_time": "2024-01-10"})j"));
  EXPECT_TRUE(cursor->Observe(J(R"j({"updated": "2024-01-05"})j")));
  EXPECT_FALSE(cursor->Observe(J(R"j({"updated": "2024-02-05"})j")));  // past the end: dropped
  EXPECT_EQ(cursor->State(), J(R"j({"updated": "2024-01-05"})j"));
  PreparedRequest r;
  cursor->Apply(slices[1], r);
  EXPECT_EQ(r.query, (HttpParams{{"from", "2024-01-03"}}));
  // Resuming: max(start, state) − lookback.
  ASSERT_TRUE(cursor->Begin(J(R"j({"updated": "2024-01-08"})j")).ok());
  slices = cursor->Slices();
  EXPECT_EQ(slices.front()["start_time"], "2024-01-07");
  EXPECT_EQ(cursor->State(), J(R"j({"updated": "2024-01-08"})j"));
  EXPECT_FALSE(cursor->Begin(J(R"j({"updated": "not a date"})j")).ok());
}

TEST(RecordSelectorTest, WildcardsFilterAndTransformations) {
  Fixture f;
  Json selector = J(R"j({"extractor": {"type": "DpathExtractor", "field_path": ["groups", "*", "{{ 'rows' }}"]},
                        "record_filter": {"condition": "{{ record.keep }}"}})j");
  Json transformations = J(R"j([{"type": "AddFields", "fields": [{"path": ["meta", "doubled"], "value": "{{ record.n * 2 }}"}]},
                               {"type": "RemoveFields", "field_pointers": [["keep"], ["nested", "*", "secret"]]}])j");
  auto s = RecordSelector::Make(ConfigReader(selector), ConfigReader(transformations), f.ctx);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Json body = J(R"j({"groups": {"a": {"rows": [{"n": 1, "keep": true, "nested": {"x": {"secret": 1, "ok": 2}}}, {"n": 2, "keep": false}]},
                               "b": {"rows": [{"n": 3, "keep": true}]}}})j");
  Vars v;
  v.config = f.ctx.config;
  Result<std::vector<Json>> records = (*s)->Extract(body, v);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 3u);
  ASSERT_TRUE((*s)->FilterAndTransform(*records, v).ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0], J(R"j({"n": 1, "nested": {"x": {"ok": 2}}, "meta": {"doubled": 2}})j"));
  EXPECT_EQ((*records)[1], J(R"j({"n": 3, "meta": {"doubled": 6}})j"));
  // A body that is the list itself.
  Json top = J(R"j({"extractor": {"field_path": []}})j");
  const Json none;
  auto s2 = RecordSelector::Make(ConfigReader(top), ConfigReader(none), f.ctx);
  EXPECT_EQ((*s2)->Extract(J(R"j([{"a": 1}, {"a": 2}])j"), v)->size(), 2u);
}

TEST(RecordSelectorTest, UnknownTransformationNamesItsPath) {
  Fixture f;
  Json transformations = J(R"j([{"type": "CustomTransformation", "class_name": "x.Y"}])j");
  const Json empty = Json::object();
  auto s = RecordSelector::Make(ConfigReader(empty), ConfigReader(transformations, "$.streams[0].transformations"), f.ctx);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("$.streams[0].transformations[0].type"), std::string::npos) << s.status().message();
}

using testing::ScriptedTransport;

HttpResponse Reply(long status, std::string body, std::vector<HttpHeader> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(HttpRequesterTest, RetriesWithBackoffThenFailsAsConfigured) {
  Fixture f;
  auto transport = std::make_shared<ScriptedTransport>();
  std::vector<double> waits;
  f.ctx.transport = transport;
  f.ctx.sleep = [&](double s) {
    waits.push_back(s);
    return true;
  };
  Json requester = J(R"j({"type": "HttpRequester", "url_base": "http://api/", "path": "items",
      "authenticator": {"type": "BasicHttpAuthenticator", "username": "u", "password": "p"},
      "request_parameters": {"q": "{{ stream_slice.q }}", "none": "{{ stream_slice.missing }}"},
      "error_handler": {"type": "DefaultErrorHandler", "max_retries": 2,
        "backoff_strategies": [{"type": "ExponentialBackoffStrategy", "factor": 2}],
        "response_filters": [{"action": "IGNORE", "http_codes": [404]},
                             {"action": "RETRY", "error_message_contains": "try later"}]}})j");
  auto q = HttpRequester::Make(ConfigReader(requester), f.ctx);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Json slice = J(R"j({"q": "a b"})j");
  Vars v;
  v.config = f.ctx.config;
  v.stream_slice = &slice;
  Result<PreparedRequest> prepared = (*q)->Prepare(v);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->Url(), "http://api/items?q=a%20b");

  transport->replies = {Reply(429, "{}", {{"retry-after", "3"}}), Reply(200, "busy, try later"), Reply(200, R"j({"ok": 1})j")};
  bool ignored = false;
  Result<HttpResponse> r = (*q)->Send(*prepared, &ignored);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(waits, (std::vector<double>{3, 4}));  // Retry-After beats 2·2⁰; then 2·2¹
  EXPECT_EQ(transport->sent[0].headers[0].value, "Basic " + Base64Encode("u:p"));

  transport->replies = {Reply(404, "{}")};
  r = (*q)->Send(*prepared, &ignored);
  EXPECT_TRUE(r.ok() && ignored);

  transport->replies = {Reply(503, "down"), Reply(503, "down"), Reply(503, "down")};
  r = (*q)->Send(*prepared, &ignored);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kTransient);
  EXPECT_NE(r.status().message().find("after 2 retries"), std::string::npos) << r.status().message();

  transport->replies = {Reply(401, R"j({"error": "bad key"})j")};
  r = (*q)->Send(*prepared, &ignored);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(r.status().message().find("u:p"), std::string::npos);
}

TEST(HttpRequesterTest, OAuthTokenIsFetchedOnceAndRenewedAfter401) {
  Fixture f;
  auto transport = std::make_shared<ScriptedTransport>();
  f.ctx.transport = transport;
  Json requester = J(R"j({"url_base": "http://api", "path": "/x",
      "authenticator": {"type": "OAuthAuthenticator", "token_refresh_endpoint": "http://auth/token",
                        "client_id": "id", "client_secret": "s", "refresh_token": "r0",
                        "refresh_token_updater": {}}})j");
  auto q = HttpRequester::Make(ConfigReader(requester), f.ctx);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Vars v;
  v.config = f.ctx.config;
  PreparedRequest prepared = *(*q)->Prepare(v);
  transport->replies = {Reply(200, R"j({"access_token": "t1", "expires_in": 3600, "refresh_token": "r1"})j"), Reply(200, "{}"),
                        Reply(200, "{}"), Reply(401, "{}"), Reply(200, R"j({"access_token": "t2", "expires_in": 3600})j"),
                        Reply(200, "{}")};
  bool ignored;
  ASSERT_TRUE((*q)->Send(prepared, &ignored).ok());
  ASSERT_TRUE((*q)->Send(prepared, &ignored).ok());
  ASSERT_TRUE((*q)->Send(prepared, &ignored).ok());
  ASSERT_EQ(transport->sent.size(), 6u);
  EXPECT_EQ(transport->sent[0].url, "http://auth/token");
  EXPECT_NE(transport->bodies[0].find("refresh_token=r0"), std::string::npos);
  EXPECT_EQ(transport->sent[2].headers.back().value, "Bearer t1");  // kept, not fetched again
  EXPECT_NE(transport->bodies[4].find("refresh_token=r1"), std::string::npos);  // the rotated one
  EXPECT_EQ(transport->sent[5].headers.back().value, "Bearer t2");
}

TEST(HttpRequesterTest, OAuthRefreshTokenUpdaterWritesTheConfigPaths) {
  Fixture f;
  // The current tokens sit at the updater's config paths (a run after a rotation).
  f.config = J(R"j({"oauth": {"rt": "r-saved", "at": "a-saved", "exp": "2000-01-01T00:00:00+00:00"}})j");
  auto transport = std::make_shared<ScriptedTransport>();
  f.ctx.transport = transport;
  std::vector<ConfigValues> updates;
  f.ctx.update_config = [&](const ConfigValues& values) {
    updates.push_back(values);
    return Status::Ok();
  };
  Json requester = J(R"j({"url_base": "http://api", "path": "/x",
      "authenticator": {"type": "OAuthAuthenticator", "token_refresh_endpoint": "http://auth/token",
                        "client_id": "id", "client_secret": "s", "refresh_token": "r-manifest",
                        "refresh_token_updater": {"refresh_token_name": "new_rt",
                            "refresh_token_config_path": ["oauth", "rt"], "access_token_config_path": ["oauth", "at"],
                            "token_expiry_date_config_path": ["oauth", "exp"],
                            "refresh_token_error_status_codes": [400], "refresh_token_error_key": "error",
                            "refresh_token_error_values": ["invalid_grant"]}}})j");
  auto q = HttpRequester::Make(ConfigReader(requester), f.ctx);
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  Vars v;
  v.config = f.ctx.config;
  PreparedRequest prepared = *(*q)->Prepare(v);
  transport->replies = {Reply(200, R"j({"access_token": "a1", "expires_in": 7200, "new_rt": "r1"})j"), Reply(200, "{}")};
  bool ignored;
  ASSERT_TRUE((*q)->Send(prepared, &ignored).ok());
  // The saved access token had expired: refreshed with the saved refresh token, not the manifest's.
  EXPECT_NE(transport->bodies[0].find("refresh_token=r-saved"), std::string::npos) << transport->bodies[0];
  ASSERT_EQ(updates.size(), 1u);
  Json written = Json::object();
  for (const auto& [path, value] : updates[0]) SetConfigPath(written, path, value);
  EXPECT_EQ(written["oauth"]["rt"], "r1");
  EXPECT_EQ(written["oauth"]["at"], "a1");
  const std::string exp = written["oauth"]["exp"].get<std::string>();
  auto at = ParseAnyDatetime(exp);
  ASSERT_TRUE(at.has_value()) << exp;
  EXPECT_NEAR(static_cast<double>(*at - NowMicros()) / 1e6, 7200, 5);

  // A saved access token still valid is used without a refresh.
  Fixture g;
  g.config = J(R"j({"credentials": {"refresh_token": "r9", "access_token": "a9",
                                    "token_expiry_date": "2999-01-01T00:00:00+00:00"}})j");
  auto t2 = std::make_shared<ScriptedTransport>();
  g.ctx.transport = t2;
  Json r2 = J(R"j({"url_base": "http://api", "path": "/x",
      "authenticator": {"type": "OAuthAuthenticator", "token_refresh_endpoint": "http://auth/token",
                        "client_id": "id", "client_secret": "s", "refresh_token": "{{ config.credentials.refresh_token }}",
                        "refresh_token_updater": {}}})j");
  auto q2 = HttpRequester::Make(ConfigReader(r2), g.ctx);
  ASSERT_TRUE(q2.ok()) << q2.status().ToString();
  Vars v2;
  v2.config = g.ctx.config;
  t2->replies = {Reply(200, "{}")};
  ASSERT_TRUE((*q2)->Send(*(*q2)->Prepare(v2), &ignored).ok());
  ASSERT_EQ(t2->sent.size(), 1u);
  EXPECT_EQ(t2->sent[0].headers.back().value, "Bearer a9");

  // A void refresh token (the configured error): a config error at once, not retried.
  Fixture h;  // a new run: authenticators are shared within one only
  h.config = J(R"j({"oauth": {"rt": "r-used"}})j");
  h.ctx.transport = transport;
  auto q3 = HttpRequester::Make(ConfigReader(requester), h.ctx);
  ASSERT_TRUE(q3.ok());
  transport->sent.clear();
  transport->replies = {Reply(400, R"j({"error": "invalid_grant"})j")};
  auto r = (*q3)->Send(prepared, &ignored);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(r.status().message().find("refused the refresh token"), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("r-used"), std::string::npos);
  EXPECT_EQ(transport->sent.size(), 1u);
}

TEST(DynamicStreamsTest, SetMappedValueOnlyWhereThePathExistsUnlessCreating) {
  Json t = J(R"j({"name": "", "retriever": {"requester": {"path": "/x"}}, "list": [{"k": 1}, {"k": 2}]})j");
  EXPECT_EQ(SetMappedValue(t, {"retriever", "requester", "path"}, "/y", false), 1u);
  EXPECT_EQ(SetMappedValue(t, {"retriever", "requester", "missing"}, "v", false), 0u);
  EXPECT_FALSE(t["retriever"]["requester"].contains("missing"));
  EXPECT_EQ(SetMappedValue(t, {"retriever", "requester", "created", "deep"}, "v", true), 1u);
  EXPECT_EQ(t["retriever"]["requester"]["created"]["deep"], "v");
  EXPECT_EQ(SetMappedValue(t, {"list", "*", "k"}, 9, false), 2u);
  EXPECT_EQ(t["list"], J(R"j([{"k": 9}, {"k": 9}])j"));
  EXPECT_EQ(SetMappedValue(t, {"list", "1", "k"}, 3, false), 1u);
  EXPECT_EQ(t["list"][1]["k"], 3);
}

TEST(DynamicStreamsTest, HttpComponentsResolverMakesOneStreamPerRecord) {
  Fixture f;
  auto transport = std::make_shared<ScriptedTransport>();
  f.ctx.transport = transport;
  const Json manifest = J(R"j({
    "definitions": {"requester": {"type": "HttpRequester", "url_base": "http://api", "path": "/tables"}},
    "dynamic_streams": [{
      "type": "DynamicDeclarativeStream", "name": "tables", "$parameters": {"owner": "dyn"},
      "components_resolver": {
        "type": "HttpComponentsResolver",
        "retriever": {"requester": {"$ref": "#/definitions/requester"},
                      "record_selector": {"extractor": {"field_path": ["tables"]}}},
        "components_mapping": [
          {"type": "ComponentMappingDefinition", "field_path": ["name"], "value": "{{ components_values.name }}"},
          {"type": "ComponentMappingDefinition", "field_path": ["retriever", "requester", "path"],
           "value": "/t/{{ components_values.id }}"},
          {"type": "ComponentMappingDefinition", "field_path": ["$parameters", "{{ 'year' }}"],
           "value": "{{ config.start[:4] }}", "value_type": "integer"},
          {"type": "ComponentMappingDefinition", "field_path": ["not_in_template"], "value": "x"},
          {"type": "ComponentMappingDefinition", "field_path": ["primary_key"], "value": "{{ ['id'] }}",
           "create_or_update": true}]},
      "stream_template": {
        "type": "DeclarativeStream", "name": "", "$parameters": {"year": 0},
        "retriever": {"requester": {"$ref": "#/definitions/requester"}},
        "schema_loader": {"type": "InlineSchemaLoader", "schema": {"type": "object"}}}}]})j");
  Result<Json> templates = ResolveManifestReferences(manifest);
  ASSERT_TRUE(templates.ok()) << templates.status().ToString();
  const Json resolved = PropagateManifestParameters(*templates);
  transport->replies = {Reply(200, R"j({"tables": [{"name": "orders", "id": 7}, {"name": "users", "id": 8}]})j")};
  auto made = ResolveDynamicStreams((*templates)["dynamic_streams"], resolved["dynamic_streams"], f.ctx);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  ASSERT_EQ(made->size(), 2u);
  ASSERT_EQ(transport->sent.size(), 1u);
  EXPECT_EQ(transport->sent[0].url, "http://api/tables");
  const Json& orders = *(*made)[0];
  EXPECT_EQ(orders["name"], "orders");
  EXPECT_EQ(orders["type"], "DeclarativeStream");
  EXPECT_EQ(orders["retriever"]["type"], "SimpleRetriever");
  EXPECT_EQ(orders["retriever"]["requester"]["path"], "/t/7");
  EXPECT_EQ(orders["retriever"]["requester"]["$parameters"]["year"], 2024);  // mapped, then propagated
  EXPECT_EQ(orders["$parameters"]["owner"], "dyn");                             // the dynamic stream's own
  EXPECT_FALSE(orders.contains("not_in_template"));                            // create_or_update false
  EXPECT_EQ(orders["primary_key"], J(R"j(["id"])j"));                          // create_or_update true
  EXPECT_EQ((*(*made)[1])["retriever"]["requester"]["path"], "/t/8");
  // The made stream builds and reads.
  auto stream = DeclarativeStream::Make(ConfigReader(orders), f.ctx);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  EXPECT_EQ((*stream)->name(), "orders");

  // An unsupported resolver names its path.
  Json other = *templates;
  other["dynamic_streams"][0]["components_resolver"]["type"] = "ConfigComponentsResolver";
  auto bad = ResolveDynamicStreams(other["dynamic_streams"], PropagateManifestParameters(other)["dynamic_streams"], f.ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("$.dynamic_streams[0].components_resolver.type"), std::string::npos)
      << bad.status().message();
}

TEST(DynamicStreamsTest, DynamicSchemaLoaderMapsTheApisTypes) {
  Fixture f;
  auto transport = std::make_shared<ScriptedTransport>();
  f.ctx.transport = transport;
  const Json loader = PropagateManifestParameters(J(R"j({"streams": [{"name": "s", "retriever": {"requester": {"url_base": "http://api", "path": "/x"}},
    "schema_loader": {"type": "DynamicSchemaLoader",
      "retriever": {"requester": {"url_base": "http://api", "path": "/describe"},
                    "record_selector": {"extractor": {"field_path": []}}},
      "schema_type_identifier": {"schema_pointer": ["data", "columns"], "key_pointer": ["n"], "type_pointer": ["t"],
        "types_mapping": [
          {"current_type": "int", "target_type": "integer"},
          {"current_type": "dt", "target_type": "timestamp_with_timezone"},
          {"current_type": "bool", "target_type": "boolean", "condition": "{{ raw_schema.nullable }}"},
          {"current_type": "bool", "target_type": "string"},
          {"current_type": "mixed", "target_type": ["string", "integer"]}]}}}]})j"))["streams"][0]["schema_loader"];
  transport->replies = {Reply(200, R"j({"data": {"columns": [{"n": "id", "t": "int"}, {"n": "at", "t": "dt"},
      {"n": "flag", "t": "bool", "nullable": true}, {"n": "flag2", "t": "bool"}, {"n": "either", "t": "mixed"},
      {"n": "plain"}]}})j")};
  auto schema = DynamicSchema(ConfigReader(loader, "$.schema_loader"), f.ctx);
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  const Json& p = (*schema)["properties"];
  EXPECT_EQ(p["id"], J(R"j({"type": ["null", "integer"]})j"));
  EXPECT_EQ(p["at"]["format"], "date-time");
  EXPECT_EQ(p["flag"], J(R"j({"type": ["null", "boolean"]})j"));
  EXPECT_EQ(p["flag2"], J(R"j({"type": ["null", "string"]})j"));  // the condition was false
  EXPECT_EQ(p["either"], J(R"j({"oneOf": [{"type": ["null", "string"]}, {"type": ["null", "integer"]}]})j"));
  EXPECT_EQ(p["plain"], J(R"j({"type": ["null", "string"]})j"));  // no type: string
  EXPECT_EQ(transport->sent[0].url, "http://api/describe");
  // A type nothing maps to Airbyte's is a config error naming the property.
  transport->replies = {Reply(200, R"j({"data": {"columns": [{"n": "where", "t": "geo"}]}})j")};
  auto bad = DynamicSchema(ConfigReader(loader, "$.schema_loader"), f.ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(bad.status().message().find("'where'"), std::string::npos) << bad.status().message();
}

TEST(PaginatorTest, CursorOffsetAndPage) {
  Fixture f;
  Vars v;
  v.config = f.ctx.config;
  HttpResponse response = Reply(200, "{}", {{"link", "<http://api/x?page=2>; rel=\"next\""}});
  Json body = J(R"j({"has_more": true, "next": "abc"})j");
  Json last = J(R"j({"id": "cus_9"})j");
  PageInfo page{&response, &body, &last, 3, &v};

  // Components borrow their manifest JSON: it must outlive them.
  const Json cursor_json = J(R"j({"type": "DefaultPaginator",
      "pagination_strategy": {"type": "CursorPagination", "cursor_value": "{{ headers.link.next.url }}",
                              "stop_condition": "{{ not response.has_more }}", "page_size": 3},
      "page_token_option": {"type": "RequestPath"},
      "page_size_option": {"inject_into": "request_parameter", "field_name": "limit"}})j");
  auto cursor = MakePaginator(ConfigReader(cursor_json), f.ctx);
  ASSERT_TRUE(cursor.ok()) << cursor.status().ToString();
  auto next = (*cursor)->Next(page);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_TRUE(next->has_value());
  PreparedRequest r;
  r.url_base = "http://api";
  (*cursor)->Apply(r);
  EXPECT_EQ(r.Url(), "http://api/x?page=2&limit=3");
  body["has_more"] = false;
  EXPECT_FALSE((*cursor)->Next(page)->has_value());

  const Json offset_json = J(R"j({"type": "DefaultPaginator",
      "pagination_strategy": {"type": "OffsetIncrement", "page_size": 3},
      "page_token_option": {"inject_into": "request_parameter", "field_name": "offset"}})j");
  auto offset = MakePaginator(ConfigReader(offset_json), f.ctx);
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(**(*offset)->Next(page), Json(3));
  EXPECT_EQ(**(*offset)->Next(page), Json(6));
  page.records = 2;
  EXPECT_FALSE((*offset)->Next(page)->has_value());

  const Json pages_json = J(R"j({"type": "DefaultPaginator",
      "pagination_strategy": {"type": "PageIncrement", "page_size": 3, "start_from_page": 0, "inject_on_first_request": true},
      "page_token_option": {"inject_into": "request_parameter", "field_name": "p"}})j");
  auto pages = MakePaginator(ConfigReader(pages_json), f.ctx);
  ASSERT_TRUE(pages.ok());
  EXPECT_EQ((*pages)->token(), Json(0));
  page.records = 3;
  EXPECT_EQ(**(*pages)->Next(page), Json(1));

  const Json custom_json = J(R"j({"type": "DefaultPaginator", "pagination_strategy": {"type": "CustomPaginationStrategy"}})j");
  auto custom = MakePaginator(ConfigReader(custom_json, "$.streams[2].retriever.paginator"), f.ctx);
  ASSERT_FALSE(custom.ok());
  EXPECT_NE(custom.status().message().find("$.streams[2].retriever.paginator.pagination_strategy.type"), std::string::npos)
      << custom.status().message();
}

}  // namespace
}  // namespace sluice
