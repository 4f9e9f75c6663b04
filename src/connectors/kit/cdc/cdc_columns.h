#pragma once
// The metadata columns a CDC source adds to every stream, with Airbyte's names and types
// (Airbyte's PostgreSQL source: _ab_cdc_lsn integer, _ab_cdc_updated_at and _ab_cdc_deleted_at
// timestamps with time zone), and the schema augmentation that adds them to a discovered stream.
//
//   _ab_cdc_lsn         the change's log position as an integer that grows with the log
//                       (PostgreSQL: the LSN; MySQL sources use their own cursor column)
//   _ab_cdc_updated_at  when the change was committed (the snapshot's time for snapshot rows)
//   _ab_cdc_deleted_at  when the row was deleted; null for inserts and updates

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

//! Makes `stream` (as discovered for a standard read) a CDC stream, as Airbyte's CDC sources
//! do: adds the CDC columns (nullable; a column of the same name is replaced), supports full
//! refresh and incremental, the source defines the cursor (_ab_cdc_lsn) and the stream is not
//! resumable mid-table by itself (the CDC snapshot has its own positions). Idempotent.
void AddCdcColumns(AirbyteStream& stream);

//! True when `name` is one of the CDC columns.
bool IsCdcColumn(std::string_view name);

}  // namespace sluice
