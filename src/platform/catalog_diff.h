#pragma once
// What changed between a connection's stored syncCatalog and a fresh discovery of its source, in
// the shape of Airbyte's `catalogDiff`:
//
//   {"transforms": [{"transformType": "add_stream" | "remove_stream" | "update_stream",
//                    "streamDescriptor": {"name", "namespace"?},
//                    "updateStream": {"fieldTransforms": [
//                        {"transformType": "add_field" | "remove_field" | "update_field_schema",
//                         "fieldName": ["a", "b"], "breaking": bool,
//                         "addField": {"schema"} | "removeField": {"schema"} |
//                         "updateFieldSchema": {"oldSchema", "newSchema"}}],
//                      "streamAttributeTransforms": [
//                        {"transformType": "update_primary_key", "breaking": bool,
//                         "updatePrimaryKey": {"oldPrimaryKey", "newPrimaryKey"}}]}}]}
//
// Rules (pure; no connector is contacted):
// - Streams are matched by namespace and name. Added and removed streams are never breaking.
// - Fields are the properties of a stream's jsonSchema; nested object properties are compared
//   too (fieldName is the path). Only streams selected in the stored catalog get an
//   update_stream (Airbyte leaves unselected streams out of the diff). A stored jsonSchema
//   without `properties` (a hand-written `{}`) is not compared field by field.
// - A type change is compared on the internal types (protocol/types.h); nullability,
//   descriptions and other annotations are not changes. It widens when every old value has a
//   faithful form in the new type (TypeWidens): integer → number → decimal, date → timestamp,
//   and anything → string. Every other type change (string → integer, number → integer,
//   object → anything but string, array ↔ object) is breaking.
// - A removed field, or a narrowing type change, of the stored catalog's configured cursor
//   field or of a configured primary-key field of a selected stream is breaking.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "protocol/catalog.h"
#include "protocol/types.h"

namespace sluice {

//! A stream's identity in a syncCatalog: (namespace, name).
using StreamKey = std::pair<std::optional<std::string>, std::string>;
//! The key of a syncCatalog entry's "stream" object (API form: "name", "namespace").
StreamKey StreamKeyOf(const Json& stream);

//! A connection's (or a diff's) schema change status: Airbyte's `schemaChange`.
enum class SchemaChange { kNoChange, kNonBreaking, kBreaking };
std::string_view SchemaChangeName(SchemaChange change);  //!< "no_change", "non_breaking", "breaking"
std::optional<SchemaChange> ParseSchemaChange(std::string_view name);

//! True when a column of type `from` can become `to` without losing or misreading a value (the
//! destination widens such a column in place). Equal types widen.
bool TypeWidens(TypeId from, TypeId to);

struct FieldTransform {
  enum class Kind { kAddField, kRemoveField, kUpdateFieldSchema };
  Kind kind = Kind::kAddField;
  FieldPath field_name;
  bool breaking = false;
  Json old_schema;  //!< remove / update: the stored field's schema
  Json new_schema;  //!< add / update: the discovered field's schema
  std::string reason;  //!< breaking only: why, for messages ("primary-key field removed")
};

struct StreamTransform {
  enum class Kind { kAddStream, kRemoveStream, kUpdateStream };
  Kind kind = Kind::kUpdateStream;
  StreamDescriptor stream;
  std::vector<FieldTransform> fields;  //!< update_stream only
  //! update_stream only: the source-defined primary key changed (old, new).
  std::optional<std::pair<std::vector<FieldPath>, std::vector<FieldPath>>> primary_key_change;
  bool primary_key_change_breaking = false;

  bool breaking() const;
};

struct CatalogDiff {
  std::vector<StreamTransform> transforms;  //!< in the stored catalog's order, added streams last

  bool empty() const { return transforms.empty(); }
  bool breaking() const;
  //! kNoChange when empty, else kBreaking when any transform is breaking, else kNonBreaking.
  SchemaChange change() const;
  //! Airbyte's catalogDiff JSON (see the top of this file).
  Json ToJson() const;
  //! One line per change, for logs, errors and notifications: "stream public.users: field
  //! 'age' added", "… field 'id' removed (breaking: primary-key field removed)".
  std::vector<std::string> Describe() const;
  //! Counts for a one-line summary: "1 stream added, 2 fields added, 1 field removed (breaking)".
  std::string Summary() const;
};

//! The diff from `stored` (a connection's syncCatalog, API form) to `fresh` (the discovered
//! catalog in the same form, e.g. SyncCatalogFromDiscovered). Malformed entries of `stored` (no
//! name) are skipped: the stored catalog was validated when it was saved.
CatalogDiff DiffSyncCatalogs(const Json& stored, const Json& fresh);

}  // namespace sluice
