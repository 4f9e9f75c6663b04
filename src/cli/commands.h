#pragma once
// The `sluice` command line: parses arguments (CLI11) and dispatches to the commands.

namespace sluice {

//! Returns the process exit code.
int RunCli(int argc, char** argv);

}  // namespace sluice
