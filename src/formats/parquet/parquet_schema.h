#pragma once
// How sluice's internal types map to Parquet physical + logical types (writing):
//
//   TypeId          physical (length)             logical / converted
//   kBoolean        BOOLEAN                       -
//   kInteger        INT64                         INTEGER(64, signed) / INT_64
//   kNumber         DOUBLE                        -
//   kDecimal        FIXED_LEN_BYTE_ARRAY(n)       DECIMAL(p, s) / DECIMAL   when the field's JSON schema
//                                                 has integer "precision" (1..38) and "scale" (0..p)
//                   BYTE_ARRAY                    STRING / UTF8 (the exact text) otherwise
//   kString         BYTE_ARRAY                    STRING / UTF8
//                   FIXED_LEN_BYTE_ARRAY(16)      UUID   when the JSON schema has "format": "uuid"
//   kBinary         BYTE_ARRAY                    -
//                   FIXED_LEN_BYTE_ARRAY(16)      UUID   when the JSON schema has "format": "uuid" (16 raw bytes)
//   kDate           INT32                         DATE / DATE
//   kTimeNoTz/Tz    INT64                         TIME(MICROS, utc false/true) / TIME_MICROS
//   kTimestamp*     INT64                         TIMESTAMP(MICROS, utc false/true) / TIMESTAMP_MICROS
//   kJson           BYTE_ARRAY                    JSON / JSON
//
// LogicalTypes.md asks writers to put TIME_MICROS / TIMESTAMP_MICROS on local (not UTC-adjusted)
// values too, for old readers. Nullable fields are OPTIONAL, others REQUIRED.

#include <cstdint>
#include <string>

#include "formats/parquet/parquet_metadata.h"
#include "protocol/types.h"

namespace sluice::parquet {

//! How a column's values are turned into Parquet values.
enum class ValueKind : uint8_t {
  kBool,          //!< uint8 → BOOLEAN
  kInt32,         //!< int32 → INT32
  kInt64,         //!< int64 → INT64
  kDouble,        //!< double → DOUBLE
  kBytes,         //!< bytes → BYTE_ARRAY
  kUuid,          //!< UUID text → FIXED_LEN_BYTE_ARRAY(16)
  kUuidBytes,     //!< 16 raw bytes → FIXED_LEN_BYTE_ARRAY(16)
  kDecimalFixed,  //!< decimal text → FIXED_LEN_BYTE_ARRAY(n), big-endian two's complement
};

struct ColumnDescriptor {
  std::string name;
  TypeId type = TypeId::kString;
  bool nullable = true;
  ValueKind kind = ValueKind::kBytes;
  SchemaElement element;  //!< the leaf as written to the footer
  int32_t precision = 0;  //!< kDecimalFixed
  int32_t scale = 0;      //!< kDecimalFixed
  int32_t fixed_length = 0;  //!< bytes per FIXED_LEN_BYTE_ARRAY value
};

//! The Parquet column for `field` (see the table above).
ColumnDescriptor DescribeColumn(const Field& field);

//! Bytes a FIXED_LEN_BYTE_ARRAY needs for DECIMAL(precision): 1..16 for precision 1..38.
int32_t DecimalByteWidth(int32_t precision);

//! Parses a UUID ("8-4-4-4-12" hex, any case, or 32 hex digits) into 16 bytes.
bool ParseUuid(std::string_view text, uint8_t out[16]);
//! Appends the canonical lowercase "8-4-4-4-12" form.
void AppendUuid(std::string& out, const uint8_t bytes[16]);

//! Parses decimal text ("-12.340", "1e3", "+5") into the unscaled integer for `scale`.
//! False when it has more significant fractional digits than `scale` or needs more than
//! `precision` digits.
bool ParseDecimal(std::string_view text, int32_t precision, int32_t scale, __int128& out);
//! Appends `unscaled` × 10^-scale as exact decimal text ("-12.34", "0.05", "100").
void AppendDecimal(std::string& out, __int128 unscaled, int32_t scale);

}  // namespace sluice::parquet
