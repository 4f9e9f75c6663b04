#pragma once
// destination-postgres: its spec and its parsed config (Airbyte's field names). Pure: no I/O.

#include <string>

#include "base/json.h"
#include "base/status.h"
#include "connectors/postgres_common/pg_config.h"
#include "connectors/sdk/spec.h"

namespace sluice {

//! What happens to a row whose record carries `_ab_cdc_deleted_at` in append_dedup mode.
enum class CdcDeletionMode {
  kHardDelete,  //!< the row is removed from the final table (default)
  kSoftDelete,  //!< the row stays, with `_ab_cdc_deleted_at` set
};

struct PgDestinationConfig {
  PgConnectionConfig connection;
  TunnelConfig tunnel;  //!< tunnel_method: opened by Check and for a run (Begin → End)
  std::string schema = "public";                //!< for streams without a namespace
  std::string raw_data_schema = "airbyte_internal";  //!< where raw tables live
  bool disable_type_dedupe = false;  //!< raw tables only (no final tables), as Airbyte's option
  //! Final tables only (no raw tables): the default, as Airbyte's Direct Load; false writes
  //! Destinations V2 raw tables beside the final tables.
  bool direct_load = true;
  bool drop_cascade = false;         //!< DROP ... CASCADE when an overwrite replaces a table
  bool unconstrained_number = false;  //!< accepted for compatibility: numeric is always unconstrained
  //! Connections per table kind (typed, raw) one stream loads through at once, in overwrite and
  //! append modes (append_dedup uses one). Minimum 1.
  int parallel_copies = 2;
  CdcDeletionMode cdc_deletion_mode = CdcDeletionMode::kHardDelete;
  //! `normalization: basic`: nested objects flattened, arrays into child tables
  //! (pg_normalization.h). Default none.
  bool normalization = false;
  //! Raw tables in Airbyte's pre-V2 layout (`{schema}._airbyte_raw_{stream}`) instead of V2 ones;
  //! implies raw tables. Default false.
  bool legacy_raw_tables = false;

  //! Raw tables only (disable_type_dedupe) wins over direct_load, whose default is true.
  bool writes_raw() const { return !direct_load || disable_type_dedupe || legacy_raw_tables; }
  bool writes_final() const { return !disable_type_dedupe; }
};

//! The spec `destination-postgres spec` prints.
ConnectorSpec PgDestinationSpec();

//! Reads a config validated against the spec (defaults applied; missing keys still get their
//! defaults here). Errors are ConfigErrors naming the field.
Result<PgDestinationConfig> ParsePgDestinationConfig(const Json& config);

}  // namespace sluice
