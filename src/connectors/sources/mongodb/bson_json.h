#pragma once
// BSON → sluice values: the JSON form of every BSON type (nested documents and arrays, and the
// `data` object of schemaless streams) and the typed column form of top-level fields.
//
//   BSON type              column type (top level)      JSON form (nested)
//   double                 number                       number; NaN / ±Infinity as "NaN", "Infinity", "-Infinity"
//   string, symbol         string                       string
//   document               json (object)                object
//   array                  json (array)                 array
//   binary (UUID 3 and 4)  string                       "0f1e2d3c-…" (canonical UUID text)
//   binary (other)         binary                       base64 string
//   undefined, null        —                            null
//   ObjectId               string                       24 hex digits
//   boolean                boolean                      true / false
//   date (UTC ms)          timestamp_with_timezone      "1969-07-20T20:17:40.5Z" (any year, µs at most)
//   regex                  json                         {"pattern": "…", "options": "…"}
//   DBPointer              json                         {"$ref": "coll", "$id": "hex"}
//   JavaScript code        string                       the code
//   code with scope        json                         {"code": "…", "scope": {…}}
//   int32, int64           integer                      number; int64 beyond ±2^53 as a decimal string
//                                                       (JSON readers would round it)
//   timestamp (oplog)      json                         {"t": seconds, "i": increment}
//   Decimal128             number (big_number, exact)   exact decimal text as a string
//   MinKey / MaxKey        json                         {"$minKey": 1} / {"$maxKey": 1}
//
// A date too far from 1970 for microseconds in int64 (beyond ±292,000 years) is null in a
// column (with a change note) and {"$date": {"$numberLong": "ms"}} in JSON; Decimal128 NaN and
// ±Infinity are null in a column (noted) and their text in JSON.
// Pure functions over libbson iterators; thread-safe.

#include <bson/bson.h>

#include <optional>
#include <string>

#include "base/json.h"
#include "protocol/record_batch.h"
#include "protocol/types.h"

namespace sluice {

//! The JSON form of the value at `iter`.
Json BsonValueToJson(const bson_iter_t* iter);
//! The JSON object of a whole document, fields in order.
Json BsonDocumentToJson(const bson_t* doc);
//! The same, leaving out the top-level field `skip` (e.g. "_id").
Json BsonDocumentToJson(const bson_t* doc, std::string_view skip);

//! The column type a top-level value of this BSON type gets (table above); nullopt for null
//! and undefined (they say nothing about the type).
std::optional<TypeId> BsonColumnType(const bson_iter_t* iter);

//! Appends the value at `iter` as the column's value of the current row of `batch`
//! (REQUIRES: the column has no value for this row yet). The column's type decides the form:
//! its own type's form when the BSON type maps to it (integer → number/decimal widen; any value
//! in a string column is its JSON text unless it is a string itself; any value in a json column
//! is its JSON form); otherwise null with a SOURCE_SERIALIZATION_ERROR change note on the field.
void AppendBsonValue(const bson_iter_t* iter, size_t column, RecordBatch& batch);

//! The identifier text of an `_id` value for the snapshot state (ObjectId hex, integer digits,
//! string), and Airbyte's id_type name for it ("OBJECT_ID", "INT", "LONG", "STRING"); nullopt for
//! other types (their snapshot restarts from the beginning when interrupted).
struct MongoIdText {
  std::string text;
  std::string type;
};
std::optional<MongoIdText> MongoIdOf(const bson_iter_t* iter);
//! Appends `{"<key>": <id>}` of a saved id back to `doc` as its BSON type. False when `type` is
//! unknown or `text` does not parse.
bool AppendMongoId(bson_t* doc, const char* key, const MongoIdText& id);

}  // namespace sluice
