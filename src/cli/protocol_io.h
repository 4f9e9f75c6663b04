#pragma once
// The protocol edges of `sluice connector NAME read|write`: a Source that parses Airbyte
// messages from stdin, and a Destination that prints them on stdout. Both run in the same engine
// as a normal sync, so a built-in connector behaves the same inside sluice and as an executable.

#include <cstdint>
#include <memory>
#include <string_view>

#include "connectors/sdk/destination.h"
#include "connectors/sdk/source.h"

namespace sluice {

//! Writes to stdout under a process-wide lock, so LOG lines never split records.
void WriteStdout(std::string_view data);
//! Routes the log into LOG messages on stdout (the protocol's only channel).
void LogToStdoutAsProtocol();

//! Reads Airbyte messages from file descriptor `fd` (stdin for `write`).
std::unique_ptr<Source> MakeProtocolInputSource(int fd);
//! Prints RECORD and STATE messages (with sourceStats) on stdout, for `read`; and, through
//! PrintStreamStatus (wired to SyncOptions::on_stream_status), STREAM_STATUS traces after the
//! stream's records. Called on the engine's destination thread only.
class ProtocolOutputDestination : public Destination {
 public:
  virtual void PrintStreamStatus(uint32_t stream, StreamStatus status) = 0;
};
std::unique_ptr<ProtocolOutputDestination> MakeProtocolOutputDestination();

}  // namespace sluice
