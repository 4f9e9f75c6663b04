#pragma once
// source-mysql: tables and views of a MySQL or MariaDB database (MariaDB Connector/C) — full
// refresh in primary-key chunks that resume after a crash, incremental by a user cursor, or CDC
// from the binlog after a consistent snapshot (also continuously). See README.md.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

//! A new source-mysql instance (one per run, as every Source).
std::unique_ptr<Source> MakeMySqlSource();

}  // namespace sluice
