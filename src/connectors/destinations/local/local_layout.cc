#include "connectors/destinations/local/local_layout.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "base/log.h"
#include "io/output_stream.h"  // FileErrorStatus

namespace sluice {
namespace {

constexpr std::string_view kStagingTag = ".sluice-staging-";
constexpr std::string_view kOldTag = ".sluice-old-";

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Leading "<digits>_" of a data file name, or -1.
int64_t SyncMsOf(std::string_view name) {
  const size_t underscore = name.find('_');
  if (underscore == std::string_view::npos || underscore > 18 || !AllDigits(name.substr(0, underscore))) return -1;
  return std::stoll(std::string(name.substr(0, underscore)));
}

void SplitFolder(const std::string& folder, std::string& parent, std::string& name) {
  const std::filesystem::path p(folder);
  const std::filesystem::path parent_path = p.parent_path();
  parent = parent_path.empty() ? std::filesystem::path(".").string() : parent_path.string();
  name = p.filename().string();
}

// Entry names of a folder; a missing folder has none.
Status ListFolder(const std::string& path, std::vector<std::string>& names) {
  names.clear();
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) {
    if (errno == ENOENT) return Status::Ok();
    return FileErrorStatus("cannot list folder", path, errno);
  }
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  ::closedir(dir);
  return Status::Ok();
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

Status Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return FileErrorStatus(fmt::format("cannot rename '{}' to", from), to, errno);
  }
  return Status::Ok();
}

}  // namespace

std::string DataFileName(int64_t sync_ms, uint32_t part, std::string_view extension) {
  return fmt::format("{}_{:05}.{}", sync_ms, part, extension);
}

std::string TempFileName(std::string_view data_file_name) { return fmt::format(".{}.tmp", data_file_name); }

bool IsTempFileName(std::string_view name) {
  if (name.size() < 6 || name.front() != '.' || !name.ends_with(".tmp")) return false;
  const std::string_view inner = name.substr(1, name.size() - 5);
  const size_t underscore = inner.find('_');
  if (underscore == std::string_view::npos || !AllDigits(inner.substr(0, underscore))) return false;
  const size_t dot = inner.find('.', underscore);
  return dot != std::string_view::npos && AllDigits(inner.substr(underscore + 1, dot - underscore - 1));
}

std::string StagingFolder(const std::string& stream_folder, int64_t ms) {
  std::string parent, name;
  SplitFolder(stream_folder, parent, name);
  return fmt::format("{}/.{}{}{}", parent, name, kStagingTag, ms);
}

std::string OldFolder(const std::string& stream_folder, int64_t ms) {
  std::string parent, name;
  SplitFolder(stream_folder, parent, name);
  return fmt::format("{}/.{}{}{}", parent, name, kOldTag, ms);
}

std::string JoinPath(std::string_view root, std::string_view relative) {
  while (root.size() > 1 && root.back() == '/') root.remove_suffix(1);
  if (root == "/") return fmt::format("/{}", relative);
  return fmt::format("{}/{}", root, relative);
}

Status CreateFolders(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return FileErrorStatus("cannot create folder", path, ec.value());
  if (!std::filesystem::is_directory(path, ec)) {
    return Status::ConfigError(fmt::format("'{}' exists and is not a folder", path));
  }
  return Status::Ok();
}

Status SyncFolder(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileErrorStatus("cannot open folder", path, errno);
  Status status;
  // Some file systems cannot fsync a folder (EINVAL); their renames are as durable as they get.
  if (::fsync(fd) != 0 && errno != EINVAL) status = FileErrorStatus("cannot sync folder", path, errno);
  ::close(fd);
  return status;
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return FileErrorStatus("cannot delete", path, ec.value());
  return Status::Ok();
}

Status CheckWritable(const std::string& root) {
  SLUICE_RETURN_IF_ERROR(CreateFolders(root));
  const std::string probe = JoinPath(root, fmt::format(".sluice-check-{}.tmp", ::getpid()));
  const auto not_writable = [&](std::string_view action, int err) {
    Status st = FileErrorStatus(action, probe, err);
    std::string message = fmt::format("destination_path '{}' is not writable: {}", root, st.message());
    // A full disk is transient (free space, run again), whatever step found it.
    if (st.failure_type() == FailureType::kTransient) return Status::TransientError(std::move(message));
    return Status::ConfigError(std::move(message));
  };
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return not_writable("cannot create", errno);
  const char data[] = "sluice";
  const bool wrote = ::write(fd, data, sizeof(data)) == static_cast<ssize_t>(sizeof(data));
  const int write_errno = errno;
  ::close(fd);
  if (!wrote) {
    ::unlink(probe.c_str());
    return not_writable("cannot write", write_errno);
  }
  if (::unlink(probe.c_str()) != 0) return not_writable("cannot delete", errno);
  return Status::Ok();
}

Status RecoverStreamFolder(const std::string& stream_folder, std::set<int64_t>& used_ms) {
  std::string parent, name;
  SplitFolder(stream_folder, parent, name);
  const std::string staging_prefix = fmt::format(".{}{}", name, kStagingTag);
  const std::string old_prefix = fmt::format(".{}{}", name, kOldTag);

  std::vector<std::string> entries;
  SLUICE_RETURN_IF_ERROR(ListFolder(parent, entries));
  std::map<int64_t, std::string> stagings, olds;  // by ms
  for (const std::string& entry : entries) {
    const std::string_view e = entry;
    if (e.starts_with(staging_prefix) && AllDigits(e.substr(staging_prefix.size()))) {
      stagings[std::stoll(entry.substr(staging_prefix.size()))] = JoinPath(parent, entry);
    } else if (e.starts_with(old_prefix) && AllDigits(e.substr(old_prefix.size()))) {
      olds[std::stoll(entry.substr(old_prefix.size()))] = JoinPath(parent, entry);
    }
  }

  if (!Exists(stream_folder) && !olds.empty()) {
    // A run was killed between "stream folder → old" and "staging → stream folder". Its staging
    // was complete (the swap starts only after everything was flushed): finish the swap. Without
    // a matching staging, put the old data back.
    const auto& [ms, old] = *olds.rbegin();
    auto staging = stagings.find(ms);
    if (staging != stagings.end()) {
      Log(LogLevel::kWarn, "finishing the interrupted replacement of '{}'", stream_folder);
      SLUICE_RETURN_IF_ERROR(Rename(staging->second, stream_folder));
      stagings.erase(staging);
    } else {
      Log(LogLevel::kWarn, "restoring '{}' from an interrupted replacement", stream_folder);
      SLUICE_RETURN_IF_ERROR(Rename(old, stream_folder));
      olds.erase(ms);
    }
    SLUICE_RETURN_IF_ERROR(SyncFolder(parent));
  }
  for (const auto& [ms, path] : stagings) SLUICE_RETURN_IF_ERROR(RemoveTree(path));
  for (const auto& [ms, path] : olds) SLUICE_RETURN_IF_ERROR(RemoveTree(path));

  SLUICE_RETURN_IF_ERROR(ListFolder(stream_folder, entries));
  for (const std::string& entry : entries) {
    if (IsTempFileName(entry)) {
      const std::string path = JoinPath(stream_folder, entry);
      if (::unlink(path.c_str()) != 0 && errno != ENOENT) return FileErrorStatus("cannot delete", path, errno);
      continue;
    }
    const int64_t ms = SyncMsOf(entry);
    if (ms >= 0) used_ms.insert(ms);
  }
  return Status::Ok();
}

Status ReplaceFolder(const std::string& staging, const std::string& stream_folder, int64_t ms) {
  std::string parent, name;
  SplitFolder(stream_folder, parent, name);
  if (!Exists(stream_folder)) {
    SLUICE_RETURN_IF_ERROR(Rename(staging, stream_folder));
    return SyncFolder(parent);
  }
  std::string replaced;  // where the old data is now
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, stream_folder.c_str(), RENAME_EXCHANGE) == 0) {
    replaced = staging;
  } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
    // No atomic exchange on this file system: two renames; RecoverStreamFolder finishes them
    // if the run dies in between.
    replaced = OldFolder(stream_folder, ms);
    SLUICE_RETURN_IF_ERROR(Rename(stream_folder, replaced));
    SLUICE_RETURN_IF_ERROR(Rename(staging, stream_folder));
  } else {
    return FileErrorStatus(fmt::format("cannot exchange '{}' with", staging), stream_folder, errno);
  }
  SLUICE_RETURN_IF_ERROR(SyncFolder(parent));
  // The new data is in place; a leftover is deleted by the next run.
  Status removed = RemoveTree(replaced);
  if (!removed.ok()) Log(LogLevel::kWarn, "{}", removed.message());
  return Status::Ok();
}

}  // namespace sluice
