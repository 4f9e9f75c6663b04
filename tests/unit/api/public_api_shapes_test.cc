// The Airbyte API's shapes and their mapping to the Config API's (public_api_shapes.h): sync
// modes, schedules, stream configurations, resources, jobs, paging and problem+json errors.

#include "api/public_api_shapes.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

ApiError Caught(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  ADD_FAILURE() << "no ApiError thrown";
  return {};
}

Json Catalog() {
  return Json::parse(R"({"streams": [
    {"stream": {"name": "users", "namespace": "public", "supportedSyncModes": ["full_refresh", "incremental"],
                "sourceDefinedCursor": false, "defaultCursorField": [], "sourceDefinedPrimaryKey": [["id"]],
                "jsonSchema": {"type": "object", "properties": {"id": {"type": "integer"}, "updated_at": {"type": "string"}}}},
     "config": {"syncMode": "full_refresh", "destinationSyncMode": "overwrite", "cursorField": [], "primaryKey": [["id"]],
                "selected": true}},
    {"stream": {"name": "orders", "namespace": "public", "supportedSyncModes": ["full_refresh", "incremental"]},
     "config": {"syncMode": "full_refresh", "destinationSyncMode": "overwrite", "selected": true}}]})");
}

TEST(PublicApiShapes, SyncModesMapBothWays) {
  const std::pair<const char*, std::pair<const char*, const char*>> rows[] = {
      {"full_refresh_overwrite", {"full_refresh", "overwrite"}},
      {"full_refresh_append", {"full_refresh", "append"}},
      {"incremental_append", {"incremental", "append"}},
      {"incremental_deduped_history", {"incremental", "append_dedup"}},
      {"full_refresh_overwrite_deduped", {"full_refresh", "overwrite_dedup"}}};
  for (const auto& [name, pair] : rows) {
    auto mapped = SyncModeFromPublic(name);
    ASSERT_TRUE(mapped) << name;
    EXPECT_EQ(mapped->first, pair.first);
    EXPECT_EQ(mapped->second, pair.second);
    EXPECT_EQ(SyncModeToPublic(pair.first, pair.second), name);
  }
  EXPECT_FALSE(SyncModeFromPublic("incremental"));
  EXPECT_FALSE(SyncModeToPublic("incremental", "overwrite"));  // no public name
  EXPECT_EQ(PublicSyncModes({"full_refresh", "incremental"}, {"overwrite", "append", "append_dedup"}),
            (std::vector<std::string>{"full_refresh_overwrite", "full_refresh_append", "incremental_append",
                                      "incremental_deduped_history"}));
  EXPECT_EQ(PublicSyncModes({"full_refresh"}, {"append"}), (std::vector<std::string>{"full_refresh_append"}));
  EXPECT_EQ(PublicSyncModes({"incremental"}, {}).size(), 2u);  // no destination: all of its modes
}

TEST(PublicApiShapes, SchedulesMapBothWays) {
  EXPECT_EQ(ScheduleToConfig({{"scheduleType", "manual"}}), Json({{"scheduleType", "manual"}}));
  Json cron = ScheduleToConfig({{"scheduleType", "cron"}, {"cronExpression", "0 0 2 * * ?"}});
  EXPECT_EQ(cron["scheduleData"]["cron"]["cronExpression"], "0 0 2 * * ?");
  EXPECT_EQ(cron["scheduleData"]["cron"]["cronTimeZone"], "UTC");
  EXPECT_EQ(ScheduleToPublic(cron), Json({{"scheduleType", "cron"}, {"cronExpression", "0 0 2 * * ?"}}));
  Json basic = ScheduleToConfig({{"scheduleType", "basic"}, {"basicTiming", "Every 6 hours"}});
  EXPECT_EQ(basic["scheduleData"]["basicSchedule"], Json({{"units", 6}, {"timeUnit", "hours"}}));
  EXPECT_EQ(ScheduleToPublic(basic)["basicTiming"], "Every 6 hours");

  EXPECT_EQ(Caught([] { ScheduleToConfig({{"scheduleType", "cron"}}); }).details.at(0).field, "schedule.cronExpression");
  ApiError e = Caught([] { ScheduleToConfig({{"scheduleType", "hourly"}}); });
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.details.at(0).field, "schedule.scheduleType");
  EXPECT_EQ(Caught([] { ScheduleToConfig(Json::object()); }).details.at(0).field, "schedule.scheduleType");
}

TEST(PublicApiShapes, StreamConfigurationsSelectExactlyTheListedStreams) {
  Json configurations = Json::parse(R"({"streams": [
      {"name": "users", "syncMode": "incremental_deduped_history", "cursorField": ["updated_at"]}]})");
  Json catalog = ApplyStreamConfigurations(Catalog(), configurations);
  const Json& users = catalog["streams"][0]["config"];
  EXPECT_TRUE(users["selected"].get<bool>());
  EXPECT_EQ(users["syncMode"], "incremental");
  EXPECT_EQ(users["destinationSyncMode"], "append_dedup");
  EXPECT_EQ(users["cursorField"], Json::array({"updated_at"}));
  EXPECT_EQ(users["primaryKey"], Json::parse(R"([["id"]])"));  // kept from the catalog
  EXPECT_FALSE(catalog["streams"][1]["config"]["selected"].get<bool>());

  Json back = StreamConfigurationsFromCatalog(catalog);
  ASSERT_EQ(back["streams"].size(), 1u);
  EXPECT_EQ(back["streams"][0]["name"], "users");
  EXPECT_EQ(back["streams"][0]["syncMode"], "incremental_deduped_history");

  // A stream newly selected without a mode loses the catalog's, so the destination's default applies.
  Json unselected = Catalog();
  unselected["streams"][1]["config"]["selected"] = false;
  Json picked = ApplyStreamConfigurations(unselected, Json::parse(R"({"streams": [{"name": "orders"}]})"));
  EXPECT_FALSE(picked["streams"][1]["config"].contains("syncMode"));
  // No streams: the catalog as it is (every stream with its defaults).
  EXPECT_EQ(ApplyStreamConfigurations(Catalog(), Json::object()), Catalog());
  EXPECT_EQ(ApplyStreamConfigurations(Catalog(), {{"streams", Json::array()}}), Catalog());
}

TEST(PublicApiShapes, StreamConfigurationErrorsNameTheEntry) {
  ApiError e = Caught([] {
    ApplyStreamConfigurations(Catalog(), Json::parse(R"({"streams": [{"name": "users"}, {"name": "nope"}]})"));
  });
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.details.at(0).field, "configurations.streams[1].name");
  EXPECT_NE(e.message.find("users, orders"), std::string::npos) << e.message;
  e = Caught([] {
    ApplyStreamConfigurations(Catalog(), Json::parse(R"({"streams": [{"name": "users", "syncMode": "incremental"}]})"));
  });
  EXPECT_EQ(e.details.at(0).field, "configurations.streams[0].syncMode");
  EXPECT_NE(e.message.find("incremental_deduped_history"), std::string::npos);
  e = Caught([] { ApplyStreamConfigurations(Catalog(), Json::parse(R"({"streams": [{"name": "users"}, {"name": "users"}]})")); });
  EXPECT_EQ(e.details.at(0).field, "configurations.streams[1].name");
  e = Caught([] { ApplyStreamConfigurations(Catalog(), Json::parse(R"({"streams": [{"name": "users", "primaryKey": ["id"]}]})")); });
  EXPECT_EQ(e.details.at(0).field, "configurations.streams[0].primaryKey[0]");
  e = Caught([] {
    ApplyStreamConfigurations(Catalog(),
                              Json::parse(R"({"streams": [{"name": "users", "selectedFields": [{"fieldPath": ["id"]}]}]})"));
  });
  EXPECT_EQ(e.details.at(0).field, "configurations.streams[0].selectedFields");
}

TEST(PublicApiShapes, ResourcesFromTheConfigApi) {
  Json source = ActorToPublic(true, Json::parse(R"({"sourceId": "s1", "name": "pg", "sourceDefinitionId": "decd338e",
      "workspaceId": "w1", "connectorName": "source-postgres", "connectionConfiguration": {"password": "**********"},
      "createdAt": 1700000000})"));
  EXPECT_EQ(source, Json::parse(R"({"sourceId": "s1", "name": "pg", "sourceType": "postgres", "definitionId": "decd338e",
      "workspaceId": "w1", "configuration": {"password": "**********"}, "createdAt": 1700000000})"));
  Json destination = ActorToPublic(false, Json::parse(R"({"destinationId": "d1", "connectorName": "destination-local"})"));
  EXPECT_EQ(destination["destinationType"], "local");

  Json connection = ConnectionToPublic(Json::parse(R"({"connectionId": "c1", "name": "n", "sourceId": "s1",
      "destinationId": "d1", "workspaceId": "w1", "status": "active", "scheduleType": "manual",
      "namespaceDefinition": "customformat", "namespaceFormat": "raw_${SOURCE_NAMESPACE}", "prefix": "p_",
      "nonBreakingChangesPreference": "disable", "createdAt": 5, "syncCatalog": {"streams": []}})"));
  EXPECT_EQ(connection["namespaceDefinition"], "custom_format");
  EXPECT_EQ(connection["nonBreakingSchemaUpdatesBehavior"], "disable_connection");
  EXPECT_EQ(connection["schedule"], Json({{"scheduleType", "manual"}}));
  EXPECT_EQ(connection["configurations"], Json({{"streams", Json::array()}}));
  EXPECT_EQ(connection["tags"], Json::array());
  EXPECT_EQ(NamespaceDefinitionToConfig("custom_format", "namespaceDefinition"), "customformat");
  EXPECT_EQ(NonBreakingToConfig("disable_connection", "x"), "disable");
  EXPECT_EQ(Caught([] { NamespaceDefinitionToConfig("elsewhere", "namespaceDefinition"); }).details.at(0).field,
            "namespaceDefinition");
}

TEST(PublicApiShapes, WorkspaceNotificationsMapBothWays) {
  Json ws = WorkspaceToPublic(Json::parse(R"({"workspaceId": "w1", "name": "Data",
      "notificationSettings": {"slackWebhookUrl": "https://hooks.example/**********", "sendOnFailure": true,
                               "sendOnSuccess": false, "sendOnConnectionDisabled": true}})"));
  EXPECT_EQ(ws["notifications"]["failure"]["webhook"], Json({{"enabled", true}, {"url", "https://hooks.example/**********"}}));
  EXPECT_FALSE(ws["notifications"]["success"]["webhook"]["enabled"].get<bool>());
  EXPECT_TRUE(ws["notifications"]["syncDisabled"]["webhook"]["enabled"].get<bool>());
  EXPECT_EQ(ws["dataResidency"], "auto");

  Json settings = NotificationsToConfig(Json::parse(R"({"failure": {"webhook": {"enabled": true, "url": "https://h/x"}},
      "success": {"webhook": {"enabled": false}}, "syncDisabledWarning": {"webhook": {"enabled": false}}})"));
  EXPECT_EQ(settings, Json::parse(R"({"sendOnFailure": true, "sendOnSuccess": false, "slackWebhookUrl": "https://h/x"})"));
  EXPECT_EQ(Caught([] {
              NotificationsToConfig(Json::parse(
                  R"({"failure": {"webhook": {"url": "https://a/1"}}, "success": {"webhook": {"url": "https://b/2"}}})"));
            }).details.at(0).field,
            "notifications.success.webhook.url");
  EXPECT_EQ(Caught([] { NotificationsToConfig(Json::parse(R"({"failure": {"email": {"enabled": true}}})")); })
                .details.at(0)
                .field,
            "notifications.failure.email.enabled");
}

TEST(PublicApiShapes, JobsAsJobResponse) {
  Json info = Json::parse(R"({"job": {"id": 42, "configType": "reset_connection", "configId": "c1",
      "createdAt": 1700000000, "updatedAt": 1700003723, "status": "succeeded"},
      "attempts": [{"attempt": {"recordsSynced": 10, "bytesSynced": 100}},
                   {"attempt": {"recordsSynced": 5, "bytesSynced": 50}}]})");
  Json job = JobToPublic(info, 0);
  EXPECT_EQ(job, Json::parse(R"({"jobId": 42, "status": "succeeded", "jobType": "reset",
      "startTime": "2023-11-14T22:13:20Z", "connectionId": "c1", "lastUpdatedAt": "2023-11-14T23:15:23Z",
      "duration": "PT1H2M3S", "bytesSynced": 150, "rowsSynced": 15})"));
  info["job"]["status"] = "running";  // runs until now
  EXPECT_EQ(JobToPublic(info, 1700000005'000)["duration"], "PT5S");
  EXPECT_EQ(IsoDuration(0), "PT0S");
  EXPECT_EQ(IsoDuration(3600), "PT1H");
  EXPECT_EQ(IsoDuration(61), "PT1M1S");
  EXPECT_EQ(JobTypeToConfig("reset"), "reset_connection");
  EXPECT_FALSE(JobTypeToConfig("reset_connection"));
}

TEST(PublicApiShapes, StreamProperties) {
  Json props = StreamPropertiesToPublic(Catalog()["streams"][0], {"overwrite", "append"});
  EXPECT_EQ(props["streamName"], "users");
  EXPECT_EQ(props["streamnamespace"], "public");
  EXPECT_EQ(props["syncModes"], Json::array({"full_refresh_overwrite", "full_refresh_append", "incremental_append"}));
  EXPECT_EQ(props["sourceDefinedPrimaryKey"], Json::parse(R"([["id"]])"));
  EXPECT_EQ(props["propertyFields"], Json::parse(R"([["id"], ["updated_at"]])"));
}

TEST(PublicApiShapes, PagingWithNextAndPrevious) {
  Json items = Json::array();
  for (int i = 0; i < 7; ++i) items.push_back(i);
  Json query = {{"limit", "3"}, {"offset", "3"}, {"workspaceIds", "a,b"}};
  Page page = ReadPage(query);
  EXPECT_EQ(page.limit, 3);
  EXPECT_EQ(page.offset, 3);
  Json answer = PagedAnswer(items, page, 7, "/api/public/v1/sources", query);
  EXPECT_EQ(answer["data"], Json::array({3, 4, 5}));
  EXPECT_EQ(answer["next"], "/api/public/v1/sources?limit=3&offset=6&workspaceIds=a,b");
  EXPECT_EQ(answer["previous"], "/api/public/v1/sources?limit=3&offset=0&workspaceIds=a,b");
  Json last = PagedAnswer(items, {3, 6}, 7, "/x", Json::object());
  EXPECT_EQ(last["data"], Json::array({6}));
  EXPECT_FALSE(last.contains("next"));
  EXPECT_FALSE(PagedAnswer(items, {20, 0}, 7, "/x", Json::object()).contains("previous"));
  EXPECT_EQ(Caught([] { ReadPage({{"limit", 101}}); }).details.at(0).field, "limit");
  EXPECT_EQ(Caught([] { ReadPage({{"offset", "-1"}}); }).details.at(0).field, "offset");
  EXPECT_EQ(Caught([] { ReadPage({{"limit", "ten"}}); }).details.at(0).field, "limit");
}

TEST(PublicApiShapes, ProblemJsonAndRenamedFields) {
  ApiError e{422, "connectionConfiguration: 1 problem(s) for source-postgres",
             {{"connectionConfiguration.port", "must be an integer"}}};
  RenameFields(e, {{"connectionConfiguration", "configuration"}});
  EXPECT_EQ(e.details[0].field, "configuration.port");
  EXPECT_EQ(e.message, "configuration: 1 problem(s) for source-postgres");
  Json problem = ProblemJson(e);
  EXPECT_EQ(problem["status"], 400);  // the public API answers invalid values with 400
  EXPECT_EQ(problem["title"], "bad-request");
  EXPECT_EQ(problem["type"], "https://reference.airbyte.com/reference/errors#bad-request");
  EXPECT_EQ(problem["detail"], e.message);
  EXPECT_EQ(problem["data"]["details"][0]["field"], "configuration.port");
  EXPECT_EQ(ProblemJson({404, "source x not found", {}})["title"], "resource-not-found");
  EXPECT_EQ(ProblemJson({401, "authentication required", {}})["status"], 401);
  EXPECT_EQ(ProblemJson({500, "internal error", {}})["title"], "unexpected-problem");
  // Only whole names are renamed.
  ApiError f{400, "sourceIds: x; sourceId: y", {{"sourceIds", "x"}}};
  RenameFields(f, {{"sourceId", "id"}});
  EXPECT_EQ(f.message, "sourceIds: x; id: y");
  EXPECT_EQ(f.details[0].field, "sourceIds");
}

}  // namespace
}  // namespace sluice
