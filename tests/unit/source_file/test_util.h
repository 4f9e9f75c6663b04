#pragma once
// Helpers for the source-file tests: Discover → configured catalog → Read in one call (the
// temporary directory and the collecting Emitter are in unit/testing/).

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "connectors/sources/file/file_source.h"
#include "protocol/codec.h"
#include "unit/testing/connector_test_util.h"

namespace sluice::testing {

//! Discovers, configures every stream, and reads.
inline Status DiscoverAndRead(const Json& config, CollectingEmitter& out, Catalog* discovered = nullptr) {
  auto source = MakeFileSource();
  SLUICE_ASSIGN_OR_RETURN(Catalog catalog, source->Discover(config));
  if (discovered) *discovered = catalog;
  SLUICE_ASSIGN_OR_RETURN(ConfiguredCatalog configured, ConfigureAll(catalog));
  return source->Read(config, configured, StateStore(), out);
}

}  // namespace sluice::testing
