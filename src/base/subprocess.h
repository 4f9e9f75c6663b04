#pragma once
// Subprocess: a child process with pipes, for external connectors (any executable speaking the
// Airbyte protocol). POSIX only.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sluice {

class Subprocess {
 public:
  //! Starts `argv` (argv[0] looked up in PATH) with stdout and stderr piped; stdin piped when
  //! `pipe_stdin`, else /dev/null. A missing executable is a config error. `extra_env`
  //! ("KEY=value" entries) is added to this process's environment for the child, replacing
  //! variables of the same name (e.g. PGPASSWORD, kept off the command line).
  //! `working_dir` ("": this process's) is where the child starts (a missing folder is a config
  //! error); with `own_process_group` the child leads a new process group (SignalGroup reaches
  //! its own children too).
  static Result<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv, bool pipe_stdin,
                                                   const std::vector<std::string>& extra_env = {},
                                                   const std::string& working_dir = {}, bool own_process_group = false);
  ~Subprocess();  //!< kills (SIGKILL) and reaps a child still running

  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  //! Writes all of `data` to the child's stdin; a closed pipe is a transient error.
  Status WriteStdin(std::string_view data);
  void CloseStdin();
  //! Reads up to `n` bytes of stdout; 0 at end of file.
  Result<size_t> ReadStdout(char* buf, size_t n);
  //! Waits for the child; returns its exit code, or 128+signal when killed.
  int Wait();
  void Signal(int sig);
  //! `sig` to the child's process group (Start's own_process_group), else to the child.
  void SignalGroup(int sig);
  pid_t pid() const { return pid_; }

 private:
  Subprocess() = default;
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool reaped_ = false;
  bool own_group_ = false;
  int exit_code_ = 0;
};

//! What RunToCompletion collected from a finished child.
struct ProcessOutput {
  int exit_code = 0;   //!< as Subprocess::Wait: the exit code, or 128+signal when killed
  bool timed_out = false;  //!< RunOptions::timeout_ms passed: the child's process group was killed
  bool stopped = false;    //!< RunOptions::stop turned true: the child's process group was killed
  std::string out;     //!< its stdout (the first `max_output_bytes`)
  std::string err;     //!< its stderr (the first `max_output_bytes`)
};

struct RunOptions {
  std::vector<std::string> extra_env;  //!< as Subprocess::Start's `extra_env`
  //! Kept of each stream; the rest is read and discarded, so a chatty child never blocks.
  size_t max_output_bytes = 16u << 20;
  std::string working_dir;  //!< where the child starts; "": this process's
  //! > 0: after this long the child's process group (it leads its own when a timeout or `stop` is
  //! given) gets SIGTERM, and SIGKILL 5 s later; `timed_out` is set and the call returns once the pipes close or 5 s more passed.
  int64_t timeout_ms = 0;
  //! When set and it turns true (checked every 200 ms), the child is stopped as on a timeout
  //! (its own process group, SIGTERM then SIGKILL) and `stopped` is set.
  const std::atomic<bool>* stop = nullptr;
  //! When set, each output line (without its newline; a last unterminated line too; lines over
  //! 64 KiB are cut) goes here as it arrives (`is_stderr` false for stdout), and `out`/`err` stay
  //! empty. Called on the calling thread.
  std::function<void(bool is_stderr, std::string_view line)> on_line;
};

//! Runs `argv` (stdin /dev/null) to its end on the calling thread, draining stdout and stderr
//! together (poll), so a child filling both pipes cannot deadlock it. A missing executable is
//! the config error of Subprocess::Start; a non-zero exit is not an error (see `exit_code`).
//! Callers: short helper programs (git clone for dbt operations, `docker version`), command
//! operations (timeout, lines to the job's log).
Result<ProcessOutput> RunToCompletion(const std::vector<std::string>& argv, const RunOptions& options = {});

//! A fresh private temporary directory (mode 0700) under $TMPDIR or /tmp.
Result<std::string> MakeTempDir(std::string_view prefix);
//! Removes a directory tree; errors are ignored (temporary files).
void RemoveTreeIgnoringErrors(const std::string& path);

}  // namespace sluice
