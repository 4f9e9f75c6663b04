#include "cli/run_attempt_command.h"

namespace sluice {

int RunAttemptCommand() { return 1; }  // TODO(issue 5): the worker helper

}  // namespace sluice
