// MetadataStore entities: workspaces, sources/destinations, connections, state, users, API keys,
// sessions — every test on SQLite and on PostgreSQL.
#include <gtest/gtest.h>

#include "backends.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::StoreTest;

class EntitiesTest : public StoreTest {
 protected:
  std::string DefaultWorkspaceId() {
    auto list = store().ListWorkspaces();
    EXPECT_TRUE(list.ok() && !list->empty());
    return list.ok() && !list->empty() ? (*list)[0].workspace_id : "";
  }
  Actor MakeActor(ActorKind kind, const std::string& name) {
    Actor a;
    a.kind = kind;
    a.workspace_id = DefaultWorkspaceId();
    a.definition_name = kind == ActorKind::kSource ? "source-postgres" : "destination-s3";
    a.name = name;
    a.configuration = "enc:v1:opaque-ciphertext==";
    auto created = store().CreateActor(a, kStart + 10);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : a;
  }
  Connection MakeConnection(const std::string& name, int64_t now = kStart + 20) {
    Connection c;
    c.name = name;
    c.source_id = MakeActor(ActorKind::kSource, name + " source").id;
    c.destination_id = MakeActor(ActorKind::kDestination, name + " destination").id;
    c.schedule_type = ScheduleType::kCron;
    c.schedule_data = Json::parse(R"({"cron":{"cronExpression":"0 */6 * * *","cronTimeZone":"UTC"}})");
    c.sync_catalog = Json::parse(R"({"streams":[{"stream":{"name":"users"},"config":{"syncMode":"incremental",)"
                                 R"("destinationSyncMode":"append_dedup","cursorField":["updated_at"],)"
                                 R"("primaryKey":[["id"]],"selected":true}}]})");
    c.namespace_definition = "customformat";
    c.namespace_format = "${SOURCE_NAMESPACE}_raw";
    c.prefix = "pg_";
    c.resource_requirements = Json::parse(R"({"memory_limit":"2Gi","cpu_limit":"1"})");
    auto created = store().CreateConnection(c, now);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : c;
  }
};

TEST_P(EntitiesTest, DefaultWorkspaceExistsAndUpdates) {
  SLUICE_ASSERT_OK_AND_ASSIGN(auto list, store().ListWorkspaces());
  ASSERT_EQ(list.size(), 1u);
  Workspace w = list[0];
  EXPECT_EQ(w.name, "Default Workspace");
  EXPECT_FALSE(w.initial_setup_complete);
  EXPECT_EQ(w.notification_settings["consecutiveFailureThreshold"], 3);
  EXPECT_TRUE(w.notification_settings["slackWebhookUrl"].is_null());

  w.name = "Data team";
  w.email = "data@example.com";
  w.initial_setup_complete = true;
  w.news = true;
  w.notification_settings["slackWebhookUrl"] = "https://hooks.slack.com/services/T/B/X";
  w.notification_settings["consecutiveFailureThreshold"] = 5;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateWorkspace(w, kStart + 5));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->name, "Data team");
  EXPECT_EQ(updated->email, "data@example.com");
  EXPECT_TRUE(updated->initial_setup_complete);
  EXPECT_TRUE(updated->news);
  EXPECT_FALSE(updated->security_updates);
  EXPECT_EQ(updated->notification_settings, w.notification_settings);
  EXPECT_EQ(updated->updated_at, kStart + 5);

  Workspace unknown = w;
  unknown.workspace_id = NewUuid();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto missing, store().UpdateWorkspace(unknown, kStart));
  EXPECT_FALSE(missing);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetWorkspace(unknown.workspace_id));
  EXPECT_FALSE(got);

  Workspace second;
  second.name = "Second";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto created, store().CreateWorkspace(second, kStart + 9));
  EXPECT_EQ(created.notification_settings["consecutiveFailureThreshold"], 3);
  SLUICE_ASSERT_OK_AND_ASSIGN(list, store().ListWorkspaces());
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].workspace_id, w.workspace_id);  // the default stays first
}

TEST_P(EntitiesTest, SourcesAndDestinationsCrud) {
  Actor source = MakeActor(ActorKind::kSource, "Shop DB");
  Actor destination = MakeActor(ActorKind::kDestination, "Lake");
  EXPECT_EQ(source.id.size(), 36u);
  EXPECT_EQ(source.created_at, kStart + 10);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetActor(ActorKind::kSource, source.id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Shop DB");
  EXPECT_EQ(got->definition_name, "source-postgres");
  EXPECT_EQ(got->configuration, "enc:v1:opaque-ciphertext==");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto wrong_kind, store().GetActor(ActorKind::kDestination, source.id));
  EXPECT_FALSE(wrong_kind);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto sources, store().ListActors(ActorKind::kSource, source.workspace_id));
  ASSERT_EQ(sources.size(), 1u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto destinations, store().ListActors(ActorKind::kDestination, source.workspace_id));
  ASSERT_EQ(destinations.size(), 1u);
  EXPECT_EQ(destinations[0].id, destination.id);

  got->name = "Shop DB (replica)";
  got->configuration = "enc:v1:new";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateActor(*got, kStart + 30));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->name, "Shop DB (replica)");
  EXPECT_EQ(updated->configuration, "enc:v1:new");
  EXPECT_EQ(updated->created_at, kStart + 10);
  EXPECT_EQ(updated->updated_at, kStart + 30);

  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteActor(ActorKind::kSource, source.id, kStart + 40));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(deleted, store().DeleteActor(ActorKind::kSource, source.id, kStart + 41));
  EXPECT_FALSE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(got, store().GetActor(ActorKind::kSource, source.id));
  EXPECT_FALSE(got);
  SLUICE_ASSERT_OK_AND_ASSIGN(sources, store().ListActors(ActorKind::kSource, source.workspace_id));
  EXPECT_TRUE(sources.empty());
  SLUICE_ASSERT_OK_AND_ASSIGN(updated, store().UpdateActor(source, kStart + 50));
  EXPECT_FALSE(updated);

  Actor orphan;
  orphan.workspace_id = NewUuid();
  orphan.name = "x";
  auto refused = store().CreateActor(orphan, kStart);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(refused.status().message().find("workspaceId"), std::string::npos);
}

TEST_P(EntitiesTest, ConnectionsCrud) {
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string empty_version, store().ConnectionsVersion(DefaultWorkspaceId()));
  Connection c = MakeConnection("Shop to lake");
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string version, store().ConnectionsVersion(DefaultWorkspaceId()));
  EXPECT_NE(version, empty_version);
  EXPECT_EQ(c.connection_id.size(), 36u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetConnection(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Shop to lake");
  EXPECT_EQ(got->workspace_id, DefaultWorkspaceId());
  EXPECT_EQ(got->status, ConnectionStatus::kActive);
  EXPECT_EQ(got->schedule_type, ScheduleType::kCron);
  EXPECT_EQ(got->schedule_data, c.schedule_data);
  EXPECT_EQ(got->sync_catalog, c.sync_catalog);
  EXPECT_EQ(got->sync_catalog.dump(), c.sync_catalog.dump());  // key order kept
  EXPECT_EQ(got->namespace_definition, "customformat");
  EXPECT_EQ(got->namespace_format, "${SOURCE_NAMESPACE}_raw");
  EXPECT_EQ(got->prefix, "pg_");
  EXPECT_EQ(got->resource_requirements, c.resource_requirements);
  EXPECT_EQ(got->consecutive_failures, 0);
  EXPECT_EQ(got->schema_change, "no_change");
  EXPECT_TRUE(got->pending_catalog_diff.is_null());

  got->name = "Renamed";
  got->schema_change = "breaking";
  got->pending_catalog_diff = Json::parse(R"({"transforms":[{"transformType":"remove_stream"}]})");
  got->status = ConnectionStatus::kInactive;
  got->schedule_type = ScheduleType::kManual;
  got->schedule_data = Json();
  got->namespace_format = std::nullopt;
  got->notify_schema_changes = true;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateConnection(*got, kStart + 100));
  ASSERT_TRUE(updated);
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string updated_version, store().ConnectionsVersion(DefaultWorkspaceId()));
  EXPECT_NE(updated_version, version);
  SLUICE_ASSERT_OK_AND_ASSIGN(std::string other_workspace, store().ConnectionsVersion(NewUuid()));
  EXPECT_EQ(other_workspace, "0:0");
  EXPECT_EQ(updated->name, "Renamed");
  EXPECT_EQ(updated->status, ConnectionStatus::kInactive);
  EXPECT_TRUE(updated->schedule_data.is_null());
  EXPECT_FALSE(updated->namespace_format);
  EXPECT_TRUE(updated->notify_schema_changes);
  EXPECT_EQ(updated->schema_change, "breaking");
  EXPECT_EQ(updated->pending_catalog_diff, got->pending_catalog_diff);
  EXPECT_EQ(updated->source_id, c.source_id);

  Connection other = MakeConnection("Second", kStart + 21);  // lists are oldest first
  SLUICE_ASSERT_OK_AND_ASSIGN(auto list, store().ListConnections(DefaultWorkspaceId()));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].connection_id, c.connection_id);
  SLUICE_ASSERT_OK_AND_ASSIGN(list, store().ListConnections(std::nullopt));
  EXPECT_EQ(list.size(), 2u);
  SLUICE_ASSERT_OK_AND_ASSIGN(list, store().ListConnections(NewUuid()));
  EXPECT_TRUE(list.empty());

  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteConnection(other.connection_id, kStart + 200));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(list, store().ListConnections(DefaultWorkspaceId()));
  ASSERT_EQ(list.size(), 1u);
  SLUICE_ASSERT_OK_AND_ASSIGN(list, store().ListConnections(DefaultWorkspaceId(), /*include_deprecated=*/true));
  EXPECT_EQ(list.size(), 2u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto deprecated, store().GetConnection(other.connection_id));
  ASSERT_TRUE(deprecated);
  EXPECT_EQ(deprecated->status, ConnectionStatus::kDeprecated);
  deprecated->status = ConnectionStatus::kActive;
  auto refused = store().UpdateConnection(*deprecated, kStart + 300);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().failure_type(), FailureType::kConfig);
  SLUICE_ASSERT_OK_AND_ASSIGN(deleted, store().DeleteConnection(NewUuid(), kStart));
  EXPECT_FALSE(deleted);
}

TEST_P(EntitiesTest, LiveConnectionVersionsMoveWithEveryWrite) {
  Connection a = MakeConnection("a", kStart + 20);
  Connection b = MakeConnection("b", kStart + 21);
  Connection c = MakeConnection("c", kStart + 22);
  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteConnection(b.connection_id, kStart + 30));
  ASSERT_TRUE(deleted);
  const std::string ws = a.workspace_id;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto live, store().ListConnectionVersions(ws));
  EXPECT_EQ(live, (std::vector<ConnectionVersion>{{a.connection_id, kStart + 20}, {c.connection_id, kStart + 22}}))
      << "the live ones, in list order";
  // Two writes in the same millisecond (and one with a clock behind) still move updated_at.
  a.name = "a2";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateConnection(a, kStart + 40));
  EXPECT_EQ(updated->updated_at, kStart + 40);
  a.name = "a3";
  SLUICE_ASSERT_OK_AND_ASSIGN(updated, store().UpdateConnection(a, kStart + 40));
  EXPECT_EQ(updated->updated_at, kStart + 41);
  SLUICE_ASSERT_OK_AND_ASSIGN(updated, store().UpdateConnection(a, kStart + 5));
  EXPECT_EQ(updated->updated_at, kStart + 42);
  SLUICE_ASSERT_OK_AND_ASSIGN(live, store().ListConnectionVersions(ws));
  EXPECT_EQ(live, (std::vector<ConnectionVersion>{{a.connection_id, kStart + 42}, {c.connection_id, kStart + 22}}));
  SLUICE_ASSERT_OK_AND_ASSIGN(live, store().ListConnectionVersions(NewUuid()));
  EXPECT_TRUE(live.empty());
}

TEST_P(EntitiesTest, ContinuousScheduleIsStored) {
  // Migration 5 widened connections.schedule_type's CHECK in both dialects.
  Connection c = MakeConnection("CDC to warehouse");
  c.schedule_type = ScheduleType::kContinuous;
  c.schedule_data = Json();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateConnection(c, kStart + 100));
  ASSERT_TRUE(updated);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetConnection(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->schedule_type, ScheduleType::kContinuous);
  EXPECT_EQ(ScheduleTypeName(ScheduleType::kContinuous), "continuous");
  EXPECT_EQ(ParseScheduleType("continuous"), ScheduleType::kContinuous);
}

TEST_P(EntitiesTest, ConnectionsNeedLiveActorsOfTheRightKind) {
  Actor source = MakeActor(ActorKind::kSource, "s");
  Actor destination = MakeActor(ActorKind::kDestination, "d");
  Connection c;
  c.name = "bad";
  c.source_id = destination.id;  // wrong kind
  c.destination_id = destination.id;
  auto refused = store().CreateConnection(c, kStart);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("sourceId"), std::string::npos) << refused.status().ToString();
  c.source_id = source.id;
  c.destination_id = NewUuid();
  refused = store().CreateConnection(c, kStart);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("destinationId"), std::string::npos) << refused.status().ToString();
}

TEST_P(EntitiesTest, DeletingASourceDeprecatesItsConnectionsAndCancelsTheirJobs) {
  Connection c = MakeConnection("uses the source");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto enqueued, store().EnqueueJob(c.connection_id, JobConfigType::kSync, kStart + 50));
  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteActor(ActorKind::kSource, c.source_id, kStart + 60));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetConnection(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, ConnectionStatus::kDeprecated);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto job, store().GetJob(enqueued.job.id));
  ASSERT_TRUE(job);
  EXPECT_EQ(job->status, JobStatus::kCancelled);
  auto refused = store().EnqueueJob(c.connection_id, JobConfigType::kSync, kStart + 70);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().failure_type(), FailureType::kConfig);
  // The destination is still there and can be used again.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto destination, store().GetActor(ActorKind::kDestination, c.destination_id));
  EXPECT_TRUE(destination);
}

TEST_P(EntitiesTest, CustomSourceDefinitionsCrud) {
  CustomSourceDefinition d;
  d.workspace_id = DefaultWorkspaceId();
  d.name = "Items API";
  d.manifest = {{"version", "6.7.0"}, {"streams", Json::array({{{"name", "items"}}})}};
  d.description = "v1";
  SLUICE_ASSERT_OK_AND_ASSIGN(CustomSourceDefinition created, store().CreateCustomSourceDefinition(d, kStart + 1));
  EXPECT_EQ(created.definition_id.size(), 36u);
  EXPECT_EQ(created.version, 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetCustomSourceDefinition(created.definition_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->manifest["streams"][0]["name"], "items");
  EXPECT_EQ(got->description, "v1");
  created.version = 2;
  created.manifest["streams"][0]["name"] = "items_v2";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateCustomSourceDefinition(created, kStart + 2));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->version, 2);
  EXPECT_EQ(updated->manifest["streams"][0]["name"], "items_v2");
  EXPECT_EQ(updated->updated_at, kStart + 2);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto all, store().ListCustomSourceDefinitions(""));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto of_workspace, store().ListCustomSourceDefinitions(DefaultWorkspaceId()));
  EXPECT_EQ(all.size(), 1u);
  EXPECT_EQ(of_workspace.size(), 1u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto missing, store().GetCustomSourceDefinition(NewUuid()));
  EXPECT_FALSE(missing);
  created.definition_id = NewUuid();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto not_updated, store().UpdateCustomSourceDefinition(created, kStart + 3));
  EXPECT_FALSE(not_updated);
  d.workspace_id = NewUuid();
  EXPECT_EQ(store().CreateCustomSourceDefinition(d, kStart).status().failure_type(), FailureType::kConfig);
}

TEST_P(EntitiesTest, OperationsCrudAndConnectionsListThemInOrder) {
  Operation o;
  o.workspace_id = DefaultWorkspaceId();
  o.name = "dbt run";
  o.operator_configuration = {{"operatorType", "dbt"}, {"dbt", {{"gitRepoUrl", "/srv/project"}}}};
  SLUICE_ASSERT_OK_AND_ASSIGN(Operation dbt, store().CreateOperation(o, kStart + 1));
  o.name = "hook";
  o.operator_configuration = {{"operatorType", "webhook"}, {"webhook", {{"executionUrl", "http://x/y"}}}};
  SLUICE_ASSERT_OK_AND_ASSIGN(Operation hook, store().CreateOperation(o, kStart + 2));
  EXPECT_NE(dbt.operation_id, hook.operation_id);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto listed, store().ListOperations(o.workspace_id));
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "dbt run");
  EXPECT_EQ(listed[0].operator_configuration["dbt"]["gitRepoUrl"], "/srv/project");

  o.workspace_id = NewUuid();
  EXPECT_EQ(store().CreateOperation(o, kStart).status().failure_type(), FailureType::kConfig);

  Connection c = MakeConnection("with operations");
  EXPECT_TRUE(c.operation_ids.empty());
  c.operation_ids = {hook.operation_id, dbt.operation_id};
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateConnection(c, kStart + 30));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->operation_ids, (std::vector<std::string>{hook.operation_id, dbt.operation_id}));
  c.operation_ids.push_back(NewUuid());
  auto bad = store().UpdateConnection(c, kStart + 31);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("operationIds[2]"), std::string::npos) << bad.status().ToString();

  hook.name = "webhook renamed";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto renamed, store().UpdateOperation(hook, kStart + 40));
  ASSERT_TRUE(renamed);
  EXPECT_EQ(renamed->name, "webhook renamed");
  EXPECT_EQ(renamed->updated_at, kStart + 40);

  // Deleting an operation takes it out of the connections that ran it.
  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteOperation(hook.operation_id, kStart + 50));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetConnection(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->operation_ids, (std::vector<std::string>{dbt.operation_id}));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto gone, store().GetOperation(hook.operation_id));
  EXPECT_FALSE(gone);
  SLUICE_ASSERT_OK_AND_ASSIGN(bool again, store().DeleteOperation(hook.operation_id, kStart + 51));
  EXPECT_FALSE(again);
}

TEST_P(EntitiesTest, StateIsSetAndReplaced) {
  Connection c = MakeConnection("stateful");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto none, store().GetState(c.connection_id));
  EXPECT_FALSE(none);
  const Json first = Json::parse(R"([{"type":"STREAM","stream":{"stream_descriptor":{"name":"users"},)"
                                 R"("stream_state":{"cursor":"2024-01-01"}}}])");
  SLUICE_ASSERT_OK(store().SaveState(c.connection_id, first, kStart + 1));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetState(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, first);
  EXPECT_EQ(got->updated_at, kStart + 1);
  Json second = first;
  second[0]["stream"]["stream_state"]["cursor"] = "2024-02-01";
  SLUICE_ASSERT_OK(store().SaveState(c.connection_id, second, kStart + 2));
  SLUICE_ASSERT_OK_AND_ASSIGN(got, store().GetState(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->state, second);
  EXPECT_EQ(got->updated_at, kStart + 2);
  Status unknown = store().SaveState(NewUuid(), first, kStart);
  EXPECT_FALSE(unknown.ok());
}

TEST_P(EntitiesTest, UsersWithCaseInsensitiveUniqueEmails) {
  User admin;
  admin.email = "Airbyte@Example.com";
  admin.name = "Admin";
  admin.role = UserRole::kAdmin;
  admin.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  admin.must_change_password = true;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto created, store().CreateUser(admin, kStart));
  EXPECT_EQ(created.user_id.size(), 36u);

  User duplicate = admin;
  duplicate.email = "airbyte@EXAMPLE.COM";
  auto refused = store().CreateUser(duplicate, kStart);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(refused.status().message().find("email"), std::string::npos);

  SLUICE_ASSERT_OK_AND_ASSIGN(auto by_email, store().GetUserByEmail("AIRBYTE@example.COM"));
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->user_id, created.user_id);
  EXPECT_EQ(by_email->email, "Airbyte@Example.com");  // kept as written
  EXPECT_EQ(by_email->role, UserRole::kAdmin);
  EXPECT_TRUE(by_email->must_change_password);
  EXPECT_EQ(by_email->password_hash, admin.password_hash);

  User analyst;
  analyst.email = "ana@example.com";
  analyst.name = "Ana";
  analyst.role = UserRole::kAnalyst;
  analyst.password_hash = "h";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto ana, store().CreateUser(analyst, kStart + 1));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto users, store().ListUsers());
  ASSERT_EQ(users.size(), 2u);

  ana.role = UserRole::kDataEngineer;
  ana.must_change_password = false;
  ana.password_hash = "h2";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto updated, store().UpdateUser(ana, kStart + 2));
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->role, UserRole::kDataEngineer);
  EXPECT_EQ(updated->password_hash, "h2");
  ana.email = "AIRBYTE@example.com";  // taken by the admin
  auto clash = store().UpdateUser(ana, kStart + 3);
  ASSERT_FALSE(clash.ok());
  EXPECT_EQ(clash.status().failure_type(), FailureType::kConfig);

  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteUser(ana.user_id));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto gone, store().GetUser(ana.user_id));
  EXPECT_FALSE(gone);
}

TEST_P(EntitiesTest, UsersReachEveryWorkspaceOrTheirList) {
  User u;
  u.email = "all@example.com";
  u.role = UserRole::kAnalyst;
  u.password_hash = "h";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto all, store().CreateUser(u, kStart));
  EXPECT_TRUE(all.all_workspaces);  // the default, as for every user from before migration 8
  EXPECT_TRUE(all.workspace_ids.empty());

  Workspace w;
  w.name = "Second";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto second, store().CreateWorkspace(w, kStart + 5));
  u.email = "limited@example.com";
  u.all_workspaces = false;
  u.workspace_ids = {second.workspace_id, DefaultWorkspaceId(), second.workspace_id};
  SLUICE_ASSERT_OK_AND_ASSIGN(auto limited, store().CreateUser(u, kStart + 6));
  EXPECT_FALSE(limited.all_workspaces);
  // Oldest workspace first, each once.
  EXPECT_EQ(limited.workspace_ids, (std::vector<std::string>{DefaultWorkspaceId(), second.workspace_id}));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto by_email, store().GetUserByEmail("LIMITED@example.com"));
  ASSERT_TRUE(by_email);
  EXPECT_EQ(by_email->workspace_ids, limited.workspace_ids);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto users, store().ListUsers());
  ASSERT_EQ(users.size(), 2u);
  EXPECT_TRUE(users[0].all_workspaces && users[0].workspace_ids.empty());
  EXPECT_EQ(users[1].workspace_ids, limited.workspace_ids);

  // Updates replace the list; an unknown workspace or an empty list is a config error naming it.
  limited.workspace_ids = {second.workspace_id};
  SLUICE_ASSERT_OK_AND_ASSIGN(auto narrowed, store().UpdateUser(limited, kStart + 7));
  ASSERT_TRUE(narrowed);
  EXPECT_EQ(narrowed->workspace_ids, (std::vector<std::string>{second.workspace_id}));
  limited.workspace_ids = {second.workspace_id, NewUuid()};
  auto unknown = store().UpdateUser(limited, kStart + 8);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("workspaceIds[1]"), std::string::npos) << unknown.status().ToString();
  limited.workspace_ids.clear();
  EXPECT_EQ(store().UpdateUser(limited, kStart + 8).status().failure_type(), FailureType::kConfig);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto kept, store().GetUser(limited.user_id));
  EXPECT_EQ(kept->workspace_ids, (std::vector<std::string>{second.workspace_id}));  // refused: unchanged
  limited.all_workspaces = true;
  SLUICE_ASSERT_OK_AND_ASSIGN(auto widened, store().UpdateUser(limited, kStart + 9));
  EXPECT_TRUE(widened->all_workspaces && widened->workspace_ids.empty());
  // Deleting the user deletes its membership rows.
  limited.all_workspaces = false;
  limited.workspace_ids = {second.workspace_id};
  ASSERT_TRUE(store().UpdateUser(limited, kStart + 10).ok());
  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteUser(limited.user_id));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto rows, store().database().Query("SELECT COUNT(*) FROM user_workspaces"));
  EXPECT_EQ(rows.at(0).GetInt(0), 0);
}

TEST_P(EntitiesTest, WorkspaceOfEachKindOfObject) {
  Connection c = MakeConnection("owned");
  const std::string ws = DefaultWorkspaceId();
  Operation o;
  o.workspace_id = ws;
  o.name = "hook";
  o.operator_configuration = {{"operatorType", "webhook"}};
  SLUICE_ASSERT_OK_AND_ASSIGN(Operation op, store().CreateOperation(o, kStart + 1));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto job, store().EnqueueJob(c.connection_id, JobConfigType::kSync, kStart + 2));
  const std::pair<WorkspaceObject, std::string> owned[] = {
      {WorkspaceObject::kSource, c.source_id},
      {WorkspaceObject::kDestination, c.destination_id},
      {WorkspaceObject::kConnection, c.connection_id},
      {WorkspaceObject::kOperation, op.operation_id},
      {WorkspaceObject::kJob, std::to_string(job.job.id)},
  };
  for (const auto& [kind, id] : owned) {
    SLUICE_ASSERT_OK_AND_ASSIGN(auto found, store().WorkspaceOf(kind, id));
    EXPECT_EQ(found, std::optional<std::string>(ws)) << id;
  }
  // Unknown ids, ids of the other kind, and job ids that are no numbers: none.
  for (const auto& [kind, id] : std::vector<std::pair<WorkspaceObject, std::string>>{
           {WorkspaceObject::kSource, NewUuid()},
           {WorkspaceObject::kSource, c.destination_id},
           {WorkspaceObject::kConnection, c.source_id},
           {WorkspaceObject::kJob, "12x"},
           {WorkspaceObject::kJob, "987654"}}) {
    SLUICE_ASSERT_OK_AND_ASSIGN(auto none, store().WorkspaceOf(kind, id));
    EXPECT_FALSE(none) << id;
  }
  // A deleted connection keeps its workspace (its jobs stay readable, by its members only).
  ASSERT_TRUE(store().DeleteConnection(c.connection_id, kStart + 3).ok());
  SLUICE_ASSERT_OK_AND_ASSIGN(auto deleted, store().WorkspaceOf(WorkspaceObject::kConnection, c.connection_id));
  EXPECT_EQ(deleted, std::optional<std::string>(ws));
}

TEST_P(EntitiesTest, ApiKeysAndSessionsByHash) {
  User u;
  u.email = "eng@example.com";
  u.name = "Eng";
  u.role = UserRole::kDataEngineer;
  u.password_hash = "h";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto user, store().CreateUser(u, kStart));

  SLUICE_ASSERT_OK_AND_ASSIGN(auto key, store().CreateApiKey(user.user_id, "ci", "sha256:abc", kStart + 1));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto found, store().GetApiKeyByHash("sha256:abc"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, key.id);
  EXPECT_EQ(found->user_id, user.user_id);
  EXPECT_FALSE(found->last_used_at);
  SLUICE_ASSERT_OK(store().TouchApiKey(key.id, kStart + 5));
  SLUICE_ASSERT_OK_AND_ASSIGN(found, store().GetApiKeyByHash("sha256:abc"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->last_used_at, kStart + 5);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto keys, store().ListApiKeys(user.user_id));
  EXPECT_EQ(keys.size(), 1u);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto none, store().GetApiKeyByHash("sha256:other"));
  EXPECT_FALSE(none);
  auto orphan = store().CreateApiKey(NewUuid(), "x", "sha256:x", kStart);
  EXPECT_FALSE(orphan.ok());

  SLUICE_ASSERT_OK(store().CreateSession(Session{"sess-hash-1", user.user_id, kStart, kStart + 1000}));
  SLUICE_ASSERT_OK(store().CreateSession(Session{"sess-hash-2", user.user_id, kStart, kStart + 10}));
  SLUICE_ASSERT_OK_AND_ASSIGN(auto session, store().GetSession("sess-hash-1", kStart + 500));
  ASSERT_TRUE(session);
  EXPECT_EQ(session->user_id, user.user_id);
  SLUICE_ASSERT_OK_AND_ASSIGN(session, store().GetSession("sess-hash-1", kStart + 1000));
  EXPECT_FALSE(session);  // expired
  SLUICE_ASSERT_OK_AND_ASSIGN(int64_t expired, store().DeleteExpiredSessions(kStart + 100));
  EXPECT_EQ(expired, 1);
  SLUICE_ASSERT_OK_AND_ASSIGN(bool deleted, store().DeleteSession("sess-hash-1"));
  EXPECT_TRUE(deleted);

  // Deleting the user takes keys and sessions along.
  SLUICE_ASSERT_OK(store().CreateSession(Session{"sess-hash-3", user.user_id, kStart, kStart + 1000}));
  SLUICE_ASSERT_OK_AND_ASSIGN(deleted, store().DeleteUser(user.user_id));
  EXPECT_TRUE(deleted);
  SLUICE_ASSERT_OK_AND_ASSIGN(found, store().GetApiKeyByHash("sha256:abc"));
  EXPECT_FALSE(found);
  SLUICE_ASSERT_OK_AND_ASSIGN(session, store().GetSession("sess-hash-3", kStart));
  EXPECT_FALSE(session);
  SLUICE_ASSERT_OK_AND_ASSIGN(deleted, store().DeleteApiKey(key.id));
  EXPECT_FALSE(deleted);
}

TEST_P(EntitiesTest, ReopeningKeepsEverything) {
  Connection c = MakeConnection("durable");
  SLUICE_ASSERT_OK_AND_ASSIGN(auto job, store().EnqueueJob(c.connection_id, JobConfigType::kSync, kStart + 1));
  SLUICE_ASSERT_OK(store().SaveState(c.connection_id, Json::parse(R"({"cursor":7})"), kStart + 2));
  User u;
  u.email = "keep@example.com";
  u.name = "Keep";
  u.password_hash = "h";
  SLUICE_ASSERT_OK_AND_ASSIGN(auto user, store().CreateUser(u, kStart));

  Reopen();
  SLUICE_ASSERT_OK_AND_ASSIGN(auto got, store().GetConnection(c.connection_id));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->sync_catalog, c.sync_catalog);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto pending, store().GetJob(job.job.id));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->status, JobStatus::kPending);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto state, store().GetState(c.connection_id));
  ASSERT_TRUE(state);
  EXPECT_EQ(state->state["cursor"], 7);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto again, store().GetUserByEmail("keep@example.com"));
  EXPECT_TRUE(again);
  SLUICE_ASSERT_OK_AND_ASSIGN(auto workspaces, store().ListWorkspaces());
  EXPECT_EQ(workspaces.size(), 1u);
  // The queued job resumes: a worker can claim it after the restart.
  SLUICE_ASSERT_OK_AND_ASSIGN(auto claimed, store().ClaimJob("worker-after-restart", 30'000, kStart + 10));
  ASSERT_TRUE(claimed);
  EXPECT_EQ(claimed->job.id, job.job.id);
}

INSTANTIATE_TEST_SUITE_P(Dialects, EntitiesTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
