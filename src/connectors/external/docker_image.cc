#include "connectors/external/docker_image.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <fmt/format.h>

#include "base/subprocess.h"

namespace sluice {

namespace {

// The first executable `name` on $PATH, or "".
std::string FindOnPath(std::string_view name) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const size_t colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + std::string(name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Runs `argv`: the exit code (128+signal when killed, 127 when it cannot start) and the first
// 2000 bytes of its stderr in `output`; stdout is discarded.
int RunQuietly(const std::vector<std::string>& argv, std::string& output) {
  RunOptions options;
  options.max_output_bytes = 2000;
  auto run = RunToCompletion(argv, options);
  if (!run.ok()) return 127;
  output = std::move(run->err);
  return run->exit_code;
}

}  // namespace

bool LooksLikeDockerImage(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.front() == '.') return false;
  if (name.find('/') == std::string_view::npos) return false;
  for (char c : name) {
    if (c == ' ' || c == '\t' || c == '\n') return false;
  }
  return true;
}

Result<std::vector<std::string>> DockerImageCommand(const std::string& image) {
  const std::string docker = FindOnPath("docker");
  if (docker.empty()) {
    return Status::ConfigError(fmt::format(
        "'{}' is a Docker image that sluice has no built-in for: running it needs Docker, and `docker` is not on "
        "PATH. Install Docker, or run the connector's own executable as an external connector (`command: [...]`)",
        image));
  }
  std::string output;
  if (RunQuietly({docker, "version", "--format", "{{.Server.Version}}"}, output) != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
    return Status::ConfigError(fmt::format(
        "'{}' is a Docker image that sluice has no built-in for: running it needs a Docker daemon, and `{} version` "
        "found none ({}). Start the daemon (and check this user may use it), or run the connector's own executable "
        "as an external connector (`command: [...]`)",
        image, docker, output.empty() ? "no answer" : output));
  }
  const char* tmp = std::getenv("TMPDIR");
  const std::string tmp_dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  return std::vector<std::string>{docker, "run", "--rm", "-i", "--init", "--network", "host",
                                  "-v", tmp_dir + ":" + tmp_dir, image};
}

}  // namespace sluice
