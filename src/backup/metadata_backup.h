#pragma once
// `sluice backup` / `sluice restore`: the metadata store (workspaces, sources, destinations,
// connections with their state, jobs, users, API keys) to one file and back.
//
// The backup file is a tar archive (`tar -tvf` lists it):
//   manifest.json        what it is: store kind, schema version, counts, sluice version, and
//                        `key_check` — a fixed text encrypted with the secret key in use
//   metadata.sqlite3     SQLite stores: a consistent copy made with SQLite's online backup API
//                        (the server may keep running)
//   metadata.pgdump      PostgreSQL stores: `pg_dump --format=custom` (one consistent snapshot)
//   secret.key           only with `include_secret_key`: the key, base64, as in <data dir>/secret.key
//
// The secret key encrypts every stored connector config. By default it is NOT in the backup (a
// stolen backup then holds no readable secret); the caller warns where the key is. Restore
// refuses to write anything unless the key it will run with (SLUICE_SECRET_KEY, else
// <data dir>/secret.key, else the backup's own key, written to the key file) decrypts
// `key_check` — so a restored server can always read its secrets — and, once restored, decrypts
// one stored config too. Restore into a store that already has sluice's tables needs `force`.
// SQLite backups restore into SQLite, PostgreSQL ones into PostgreSQL (pg_restore).
//
// Called by the CLI on its main thread; blocking; no other module calls it.

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace sluice {

//! What a store holds, for the reports and the manifest.
struct StoreCounts {
  int64_t sources = 0;       //!< not deleted
  int64_t destinations = 0;  //!< not deleted
  int64_t connections = 0;   //!< not deprecated
  int64_t connection_states = 0;
  int64_t jobs = 0;
  int64_t users = 0;
};

struct BackupOptions {
  std::string metadata_url;  //!< the store: sqlite:///…/sluice.db or postgres://…
  std::string data_dir;      //!< where the key file is (unless SLUICE_SECRET_KEY is set)
  std::string archive_path;  //!< the backup file to write (replaced atomically; mode 0600)
  bool include_secret_key = false;
  std::string sluice_version;  //!< recorded in the manifest
};

struct BackupReport {
  std::string store;  //!< "sqlite /path" or "postgres host:port/db"
  int schema_version = 0;
  StoreCounts counts;
  std::string key_origin;  //!< "SLUICE_SECRET_KEY" or the key file's path; "" when no key was found
  bool key_included = false;
  uint64_t archive_bytes = 0;
};

//! Writes the backup. Errors: config (bad URL, unreachable or empty store, pg_dump missing or
//! failing, unwritable destination), system (I/O). Never prints.
Result<BackupReport> BackupMetadataStore(const BackupOptions& options);

struct RestoreOptions {
  std::string archive_path;  //!< the backup file
  std::string metadata_url;  //!< the store to restore into (same kind as the backup's)
  std::string data_dir;      //!< where the key file is or will be written
  bool force = false;        //!< replace a store that already has sluice's tables
};

struct RestoreReport {
  std::string store;
  int schema_version = 0;  //!< of the backup (the server migrates it forward on start)
  StoreCounts counts;      //!< read back from the restored store
  std::string backup_created_at;
  std::string key_origin;   //!< the key the restored store is checked with
  bool key_written = false;  //!< the backup's key was written to <data dir>/secret.key
  bool key_checked = false;  //!< key_check (and a stored config, when there is one) decrypted
  std::vector<std::string> warnings;
};

//! Restores the backup. Checks everything it can before changing the target: the archive, the
//! store kind, the schema version (not newer than this binary), the key, an existing target
//! (needs `force`). Errors are config errors whose message says what to do.
Result<RestoreReport> RestoreMetadataStore(const RestoreOptions& options);

}  // namespace sluice
