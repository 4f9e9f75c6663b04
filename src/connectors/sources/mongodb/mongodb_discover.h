#pragma once
// Discovery for source-mongodb-v2: one stream per collection of the configured database
// (namespace = the database, primary key `_id`, CDC columns `_ab_cdc_cursor`,
// `_ab_cdc_updated_at`, `_ab_cdc_deleted_at` from the kit), its fields found by sampling up to
// discover_sample_size documents ($sample) and merging their BSON types:
//   - one column type seen (bson_json.h's table) → that type; integer with number → number;
//     Decimal128 with integer or number → decimal; anything else mixed → string (each value's
//     JSON text; Airbyte's rule);
//   - documents → {"type": "object", "properties": {…}} merged the same way (8 levels deep),
//     arrays → {"type": "array", "items": …}: the nesting normalization unfolds.
// With schema_enforced false every stream is `_id` (string) + `data` (object) + the CDC columns.

#include <bson/bson.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "protocol/catalog.h"
#include "protocol/types.h"

namespace sluice {

class MongoClient;
struct MongoSourceConfig;

//! Merges the fields of sampled documents into a JSON Schema. Pure; not thread-safe.
class MongoSchemaBuilder {
 public:
  explicit MongoSchemaBuilder(int depth = 0) : depth_(depth) {}
  //! Adds every field of `doc`.
  void AddDocument(const bson_t* doc);
  //! The properties, fields in first-seen order (each nullable).
  Json Properties() const;

 private:
  struct FieldTypes {
    uint32_t column_types = 0;  //!< bit per TypeId seen (documents and arrays apart)
    bool document = false, array = false, other_json = false;
    std::unique_ptr<MongoSchemaBuilder> object;  //!< documents' fields
    std::unique_ptr<FieldTypes> items;           //!< arrays' elements
  };
  void AddValue(FieldTypes& f, const bson_iter_t* it);
  Json SchemaOf(const FieldTypes& f) const;

  int depth_;
  std::vector<std::string> order_;
  std::map<std::string, FieldTypes> fields_;
};

//! The stream of one collection from its properties (schema_enforced) or the schemaless shape.
AirbyteStream MongoStreamFor(const std::string& database, const std::string& collection, Json properties,
                             bool schema_enforced);

//! Every collection's stream (sampling each). Errors: the client's.
Result<Catalog> DiscoverMongo(MongoClient& client, const MongoSourceConfig& config);

}  // namespace sluice
