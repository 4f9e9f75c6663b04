// source-mongodb-v2's config (Airbyte's keys) and discovery's type merging.
#include <gtest/gtest.h>

#include "connectors/sources/mongodb/mongodb_discover.h"
#include "connectors/sources/mongodb/mongodb_source_config.h"

namespace sluice {
namespace {

Json Base() {
  return Json::parse(R"({"database_config": {"cluster_type": "SELF_MANAGED_REPLICA_SET",
      "connection_string": "mongodb://127.0.0.1:27017/?replicaSet=rs0", "database": "shop"}})");
}

TEST(MongoConfig, AirbyteKeysAndDefaults) {
  auto c = ParseMongoSourceConfig(Base());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->database, "shop");
  EXPECT_EQ(c->auth_source, "admin");
  EXPECT_TRUE(c->schema_enforced);
  EXPECT_EQ(c->update_capture_mode, MongoUpdateCaptureMode::kLookup);
  EXPECT_FALSE(c->resync_on_invalid_position);
  EXPECT_EQ(c->discover_sample_size, 10000);
  Json j = Base();
  j["database_config"]["schema_enforced"] = false;
  j["update_capture_mode"] = "Post Image";
  j["invalid_cdc_cursor_position_behavior"] = "Re-sync data";
  j["initial_waiting_seconds"] = 200;
  j["queue_size"] = 2000;
  auto d = ParseMongoSourceConfig(j);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_FALSE(d->schema_enforced);
  EXPECT_EQ(d->update_capture_mode, MongoUpdateCaptureMode::kPostImage);
  EXPECT_TRUE(d->resync_on_invalid_position);
  EXPECT_EQ(d->initial_waiting_seconds, 200);
  EXPECT_EQ(d->queue_size, 2000);
}

TEST(MongoConfig, ProblemsNameTheirPath) {
  Json j = Base();
  j["database_config"]["connection_string"] = "http://x";
  j["database_config"].erase("database");
  j["initial_waiting_seconds"] = 5;
  auto c = ParseMongoSourceConfig(j);
  ASSERT_FALSE(c.ok());
  const std::string m = c.status().ToString();
  EXPECT_NE(m.find("$.database_config.connection_string"), std::string::npos) << m;
  EXPECT_NE(m.find("$.database_config.database"), std::string::npos) << m;
  EXPECT_NE(m.find("$.initial_waiting_seconds"), std::string::npos) << m;
  Json atlas = Base();
  atlas["database_config"]["cluster_type"] = "ATLAS_REPLICA_SET";
  EXPECT_FALSE(ParseMongoSourceConfig(atlas).ok());  // Atlas needs credentials
  Json many = Base();
  many["database_config"].erase("database");
  many["database_config"]["databases"] = {"a", "b"};
  EXPECT_FALSE(ParseMongoSourceConfig(many).ok());
  many["database_config"]["databases"] = {"a"};
  EXPECT_EQ(ParseMongoSourceConfig(many)->database, "a");
}

TEST(MongoConfig, SpecMarksThePasswordSecretAndValidatesTheBaseConfig) {
  const Json spec = MongoSourceSpecJson();
  const Json& branches = spec["properties"]["database_config"]["oneOf"];
  ASSERT_EQ(branches.size(), 2u);
  for (const auto& b : branches) EXPECT_TRUE(b["properties"]["password"]["airbyte_secret"].get<bool>());
  EXPECT_EQ(branches[0]["properties"]["cluster_type"]["const"], "ATLAS_REPLICA_SET");
  EXPECT_EQ(spec["properties"]["update_capture_mode"]["enum"], Json::array({"Lookup", "Post Image"}));
}

// ---- discovery's merge -------------------------------------------------------------------------

struct Doc {
  bson_t b;
  Doc() { bson_init(&b); }
  ~Doc() { bson_destroy(&b); }
};

TEST(MongoSchema, MergesTypesAcrossDocuments) {
  MongoSchemaBuilder builder;
  Doc a, b;
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  bson_append_oid(&a.b, "_id", -1, &oid);
  bson_append_int32(&a.b, "n", -1, 1);
  bson_append_int32(&a.b, "mixed", -1, 1);
  bson_append_int32(&a.b, "dec", -1, 1);
  bson_append_null(&a.b, "later", -1);
  bson_t child;
  bson_append_document_begin(&a.b, "addr", -1, &child);
  bson_append_utf8(&child, "city", -1, "Paris", -1);
  bson_append_document_end(&a.b, &child);
  bson_append_oid(&b.b, "_id", -1, &oid);
  bson_append_double(&b.b, "n", -1, 1.5);
  bson_append_utf8(&b.b, "mixed", -1, "x", -1);
  bson_decimal128_t dec;
  bson_decimal128_from_string("1.25", &dec);
  bson_append_decimal128(&b.b, "dec", -1, &dec);
  bson_append_date_time(&b.b, "later", -1, 0);
  bson_append_document_begin(&b.b, "addr", -1, &child);
  bson_append_int64(&child, "zip", -1, 75001);
  bson_append_document_end(&b.b, &child);
  bson_t arr;
  bson_append_array_begin(&b.b, "tags", -1, &arr);
  bson_append_utf8(&arr, "0", -1, "t", -1);
  bson_append_array_end(&b.b, &arr);
  builder.AddDocument(&a.b);
  builder.AddDocument(&b.b);
  const Json p = builder.Properties();
  std::vector<std::string> names;
  for (auto& [k, v] : p.items()) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"_id", "n", "mixed", "dec", "later", "addr", "tags"}));
  EXPECT_EQ(TypeFromJsonSchema(p["_id"]), TypeId::kString);
  EXPECT_EQ(TypeFromJsonSchema(p["n"]), TypeId::kNumber);
  EXPECT_EQ(TypeFromJsonSchema(p["mixed"]), TypeId::kString);
  EXPECT_EQ(TypeFromJsonSchema(p["dec"]), TypeId::kDecimal);
  EXPECT_EQ(TypeFromJsonSchema(p["later"]), TypeId::kTimestampTz);
  EXPECT_EQ(TypeFromJsonSchema(p["addr"]), TypeId::kJson);
  EXPECT_EQ(TypeFromJsonSchema(p["addr"]["properties"]["city"]), TypeId::kString);
  EXPECT_EQ(TypeFromJsonSchema(p["addr"]["properties"]["zip"]), TypeId::kInteger);
  EXPECT_EQ(p["tags"]["items"]["type"], Json::array({"null", "string"}));

  const AirbyteStream s = MongoStreamFor("shop", "orders", p, true);
  EXPECT_EQ(s.namespace_, "shop");
  EXPECT_EQ(s.source_defined_primary_key, (std::vector<FieldPath>{{"_id"}}));
  EXPECT_EQ(s.default_cursor_field, (std::vector<std::string>{"_ab_cdc_cursor"}));
  EXPECT_TRUE(s.json_schema["properties"].contains("_ab_cdc_deleted_at"));
  const AirbyteStream loose = MongoStreamFor("shop", "orders", p, false);
  std::vector<std::string> loose_names;
  for (auto& [k, v] : loose.json_schema["properties"].items()) loose_names.push_back(k);
  EXPECT_EQ(loose_names, (std::vector<std::string>{"_id", "data", "_ab_cdc_cursor", "_ab_cdc_updated_at",
                                                   "_ab_cdc_deleted_at"}));
}

}  // namespace
}  // namespace sluice
