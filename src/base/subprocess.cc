#include "base/subprocess.h"

#include "base/file_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
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
                                                      const std::vector<std::string>& extra_env,
                                                      const std::string& working_dir, bool own_process_group) {
  if (argv.empty()) return Status::ConfigError("command is empty");
  if (!working_dir.empty()) {
    struct stat st;
    if (stat(working_dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return Status::ConfigError("cannot run '" + argv[0] + "': no folder '" + working_dir + "'");
    }
  }
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
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  if (own_process_group) {
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);
  }
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
  const int rc =
      posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), extra_env.empty() ? environ : env.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
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
  p->own_group_ = own_process_group;
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

void Subprocess::SignalGroup(int sig) {
  if (pid_ <= 0) return;
  if (own_group_) {
    kill(-pid_, sig);  // the group outlives a reaped leader while its children run
  } else if (!reaped_) {
    kill(pid_, sig);
  }
}

Result<ProcessOutput> RunToCompletion(const std::vector<std::string>& argv, const RunOptions& options) {
  const bool timed = options.timeout_ms > 0 || options.stop != nullptr;
  auto child = Subprocess::Start(argv, /*pipe_stdin=*/false, options.extra_env, options.working_dir, timed);
  if (!child.ok()) return child.status();
  ProcessOutput result;
  std::string* sinks[2] = {&result.out, &result.err};
  std::string pending[2];  // on_line: the unterminated end of each stream
  constexpr size_t kMaxLine = 64u << 10;
  auto emit = [&](int i, bool flush) {
    std::string& p = pending[i];
    size_t start = 0;
    for (size_t nl; (nl = p.find('\n', start)) != std::string::npos; start = nl + 1) {
      options.on_line(i == 1, std::string_view(p).substr(start, std::min(nl - start, kMaxLine)));
    }
    p.erase(0, start);
    if (p.size() > kMaxLine || (flush && !p.empty())) {
      options.on_line(i == 1, std::string_view(p).substr(0, kMaxLine));
      p.clear();
    }
  };
  struct pollfd fds[2] = {{(*child)->stdout_fd(), POLLIN, 0}, {(*child)->stderr_fd(), POLLIN, 0}};
  char buf[65536];
  const auto now_ms = [] {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  };
  constexpr int64_t kGraceMs = 5000;
  constexpr int64_t kNoTimeout = int64_t{1} << 60;
  int64_t deadline = !timed ? 0 : options.timeout_ms > 0 ? now_ms() + options.timeout_ms : kNoTimeout;
  int stage = 0;  // with a timeout: 0 running, 1 SIGTERM sent, 2 SIGKILL sent
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int wait_ms = -1;
    if (timed) {
      if (stage == 0 && options.stop != nullptr && options.stop->load()) {
        result.stopped = true;
        deadline = now_ms();
      }
      const int64_t left = deadline - now_ms();
      if (left <= 0) {
        if (stage == 2) break;  // killed, yet something still holds the pipes open
        result.timed_out = !result.stopped;
        (*child)->SignalGroup(stage == 0 ? SIGTERM : SIGKILL);
        ++stage;
        deadline = now_ms() + kGraceMs;
        continue;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left, options.stop != nullptr ? 200 : 1000));
    }
    const int ready = poll(fds, 2, wait_ms);
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
      if (options.on_line) {
        pending[i].append(buf, static_cast<size_t>(n));
        emit(i, false);
        continue;
      }
      std::string& sink = *sinks[i];
      if (sink.size() < options.max_output_bytes) {
        sink.append(buf, std::min(static_cast<size_t>(n), options.max_output_bytes - sink.size()));
      }
    }
  }
  if (options.on_line) {
    emit(0, true);
    emit(1, true);
  }
  if ((result.timed_out || result.stopped) && stage < 2) (*child)->SignalGroup(SIGKILL);  // its children too
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
