#include "cli/run_attempt_command.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <string>

#include "base/json.h"
#include "base/status.h"
#include "cli/signals.h"
#include "worker/attempt_runner.h"

namespace sluice {

int RunAttemptCommand() {
  // A killed worker takes its attempts with it (the worker also sets this before exec).
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  InstallStopSignalHandlers();

  // Events get a private copy of stdout; fd 1 becomes stderr, so nothing a connector prints can
  // corrupt the protocol.
  const int events_fd = fcntl(1, F_DUPFD_CLOEXEC, 3);
  if (events_fd < 0 || dup2(2, 1) < 0) {
    std::cerr << "run-attempt: cannot set up its output" << std::endl;
    return kExitSystemError;
  }

  // The plan holds decrypted secrets: it is read from stdin only, never echoed.
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  Json plan = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  text.assign(text.size(), '\0');
  if (plan.is_discarded()) {
    std::cerr << "run-attempt: the plan on stdin is not JSON" << std::endl;
    return kExitSystemError;
  }
  return RunAttempt(plan, events_fd, &StopRequested());
}

}  // namespace sluice
