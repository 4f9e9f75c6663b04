#pragma once
// Helpers for the monitoring tests: line-wise reading of a child process's stdout.

#include <poll.h>

#include <string>

#include "base/subprocess.h"

namespace sluice::testing {

//! The next line of `child`'s stdout (without '\n'), or "" at end of file or after 30 s without
//! data (so a missing line fails the test instead of hanging it). `buffer` keeps what was read
//! past the line.
inline std::string ReadLine(Subprocess& child, std::string& buffer) {
  for (;;) {
    if (const size_t nl = buffer.find('\n'); nl != std::string::npos) {
      std::string line = buffer.substr(0, nl);
      buffer.erase(0, nl + 1);
      return line;
    }
    pollfd pfd{child.stdout_fd(), POLLIN, 0};
    if (poll(&pfd, 1, 30'000) <= 0) return "";
    char chunk[4096];
    auto n = child.ReadStdout(chunk, sizeof chunk);
    if (!n.ok() || *n == 0) return "";
    buffer.append(chunk, *n);
  }
}

}  // namespace sluice::testing
