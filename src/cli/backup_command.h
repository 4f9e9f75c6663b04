#pragma once
// `sluice backup FILE` / `sluice restore FILE`: the metadata store to one file and back
// (backup/metadata_backup.h), with the server's own rules for where the store and the secret key
// are (--data-dir, --metadata, SLUICE_SECRET_KEY).

#include <string>

namespace sluice {

struct BackupCommandArgs {
  std::string file;                        //!< the backup file
  std::string data_dir = "./sluice-data";  //!< --data-dir: SQLite store and key file, as the server's
  std::string metadata_url;                //!< --metadata postgres://… (default: SQLite in the data dir)
  bool include_secret_key = false;         //!< backup: --include-secret-key
  bool force = false;                      //!< restore: --force (replace a store that has data)
};

//! Returns the process exit code.
int RunBackupCommand(const BackupCommandArgs& args, const std::string& sluice_version);
int RunRestoreCommand(const BackupCommandArgs& args);

}  // namespace sluice
