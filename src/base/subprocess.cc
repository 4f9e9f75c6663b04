#include "base/subprocess.h"

#include "base/file_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace sluice {

namespace {
std::string ErrnoText(int err) { return std::strerror(err); }
}  // namespace

Result<std::unique_ptr<Subprocess>> Subprocess::Start(const std::vector<std::string>& argv, bool pipe_stdin,
                                                      const std::vector<std::string>& extra_env) {
  if (argv.empty()) return Status::ConfigError("command is empty");
  int in[2] = {-1, -1}, out[2], err[2];
  if ((pipe_stdin && pipe2(in, O_CLOEXEC) != 0) || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    return Status::SystemError("cannot create pipes: " + ErrnoText(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (pipe_stdin) {
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  } else {
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  }
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid;
  std::vector<char*> env;
  if (!extra_env.empty()) {
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view entry(*e);
      const std::string_view name = entry.substr(0, entry.find('='));
      bool replaced = false;
      for (const auto& extra : extra_env) replaced = replaced || extra.substr(0, extra.find('=')) == name;
      if (!replaced) env.push_back(*e);
    }
    for (const auto& extra : extra_env) env.push_back(const_cast<char*>(extra.c_str()));
    env.push_back(nullptr);
  }
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), extra_env.empty() ? environ : env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (pipe_stdin) close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) {
    if (pipe_stdin) close(in[1]);
    close(out[0]);
    close(err[0]);
    return Status::ConfigError("cannot run '" + argv[0] + "': " + ErrnoText(rc));
  }
  auto p = std::unique_ptr<Subprocess>(new Subprocess());
  p->pid_ = pid;
  p->stdin_fd_ = pipe_stdin ? in[1] : -1;
  p->stdout_fd_ = out[0];
  p->stderr_fd_ = err[0];
  return p;
}

Subprocess::~Subprocess() {
  CloseStdin();
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    Wait();
  }
  if (stdout_fd_ >= 0) close(stdout_fd_);
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

Status Subprocess::WriteStdin(std::string_view data) {
  if (stdin_fd_ < 0) return Status::TransientError("the process's input is closed");
  if (const int err = WriteAll(stdin_fd_, data); err != 0) {
    return Status::TransientError("the connector process stopped reading its input: " + ErrnoText(err));
  }
  return Status::Ok();
}

void Subprocess::CloseStdin() {
  if (stdin_fd_ >= 0) {
    close(stdin_fd_);
    stdin_fd_ = -1;
  }
}

Result<size_t> Subprocess::ReadStdout(char* buf, size_t n) {
  while (true) {
    const ssize_t r = read(stdout_fd_, buf, n);
    if (r >= 0) return static_cast<size_t>(r);
    if (errno == EINTR) continue;
    return Status::SystemError("reading the connector's output: " + ErrnoText(errno));
  }
}

int Subprocess::Wait() {
  if (reaped_) return exit_code_;
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  reaped_ = true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return exit_code_;
}

void Subprocess::Signal(int sig) {
  if (!reaped_ && pid_ > 0) kill(pid_, sig);
}

Result<ProcessOutput> RunToCompletion(const std::vector<std::string>& argv, const RunOptions& options) {
  auto child = Subprocess::Start(argv, /*pipe_stdin=*/false, options.extra_env);
  if (!child.ok()) return child.status();
  ProcessOutput result;
  std::string* sinks[2] = {&result.out, &result.err};
  struct pollfd fds[2] = {{(*child)->stdout_fd(), POLLIN, 0}, {(*child)->stderr_fd(), POLLIN, 0}};
  char buf[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    const int ready = poll(fds, 2, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Status::SystemError("waiting for the output of '" + argv[0] + "': " + ErrnoText(errno));
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        fds[i].fd = -1;  // end of file (or an error): poll ignores negative descriptors
        continue;
      }
      std::string& sink = *sinks[i];
      if (sink.size() < options.max_output_bytes) {
        sink.append(buf, std::min(static_cast<size_t>(n), options.max_output_bytes - sink.size()));
      }
    }
  }
  result.exit_code = (*child)->Wait();
  return result;
}

Result<std::string> MakeTempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + std::string(prefix) + "XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::SystemError("cannot create a temporary folder: " + ErrnoText(errno));
  }
  return pattern;
}

void RemoveTreeIgnoringErrors(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace sluice
