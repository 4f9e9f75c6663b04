#pragma once
// The PostgreSQL → sluice type mapping. Exact types travel in binary (integers, floats, numeric,
// boolean, text types, bytea, uuid, json/jsonb, date/time types, arrays of these); every other
// type — interval, macaddr, money, bit/varbit, xml, geometric, ranges, tsvector,
// composites, extension types — is selected as `col::text` (arrays as `col::text[]`) and becomes
// a string in PostgreSQL's own text form. Domains map like their base type; enums are strings.
//
//   PostgreSQL                              sluice type       JSON Schema extras
//   smallint, integer, bigint, oid          kInteger
//   real, double precision                  kNumber           (NaN/±Infinity kept)
//   numeric(p,s), numeric                   kDecimal          precision/scale for numeric(p,s)
//   boolean                                 kBoolean
//   text, varchar, char(n), name, enum      kString
//   uuid                                    kString           format: uuid
//   inet, cidr                              kString           (binary, printed as PostgreSQL does)
//   bytea                                   kBinary
//   date                                    kDate             (±infinity: INT32_MAX/MIN)
//   time / timetz                           kTimeNoTz / kTimeTz
//   timestamp / timestamptz                 kTimestampNoTz / kTimestampTz (±infinity: INT64_MAX/MIN)
//   json, jsonb                             kJson
//   T[]                                     kJson             type: array, items: T's schema
//   everything else                         kString (text form)

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sources/postgres/pg_binary.h"
#include "protocol/types.h"

namespace sluice {

class PgConnection;

//! How one column is selected, decoded and described.
struct PgColumnType {
  TypeId type = TypeId::kString;
  pgbin::Decoder decoder = pgbin::Decoder::kText;
  pgbin::Decoder element = pgbin::Decoder::kText;  //!< kArray only
  TypeId element_type = TypeId::kString;           //!< kArray only
  //! The select-list cast: "" (binary as is), "::text" or "::text[]".
  std::string_view cast;
  int precision = -1;  //!< numeric(p,s) only
  int scale = -1;
  //! Can be an incremental cursor: ordered, and its value survives a text round trip.
  bool cursor_ok = false;
  bool uuid = false;

  //! The field's JSON Schema.
  Json JsonSchema(bool nullable) const;
};

//! pg_type rows needed to resolve domains, enums and arrays, loaded once per connection.
class PgTypeCatalog {
 public:
  //! Loads every type except tables' row types.
  static Result<PgTypeCatalog> Load(PgConnection& conn);

  //! The mapping of a column of type `oid` with modifier `typmod` (atttypmod).
  PgColumnType Resolve(uint32_t oid, int32_t typmod) const;

  struct TypeRow {
    char typtype = 'b';      //!< b base, d domain, e enum, c composite, r range, m multirange, p pseudo
    char category = 'U';     //!< typcategory ('A' = array)
    uint32_t base = 0;       //!< domains: typbasetype
    int32_t typmod = -1;     //!< domains: typtypmod
    uint32_t element = 0;    //!< typelem
    int16_t length = 0;      //!< typlen
  };
  //! For tests: registers a type row.
  void Add(uint32_t oid, TypeRow row) { types_[oid] = row; }

 private:
  //! Follows domains to their base type; `typmod` takes the first domain modifier found.
  uint32_t BaseOf(uint32_t oid, int32_t& typmod) const;
  PgColumnType ResolveScalar(uint32_t oid, int32_t typmod) const;

  std::unordered_map<uint32_t, TypeRow> types_;
};

//! numeric's atttypmod -> precision and scale (false for unbounded numeric). Negative scales
//! and scales above the precision (PostgreSQL 15) are widened to an equivalent DECIMAL(p,s)
//! with 0 <= s <= p that holds every value.
bool NumericPrecisionScale(int32_t typmod, int& precision, int& scale);

//! A number (an oid, a typmod) in the text result of a catalog query; 0 when it is not one.
template <typename T>
T ParseCatalogNumber(std::string_view s) {
  T v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

}  // namespace sluice
