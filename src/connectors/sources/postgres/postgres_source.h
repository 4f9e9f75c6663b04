#pragma once
// source-postgres: tables and views of a PostgreSQL database, read with binary COPY straight
// into batches — full refresh (resumable in ctid ranges), incremental by a user cursor or by
// xmin. Several streams are read at once, each on its own connection. See README.md.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

//! A new source-postgres instance (one per run, as every Source).
std::unique_ptr<Source> MakePostgresSource();

}  // namespace sluice
