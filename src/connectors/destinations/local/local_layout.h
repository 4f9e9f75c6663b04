#pragma once
// The on-disk layout of destination-local and the file-system steps that keep it consistent
// when a run is killed at any instruction (kill -9, power loss):
//
//   <root>/<stream folder>/<sync ms>_<part:05>.<ext>        a complete data file
//   <root>/<stream folder>/.<sync ms>_<part:05>.<ext>.tmp   being written; never complete-looking
//   <parent>/.<folder name>.sluice-staging-<ms>/            an overwrite run's new data
//   <parent>/.<folder name>.sluice-old-<ms>/                replaced data about to be deleted
//
// A data file gets its final name only after it was fsynced (rename, then fsync of the folder).
// An overwrite replaces the stream folder with one rename (RENAME_EXCHANGE where the file system
// has it, else two renames that RecoverStreamFolder can finish).

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

//! "1700000000000_00003.jsonl.gz".
std::string DataFileName(int64_t sync_ms, uint32_t part, std::string_view extension);
//! ".1700000000000_00003.jsonl.gz.tmp".
std::string TempFileName(std::string_view data_file_name);
//! True for names TempFileName makes (".<digits>_<digits>.<ext>.tmp").
bool IsTempFileName(std::string_view name);
//! "<parent>/.<name>.sluice-staging-<ms>" for stream folder "<parent>/<name>".
std::string StagingFolder(const std::string& stream_folder, int64_t ms);
//! "<parent>/.<name>.sluice-old-<ms>".
std::string OldFolder(const std::string& stream_folder, int64_t ms);

//! "<root>/<relative>" (root "/" and trailing slashes handled).
std::string JoinPath(std::string_view root, std::string_view relative);

//! mkdir -p. Errors name the folder.
Status CreateFolders(const std::string& path);
//! fsync of a folder, making renames and new entries in it durable.
Status SyncFolder(const std::string& path);
//! rm -rf; a missing path is OK.
Status RemoveTree(const std::string& path);
//! Creates `root` if needed and proves it writable by creating, writing and deleting a probe
//! file. Errors (ConfigError) name the path and the OS reason.
Status CheckWritable(const std::string& root);

//! Repairs what killed runs left around `stream_folder`: finishes an overwrite that was killed
//! between its two renames (or restores the old data when the new is not known complete), then
//! deletes leftover staging/old folders and stale temp files. Adds to `used_ms` the sync ms of
//! the data files already in the folder, so a new run can avoid their names.
Status RecoverStreamFolder(const std::string& stream_folder, std::set<int64_t>& used_ms);

//! Atomically makes `staging` the content of `stream_folder` (which may not exist) and deletes
//! the replaced data. `ms` names the fallback's old folder.
Status ReplaceFolder(const std::string& staging, const std::string& stream_folder, int64_t ms);

}  // namespace sluice
