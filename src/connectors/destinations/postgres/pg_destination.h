#pragma once
// destination-postgres: Airbyte Destinations V2 tables in PostgreSQL, loaded with binary COPY.
// Sync modes overwrite, append and append_dedup. See README.md for the table layout, the type
// mapping and the crash-safety rules.

#include <memory>

#include "connectors/sdk/destination.h"

namespace sluice {

//! The registry's factory.
std::unique_ptr<Destination> MakePostgresDestination();

}  // namespace sluice
