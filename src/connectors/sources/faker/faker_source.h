#pragma once
// source-faker: deterministic sample data — users, products and purchases — for demos, tests and
// benchmarks. The same seed and count always produce the same records; incremental reads emit
// only records whose `updated_at` is past the saved cursor. See README.md in this folder.

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

//! A new source-faker instance (one per run, as every Source).
std::unique_ptr<Source> MakeFakerSource();

}  // namespace sluice
