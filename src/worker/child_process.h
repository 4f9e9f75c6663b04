#pragma once
// ChildProcess: an attempt's process, started with fork/exec so that, before exec, it gets
// PR_SET_PDEATHSIG (dies with the worker thread that started it), its own process group (a
// terminal's Ctrl-C reaches the worker, not its attempts; signals reach external connectors too),
// a clean signal mask and, optionally, a CPU affinity mask.

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "worker/resource_limits.h"

namespace sluice {

class ChildProcess {
 public:
  //! Starts `argv[0]` (a path) with stdin, stdout and stderr piped, `env` as its environment.
  //! `cpu` (may be null) applies its affinity in the child. A missing executable: ConfigError.
  static Result<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                     const std::vector<std::string>& env, const CpuLimiter* cpu);
  ~ChildProcess();  //!< kills the process group and reaps a child still running

  pid_t pid() const { return pid_; }
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  void CloseStdin();

  //! Signals the child's process group; does nothing once the child was reaped. Thread-safe.
  void Signal(int sig);
  //! Reaps the child if it exited (non-blocking); true once reaped.
  bool TryReap();
  //! Blocks until the child exits and reaps it.
  void Wait();
  //! After reaping: exit code, or -1 when killed by a signal (term_signal() says which).
  int exit_code() const { return exit_code_; }
  int term_signal() const { return term_signal_; }

 private:
  ChildProcess() = default;
  void RecordStatus(int status);

  std::mutex mu_;  // guards reaped_ against Signal from another thread
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

}  // namespace sluice
