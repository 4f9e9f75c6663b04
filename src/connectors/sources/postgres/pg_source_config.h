#pragma once
// source-postgres's config: the shared connection fields (postgres_common) plus schemas,
// replication_method (Standard | Xmin | CDC, Airbyte's oneOf), and read tuning.

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/postgres_common/pg_config.h"

namespace sluice {

enum class ReplicationMethod {
  kStandard,  //!< incremental streams use the user's cursor column
  kXmin,      //!< incremental streams use the row's xmin (transaction id), wraparound-aware
  kCdc,       //!< logical replication (pgoutput) from a replication slot; see pg_cdc_reader.h
};

//! replication_method {method: CDC, ...} in Airbyte's keys.
struct PgCdcConfig {
  std::string plugin = "pgoutput";   //!< only pgoutput is supported
  std::string replication_slot;      //!< an existing logical slot of this database (required)
  std::string publication;           //!< an existing publication covering the streams (required)
  //! How long a read waits for the first change when there is nothing to read (s; default 300,
  //! 120..2400). A read stops earlier once caught up with the server's WAL position at its start.
  int64_t initial_waiting_seconds = 300;
  //! true ("After loading Data in the destination", the default): the slot's flush position
  //! only advances to a position the destination committed (sent at the start of the next read).
  //! false ("While reading Data"): advanced as changes are read.
  bool flush_after_destination = true;
  std::string heartbeat_action_query;  //!< run before streaming, when set (e.g. an upsert into a heartbeat table)
  int64_t queue_size = 10000;          //!< accepted for Airbyte compatibility (1000..10000); unused
  int64_t initial_load_timeout_hours = 8;  //!< accepted (4..24); the snapshot is not timed out
  //! true ("Re-sync data"): a slot that cannot resume the saved position means a new snapshot;
  //! false ("Fail sync", the default): a config error.
  bool resync_on_invalid_position = false;
};

struct PgSourceConfig {
  PgConnectionConfig connection;
  TunnelConfig tunnel;  //!< tunnel_method: opened per check / discover / read (postgres_source.cc)
  //! Schemas to discover and read; empty = every schema except the system ones.
  std::vector<std::string> schemas = {"public"};
  ReplicationMethod replication = ReplicationMethod::kStandard;
  PgCdcConfig cdc;  //!< replication == kCdc only
  //! Streams read at the same time, each on its own connection (default 2).
  int max_parallel_streams = 2;
  //! Full-refresh and xmin reads go through a table in ctid ranges of about this many MiB
  //! (default 128); a checkpoint follows each range, so a failed read resumes at its range.
  int64_t chunk_size_mb = 128;
};

//! The connector's JSON Schema (connectionSpecification).
Json PgSourceSpecJson();

//! Reads a validated config. Errors (ConfigError) name the field; a CDC config without slot or
//! publication names each missing key and the SQL that creates it.
Result<PgSourceConfig> ParsePgSourceConfig(const Json& config);

}  // namespace sluice
