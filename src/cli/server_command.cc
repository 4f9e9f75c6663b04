#include "cli/server_command.h"

namespace sluice {

int RunServerCommand(const ServerCommandArgs&) { return 1; }  // TODO(issue 5): the API helper

}  // namespace sluice
