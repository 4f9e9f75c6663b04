#pragma once
// The internal type system: one TypeId per column, mapped both ways to JSON Schema with the
// Airbyte well-known types (../shared/protocol/well_known_types.yaml).
//
//   TypeId            physical layout in a batch        JSON Schema written
//   kBoolean          uint8 (0/1)                        {"type":"boolean"}
//   kInteger          int64                              {"type":"integer"}
//   kNumber           double                             {"type":"number"}
//   kDecimal          exact decimal text                 {"type":"number","airbyte_type":"big_number"}
//   kString           UTF-8 bytes                        {"type":"string"}
//   kBinary           raw bytes (base64 in JSON)         {"type":"string","contentEncoding":"base64"}
//   kDate             int32 days since 1970-01-01        {"type":"string","format":"date"}
//   kTimeNoTz         int64 µs since midnight            ... "airbyte_type":"time_without_timezone"
//   kTimeTz           int64 µs since midnight UTC        ... "airbyte_type":"time_with_timezone"
//   kTimestampNoTz    int64 µs since epoch (wall clock)  ... "airbyte_type":"timestamp_without_timezone"
//   kTimestampTz      int64 µs since epoch UTC           ... "airbyte_type":"timestamp_with_timezone"
//   kJson             JSON text (object, array, any)     the original sub-schema
//
// Reading also accepts the v1 `$ref: WellKnownTypes.json#/definitions/...` form and
// `["null", T]` unions. Timestamps ±infinity are INT64_MAX / INT64_MIN.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

enum class TypeId : uint8_t {
  kBoolean,
  kInteger,
  kNumber,
  kDecimal,
  kString,
  kBinary,
  kDate,
  kTimeNoTz,
  kTimeTz,
  kTimestampNoTz,
  kTimestampTz,
  kJson,
};

//! "boolean", "integer", ... "timestamp_with_timezone", "json".
std::string_view TypeName(TypeId type);
//! Bytes per value for fixed-width types; 0 for variable-length (string, decimal, binary, json).
int FixedWidth(TypeId type);
inline bool IsVariableLength(TypeId type) { return FixedWidth(type) == 0; }

inline constexpr int64_t kInfinityMicros = INT64_MAX;
inline constexpr int64_t kMinusInfinityMicros = INT64_MIN;

struct Field {
  std::string name;
  TypeId type = TypeId::kString;
  bool nullable = true;
  //! The field's JSON Schema as declared by the source (kept verbatim so nested object/array
  //! structure survives for normalization). Empty means "derive from `type`".
  Json json_schema;
};

//! The ordered fields of one stream. Immutable once shared between threads.
class Schema {
 public:
  Schema() = default;
  explicit Schema(std::vector<Field> fields);

  size_t num_fields() const { return fields_.size(); }
  const Field& field(size_t i) const { return fields_[i]; }
  const std::vector<Field>& fields() const { return fields_; }
  //! Index of `name`, or -1.
  int IndexOf(std::string_view name) const;

  //! Parses a stream's `json_schema` (an object schema). Properties become fields in order;
  //! a schema without properties yields no fields. Errors name the offending property.
  static Result<std::shared_ptr<const Schema>> FromJsonSchema(const Json& json_schema);
  //! {"type":"object","properties":{...}} with each field's schema (nullable as a union).
  Json ToJsonSchema() const;

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<Field> fields_;
  std::unordered_map<std::string, int, NameHash, std::equal_to<>> index_;
};

using SchemaPtr = std::shared_ptr<const Schema>;

//! The internal type for one property's JSON Schema; unknown shapes become kJson.
TypeId TypeFromJsonSchema(const Json& property_schema, bool* nullable = nullptr);
//! The JSON Schema written for a type (nullable adds "null" to the type union).
Json JsonSchemaForType(TypeId type, bool nullable);

//! For the protocol's enums named by a table (`names[i]` names value i): sets `out` to the value
//! named `name` and returns true, or returns false (and leaves `out` alone) when none is.
template <typename E, size_t N>
bool ParseEnumName(const std::string_view (&names)[N], std::string_view name, E& out) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) {
      out = static_cast<E>(i);
      return true;
    }
  }
  return false;
}

}  // namespace sluice
