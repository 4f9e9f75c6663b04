#pragma once
// The metadata columns a CDC source adds to every stream, with Airbyte's names and types
// (Airbyte's PostgreSQL source: _ab_cdc_lsn integer, _ab_cdc_updated_at and _ab_cdc_deleted_at
// timestamps with time zone), and the schema augmentation that adds them to a discovered stream.
//
//   _ab_cdc_lsn         the change's log position as an integer that grows with the log
//                       (PostgreSQL: the LSN; binlog sources use the position columns below)
//   _ab_cdc_updated_at  when the change was committed (the snapshot's time for snapshot rows)
//   _ab_cdc_deleted_at  when the row was deleted; null for inserts and updates

#include <span>
#include <string_view>

#include "protocol/catalog.h"
#include "protocol/types.h"

namespace sluice {

constexpr std::string_view kCdcLsnColumn = "_ab_cdc_lsn";
constexpr std::string_view kCdcUpdatedAtColumn = "_ab_cdc_updated_at";
constexpr std::string_view kCdcDeletedAtColumn = "_ab_cdc_deleted_at";

struct CdcColumn {
  std::string_view name;
  TypeId type;
};
//! The three columns above, in that order.
inline constexpr CdcColumn kCdcColumns[] = {
    {kCdcLsnColumn, TypeId::kInteger},
    {kCdcUpdatedAtColumn, TypeId::kTimestampTz},
    {kCdcDeletedAtColumn, TypeId::kTimestampTz},
};

//! A binlog's position columns (Airbyte's MySQL source): _ab_cdc_cursor, an integer growing with
//! the log ((binlog file number << 32) | position), the stream's cursor; _ab_cdc_log_file, the
//! binlog file's name; _ab_cdc_log_pos, the event's position in it.
constexpr std::string_view kCdcCursorColumn = "_ab_cdc_cursor";
constexpr std::string_view kCdcLogFileColumn = "_ab_cdc_log_file";
constexpr std::string_view kCdcLogPosColumn = "_ab_cdc_log_pos";
inline constexpr CdcColumn kBinlogPositionColumns[] = {
    {kCdcCursorColumn, TypeId::kInteger},
    {kCdcLogPosColumn, TypeId::kNumber},
    {kCdcLogFileColumn, TypeId::kString},
};

//! As AddCdcColumns(stream), for a log whose position is `position` (columns added before
//! _ab_cdc_updated_at and _ab_cdc_deleted_at, the first one is the source-defined cursor) instead
//! of _ab_cdc_lsn. Idempotent.
void AddCdcColumns(AirbyteStream& stream, std::span<const CdcColumn> position);

//! Makes `stream` (as discovered for a standard read) a CDC stream, as Airbyte's CDC sources
//! do: adds the CDC columns (nullable; a column of the same name is replaced), supports full
//! refresh and incremental, the source defines the cursor (_ab_cdc_lsn) and the stream is not
//! resumable mid-table by itself (the CDC snapshot has its own positions). Idempotent.
void AddCdcColumns(AirbyteStream& stream);

//! True when `name` is one of the CDC columns.
bool IsCdcColumn(std::string_view name);
//! True when `name` is _ab_cdc_updated_at, _ab_cdc_deleted_at or one of `position`.
bool IsCdcColumn(std::string_view name, std::span<const CdcColumn> position);

}  // namespace sluice
