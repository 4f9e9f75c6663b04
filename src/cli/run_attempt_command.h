#pragma once
// `sluice run-attempt`: one attempt of a job, in the child process a worker starts. Internal:
// the plan (connectors, configs, catalogs, state) comes on stdin, events go to stdout.

namespace sluice {

//! Returns the process exit code.
int RunAttemptCommand();

}  // namespace sluice
