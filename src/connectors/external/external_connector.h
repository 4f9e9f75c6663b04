#pragma once
// External connectors: any executable that speaks the Airbyte protocol (`spec`, `check --config`,
// `discover --config`, `read --config --catalog [--state]`, `write --config --catalog`) used as
// a Source or Destination. Configs, catalogs and state are handed over in private temporary
// files (mode 0600) that are deleted afterwards; the child's stderr goes to the log.

#include <memory>
#include <string>
#include <vector>

#include "connectors/sdk/destination.h"
#include "connectors/sdk/source.h"

namespace sluice {

//! `command` is the argv prefix, e.g. {"python3", "source.py"}; the protocol verb is appended.
std::unique_ptr<Source> MakeExternalSource(std::vector<std::string> command);
//! Checkpoints are confirmed when the process echoes the STATE message back (after it made the
//! records before it durable), as Airbyte destinations do.
std::unique_ptr<Destination> MakeExternalDestination(std::vector<std::string> command);

}  // namespace sluice
