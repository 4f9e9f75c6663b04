#pragma once
// SIGINT/SIGTERM → a stop flag the engine polls, so a run stops cleanly and keeps its last
// confirmed state. A second signal exits at once.

#include <atomic>

namespace sluice {

void InstallStopSignalHandlers();
const std::atomic<bool>& StopRequested();
//! The signal that asked to stop (0 if none).
int StopSignal();

}  // namespace sluice
