#pragma once
// Decoders for PostgreSQL's binary wire format (the `send` functions of the built-in types), as
// COPY ... (FORMAT binary) produces it: straight into RecordBatch columns, or as JSON for array
// elements. Pure functions; every decoder checks the value's length and returns false on a
// malformed value (never reads past `size`).
//
// Value forms (the internal layouts of protocol/types.h):
//   numeric          exact decimal text as PostgreSQL prints it ("-12.3400", "NaN", "Infinity")
//   float4           the double nearest to the float's shortest decimal form (1.1f -> 1.1)
//   date             days since 1970-01-01; ±infinity -> INT32_MAX / INT32_MIN
//   timestamp[tz]    µs since 1970-01-01 (UTC for tz); ±infinity -> INT64_MAX / INT64_MIN
//   timetz           µs since midnight UTC (the offset is applied, then dropped)
//   uuid             lowercase 8-4-4-4-12 text
//   json / jsonb     JSON text with line breaks (only ever whitespace in JSON) made spaces
//   arrays           JSON arrays (nested for several dimensions; lower bounds dropped)

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "protocol/record_batch.h"

namespace sluice::pgbin {

//! How one column's (or array element's) binary value is decoded.
enum class Decoder : uint8_t {
  kBool,
  kInt2,
  kInt4,
  kInt8,
  kOid,          //!< unsigned 32-bit
  kFloat4,
  kFloat8,
  kNumeric,
  kText,         //!< text, varchar, bpchar, name, enum labels, and every `::text` cast
  kJson,
  kJsonb,        //!< a version byte (1), then JSON text
  kBytea,
  kUuid,
  kInet,         //!< inet and cidr, as their output functions print them
  kDate,
  kTime,
  kTimeTz,
  kTimestamp,
  kTimestampTz,
  kArray,        //!< elements decoded with a separate element decoder
};

//! µs between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
inline constexpr int64_t kPgEpochMicros = 946'684'800'000'000;
//! Days between 1970-01-01 and 2000-01-01.
inline constexpr int32_t kPgEpochDays = 10'957;
inline constexpr int32_t kDateInfinity = INT32_MAX;
inline constexpr int32_t kDateMinusInfinity = INT32_MIN;

inline uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}
inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return __builtin_bswap64(v);
}

//! Appends a numeric's text form. False when malformed.
bool AppendNumericText(std::string& out, const uint8_t* p, size_t size);
//! The double for a float4 value (see above).
double Float4ToDouble(uint32_t bits);
//! Appends "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". REQUIRES: 16 bytes at p.
void AppendUuid(std::string& out, const uint8_t* p);
//! Appends an inet/cidr value as PostgreSQL prints it ("10.0.0.1", "10.0.0.0/8", "::1/64"): the
//! prefix length is shown for cidr always, for inet when it is not the full address. False
//! when malformed.
bool AppendInet(std::string& out, const uint8_t* p, size_t size);
//! Appends JSON text with '\n' and '\r' replaced by spaces (they can only be whitespace).
void AppendJsonText(std::string& out, const uint8_t* p, size_t size);

//! Date/time conversions from the wire values.
int32_t DateFromPg(int32_t pg_days);
int64_t TimestampFromPg(int64_t pg_micros);
//! timetz: time of day and the zone in seconds west of UTC -> µs since midnight UTC.
int64_t TimeTzToUtc(int64_t micros, int32_t zone_seconds_west);

//! Appends one non-null value to `column` (whose type matches the decoder's internal type:
//! kText -> kString, kArray -> kJson, ...). `element` is the element decoder of kArray.
//! False (and nothing appended) when the value is malformed.
bool AppendValue(Column& column, Decoder decoder, Decoder element, const uint8_t* p, size_t size);

//! Appends one non-null scalar value as JSON (array elements): numbers bare, NaN/±Infinity and
//! temporal values as strings, bytea as base64, json verbatim.
bool AppendElementJson(std::string& out, Decoder decoder, const uint8_t* p, size_t size);
//! Appends an array value as a JSON array.
bool AppendArrayJson(std::string& out, Decoder element, const uint8_t* p, size_t size);

//! Appends a value as a PostgreSQL input literal (no quotes) that casts back to the same value:
//! how a cursor position is saved and put into `WHERE cursor >= '...'`. False for decoders that
//! cannot be cursors (bool, bytea, json, arrays) or a malformed value.
bool AppendCursorText(std::string& out, Decoder decoder, const uint8_t* p, size_t size);

}  // namespace sluice::pgbin
