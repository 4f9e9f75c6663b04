#include "base/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace sluice {

int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

namespace {

//! A full disk is transient (free space, run again: nothing was lost), as io's FileErrorStatus says.
Status WriteError(const std::string& path, int err) {
  std::string message = "cannot write '" + path + "': " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) return Status::TransientError(message + " (the disk is full: free space and run again)");
  return Status::SystemError(std::move(message));
}

Status WriteNewFile(const std::string& path, std::string_view content, bool sync) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return WriteError(path, errno);
  int err = WriteAll(fd, content);
  if (err == 0 && sync && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err != 0) return WriteError(path, err);
  return Status::Ok();
}

}  // namespace

Status WritePrivateFile(const std::string& path, std::string_view content) {
  return WriteNewFile(path, content, /*sync=*/false);
}

Status ReplaceFileDurably(const std::string& path, std::string_view content) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  const std::string tmp = path + ".tmp";
  if (Status written = WriteNewFile(tmp, content, /*sync=*/true); !written.ok()) {
    unlink(tmp.c_str());  // no half-written temp file left holding a full disk's last bytes
    return written;
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    unlink(tmp.c_str());
    return Status::SystemError("cannot replace '" + path + "': " + std::strerror(err));
  }
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

}  // namespace sluice
