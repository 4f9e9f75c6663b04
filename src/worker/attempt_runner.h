#pragma once
// The child side of an attempt (`sluice run-attempt`): runs the plan a worker wrote on stdin and
// reports checkpoints and the result as JSON lines (worker/attempt_protocol.h). Needs the
// built-in connectors, so it runs only inside the `sluice` binary.

#include <atomic>

#include "base/json.h"

namespace sluice {

//! Runs one attempt of `plan` (attempt_protocol.h), writing events to `events_fd`. Log lines go
//! to stderr with the configs' secrets redacted. `stop` (SIGTERM) ends the run as cancelled.
//! Returns the process exit code (0 on success, else ExitCodeFor the failure type).
int RunAttempt(const Json& plan, int events_fd, const std::atomic<bool>* stop);

}  // namespace sluice
