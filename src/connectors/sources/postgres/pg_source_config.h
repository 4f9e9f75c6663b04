#pragma once
// source-postgres's config: the shared connection fields (postgres_common) plus schemas,
// replication_method (Standard | Xmin; CDC slots in as a third oneOf branch), and read tuning.

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/postgres_common/pg_config.h"

namespace sluice {

enum class ReplicationMethod {
  kStandard,  //!< incremental streams use the user's cursor column
  kXmin,      //!< incremental streams use the row's xmin (transaction id), wraparound-aware
};

struct PgSourceConfig {
  PgConnectionConfig connection;
  //! Schemas to discover and read; empty = every schema except the system ones.
  std::vector<std::string> schemas = {"public"};
  ReplicationMethod replication = ReplicationMethod::kStandard;
  //! Streams read at the same time, each on its own connection (default 2).
  int max_parallel_streams = 2;
  //! Full-refresh and xmin reads go through a table in ctid ranges of about this many MiB
  //! (default 128); a checkpoint follows each range, so a failed read resumes at its range.
  int64_t chunk_size_mb = 128;
};

//! The connector's JSON Schema (connectionSpecification).
Json PgSourceSpecJson();

//! Reads a validated config. Errors (ConfigError) name the field.
Result<PgSourceConfig> ParsePgSourceConfig(const Json& config);

}  // namespace sluice
