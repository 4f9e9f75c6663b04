#pragma once
// Small file helpers shared by the CLI and connectors.

#include <string>
#include <string_view>

#include "base/status.h"

namespace sluice {

//! Writes all of `data` to `fd`, retrying on EINTR; returns the errno of a failure, or 0.
int WriteAll(int fd, std::string_view data);
//! Writes `content` to a new file readable only by this user (configs carry secrets).
Status WritePrivateFile(const std::string& path, std::string_view content);
//! Replaces `path` atomically and durably: a temp file beside it, fsync, rename, fsync of the
//! folder. Readers see the old or the new content, never a mix, also after a crash. A failure
//! leaves the old content and no temp file; a full disk (ENOSPC, EDQUOT) is a TransientError
//! naming the temp file, other failures SystemErrors.
Status ReplaceFileDurably(const std::string& path, std::string_view content);

}  // namespace sluice
