#include "platform/catalog_diff.h"

#include <gtest/gtest.h>

#include "platform/schema_policy.h"
#include "platform/sync_catalog.h"

namespace sluice {
namespace {

// A postgres-like stream: users(id integer pk, name string, score integer, updated_at timestamp).
AirbyteStream Users(Json properties) {
  AirbyteStream s;
  s.name = "users";
  s.namespace_ = "public";
  s.json_schema = {{"type", "object"}, {"properties", std::move(properties)}};
  s.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
  s.source_defined_primary_key = {{"id"}};
  return s;
}

Json BaseProperties() {
  return Json::parse(R"({"id":{"type":"integer"},"name":{"type":["null","string"]},"score":{"type":"integer"},
      "updated_at":{"type":"string","format":"date-time","airbyte_type":"timestamp_without_timezone"}})");
}

ConnectorSpec Dest() {
  ConnectorSpec spec;
  spec.supported_destination_sync_modes = {DestinationSyncMode::kAppend, DestinationSyncMode::kOverwrite,
                                           DestinationSyncMode::kAppendDedup};
  return spec;
}

// The stored catalog: users incremental on updated_at, deduped on id.
Json Stored(Json properties = BaseProperties()) {
  ConnectorSpec dest = Dest();
  Json catalog = SyncCatalogFromDiscovered(Catalog{{Users(std::move(properties))}}, &dest);
  Json& config = catalog["streams"][0]["config"];
  config["syncMode"] = "incremental";
  config["destinationSyncMode"] = "append_dedup";
  config["cursorField"] = Json::array({"updated_at"});
  return catalog;
}

Json Fresh(const Catalog& c) { return SyncCatalogFromDiscovered(c, nullptr); }

TEST(TypeWidensTest, TheLattice) {
  EXPECT_TRUE(TypeWidens(TypeId::kInteger, TypeId::kNumber));
  EXPECT_TRUE(TypeWidens(TypeId::kInteger, TypeId::kDecimal));
  EXPECT_TRUE(TypeWidens(TypeId::kNumber, TypeId::kDecimal));
  EXPECT_TRUE(TypeWidens(TypeId::kNumber, TypeId::kString));
  EXPECT_TRUE(TypeWidens(TypeId::kDate, TypeId::kTimestampTz));
  EXPECT_TRUE(TypeWidens(TypeId::kTimestampNoTz, TypeId::kString));
  EXPECT_TRUE(TypeWidens(TypeId::kJson, TypeId::kString));
  EXPECT_TRUE(TypeWidens(TypeId::kBoolean, TypeId::kBoolean));
  EXPECT_FALSE(TypeWidens(TypeId::kString, TypeId::kInteger));
  EXPECT_FALSE(TypeWidens(TypeId::kNumber, TypeId::kInteger));
  EXPECT_FALSE(TypeWidens(TypeId::kDecimal, TypeId::kNumber));
  EXPECT_FALSE(TypeWidens(TypeId::kJson, TypeId::kInteger));
  EXPECT_FALSE(TypeWidens(TypeId::kTimestampTz, TypeId::kDate));
  EXPECT_FALSE(TypeWidens(TypeId::kBoolean, TypeId::kInteger));
}

TEST(CatalogDiffTest, SameCatalogIsNoChange) {
  CatalogDiff diff = DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(BaseProperties())}}));
  EXPECT_TRUE(diff.empty());
  EXPECT_EQ(diff.change(), SchemaChange::kNoChange);
  EXPECT_EQ(diff.ToJson(), Json::parse(R"({"transforms":[]})"));
  EXPECT_EQ(diff.Summary(), "no change");
}

TEST(CatalogDiffTest, NullabilityAndAnnotationsAreNotChanges) {
  Json props = BaseProperties();
  props["score"] = {{"type", Json::array({"null", "integer"})}, {"description", "points"}};
  EXPECT_TRUE(DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(props)}})).empty());
}

TEST(CatalogDiffTest, AddedRemovedAndWidenedFieldsAreNonBreaking) {
  Json props = BaseProperties();
  props.erase("name");
  props["score"] = {{"type", "string"}};
  props["email"] = {{"type", "string"}};
  CatalogDiff diff = DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(props)}}));
  ASSERT_EQ(diff.transforms.size(), 1u);
  EXPECT_EQ(diff.change(), SchemaChange::kNonBreaking);
  Json j = diff.ToJson();
  const Json& t = j["transforms"][0];
  EXPECT_EQ(t["transformType"], "update_stream");
  EXPECT_EQ(t["streamDescriptor"], Json::parse(R"({"name":"users","namespace":"public"})"));
  const Json& fields = t["updateStream"]["fieldTransforms"];
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0]["transformType"], "remove_field");
  EXPECT_EQ(fields[0]["fieldName"], Json::array({"name"}));
  EXPECT_EQ(fields[0]["breaking"], false);
  EXPECT_EQ(fields[0]["removeField"]["schema"], Json::parse(R"({"type":["null","string"]})"));
  EXPECT_EQ(fields[1]["transformType"], "update_field_schema");
  EXPECT_EQ(fields[1]["fieldName"], Json::array({"score"}));
  EXPECT_EQ(fields[1]["breaking"], false);
  EXPECT_EQ(fields[1]["updateFieldSchema"]["oldSchema"], Json::parse(R"({"type":"integer"})"));
  EXPECT_EQ(fields[1]["updateFieldSchema"]["newSchema"], Json::parse(R"({"type":"string"})"));
  EXPECT_EQ(fields[2]["transformType"], "add_field");
  EXPECT_EQ(fields[2]["addField"]["schema"], Json::parse(R"({"type":"string"})"));
  EXPECT_EQ(t["updateStream"]["streamAttributeTransforms"], Json::array());
  EXPECT_EQ(diff.Summary(), "1 field added, 1 field removed, 1 field retyped");
  const auto lines = diff.Describe();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], "stream public.users: field 'score' changed type integer → string");
}

TEST(CatalogDiffTest, NarrowingTypeChangeIsBreaking) {
  Json props = BaseProperties();
  props["name"] = {{"type", "integer"}};
  CatalogDiff diff = DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(props)}}));
  EXPECT_EQ(diff.change(), SchemaChange::kBreaking);
  ASSERT_EQ(diff.transforms[0].fields.size(), 1u);
  EXPECT_TRUE(diff.transforms[0].fields[0].breaking);
  EXPECT_EQ(diff.Describe()[0],
            "stream public.users: field 'name' changed type string → integer (breaking: type string cannot widen to "
            "integer)");
}

TEST(CatalogDiffTest, RemovedPrimaryKeyAndCursorAreBreaking) {
  Json props = BaseProperties();
  props.erase("id");
  AirbyteStream s = Users(props);
  s.source_defined_primary_key.clear();
  CatalogDiff diff = DiffSyncCatalogs(Stored(), Fresh(Catalog{{s}}));
  EXPECT_EQ(diff.change(), SchemaChange::kBreaking);
  EXPECT_EQ(diff.transforms[0].fields[0].reason, "primary-key field removed");
  ASSERT_TRUE(diff.transforms[0].primary_key_change.has_value());
  Json attrs = diff.ToJson()["transforms"][0]["updateStream"]["streamAttributeTransforms"];
  ASSERT_EQ(attrs.size(), 1u);
  EXPECT_EQ(attrs[0]["transformType"], "update_primary_key");
  EXPECT_EQ(attrs[0]["updatePrimaryKey"]["oldPrimaryKey"], Json::parse(R"([["id"]])"));
  EXPECT_EQ(attrs[0]["updatePrimaryKey"]["newPrimaryKey"], Json::array());

  Json no_cursor = BaseProperties();
  no_cursor.erase("updated_at");
  CatalogDiff cursor = DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(no_cursor)}}));
  EXPECT_EQ(cursor.change(), SchemaChange::kBreaking);
  EXPECT_EQ(cursor.transforms[0].fields[0].reason, "cursor field removed");
}

TEST(CatalogDiffTest, WidenedPrimaryKeyIsNotBreaking) {
  Json props = BaseProperties();
  props["id"] = {{"type", "number"}};
  EXPECT_EQ(DiffSyncCatalogs(Stored(), Fresh(Catalog{{Users(props)}})).change(), SchemaChange::kNonBreaking);
}

TEST(CatalogDiffTest, NestedFieldsArePaths) {
  Json old_props = BaseProperties();
  old_props["address"] = Json::parse(R"({"type":"object","properties":{"city":{"type":"string"}}})");
  Json new_props = BaseProperties();
  new_props["address"] =
      Json::parse(R"({"type":["null","object"],"properties":{"city":{"type":"string"},"zip":{"type":"string"}}})");
  CatalogDiff diff = DiffSyncCatalogs(Stored(old_props), Fresh(Catalog{{Users(new_props)}}));
  ASSERT_EQ(diff.transforms.size(), 1u);
  ASSERT_EQ(diff.transforms[0].fields.size(), 1u);
  EXPECT_EQ(diff.transforms[0].fields[0].field_name, (FieldPath{"address", "zip"}));

  new_props["address"] = {{"type", "array"}};
  CatalogDiff to_array = DiffSyncCatalogs(Stored(old_props), Fresh(Catalog{{Users(new_props)}}));
  EXPECT_EQ(to_array.change(), SchemaChange::kBreaking);  // object → array cannot widen
}

TEST(CatalogDiffTest, StreamsAddedAndRemovedUnselectedLeftOut) {
  Json stored = Stored();
  AirbyteStream other = Users(BaseProperties());
  other.name = "orders";
  ConnectorSpec dest = Dest();
  Json orders = SyncCatalogFromDiscovered(Catalog{{other}}, &dest)["streams"][0];
  orders["config"]["selected"] = false;
  stored["streams"].push_back(orders);
  // The source drops `users`, changes the unselected `orders` and adds `items`.
  Json changed = BaseProperties();
  changed["extra"] = {{"type", "string"}};
  AirbyteStream orders_now = Users(changed);
  orders_now.name = "orders";
  AirbyteStream items = Users(BaseProperties());
  items.name = "items";
  items.namespace_.reset();
  CatalogDiff diff = DiffSyncCatalogs(stored, Fresh(Catalog{{orders_now, items}}));
  ASSERT_EQ(diff.transforms.size(), 2u);
  EXPECT_EQ(diff.transforms[0].kind, StreamTransform::Kind::kRemoveStream);
  EXPECT_EQ(diff.transforms[0].stream.ToString(), "public.users");
  EXPECT_EQ(diff.transforms[1].kind, StreamTransform::Kind::kAddStream);
  EXPECT_EQ(diff.ToJson()["transforms"][1]["streamDescriptor"], Json::parse(R"({"name":"items"})"));
  EXPECT_EQ(diff.change(), SchemaChange::kNonBreaking);
  EXPECT_EQ(diff.Summary(), "1 stream added, 1 stream removed");
}

TEST(CatalogDiffTest, AStoredSchemaWithoutPropertiesIsNotCompared) {
  Json stored = Stored();
  stored["streams"][0]["stream"]["jsonSchema"] = Json::object();
  Json props = BaseProperties();
  props["email"] = {{"type", "string"}};
  EXPECT_TRUE(DiffSyncCatalogs(stored, Fresh(Catalog{{Users(props)}})).empty());
}

TEST(SchemaChangeTest, Names) {
  EXPECT_EQ(SchemaChangeName(SchemaChange::kNonBreaking), "non_breaking");
  EXPECT_EQ(ParseSchemaChange("breaking"), SchemaChange::kBreaking);
  EXPECT_FALSE(ParseSchemaChange("maybe").has_value());
}

}  // namespace
}  // namespace sluice
