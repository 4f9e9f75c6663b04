#include "cli/worker_command.h"

namespace sluice {

int RunWorkerCommand(const WorkerCommandArgs&) { return 1; }  // TODO(issue 5): the worker helper

}  // namespace sluice
