#pragma once
// Binary COPY encoding (PostgreSQL's "PGCOPY" format) straight from RecordBatch columns.
//
// Internal type → column type of a new column (PgTypeForField):
//   boolean boolean · integer bigint · number double precision · decimal numeric · string text ·
//   binary bytea · date date · time_without_timezone time · time_with_timezone timetz ·
//   timestamp_without_timezone timestamp · timestamp_with_timezone timestamptz (±infinity kept) ·
//   json jsonb
//
// A column that already exists with another type (schema evolution, a table made by hand or by
// Airbyte) is written through the value's text form parsed as the column's type; a value that
// does not fit (bad text, out of range, too long, NUL in text, \u0000 in jsonb, invalid UTF-8)
// is written as NULL and Encode() returns false so the caller records a
// DESTINATION_TYPECAST_ERROR change. Column types outside the list in PgColumnType::Supported()
// cannot be written at all (a config error at Begin).
//
// Nothing here allocates per value once the scratch buffers have grown.

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "protocol/record_batch.h"
#include "protocol/types.h"

namespace sluice {

//! PostgreSQL type OIDs (pg_type.oid) this destination knows.
namespace pg_oid {
inline constexpr uint32_t kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25, kJson = 114,
                          kFloat4 = 700, kFloat8 = 701, kBpchar = 1042, kVarchar = 1043, kDate = 1082, kTime = 1083,
                          kTimestamp = 1114, kTimestampTz = 1184, kTimeTz = 1266, kNumeric = 1700, kUuid = 2950,
                          kJsonb = 3802;
}  // namespace pg_oid

//! A column's type as pg_attribute has it.
struct PgColumnType {
  uint32_t oid = 0;
  int32_t typmod = -1;  //!< -1: none; varchar(n)/bpchar(n): n + 4; numeric(p,s): ((p << 16) | s) + 4

  bool operator==(const PgColumnType&) const = default;
  //! True for the types listed in pg_oid.
  bool Supported() const;
};

//! The SQL type of a new column for `type` ("bigint", "timestamp with time zone", ...).
std::string_view PgTypeForField(TypeId type);
//! The PgColumnType of a new column for `type`.
PgColumnType PgColumnTypeForField(TypeId type);
//! True when a column of `column` is the natural home of `type` (no conversion through text).
bool IsNaturalColumnType(TypeId type, PgColumnType column);

//! A wider column type for an existing column of `column` that now receives `type`, when every
//! value the column holds has an exact form in it and `type`'s values fit (no NULLs from
//! conversion): smallint/integer → bigint; integer types and floats → numeric (number or
//! decimal fields: a bigint's digits are not rounded to a double); real → double precision;
//! date → timestamp, timestamptz (read as UTC); varchar(n), char(n) and every type but bytea
//! → text (string fields). (A timestamptz value already lands in a timestamp column exactly, as
//! UTC wall-clock time.) Nullopt when the column already takes
//! `type` or no such widening exists (the values then go through their text form).
struct PgWidening {
  PgColumnType type;
  std::string sql;    //!< "numeric", "text", ...
  std::string using_; //!< the USING expression with {} for the quoted column name
};
std::optional<PgWidening> WidenColumnType(PgColumnType column, TypeId type);

//! A growing binary COPY stream: header, rows, trailer. Keeps its capacity across Clear().
class CopyBuffer {
 public:
  //! The 19-byte "PGCOPY\n\377\r\n\0" header with no flags and no extension.
  void AppendHeader();
  //! The -1 field count that ends the data.
  void AppendTrailer() { PutInt16(-1); }

  void BeginRow(int16_t fields) { PutInt16(fields); }
  void AppendNull() { PutInt32(-1); }
  void AppendBool(bool v) {
    PutInt32(1);
    *buffer_.Extend(1) = v ? 1 : 0;
  }
  void AppendInt16(int16_t v) {
    PutInt32(2);
    PutInt16(v);
  }
  void AppendInt32(int32_t v) {
    PutInt32(4);
    PutInt32(v);
  }
  void AppendInt64(int64_t v) {
    PutInt32(8);
    PutInt64(v);
  }
  void AppendFloat4(float v);
  void AppendFloat8(double v);
  void AppendBytes(std::string_view v) {
    PutInt32(static_cast<int32_t>(v.size()));
    buffer_.Append(v.data(), v.size());
  }
  //! jsonb: version byte 1 and the JSON text.
  void AppendJsonb(std::string_view json) {
    PutInt32(static_cast<int32_t>(json.size() + 1));
    *buffer_.Extend(1) = 1;
    buffer_.Append(json.data(), json.size());
  }
  //! timetz: µs since midnight UTC, zone 0.
  void AppendTimeTz(int64_t micros) {
    PutInt32(12);
    PutInt64(micros);
    PutInt32(0);
  }

  //! For a value built in place: BeginValue() reserves its length, append the bytes with
  //! raw(), then EndValue(mark) fills the length in.
  size_t BeginValue() {
    const size_t mark = buffer_.size();
    buffer_.Extend(4);
    return mark;
  }
  void EndValue(size_t mark);
  PodBuffer& raw() { return buffer_; }

  // Inline: called for every field of every row.
  void PutInt16(int16_t v) {
    const uint16_t be = __builtin_bswap16(static_cast<uint16_t>(v));
    std::memcpy(buffer_.Extend(2), &be, 2);
  }
  void PutInt32(int32_t v) {
    const uint32_t be = __builtin_bswap32(static_cast<uint32_t>(v));
    std::memcpy(buffer_.Extend(4), &be, 4);
  }
  void PutInt64(int64_t v) {
    const uint64_t be = __builtin_bswap64(static_cast<uint64_t>(v));
    std::memcpy(buffer_.Extend(8), &be, 8);
  }

  const uint8_t* data() const { return buffer_.data(); }
  size_t size() const { return buffer_.size(); }
  void Clear() { buffer_.Clear(); }

 private:
  PodBuffer buffer_;
};

//! Writes numeric text ("-12.50", "1e-3", "NaN", "Infinity") in numeric's binary form, checked
//! against the column's typmod (-1: unconstrained). False (nothing written) when the text is not
//! a number or the value does not fit.
bool AppendNumericText(CopyBuffer& out, std::string_view text, int32_t typmod);
//! True when PostgreSQL's numeric input accepts `text` (a JSON number inside jsonb).
bool NumericTextFits(std::string_view text);

//! True when jsonb accepts the JSON text `json`: well-formed, valid UTF-8, no \u0000, no lone
//! surrogate escape, numbers within numeric's range.
bool JsonbAccepts(std::string_view json);
//! True when `text` is valid UTF-8 without NUL bytes (what a text column holds).
bool TextAccepts(std::string_view text);
//! Number of UTF-8 characters in valid UTF-8 text.
size_t Utf8CharCount(std::string_view text);

//! How the values of one field go into one column.
class ValueEncoder {
 public:
  //! Plans `source` values into a column of type `target`. ConfigError when the column's type
  //! is not one this destination can write (the caller adds table and column to the message).
  static Result<ValueEncoder> Make(TypeId source, PgColumnType target);

  //! Appends the value of `row` (NULL for a null). Returns false when the value does not fit
  //! the column: NULL was appended instead. `scratch` is reused between calls.
  bool Encode(const Column& column, size_t row, CopyBuffer& out, std::string& scratch) const;

  TypeId source() const { return source_; }
  PgColumnType target() const { return target_; }
  //! True when values are converted through their text form (the column has another type).
  bool converts() const { return kind_ == Kind::kViaText || kind_ == Kind::kViaJson; }

 private:
  enum class Kind : uint8_t {
    kBool,
    kInt8,
    kFloat8,
    kNumeric,
    kText,
    kBytea,
    kDate,
    kTime,
    kTimeTz,
    kTimestamp,
    kJsonb,
    kJsonText,
    kViaText,  //!< value → text → parsed as the column's type
    kViaJson,  //!< value → JSON text → json/jsonb column
  };
  ValueEncoder(TypeId source, PgColumnType target, Kind kind) : source_(source), target_(target), kind_(kind) {}
  bool EncodeText(std::string_view text, CopyBuffer& out) const;
  bool EncodeFromText(std::string_view text, CopyBuffer& out) const;

  TypeId source_;
  PgColumnType target_;
  Kind kind_;
};

//! Appends the binary value of a timestamp (µs since 1970, INT64_MAX/MIN = ±infinity) as
//! PostgreSQL's µs since 2000; false when outside PostgreSQL's range.
bool AppendTimestampMicros(CopyBuffer& out, int64_t micros);
//! Appends a date (days since 1970); false when outside PostgreSQL's range.
bool AppendDateDays(CopyBuffer& out, int64_t days);

}  // namespace sluice
