#pragma once
// The binlog side of source-mysql's CDC: positions, and the decoding of row events' images into
// the text forms SELECT prints (mysql_types.h), so a change lands exactly as a snapshot row does.
//
// Events are read with MariaDB Connector/C's replication API (mariadb_rpl_open / _fetch: the
// COM_BINLOG_DUMP protocol, event framing, checksums, TABLE_MAP parsing). The row images are
// decoded here rather than with mariadb_rpl_extract_rows, which in Connector/C 3.3 mis-reads
// CHAR (no length prefix), ENUM/SET (pack length), TIMESTAMP2 (byte order) and a NULL spatial
// column (metadata width) — see README.md ("CDC").

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sources/mysql/mysql_types.h"

namespace sluice {

//! A point in the binlog: the next event to read. `gtid` (MariaDB's gtid_binlog_pos form,
//! "0-1-42[,1-1-7]") is the state after the last transaction read, when the server has GTIDs.
struct BinlogPosition {
  std::string file;  //!< "binlog.000003"
  uint64_t pos = 0;
  std::string gtid;
};

//! {"file": "binlog.000003", "pos": 1234, "gtid": "0-1-42"} and back (nullopt: not a position).
Json BinlogPositionJson(const BinlogPosition& p);
std::optional<BinlogPosition> ParseBinlogPosition(const Json& j);
//! _ab_cdc_cursor: (the file name's numeric extension << 32) | pos — grows with the log.
int64_t BinlogCursor(std::string_view file, uint64_t pos);
//! file+pos ordering (file names of one server sort by their numeric extension).
bool BinlogBefore(const BinlogPosition& a, const BinlogPosition& b);

//! One column of a TABLE_MAP event: its binlog type code and metadata.
struct BinlogColumnType {
  uint8_t type = 0;
  uint16_t meta = 0;  //!< type-specific (see the .cc)
};

//! Parses a TABLE_MAP event's column types and metadata block. False when malformed.
bool ParseTableMapColumns(std::string_view types, std::string_view metadata, std::vector<BinlogColumnType>& out);

//! Whether a TABLE_MAP column of type `t` can hold column `c` as information_schema describes it
//! (the binlog type family, and DECIMAL's precision and scale): how the reader tells whether a
//! TABLE_MAP matches a looked-up table shape. Unknown type names fit.
bool BinlogTypeFits(const BinlogColumnType& t, const MySqlColumn& c);

//! The column names of a TABLE_MAP's optional metadata (binlog_row_metadata = FULL): a run of
//! length-prefixed names. Empty when absent or when they do not number `count`.
std::vector<std::string> ParseTableMapColumnNames(std::string_view data, size_t count);

//! A DDL statement of a QUERY_EVENT, as far as CDC cares: which tables it touches.
struct BinlogDdl {
  enum class Kind { kNone, kAlter, kCreate, kRename, kDrop, kTruncate };
  Kind kind = Kind::kNone;
  //! (database, table) per table named, in order; a RENAME lists from, to, from, to, …
  std::vector<std::pair<std::string, std::string>> tables;
};
//! Parses `sql` (leading comments and /*! … */ wrappers skipped, keywords in any case, names
//! plain or `quoted`, with or without a database; `database` is the event's default one).
//! kNone: not a table DDL (BEGIN, COMMIT, CREATE USER, …) or not understood.
BinlogDdl ParseBinlogDdl(std::string_view sql, std::string_view database);

//! Bytes of binlog from `from` to `to` (the server's position): in one file their difference;
//! across files the rest of `from`'s file, the files between, and `to.pos`, with the sizes of
//! `logs` (SHOW BINARY LOGS: name, size in order). 0 when `to` is not after `from`; nullopt when
//! a file is not in `logs` (purged).
std::optional<uint64_t> BinlogBytesBetween(const BinlogPosition& from, const BinlogPosition& to,
                                           const std::vector<std::pair<std::string, uint64_t>>& logs);

//! One row image: per binlog column, its text form (nullopt: NULL or not present).
using BinlogRow = std::vector<std::optional<std::string>>;

//! Decodes the images of a rows event. `columns` are the table's columns by position (for
//! signedness, charset, fsp, ENUM/SET labels; may be shorter than the event's). `present` and
//! `present_after` are the column bitmaps (the second for updates' after images; null: same).
//! Updates give before and after images alternately. Errors name the column.
Status DecodeBinlogRows(const std::vector<BinlogColumnType>& types, const std::vector<const MySqlColumn*>& columns,
                        const uint8_t* present, const uint8_t* present_after, bool update, std::string_view data,
                        std::vector<BinlogRow>& out);

}  // namespace sluice
