#include "platform/schema_policy.h"

#include <gtest/gtest.h>

#include "platform/sync_catalog.h"

namespace sluice {
namespace {

AirbyteStream Table(std::string name, Json properties) {
  AirbyteStream s;
  s.name = std::move(name);
  s.namespace_ = "public";
  s.json_schema = {{"type", "object"}, {"properties", std::move(properties)}};
  s.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
  s.source_defined_primary_key = {{"id"}};
  return s;
}

Json Props() { return Json::parse(R"({"id":{"type":"integer"},"name":{"type":"string"},"score":{"type":"integer"}})"); }

ConnectorSpec Dest() {
  ConnectorSpec spec;
  spec.supported_destination_sync_modes = {DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite};
  return spec;
}

Connection WithPolicy(std::string policy) {
  ConnectorSpec dest = Dest();
  Connection c;
  c.non_breaking_changes_preference = std::move(policy);
  c.sync_catalog = SyncCatalogFromDiscovered(Catalog{{Table("users", Props())}}, &dest);
  return c;
}

// users gains `email`, loses `name`, widens `score` to string; a new table `orders` appears.
Catalog NonBreakingChange() {
  Json props = Props();
  props.erase("name");
  props["score"] = {{"type", "string"}};
  props["email"] = {{"type", "string"}};
  return Catalog{{Table("users", props), Table("orders", Props())}};
}

Json PropertiesOf(const Json& sync_catalog, size_t i) { return sync_catalog["streams"][i]["stream"]["jsonSchema"]["properties"]; }

TEST(SchemaPolicyTest, NoChangeRunsTheStoredCatalog) {
  Connection c = WithPolicy("ignore");
  auto out = ApplySchemaPolicy(c, Catalog{{Table("users", Props())}}, Dest());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(out->diff.empty());
  EXPECT_EQ(out->action, SchemaPolicyOutcome::Action::kRun);
  EXPECT_FALSE(out->new_sync_catalog.has_value());
  EXPECT_TRUE(out->pending.empty());
  EXPECT_EQ(out->run_sync_catalog, c.sync_catalog);
  EXPECT_EQ(out->ActionName(), "none");
}

TEST(SchemaPolicyTest, IgnoreReadsOnlyTheStoredFieldsAndKeepsTheChangePending) {
  Connection c = WithPolicy("ignore");
  auto out = ApplySchemaPolicy(c, NonBreakingChange(), Dest());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->action, SchemaPolicyOutcome::Action::kRun);
  EXPECT_FALSE(out->new_sync_catalog.has_value());
  EXPECT_EQ(out->pending.change(), SchemaChange::kNonBreaking);
  EXPECT_EQ(out->ActionName(), "pending");
  EXPECT_EQ(out->run_sync_catalog, c.sync_catalog);
  // `email` is not read, `name` is gone, `score` is read with its new (wider) type.
  ASSERT_EQ(out->run_discovered.streams.size(), 2u);
  EXPECT_EQ(out->run_discovered.streams[0].json_schema["properties"],
            Json::parse(R"({"id":{"type":"integer"},"score":{"type":"string"}})"));
  // The new stream is not selected by the stored catalog, so the sync does not read it.
  auto catalogs = BuildConnectionCatalogs(Connection{c}, out->run_discovered, Dest());
  ASSERT_TRUE(catalogs.ok()) << catalogs.status().ToString();
  ASSERT_EQ(catalogs->source.streams.size(), 1u);
  EXPECT_EQ(catalogs->source.streams[0].stream.name, "users");
  Json job = out->ToJobJson();
  EXPECT_EQ(job["schemaChange"], "non_breaking");
  EXPECT_EQ(job["nonBreakingChangesPreference"], "ignore");
  EXPECT_EQ(job["action"], "pending");
  EXPECT_EQ(job["catalogDiff"]["transforms"].size(), 2u);
}

TEST(SchemaPolicyTest, IgnoreSkipsRemovedStreams) {
  Connection c = WithPolicy("ignore");
  auto out = ApplySchemaPolicy(c, Catalog{{Table("orders", Props())}}, Dest());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->run_sync_catalog["streams"].size(), 0u);
  EXPECT_EQ(c.sync_catalog["streams"].size(), 1u);
}

TEST(SchemaPolicyTest, DisableStopsTheSync) {
  auto out = ApplySchemaPolicy(WithPolicy("disable"), NonBreakingChange(), Dest());
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->action, SchemaPolicyOutcome::Action::kDisable);
  EXPECT_TRUE(out->disables_connection());
  EXPECT_EQ(out->ActionName(), "connection_disabled");
  EXPECT_NE(out->FailureMessage().find("nonBreakingChangesPreference is 'disable'"), std::string::npos);
  EXPECT_NE(out->FailureMessage().find("field 'email' added"), std::string::npos);
}

TEST(SchemaPolicyTest, PropagateColumnsUpdatesPresentStreamsOnly) {
  Connection c = WithPolicy("propagate_columns");
  c.sync_catalog["streams"][0]["config"]["aliasName"] = "people";
  auto out = ApplySchemaPolicy(c, NonBreakingChange(), Dest());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->action, SchemaPolicyOutcome::Action::kRun);
  ASSERT_TRUE(out->new_sync_catalog.has_value());
  const Json& stored = *out->new_sync_catalog;
  ASSERT_EQ(stored["streams"].size(), 1u);
  EXPECT_EQ(PropertiesOf(stored, 0), NonBreakingChange().streams[0].json_schema["properties"]);
  EXPECT_EQ(stored["streams"][0]["config"]["aliasName"], "people");  // the user's config is kept
  EXPECT_EQ(out->run_sync_catalog, stored);
  // The new stream is what is left to review.
  ASSERT_EQ(out->pending.transforms.size(), 1u);
  EXPECT_EQ(out->pending.transforms[0].kind, StreamTransform::Kind::kAddStream);
  EXPECT_EQ(out->ActionName(), "propagated");
}

TEST(SchemaPolicyTest, PropagateFullyAddsAndRemovesStreams) {
  Connection c = WithPolicy("propagate_fully");
  Catalog now = NonBreakingChange();
  now.streams[0].name = "customers";  // users removed, customers and orders added
  auto out = ApplySchemaPolicy(c, now, Dest());
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out->new_sync_catalog.has_value());
  const Json& stored = *out->new_sync_catalog;
  ASSERT_EQ(stored["streams"].size(), 2u);
  EXPECT_EQ(stored["streams"][0]["stream"]["name"], "customers");
  EXPECT_EQ(stored["streams"][0]["config"]["selected"], true);
  EXPECT_EQ(stored["streams"][1]["stream"]["name"], "orders");
  EXPECT_TRUE(out->pending.empty());
}

TEST(SchemaPolicyTest, BreakingChangeFailsWhateverThePolicy) {
  for (const char* policy : {"ignore", "disable", "propagate_columns", "propagate_fully"}) {
    Json props = Props();
    props.erase("id");
    AirbyteStream users = Table("users", props);
    users.source_defined_primary_key.clear();
    auto out = ApplySchemaPolicy(WithPolicy(policy), Catalog{{users}}, Dest());
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(out->action, SchemaPolicyOutcome::Action::kFailBreaking) << policy;
    EXPECT_FALSE(out->new_sync_catalog.has_value()) << policy;
    EXPECT_EQ(out->pending.change(), SchemaChange::kBreaking);
    const std::string m = out->FailureMessage();
    EXPECT_NE(m.find("stream public.users: field 'id' removed (breaking: primary-key field removed)"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("enable the connection again"), std::string::npos) << m;
  }
}

TEST(SchemaPolicyTest, RefreshedCatalogKeepsConfigAndAddsNewStreamsUnselected) {
  Connection c = WithPolicy("ignore");
  c.sync_catalog["streams"][0]["config"]["syncMode"] = "incremental";
  c.sync_catalog["streams"][0]["config"]["cursorField"] = Json::array({"score"});
  Json refreshed = RefreshedSyncCatalog(c.sync_catalog, NonBreakingChange(), nullptr);
  ASSERT_EQ(refreshed["streams"].size(), 2u);
  EXPECT_EQ(refreshed["streams"][0]["config"]["syncMode"], "incremental");
  EXPECT_EQ(PropertiesOf(refreshed, 0).size(), 3u);
  EXPECT_EQ(refreshed["streams"][1]["stream"]["name"], "orders");
  EXPECT_EQ(refreshed["streams"][1]["config"]["selected"], false);
  EXPECT_TRUE(DiffSyncCatalogs(refreshed, SyncCatalogFromDiscovered(NonBreakingChange(), nullptr)).empty());
}

TEST(SchemaPolicyTest, RefreshedCatalogDropsKeysTheSourceNoLongerHas) {
  Connection c = WithPolicy("ignore");
  c.sync_catalog["streams"][0]["config"]["cursorField"] = Json::array({"name"});
  Json props = Props();
  props.erase("id");
  props.erase("name");
  AirbyteStream users = Table("users", props);
  users.source_defined_primary_key.clear();
  Json refreshed = RefreshedSyncCatalog(c.sync_catalog, Catalog{{users}}, nullptr);
  EXPECT_EQ(refreshed["streams"][0]["config"]["primaryKey"], Json::array());
  EXPECT_EQ(refreshed["streams"][0]["config"]["cursorField"], Json::array());
}

TEST(SchemaPolicyTest, PolicyNames) {
  EXPECT_EQ(ParseNonBreakingPolicy("propagate_fully"), NonBreakingPolicy::kPropagateFully);
  EXPECT_FALSE(ParseNonBreakingPolicy("disable_connection").has_value());
}

}  // namespace
}  // namespace sluice
