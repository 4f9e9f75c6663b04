#include "connectors/sources/mongodb/mongodb_discover.h"

#include <fmt/format.h>

#include "base/log.h"
#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/sources/mongodb/bson_json.h"
#include "connectors/sources/mongodb/mongodb_client.h"
#include "connectors/sources/mongodb/mongodb_source_config.h"

namespace sluice {

namespace {

constexpr int kMaxDepth = 8;

uint32_t Bit(TypeId t) { return 1u << static_cast<unsigned>(t); }

Json Nullable(Json type_name) { return Json::array({"null", std::move(type_name)}); }

}  // namespace

void MongoSchemaBuilder::AddDocument(const bson_t* doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return;
  while (bson_iter_next(&it)) {
    const std::string key = bson_iter_key(&it);
    auto found = fields_.find(key);
    if (found == fields_.end()) {
      order_.push_back(key);
      found = fields_.emplace(key, FieldTypes{}).first;
    }
    AddValue(found->second, &it);
  }
}

void MongoSchemaBuilder::AddValue(FieldTypes& f, const bson_iter_t* it) {
  const bson_type_t t = bson_iter_type(it);
  if (t == BSON_TYPE_DOCUMENT) {
    f.document = true;
    if (depth_ < kMaxDepth) {
      if (!f.object) f.object = std::make_unique<MongoSchemaBuilder>(depth_ + 1);
      bson_iter_t child;
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(it, &len, &data);
      bson_t sub;
      if (bson_init_static(&sub, data, len)) f.object->AddDocument(&sub);
      (void)child;
    }
    return;
  }
  if (t == BSON_TYPE_ARRAY) {
    f.array = true;
    if (depth_ < kMaxDepth) {
      if (!f.items) f.items = std::make_unique<FieldTypes>();
      bson_iter_t child;
      if (bson_iter_recurse(it, &child)) {
        MongoSchemaBuilder nested(depth_ + 1);
        while (bson_iter_next(&child)) nested.AddValue(*f.items, &child);
        // Documents inside the array were merged into items->object by the nested builder,
        // which shares depth_ + 1: nothing else to carry over.
      }
    }
    return;
  }
  const auto type = BsonColumnType(it);
  if (!type) return;
  if (*type == TypeId::kJson) {
    f.other_json = true;
    return;
  }
  f.column_types |= Bit(*type);
}

Json MongoSchemaBuilder::SchemaOf(const FieldTypes& f) const {
  const int kinds = (f.column_types != 0) + f.document + f.array + f.other_json;
  if (kinds == 0) return Json{{"type", Nullable("string")}};  // only nulls seen
  if (kinds == 1 && f.document) {
    Json s = {{"type", Nullable("object")}};
    if (f.object) s["properties"] = f.object->Properties();
    return s;
  }
  if (kinds == 1 && f.array) {
    Json s = {{"type", Nullable("array")}};
    if (f.items) s["items"] = SchemaOf(*f.items);
    return s;
  }
  if (kinds == 1 && f.other_json) return Json{{"type", Nullable("object")}};
  if (kinds == 1) {
    const uint32_t t = f.column_types;
    const uint32_t numeric = Bit(TypeId::kInteger) | Bit(TypeId::kNumber) | Bit(TypeId::kDecimal);
    for (TypeId id : {TypeId::kBoolean, TypeId::kInteger, TypeId::kNumber, TypeId::kDecimal, TypeId::kString,
                      TypeId::kBinary, TypeId::kTimestampTz}) {
      if (t == Bit(id)) return JsonSchemaForType(id, /*nullable=*/true);
    }
    if ((t & ~numeric) == 0) {
      return JsonSchemaForType((t & Bit(TypeId::kDecimal)) ? TypeId::kDecimal : TypeId::kNumber, true);
    }
  }
  return JsonSchemaForType(TypeId::kString, true);  // mixed: each value's JSON text
}

Json MongoSchemaBuilder::Properties() const {
  Json props = Json::object();
  for (const auto& name : order_) props[name] = SchemaOf(fields_.at(name));
  return props;
}

AirbyteStream MongoStreamFor(const std::string& database, const std::string& collection, Json properties,
                             bool schema_enforced) {
  AirbyteStream s;
  s.name = collection;
  s.namespace_ = database;
  Json props = Json::object();
  if (schema_enforced) {
    props["_id"] = properties.contains("_id") ? properties["_id"] : JsonSchemaForType(TypeId::kString, true);
    for (auto& [k, v] : properties.items()) {
      if (k != "_id") props[k] = v;
    }
  } else {
    props["_id"] = JsonSchemaForType(TypeId::kString, true);
    props["data"] = {{"type", Nullable("object")}};
  }
  s.json_schema = {{"type", "object"}, {"properties", std::move(props)}};
  AddCdcColumns(s, std::span<const CdcColumn>(kBinlogPositionColumns, 1));  // _ab_cdc_cursor, as Airbyte's
  s.source_defined_primary_key = {{"_id"}};
  return s;
}

Result<Catalog> DiscoverMongo(MongoClient& client, const MongoSourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(const std::vector<std::string> names, client.ListCollections());
  if (names.empty()) Log(LogLevel::kWarn, "database '{}' has no collections", config.database);
  Catalog catalog;
  for (const auto& name : names) {
    MongoSchemaBuilder builder;
    if (config.schema_enforced) {
      CollectionPtr coll = client.Collection(name);
      BsonPtr pipeline = BsonFromJson(fmt::format(R"({{"pipeline": [{{"$sample": {{"size": {}}}}}]}})",
                                                  config.discover_sample_size));
      BsonPtr opts = BsonFromJson(fmt::format(R"({{"maxTimeMS": {}, "allowDiskUse": true}})",
                                              config.discover_timeout_seconds * 1000));
      CursorPtr cursor(mongoc_collection_aggregate(coll.get(), MONGOC_QUERY_NONE, pipeline.get(), opts.get(), nullptr));
      const bson_t* doc = nullptr;
      uint64_t sampled = 0;
      while (mongoc_cursor_next(cursor.get(), &doc)) {
        builder.AddDocument(doc);
        ++sampled;
      }
      bson_error_t error;
      if (mongoc_cursor_error(cursor.get(), &error)) {
        return client.ErrorStatus(error, fmt::format("sampling collection '{}'", name));
      }
      Log(LogLevel::kDebug, "{}.{}: sampled {} documents", config.database, name, sampled);
    }
    catalog.streams.push_back(MongoStreamFor(config.database, name, builder.Properties(), config.schema_enforced));
  }
  return catalog;
}

}  // namespace sluice
