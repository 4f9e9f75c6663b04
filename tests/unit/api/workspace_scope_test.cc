// Workspace scoping (api/workspace_scope.h): which objects a request names, what a caller limited
// to some workspaces is answered, the defaults filled in for it, and the same through Api::Handle
// with API keys of limited users. tests/e2e/test_authz_matrix.py walks every route over HTTP.

#include "api/workspace_scope.h"

#include <gtest/gtest.h>

#include "api/api.h"
#include "api_fixture.h"
#include "security/token.h"

namespace sluice {
namespace {

class WorkspaceScopeTest : public testing_api::ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    if (HasFatalFailure()) return;

    // Workspace A (the default one) holds a connection with a job and an operation; B a source.
    a_ = store_->ListWorkspaces()->front().workspace_id;
    Workspace w;
    w.name = "B";
    b_ = store_->CreateWorkspace(w, 10)->workspace_id;
    source_a_ = MakeActor(ActorKind::kSource, a_);
    destination_a_ = MakeActor(ActorKind::kDestination, a_);
    source_b_ = MakeActor(ActorKind::kSource, b_);
    Connection c;
    c.name = "a";
    c.source_id = source_a_;
    c.destination_id = destination_a_;
    c.sync_catalog = Json::parse(R"({"streams": []})");
    auto created = store_->CreateConnection(c, 20);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    connection_a_ = created->connection_id;
    job_a_ = store_->EnqueueJob(connection_a_, JobConfigType::kSync, 30)->job.id;
    Operation o;
    o.workspace_id = a_;
    o.name = "hook";
    o.operator_configuration = {{"operatorType", "webhook"}};
    operation_a_ = store_->CreateOperation(o, 40)->operation_id;

    limited_.authenticated = true;
    limited_.role = Role::kAdmin;
    limited_.all_workspaces = false;
    limited_.workspace_ids = {b_};
  }
  std::string MakeActor(ActorKind kind, const std::string& workspace) {
    return testing_api::CreateTestActor(*store_, kind, workspace, 15);
  }

  // An API key of a new user with `role`, limited to `workspaces` (all when empty).
  std::string KeyOf(UserRole role, std::vector<std::string> workspaces) {
    User u;
    u.email = "u" + std::to_string(++users_) + "@example.com";
    u.role = role;
    u.password_hash = "x";
    u.all_workspaces = workspaces.empty();
    u.workspace_ids = std::move(workspaces);
    auto user = store_->CreateUser(u, 50);
    EXPECT_TRUE(user.ok()) << user.status().ToString();
    std::string token = *NewApiKey();
    EXPECT_TRUE(store_->CreateApiKey(user->user_id, "k", TokenHash(token), 50).ok());
    return "Bearer " + token;
  }

  static Route RouteOf(std::string path, Permission permission, std::vector<FieldDoc> fields = {}) {
    Route r;
    r.path = std::move(path);
    r.permission = permission;
    r.fields = std::move(fields);
    return r;
  }
  // The status CheckWorkspaceScope answers (200 when it lets the request through).
  int StatusOf(const Route& route, Json& body, const Principal& p) {
    try {
      CheckWorkspaceScope(*store_, route, body, p);
      return 200;
    } catch (const ApiError& e) {
      return e.status;
    }
  }

  ApiResponse Send(Api& api, const std::string& path, const std::string& authorization, std::string body = "{}",
                   std::string method = "POST") {
    return Call(api, path, std::move(body), std::move(method), authorization);
  }

  std::string a_, b_, source_a_, destination_a_, source_b_, connection_a_, operation_a_;
  JobId job_a_ = 0;
  Principal limited_;
  int users_ = 0;
};

TEST_F(WorkspaceScopeTest, RefsAreReadFromTheBody) {
  Route jobs = RouteOf("/api/v1/jobs/get", Permission::kReadJobs);
  jobs.job_id_field = "id";
  const Json body = {{"sourceId", "s"},       {"destinationId", 7},  // not a string: the handler's 400
                     {"connectionIds", {"c1", 2, "c3"}}, {"configId", "c"}, {"id", 42}, {"operationId", "o"}};
  std::vector<std::string> got;
  for (const auto& ref : WorkspaceRefsOf(jobs, body)) got.push_back(ref.field + "=" + ref.id);
  EXPECT_EQ(got, (std::vector<std::string>{"sourceId=s", "operationId=o", "id=42", "configId=c", "connectionIds[0]=c1",
                                           "connectionIds[2]=c3"}));
  // "id" is a job only where the route says so.
  EXPECT_EQ(WorkspaceRefsOf(RouteOf("/x", Permission::kReadJobs), Json{{"id", 42}}).size(), 0u);
}

TEST_F(WorkspaceScopeTest, AnotherWorkspacesObjectsAreNotFound) {
  Route get = RouteOf("/api/v1/sources/get", Permission::kReadConfigs);
  Route update = RouteOf("/api/v1/sources/update", Permission::kEditConfigs);
  Json body = {{"sourceId", source_a_}};
  EXPECT_EQ(StatusOf(get, body, limited_), 404);
  EXPECT_EQ(StatusOf(update, body, limited_), 404);  // writes too: existence is not revealed
  body = {{"sourceId", source_b_}};
  EXPECT_EQ(StatusOf(update, body, limited_), 200);
  body = {{"sourceId", NewUuid()}};
  EXPECT_EQ(StatusOf(get, body, limited_), 200);  // unknown: the handler's own 404
  for (auto [field, id] : std::vector<std::pair<std::string, std::string>>{{"destinationId", destination_a_},
                                                                           {"connectionId", connection_a_},
                                                                           {"operationId", operation_a_},
                                                                           {"jobId", std::to_string(job_a_)}}) {
    Json b = {{field, id}};
    EXPECT_EQ(StatusOf(get, b, limited_), 404) << field;
  }
  Json ids = {{"connectionIds", {connection_a_}}};
  EXPECT_EQ(StatusOf(RouteOf("/api/v1/connections/status", Permission::kReadStatus), ids, limited_), 404);
  Route logs = RouteOf("/api/v1/jobs/logs", Permission::kReadLogs);
  logs.job_id_field = "id";
  Json job = {{"id", job_a_}};
  EXPECT_EQ(StatusOf(logs, job, limited_), 404);
  // The same caller reaching every workspace passes everything.
  Principal all = limited_;
  all.all_workspaces = true;
  EXPECT_EQ(StatusOf(logs, job, all), 200);
}

TEST_F(WorkspaceScopeTest, NamedWorkspacesReadsNotFoundWritesForbidden) {
  const std::vector<FieldDoc> ws_field = {{"workspaceId", "string", false, ""}};
  Route list = RouteOf("/api/v1/sources/list", Permission::kReadConfigs, ws_field);
  Route create = RouteOf("/api/v1/sources/create", Permission::kEditConfigs, ws_field);
  Json body = {{"workspaceId", a_}};
  EXPECT_EQ(StatusOf(list, body, limited_), 404);
  EXPECT_EQ(StatusOf(create, body, limited_), 403);
  body = {{"workspaceId", NewUuid()}};  // unknown: the same 403 for a write (nothing is told apart)
  EXPECT_EQ(StatusOf(create, body, limited_), 403);
  // Naming nothing: the caller's first workspace, not the server's default one.
  body = Json::object();
  EXPECT_EQ(StatusOf(list, body, limited_), 200);
  EXPECT_EQ(body["workspaceId"], b_);
  // Naming an object: its workspace decides, no default is added.
  Route connect = RouteOf("/api/v1/connections/create", Permission::kEditConfigs, ws_field);
  body = {{"sourceId", source_b_}};
  EXPECT_EQ(StatusOf(connect, body, limited_), 200);
  EXPECT_FALSE(body.contains("workspaceId"));
  // Routes needing every workspace, and routes touching none.
  Route all = RouteOf("/api/v1/workspaces/create", Permission::kManageSettings);
  all.workspace = WorkspaceUse::kAllWorkspaces;
  body = Json::object();
  EXPECT_EQ(StatusOf(all, body, limited_), 403);
  Route none = RouteOf("/api/v1/source_definitions/list", Permission::kReadConfigs, ws_field);
  none.workspace = WorkspaceUse::kNone;
  body = {{"workspaceId", a_}};
  EXPECT_EQ(StatusOf(none, body, limited_), 200);
}

TEST_F(WorkspaceScopeTest, FiltersKeepToTheCallersWorkspaces) {
  Route jobs = RouteOf("/api/v1/jobs/list", Permission::kReadJobs, {{"workspaceIds", "array", false, ""}});
  Json body = Json::object();
  EXPECT_EQ(StatusOf(jobs, body, limited_), 200);
  EXPECT_EQ(body["workspaceIds"], Json::array({b_}));
  body = {{"workspaceIds", Json::array()}};  // empty would mean all
  EXPECT_EQ(StatusOf(jobs, body, limited_), 200);
  EXPECT_EQ(body["workspaceIds"], Json::array({b_}));
  body = {{"workspaceIds", a_ + "," + b_}};  // a query parameter
  EXPECT_EQ(StatusOf(jobs, body, limited_), 200);
  ASSERT_EQ(body["workspaceIds"].size(), 2u);
  EXPECT_NE(body["workspaceIds"][0], a_);  // another's matches nothing, as an unknown one
  EXPECT_EQ(body["workspaceIds"][1], b_);
  body = {{"configId", connection_a_}};
  EXPECT_EQ(StatusOf(jobs, body, limited_), 200);
  EXPECT_NE(body["configId"], connection_a_);
}

TEST_F(WorkspaceScopeTest, ThroughTheApiWithKeysOfLimitedUsers) {
  Api api(context_, ApiOptions{});
  const std::string admin_b = KeyOf(UserRole::kAdmin, {b_});
  const std::string full = KeyOf(UserRole::kAdmin, {});
  // workspaces/list (and the public list built on it) shows only B.
  auto r = Send(api, "/api/v1/workspaces/list", admin_b);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Json::parse(r.body)["workspaces"].size(), 1u);
  EXPECT_EQ(Json::parse(r.body)["workspaces"][0]["workspaceId"], b_);
  r = Send(api, "/api/public/v1/workspaces", admin_b, "", "GET");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(Json::parse(r.body)["data"].size(), 1u);
  EXPECT_EQ(Send(api, "/api/v1/workspaces/list", full).status, 200);
  EXPECT_EQ(Json::parse(Send(api, "/api/v1/workspaces/list", full).body)["workspaces"].size(), 2u);
  // The default workspace of a limited caller is its own.
  r = Send(api, "/api/v1/workspaces/get", admin_b);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["workspaceId"], b_);
  // Another workspace's objects: 404 as unknown ones, in the Config API and the public one.
  r = Send(api, "/api/v1/jobs/get", admin_b, Json{{"id", job_a_}}.dump());
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(Send(api, "/api/v1/connections/get", admin_b, Json{{"connectionId", connection_a_}}.dump()).status, 404);
  EXPECT_EQ(Send(api, "/api/public/v1/sources/" + source_a_, admin_b, "", "GET").status, 404);
  EXPECT_EQ(Send(api, "/api/public/v1/jobs/" + std::to_string(job_a_), admin_b, "", "GET").status, 404);
  r = Send(api, "/api/v1/jobs/list", admin_b);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["totalJobCount"], 0);
  r = Send(api, "/api/v1/jobs/list", full);
  EXPECT_EQ(Json::parse(r.body)["totalJobCount"], 1);
  // Writes naming workspace A: 403; creating workspaces and managing users need every workspace.
  r = Send(api, "/api/v1/workspaces/update", admin_b, Json{{"workspaceId", a_}, {"name", "hijack"}}.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Send(api, "/api/v1/workspaces/create", admin_b, R"({"name": "mine"})").status, 403);
  EXPECT_EQ(Send(api, "/api/public/v1/workspaces", admin_b, R"({"name": "mine"})").status, 403);
  EXPECT_EQ(Send(api, "/api/v1/users/list", admin_b).status, 403);
  EXPECT_EQ(Send(api, "/api/v1/api_keys/list", admin_b).status, 200);  // one's own keys touch no workspace
  // Nor may it take a key of a user reaching more (or widen itself through users/update).
  const std::string me = Json::parse(Send(api, "/api/v1/auth/me", full).body)["user"]["userId"];
  r = Send(api, "/api/v1/api_keys/create", admin_b, Json{{"name", "steal"}, {"userId", me}}.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  const std::string self = Json::parse(Send(api, "/api/v1/auth/me", admin_b).body)["user"]["userId"];
  r = Send(api, "/api/v1/users/update", admin_b, Json{{"userId", self}, {"allWorkspaces", true}}.dump());
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Json::parse(Send(api, "/api/v1/auth/me", admin_b).body)["user"]["workspaceIds"], Json::array({b_}));
  // A viewer limited to B: the role check comes first (403 forbidden), then the workspace.
  const std::string viewer_b = KeyOf(UserRole::kViewer, {b_});
  r = Send(api, "/api/v1/connections/status", viewer_b, Json{{"connectionIds", {connection_a_}}}.dump());
  EXPECT_EQ(r.status, 404) << r.body;
  r = Send(api, "/api/v1/connections/status", viewer_b);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body).size(), 0u);  // B has no connection
}

TEST_F(WorkspaceScopeTest, UsersApiTakesAndAnswersTheWorkspaces) {
  Api api(context_, ApiOptions{});
  const std::string full = KeyOf(UserRole::kAdmin, {});
  auto r = Send(api, "/api/v1/users/create", full,
                Json{{"email", "b@example.com"}, {"role", "analyst"}, {"password", "long enough"},
                     {"workspaceIds", {b_}}}
                    .dump());
  ASSERT_EQ(r.status, 200) << r.body;
  Json user = Json::parse(r.body);
  EXPECT_EQ(user["allWorkspaces"], false);
  EXPECT_EQ(user["workspaceIds"], Json::array({b_}));
  const std::string id = user["userId"];
  r = Send(api, "/api/v1/users/update", full, Json{{"userId", id}, {"allWorkspaces", true}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json::parse(r.body)["allWorkspaces"], true);
  EXPECT_EQ(Json::parse(r.body)["workspaceIds"], Json::array());
  r = Send(api, "/api/v1/users/update", full, Json{{"userId", id}, {"workspaceIds", Json::array()}}.dump());
  EXPECT_EQ(r.status, 422) << r.body;
  r = Send(api, "/api/v1/users/update", full, Json{{"userId", id}, {"workspaceIds", {NewUuid()}}}.dump());
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(Json::parse(r.body)["details"][0]["field"], "workspaceIds[0]") << r.body;
  // The last admin reaching every workspace keeps them.
  r = Send(api, "/api/v1/auth/me", full);
  const std::string me = Json::parse(r.body)["user"]["userId"];
  r = Send(api, "/api/v1/users/update", full, Json{{"userId", me}, {"workspaceIds", {b_}}}.dump());
  EXPECT_EQ(r.status, 422) << r.body;
}

TEST_F(WorkspaceScopeTest, OpenApiSaysWhichRoutesAreScoped) {
  Api api(context_, ApiOptions{.no_auth = true});
  const Json& paths = api.openapi()["paths"];
  for (const auto& [path, item] : paths.items()) {
    for (const auto& [method, op] : item.items()) EXPECT_TRUE(op.contains("x-sluice-workspace")) << path;
  }
  EXPECT_EQ(paths["/api/v1/connections/list"]["post"]["x-sluice-workspace"], "scoped");
  EXPECT_EQ(paths["/api/v1/source_definitions/list"]["post"]["x-sluice-workspace"], "none");
  EXPECT_EQ(paths["/api/v1/users/create"]["post"]["x-sluice-workspace"], "all_workspaces");
  EXPECT_EQ(paths["/api/v1/workspaces/create"]["post"]["x-sluice-workspace"], "all_workspaces");
  EXPECT_EQ(paths["/api/v1/auth/login"]["post"]["x-sluice-workspace"], "none");
  EXPECT_EQ(paths["/api/public/v1/workspaces"]["post"]["x-sluice-workspace"], "all_workspaces");
  EXPECT_EQ(paths["/api/public/v1/workspaces"]["get"]["x-sluice-workspace"], "scoped");
  EXPECT_EQ(paths["/api/public/v1/applications"]["get"]["x-sluice-workspace"], "none");
}

}  // namespace
}  // namespace sluice
