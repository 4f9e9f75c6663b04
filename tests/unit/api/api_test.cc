// The API without a network: route table, OpenAPI document, dispatch (auth, errors) and the
// request helpers. The e2e tests (tests/e2e/test_api.py, test_auth.py) cover it over HTTP.

#include "api/api.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "api_fixture.h"
#include "api/api_server.h"
#include "api/authenticator.h"
#include "api/connector_catalog.h"
#include "api/request_fields.h"
#include "scheduler/clock.h"

namespace sluice {

// No built-in connectors are linked into this test binary: the definitions list is empty.

namespace {

class ApiTest : public testing_api::ApiFixture {};

TEST_F(ApiTest, OpenApiDocumentsEveryRouteWithItsFields) {
  Api api(context_, ApiOptions{.no_auth = true});
  const Json& doc = api.openapi();
  ASSERT_TRUE(doc.contains("paths"));
  std::set<std::string> paths;
  std::set<std::pair<std::string, std::string>> operations;
  std::set<std::string> operation_ids;
  for (const auto& route : api.routes()) {
    std::string method = route.methods.front();
    EXPECT_TRUE(operations.insert({route.path, method}).second) << "duplicate route " << method << " " << route.path;
    paths.insert(route.path);
    ASSERT_TRUE(doc["paths"].contains(route.path)) << route.path;
    std::transform(method.begin(), method.end(), method.begin(), [](unsigned char c) { return std::tolower(c); });
    ASSERT_TRUE(doc["paths"][route.path].contains(method)) << method << " " << route.path;
    const Json& op = doc["paths"][route.path][method];
    EXPECT_FALSE(op["summary"].get<std::string>().empty()) << route.path;
    EXPECT_TRUE(op.contains("x-sluice-permission")) << route.path;
    EXPECT_TRUE(operation_ids.insert(op["operationId"].get<std::string>()).second) << op["operationId"];
    for (const auto& field : route.fields) {
      if (method == "post" || method == "patch" || method == "put") {
        EXPECT_TRUE(op["requestBody"]["content"]["application/json"]["schema"]["properties"].contains(field.name))
            << route.path << " " << field.name;
      } else if (method == "get") {
        bool found = false;
        for (const auto& p : op["parameters"]) found = found || p["name"] == field.name;
        EXPECT_TRUE(found) << route.path << " " << field.name;
      }
    }
    if (route.path.find('{') != std::string::npos) {
      EXPECT_EQ(op["parameters"][0]["in"], "path") << route.path;
    }
  }
  EXPECT_EQ(doc["paths"].size(), paths.size());
  for (const char* p : {"/api/v1/connections/create", "/api/v1/jobs/get", "/api/v1/health", "/metrics",
                        "/api/v1/auth/login", "/api/v1/state/get", "/api/v1/jobs/logs/download",
                        "/api/public/v1/sources", "/api/public/v1/sources/{sourceId}", "/api/public/v1/jobs/{jobId}",
                        "/api/public/v1/streams", "/api/public/v1/workspaces/{workspaceId}"}) {
    EXPECT_TRUE(paths.count(p)) << p;
  }
  const Json& sources = doc["paths"]["/api/public/v1/sources/{sourceId}"];
  for (const char* m : {"get", "patch", "put", "delete"}) EXPECT_TRUE(sources.contains(m)) << m;
  EXPECT_EQ(sources["get"]["operationId"], "getSource");
  EXPECT_EQ(sources["get"]["x-sluice-permission"], "read_configs");
  EXPECT_EQ(sources["delete"]["x-sluice-permission"], "edit_configs");
  EXPECT_EQ(doc["paths"]["/api/public/v1/jobs"]["post"]["x-sluice-permission"], "run_syncs");
}

TEST_F(ApiTest, PublicApiDispatch) {
  Api api(context_, ApiOptions{.no_auth = true});
  // Unknown paths under the public API answer problem+json.
  auto r = Call(api, "/api/public/v1/nope", "", "GET");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(Json::parse(r.body)["title"], "resource-not-found");
  // A path parameter is matched and reaches the handler (here: an unknown source).
  r = Call(api, "/api/public/v1/sources/abc", "", "GET");
  EXPECT_EQ(r.status, 404);
  Json problem = Json::parse(r.body);
  EXPECT_EQ(problem["status"], 404);
  EXPECT_NE(problem["detail"].get<std::string>().find("abc"), std::string::npos) << r.body;
  // Methods of the path: 405 with the allowed ones.
  r = Call(api, "/api/public/v1/sources/abc", "{}", "POST");
  EXPECT_EQ(r.status, 405);
  std::string allow;
  for (const auto& [k, v] : r.headers) {
    if (k == "Allow") allow = v;
  }
  EXPECT_EQ(allow, "GET, PATCH, PUT, DELETE");
  // Exact paths win over templates; the same path takes GET (list) and POST (create).
  r = Call(api, "/api/public/v1/workspaces", "", "GET");
  ASSERT_EQ(r.status, 200) << r.body;
  Json list = Json::parse(r.body);
  ASSERT_EQ(list["data"].size(), 1u) << r.body;
  r = Call(api, "/api/public/v1/workspaces", R"({"name": "Second"})", "POST");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string id = Json::parse(r.body)["workspaceId"];
  r = Call(api, "/api/public/v1/workspaces/" + id, "", "GET");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["name"], "Second");
  r = Call(api, "/api/public/v1/workspaces", "", "GET");
  EXPECT_EQ(Json::parse(r.body)["data"].size(), 2u);
  // Invalid values are 400 there (the Config API's 422), naming the public field.
  r = Call(api, "/api/public/v1/workspaces", R"({"name": 5})", "POST");
  EXPECT_EQ(r.status, 400);
  r = Call(api, "/api/public/v1/jobs", R"({"connectionId": "x", "jobType": "backfill"})", "POST");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Json::parse(r.body)["data"]["details"][0]["field"], "jobType");
  r = Call(api, "/api/public/v1/jobs/7", "", "GET");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body)["data"]["details"][0]["field"], "jobId");
  // The Config API keeps its own error shape.
  r = Call(api, "/api/v1/nope");
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_TRUE(Json::parse(r.body).contains("message"));
}

TEST_F(ApiTest, PublicApiNeedsABearerToken) {
  Api api(context_, ApiOptions{});
  ASSERT_TRUE(api.Bootstrap().ok());
  EXPECT_EQ(Call(api, "/api/public/v1/health", "", "GET").status, 200);
  auto r = Call(api, "/api/public/v1/sources", "", "GET");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "application/problem+json");
  EXPECT_EQ(Call(api, "/api/public/v1/sources", "", "GET", "Bearer sk_nope").status, 401);
}

TEST_F(ApiTest, DispatchErrors) {
  Api api(context_, ApiOptions{.no_auth = true});
  EXPECT_EQ(Call(api, "/api/v1/health", "", "GET").body, R"({"available":true})");
  EXPECT_EQ(Call(api, "/api/v1/nope").status, 404);
  EXPECT_EQ(Call(api, "/api/v1/connections/list", "{bad").status, 400);
  EXPECT_EQ(Call(api, "/api/v1/connections/list", "[1]").status, 400);
  EXPECT_EQ(Call(api, "/api/v1/connections/list", "", "DELETE").status, 405);
  auto r = Call(api, "/api/v1/connections/get", R"({"connectionId": "x"})");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body)["details"][0]["field"], "connectionId");
  r = Call(api, "/api/v1/jobs/get", R"({"id": "job-id"})");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(Call(api, "/api/v1/connections/list").status, 200);
  ApiRequest big;
  big.method = "GET";
  big.path = "/api/v1/jobs/list";
  big.body_too_large = true;
  EXPECT_EQ(api.Handle(big).status, 413);
}

TEST_F(ApiTest, AuthenticationAndMustChangePassword) {
  Api api(context_, ApiOptions{});
  auto created = api.Bootstrap();
  ASSERT_TRUE(created.ok());
  EXPECT_TRUE(*created);
  EXPECT_FALSE(*api.Bootstrap()) << "only once";
  EXPECT_EQ(Call(api, "/api/v1/health", "", "GET").status, 200);
  EXPECT_EQ(Call(api, "/api/v1/connections/list").status, 401);
  EXPECT_EQ(Call(api, "/api/v1/connections/list", "{}", "POST", "Bearer sk_nope").status, 401);
  auto login = Call(api, "/api/v1/auth/login", R"({"email": "AIRBYTE@example.com", "password": "password"})");
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_EQ(Json::parse(login.body)["mustChangePassword"], true);
  EXPECT_EQ(login.body.find("argon2"), std::string::npos);
  std::string cookie;
  for (const auto& [k, v] : login.headers) {
    if (k == "Set-Cookie" && v.starts_with("sluice_session=")) cookie = v.substr(0, v.find(';'));
  }
  ASSERT_FALSE(cookie.empty());
  ApiRequest list;
  list.method = "POST";
  list.path = "/api/v1/connections/list";
  list.cookie = cookie;
  list.csrf_token = Json::parse(login.body)["csrfToken"];
  auto r = api.Handle(list);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("password change required"), std::string::npos);
}

TEST_F(ApiTest, CookieSessionsNeedTheCsrfToken) {
  Api api(context_, ApiOptions{});
  ASSERT_TRUE(api.Bootstrap().ok());
  auto login = Call(api, "/api/v1/auth/login", R"({"email": "airbyte@example.com", "password": "password"})");
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string token = Json::parse(login.body)["csrfToken"];
  std::string session, csrf_cookie;
  for (const auto& [k, v] : login.headers) {
    if (k != "Set-Cookie") continue;
    if (v.starts_with("sluice_session=")) session = v.substr(0, v.find(';'));
    if (v.starts_with("sluice_csrf=")) csrf_cookie = v;
  }
  ASSERT_FALSE(session.empty());
  EXPECT_EQ(csrf_cookie.find("HttpOnly"), std::string::npos) << "the page's script reads it";
  EXPECT_NE(csrf_cookie.find("sluice_csrf=" + token + ";"), std::string::npos);
  EXPECT_EQ(token, CsrfTokenFor(session.substr(session.find('=') + 1)));
  EXPECT_EQ(token.find(session.substr(session.find('=') + 1)), std::string::npos);

  auto change = [&](std::string csrf, std::string method = "POST") {
    ApiRequest r;
    r.method = std::move(method);
    r.path = "/api/v1/users/change_password";
    r.body = R"({"currentPassword": "password", "newPassword": "a-new-passw0rd"})";
    r.cookie = session;
    r.csrf_token = std::move(csrf);
    return api.Handle(r);
  };
  for (std::string bad : {std::string(), token.substr(1), std::string(token.size(), 'a')}) {
    auto r = change(bad);
    EXPECT_EQ(r.status, 403) << bad;
    EXPECT_NE(r.body.find("CSRF"), std::string::npos);
    EXPECT_EQ(change(bad, "GET").status, 403) << "an action by GET needs it too";
  }
  auto ok = change(token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  // The new session has a new token; the old session is gone.
  const std::string next = Json::parse(ok.body)["csrfToken"];
  EXPECT_NE(next, token);
  // API keys carry no cookie: no CSRF token needed.
  EXPECT_EQ(Call(api, "/api/v1/connections/list", "{}", "POST", "Bearer sk_" + std::string(43, 'A')).status, 401);
}

TEST(RequestFieldsTest, JobIdsAndDetails) {
  EXPECT_EQ(RequireJobId(Json{{"id", 12}}, "id"), 12);
  EXPECT_EQ(RequireJobId(Json{{"id", "12"}}, "id"), 12);
  try {
    RequireJobId(Json{{"id", "job-id"}}, "id");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 422);
    EXPECT_EQ(e.details.at(0).field, "id");
  }
  try {
    RequireString(Json{{"name", 3}}, "name");
    FAIL();
  } catch (const ApiError& e) {
    EXPECT_EQ(e.status, 400);
  }
  auto details = DetailsFromMessage("config: 2 problem(s):\n  $.port: expected integer\n  $: missing x",
                                    "connectionConfiguration", "connectionConfiguration");
  ASSERT_EQ(details.size(), 2u);
  EXPECT_EQ(details[0].field, "connectionConfiguration.port");
  EXPECT_EQ(details[1].field, "connectionConfiguration");
}

TEST(ConnectorCatalogTest, DefinitionIdsAreStableUuids) {
  std::string id = DefinitionIdFor("source-faker");
  EXPECT_EQ(id, DefinitionIdFor("source-faker"));
  EXPECT_NE(id, DefinitionIdFor("source-file"));
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '5');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
}

// Stand-ins for built-ins (unit_api does not link the connectors).
class StubSource : public Source {
 public:
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Result<Catalog> Discover(const Json&) override { return Catalog{}; }
  Status Read(const Json&, const ConfiguredCatalog&, const StateStore&, Emitter&) override { return Status::Ok(); }
};

TEST(ConnectorCatalogTest, AirbyteIdsFirstAndTheOldIdsStillResolve) {
  Registry registry;
  auto make = [] { return std::unique_ptr<Source>(new StubSource()); };
  registry.Add({"source-postgres", ConnectorKind::kSource, "Postgres", "", make, nullptr});
  registry.Add({"source-homegrown", ConnectorKind::kSource, "Ours", "", make, nullptr});
  ConnectorCatalog catalog(registry);
  const ConnectorDefinition* pg = catalog.Find(ConnectorKind::kSource, "source-postgres");
  ASSERT_NE(pg, nullptr);
  EXPECT_EQ(pg->id, "decd338e-5647-4c0b-adf4-da0e75f5a750");
  EXPECT_EQ(pg->docker_repository, "airbyte/source-postgres");
  EXPECT_EQ(DefinitionToApi(*pg)["dockerRepository"], "airbyte/source-postgres");
  for (const std::string& key : {std::string("decd338e-5647-4c0b-adf4-da0e75f5a750"), DefinitionIdFor("source-postgres"),
                                 std::string("airbyte/source-postgres:3.7.0"), std::string("postgres")}) {
    EXPECT_EQ(catalog.Find(ConnectorKind::kSource, key), pg) << key;
  }
  EXPECT_EQ(catalog.Find(ConnectorKind::kDestination, "decd338e-5647-4c0b-adf4-da0e75f5a750"), nullptr);
  // Without an Airbyte twin: the name-derived id and a sluice/ repository.
  const ConnectorDefinition* own = catalog.Find(ConnectorKind::kSource, "homegrown");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->id, DefinitionIdFor("source-homegrown"));
  EXPECT_EQ(own->docker_repository, "sluice/source-homegrown");
  // A known Airbyte connector that is not built in: the 404 names it.
  EXPECT_EQ(catalog.Find(ConnectorKind::kSource, "airbyte/source-mysql"), nullptr);
  EXPECT_NE(catalog.NotFoundMessage(ConnectorKind::kSource, "airbyte/source-mysql").find("Airbyte's airbyte/source-mysql"),
            std::string::npos);
}

TEST(ApiServerTest, LoopbackHosts) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_FALSE(IsLoopbackHost("0.0.0.0"));
  EXPECT_FALSE(IsLoopbackHost("10.0.0.1"));
  EXPECT_FALSE(IsLoopbackHost("::"));
  EXPECT_FALSE(IsLoopbackHost("example.com"));
}

TEST(AuthenticatorTest, CookieValue) {
  EXPECT_EQ(CookieValue("a=1; sluice_session=tok; b=2", "sluice_session"), "tok");
  EXPECT_EQ(CookieValue("xsluice_session=tok", "sluice_session"), "");
  EXPECT_EQ(CookieValue("", "sluice_session"), "");
}

}  // namespace
}  // namespace sluice
