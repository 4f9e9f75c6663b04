#pragma once
// MySQL/MariaDB column types → sluice types, and the one place values become batch cells.
//
// Both reads (SELECT in the text protocol, and binlog row events decoded by mysql_binlog.h) hand
// every value over in the server's text form (what SELECT prints with time_zone '+00:00'), so a
// value lands the same whichever path read it:
//
//   MySQL type                          sluice type (JSON Schema)            text form read
//   TINYINT(1), BIT(1)                  boolean                               "0"/"1", a byte
//   TINY/SMALL/MEDIUM/INT, BIGINT       integer                               "-42"
//   BIGINT UNSIGNED                     number, big_number (exact decimal)    "18446744073709551615"
//   DECIMAL(p,s)                        number, big_number (exact)            "-1.50"
//   FLOAT, DOUBLE                       number                                "-0", "1.5e300"
//   BIT(n>1)                            string, base64 (bytes, big-endian)    raw bytes
//   YEAR                                integer                               "2024"
//   DATE                                date                                  "2024-02-29"
//   DATETIME(fsp)                       timestamp_without_timezone            "2024-02-29 10:00:00.123456"
//   TIMESTAMP(fsp)                      timestamp_with_timezone (UTC)         the same, in UTC
//   TIME(fsp)                           string ("838:59:59", "-01:00:00.5")   — MySQL's TIME is an
//                                       interval up to ±838 h, wider than a time of day
//   CHAR/VARCHAR/TEXT/ENUM/SET          string (utf8; latin1 etc. converted)  the labels for ENUM/SET
//   BINARY/VARBINARY/BLOB               string, base64                        raw bytes
//   JSON (MySQL; MariaDB's json_valid   json                                  JSON text
//         LONGTEXT)
//   GEOMETRY, POINT, … (spatial)        string, WKT ("POINT(1 2)")            SRID + WKB, converted here
//   INET4/INET6/UUID (MariaDB)          string                                text
//
// Zero dates ('0000-00-00', a zero month or day, '0000-00-00 00:00:00') are not dates: they become
// null with a NULLED change (SOURCE_SERIALIZATION_ERROR) in _airbyte_meta, as Airbyte does with
// values that do not fit their type. So does any value that cannot be parsed as its type.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/kit/sql/sql_catalog.h"
#include "connectors/kit/sql/sql_types.h"
#include "protocol/record_batch.h"

namespace sluice {

//! How a column's text is turned into a cell.
enum class MySqlKind : uint8_t {
  kBool,      //!< TINYINT(1): non-zero is true
  kBit1,      //!< BIT(1): one byte, 0 or 1
  kInt,       //!< integers that fit int64 (all but BIGINT UNSIGNED), YEAR
  kDecimal,   //!< DECIMAL, BIGINT UNSIGNED: exact text
  kDouble,    //!< FLOAT, DOUBLE
  kDate,
  kDateTime,   //!< DATETIME: wall clock
  kTimestamp,  //!< TIMESTAMP: UTC (session time_zone '+00:00')
  kTime,       //!< TIME: kept as text
  kString,     //!< CHAR, VARCHAR, TEXT, ENUM, SET, INET*, UUID
  kBinary,     //!< BINARY, VARBINARY, BLOB, BIT(n > 1)
  kJson,
  kGeometry,   //!< SRID (4 bytes LE) + WKB → WKT text
};

//! A column as the kit models it, plus what reading it needs.
struct MySqlColumn : SqlColumn {
  std::string column_type;     //!< information_schema COLUMN_TYPE: "bigint(20) unsigned", "enum('a','b')"
  std::string charset;         //!< CHARACTER_SET_NAME for text columns ("" otherwise)
  MySqlKind kind = MySqlKind::kString;
  bool is_unsigned = false;
  int precision = 0;           //!< DECIMAL precision, DATETIME/TIME/TIMESTAMP fsp
  int scale = 0;               //!< DECIMAL scale
  std::vector<std::string> labels;  //!< ENUM / SET labels in declaration order (binlog values are indexes)

  //! Sets kind and the kit's type, cursor_ok and json_schema from type_name (DATA_TYPE),
  //! column_type, and whether MariaDB checks it with json_valid. Uses `nullable`.
  void Resolve(bool is_json);
};

//! The type table by DATA_TYPE (lower case) — the kit mapping before Resolve's refinements.
const SqlTypeTable& MySqlTypeTable();

//! Appends the text form `text` of a value of `column` to `out` (the batch's column `field`), or
//! null plus a NULLED change on `batch` when it does not fit (zero dates, unparsable values).
void AppendMySqlText(const MySqlColumn& column, std::string_view text, Column& out, RecordBatch& batch,
                     std::string_view field);

//! "enum('a','it''s')" → {"a", "it's"} (also set(…)).
std::vector<std::string> ParseEnumLabels(std::string_view column_type);

//! MySQL's internal geometry value (SRID, then WKB) as WKT: "POINT(1 2)", "POLYGON((0 0,1 0,1 1,0 0))".
//! False when the bytes are not valid WKB.
bool GeometryToWkt(std::string_view value, std::string& out);

//! Converts `bytes` in MySQL character set `charset` (latin1, cp1250, …) to UTF-8. utf8mb3,
//! utf8mb4, ascii, binary and "" are passed through. False when the charset is unknown or the
//! bytes invalid in it.
bool ConvertToUtf8(std::string_view charset, std::string_view bytes, std::string& out);

//! The JSON-Schema-level kit mapping of a kind (the type a batch column holds).
TypeId MySqlKindType(MySqlKind kind);

}  // namespace sluice
