#include "cli/backup_command.h"

#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "backup/metadata_backup.h"
#include "base/status.h"
#include "cli/server_command.h"
#include "metadata/sql_database.h"

namespace sluice {

namespace {

std::string DataDir(const std::string& given) {
  return std::filesystem::absolute(given).lexically_normal().string();
}

std::string CountsLine(const StoreCounts& c) {
  return fmt::format("{} sources, {} destinations, {} connections ({} with saved state), {} jobs, {} users", c.sources,
                     c.destinations, c.connections, c.connection_states, c.jobs, c.users);
}

}  // namespace

int RunBackupCommand(const BackupCommandArgs& args, const std::string& sluice_version) {
  BackupOptions options;
  options.data_dir = DataDir(args.data_dir);
  options.metadata_url = ServerMetadataUrl(options.data_dir, args.metadata_url);
  options.archive_path = args.file;
  options.include_secret_key = args.include_secret_key;
  options.sluice_version = sluice_version;
  auto report = BackupMetadataStore(options);
  if (!report.ok()) {
    std::cerr << "sluice backup: " << report.status().message() << std::endl;
    return ExitCodeFor(report.status().failure_type());
  }
  std::cout << fmt::format("backed up {} (schema version {}): {}\n", report->store, report->schema_version,
                           CountsLine(report->counts));
  std::cout << fmt::format("wrote {} ({} bytes)\n", args.file, report->archive_bytes);
  if (report->key_included) {
    std::cerr << fmt::format(
                     "warning: {} includes the secret key (from {}): anyone who can read it can decrypt the stored "
                     "connector secrets. Keep it as safe as the key itself.",
                     args.file, report->key_origin)
              << std::endl;
  } else if (!report->key_origin.empty()) {
    std::cerr << fmt::format(
                     "warning: the secret key is NOT in this backup. It is in {}{}. Keep a copy of it apart from the "
                     "backup: without it the stored connector secrets (passwords, keys) cannot be read after a "
                     "restore. `sluice backup --include-secret-key` puts it in the backup instead.",
                     report->key_origin, report->key_origin == "SLUICE_SECRET_KEY" ? " (an environment variable)" : "")
              << std::endl;
  } else {
    std::cerr << fmt::format(
                     "warning: no secret key found (SLUICE_SECRET_KEY is unset and {}/secret.key does not exist): the "
                     "backup cannot be checked against a key when it is restored. Is --data-dir the server's?",
                     options.data_dir)
              << std::endl;
  }
  return 0;
}

int RunRestoreCommand(const BackupCommandArgs& args) {
  RestoreOptions options;
  options.data_dir = DataDir(args.data_dir);
  options.metadata_url = ServerMetadataUrl(options.data_dir, args.metadata_url);
  options.archive_path = args.file;
  options.force = args.force;
  auto report = RestoreMetadataStore(options);
  if (!report.ok()) {
    std::cerr << "sluice restore: " << report.status().message() << std::endl;
    return ExitCodeFor(report.status().failure_type());
  }
  for (const auto& warning : report->warnings) std::cerr << "warning: " << warning << std::endl;
  std::cout << fmt::format("restored {} (made {}, schema version {}) into {}: {}\n", args.file,
                           report->backup_created_at, report->schema_version, report->store,
                           CountsLine(report->counts));
  if (report->key_written) {
    std::cout << fmt::format("wrote the backup's secret key to {} (mode 0600)\n", report->key_origin);
  }
  if (report->key_checked) {
    std::cout << fmt::format("secret key checked: the key from {} decrypts the backup's secrets\n", report->key_origin);
  }
  std::cout << "start the server with the same --data-dir"
            << (args.metadata_url.empty() ? "" : " and --metadata") << " (and the same SLUICE_SECRET_KEY, if set); "
            << "it continues every connection from its saved state\n";
  return 0;
}

}  // namespace sluice
