#include "backup/metadata_backup.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <optional>

#include <fmt/format.h>

#include "base/file_util.h"
#include "base/json.h"
#include "base/subprocess.h"
#include "io/tar_archive.h"
#include "metadata/migrations.h"
#include "metadata/sql_database.h"
#include "security/secret_key.h"
#include "security/sodium_util.h"

namespace sluice {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kFormat = "sluice-backup";
constexpr int kFormatVersion = 1;
constexpr std::string_view kManifestName = "manifest.json";
constexpr std::string_view kSqliteName = "metadata.sqlite3";
constexpr std::string_view kPgDumpName = "metadata.pgdump";
constexpr std::string_view kKeyName = "secret.key";
//! Encrypted into the manifest; restore decrypts it with the key it will run with.
constexpr std::string_view kKeyCheckText = "sluice backup key check v1";

// ---------- the secret key, found without creating one ----------

struct FoundKey {
  SecretBox box;
  std::string origin;  // "SLUICE_SECRET_KEY" or the key file's path
};

std::string KeyFilePath(const std::string& data_dir) { return (fs::path(data_dir) / kSecretKeyFileName).string(); }

//! The key the server would use (LoadSecretKey's rule) — but a missing key file is "none", not
//! created. A key that exists but cannot be used (bad base64, loose permissions) is an error.
Result<std::optional<FoundKey>> FindSecretKey(const std::string& data_dir) {
  const char* env = std::getenv(std::string(kSecretKeyEnvVar).c_str());
  if (env != nullptr && *env != '\0') {
    SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBoxFromBase64Key(env, kSecretKeyEnvVar));
    return std::optional<FoundKey>(FoundKey{std::move(box), std::string(kSecretKeyEnvVar)});
  }
  const std::string path = KeyFilePath(data_dir);
  std::error_code ec;
  if (!fs::exists(path, ec)) return std::optional<FoundKey>();
  SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBoxFromKeyFile(path, /*create_if_missing=*/false));
  return std::optional<FoundKey>(FoundKey{std::move(box), path});
}

// ---------- store queries ----------

Result<StoreCounts> CountStore(SqlDatabase& db) {
  StoreCounts counts;
  struct Query {
    int64_t* out;
    const char* sql;
  };
  const Query queries[] = {
      {&counts.sources, "SELECT count(*) FROM actors WHERE kind = 'source' AND NOT tombstone"},
      {&counts.destinations, "SELECT count(*) FROM actors WHERE kind = 'destination' AND NOT tombstone"},
      {&counts.connections, "SELECT count(*) FROM connections WHERE status <> 'deprecated'"},
      {&counts.connection_states, "SELECT count(*) FROM connection_states"},
      {&counts.jobs, "SELECT count(*) FROM jobs"},
      {&counts.users, "SELECT count(*) FROM users"},
  };
  for (const auto& q : queries) {
    SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query(q.sql));
    *q.out = rows.at(0).GetInt(0);
  }
  return counts;
}

Json CountsJson(const StoreCounts& c) {
  return Json{{"sources", c.sources},     {"destinations", c.destinations},
              {"connections", c.connections}, {"connection_states", c.connection_states},
              {"jobs", c.jobs},           {"users", c.users}};
}

//! Decrypts the first stored config (a source's or destination's) with `box`: true when there
//! is none or it decrypts, false when the key cannot read it.
Result<bool> StoredConfigDecrypts(SqlDatabase& db, const SecretBox& box) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db.Query("SELECT configuration FROM actors ORDER BY created_at LIMIT 1"));
  if (rows.empty()) return true;
  const std::string text = rows[0].GetText(0);
  if (!SecretBox::LooksEncrypted(text)) return true;
  return box.Decrypt(text).ok();
}

// ---------- SQLite: the online backup API ----------

std::string SqliteError(sqlite3* db) { return db ? sqlite3_errmsg(db) : "out of memory"; }

//! Copies the database `from` into `to` page by page with sqlite3_backup_* (consistent even
//! while another process writes `from`; locked pages are retried). `to` is created or replaced.
Status SqliteCopy(const std::string& from, const std::string& to, bool from_must_exist_rw) {
  sqlite3* src = nullptr;
  sqlite3* dst = nullptr;
  auto close_both = [&] {
    if (src) sqlite3_close(src);
    if (dst) sqlite3_close(dst);
  };
  const int src_flags = from_must_exist_rw ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
  if (sqlite3_open_v2(from.c_str(), &src, src_flags, nullptr) != SQLITE_OK) {
    Status st = Status::ConfigError(fmt::format("cannot open the SQLite store {}: {}", from, SqliteError(src)));
    close_both();
    return st;
  }
  if (sqlite3_open_v2(to.c_str(), &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    Status st = Status::ConfigError(fmt::format("cannot open {}: {}", to, SqliteError(dst)));
    close_both();
    return st;
  }
  sqlite3_busy_timeout(src, 10000);
  sqlite3_busy_timeout(dst, 10000);
  sqlite3_backup* backup = sqlite3_backup_init(dst, "main", src, "main");
  if (backup == nullptr) {
    Status st = Status::SystemError(fmt::format("SQLite backup of {} cannot start: {}", from, SqliteError(dst)));
    close_both();
    return st;
  }
  int rc;
  int busy_rounds = 0;
  do {
    rc = sqlite3_backup_step(backup, 1024);
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
      if (++busy_rounds > 600) break;  // ~60 s of a lock held elsewhere
      sqlite3_sleep(100);
    }
  } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish(backup);
  Status status;
  if (rc != SQLITE_DONE) {
    status = rc == SQLITE_BUSY || rc == SQLITE_LOCKED
                 ? Status::TransientError(fmt::format("SQLite store {} stayed locked; try again", from))
                 : Status::SystemError(fmt::format("SQLite backup of {} failed: {}", from, sqlite3_errstr(rc)));
  }
  close_both();
  return status;
}

//! Runs one statement returning one text value on a SQLite file (checks of a backup copy).
Result<std::string> SqliteScalar(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    std::string err = SqliteError(db);
    sqlite3_close(db);
    return Status::ConfigError(fmt::format("cannot open {}: {}", path, err));
  }
  sqlite3_stmt* stmt = nullptr;
  std::string value;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    value = text ? reinterpret_cast<const char*>(text) : "";
  }
  std::string err = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? "" : SqliteError(db);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  if (!err.empty()) return Status::ConfigError(fmt::format("{}: {}", path, err));
  return value;
}

// ---------- PostgreSQL: pg_dump / pg_restore ----------

std::string ConninfoQuote(std::string_view value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

//! A libpq conninfo string without the password (it goes in PGPASSWORD, off the command line).
std::string Conninfo(const PgConnectionConfig& c) {
  std::string s = fmt::format("host={} port={} dbname={} sslmode={} connect_timeout={}", ConninfoQuote(c.host),
                              c.port, ConninfoQuote(c.database), ConninfoQuote(c.ssl_mode),
                              c.connect_timeout_seconds);
  if (!c.username.empty()) s += " user=" + ConninfoQuote(c.username);
  for (const auto& [key, value] : c.extra_params) s += " " + key + "=" + ConninfoQuote(value);
  return s;
}

//! Runs pg_dump / pg_restore; a failure quotes what the tool printed (never the password).
Status RunPgTool(std::vector<std::string> argv, const PgConnectionConfig& config) {
  const std::string tool = argv[0];
  std::vector<std::string> env = {"PGAPPNAME=sluice-" + tool};
  if (!config.password.empty()) env.push_back("PGPASSWORD=" + config.password);
  auto proc = Subprocess::Start(argv, /*pipe_stdin=*/false, env);
  if (!proc.ok()) {
    return Status::ConfigError(fmt::format(
        "cannot run {} (PostgreSQL's client tools; on Debian: apt-get install postgresql-client): {}", tool,
        proc.status().message()));
  }
  std::string output;
  char buf[4096];
  for (int fd : {(*proc)->stderr_fd(), (*proc)->stdout_fd()}) {
    for (;;) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      if (output.size() < 64 * 1024) output.append(buf, static_cast<size_t>(n));
    }
  }
  const int code = (*proc)->Wait();
  if (code != 0) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' ')) output.pop_back();
    return Status::ConfigError(fmt::format("{} failed (exit code {}) on {}: {}", tool, code, config.Describe(), output));
  }
  return Status::Ok();
}

// ---------- helpers ----------

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

//! A private scratch folder beside `near` (the backup file's folder, or the SQLite target's: the
//! same file system, and writable anyway), removed at scope end.
class ScratchDir {
 public:
  static Result<ScratchDir> Create(const std::string& near) {
    std::string parent = fs::path(near).parent_path().string();
    if (parent.empty()) parent = ".";
    std::string pattern = parent + "/.sluice-backup-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return Status::ConfigError(fmt::format("cannot create a scratch folder in {}: {}", parent, std::strerror(errno)));
    }
    return ScratchDir(pattern);
  }
  //! Under $TMPDIR (or /tmp): for a dump restored from a folder that may be read-only.
  static Result<ScratchDir> CreateTemp() {
    SLUICE_ASSIGN_OR_RETURN(std::string path, MakeTempDir("sluice-restore-"));
    return ScratchDir(path);
  }
  ScratchDir(ScratchDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  ~ScratchDir() {
    if (!path_.empty()) RemoveTreeIgnoringErrors(path_);
  }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace

// ---------- backup ----------

Result<BackupReport> BackupMetadataStore(const BackupOptions& options) {
  SLUICE_ASSIGN_OR_RETURN(DatabaseLocation location, ParseDatabaseUrl(options.metadata_url));
  BackupReport report;
  if (location.dialect == Dialect::kSqlite) {
    std::error_code ec;
    if (!fs::exists(location.sqlite_path, ec)) {
      return Status::ConfigError(fmt::format(
          "no metadata store at {} (give the server's --data-dir, or --metadata for PostgreSQL)", location.sqlite_path));
    }
  }
  SLUICE_ASSIGN_OR_RETURN(auto db, OpenSqlDatabase(options.metadata_url));
  report.store = db->description();
  SLUICE_ASSIGN_OR_RETURN(report.schema_version, CurrentSchemaVersion(*db));
  if (report.schema_version == 0) {
    return Status::ConfigError(fmt::format("{} holds no sluice metadata (no schema_migrations table)", report.store));
  }
  SLUICE_ASSIGN_OR_RETURN(report.counts, CountStore(*db));

  SLUICE_ASSIGN_OR_RETURN(std::optional<FoundKey> key, FindSecretKey(options.data_dir));
  if (options.include_secret_key && !key) {
    return Status::ConfigError(fmt::format("--include-secret-key: no secret key found ({} is unset and {} does not exist)",
                                           kSecretKeyEnvVar, KeyFilePath(options.data_dir)));
  }
  if (key) {
    SLUICE_ASSIGN_OR_RETURN(bool readable, StoredConfigDecrypts(*db, key->box));
    if (!readable) {
      return Status::ConfigError(fmt::format(
          "the secret key from {} does not decrypt the store's configurations: it is not this store's key "
          "(set {} or --data-dir to where the server's key is)",
          key->origin, kSecretKeyEnvVar));
    }
    report.key_origin = key->origin;
  }
  db.reset();

  SLUICE_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(options.archive_path));
  std::string payload_name;
  std::string payload_path;
  if (location.dialect == Dialect::kSqlite) {
    payload_name = kSqliteName;
    payload_path = scratch.File(kSqliteName);
    SLUICE_RETURN_IF_ERROR(SqliteCopy(location.sqlite_path, payload_path, /*from_must_exist_rw=*/true));
    // A standalone file: no -wal beside it when it is opened again.
    SLUICE_RETURN_IF_ERROR(SqliteScalar(payload_path, "PRAGMA journal_mode=DELETE").status());
  } else {
    payload_name = kPgDumpName;
    payload_path = scratch.File(kPgDumpName);
    SLUICE_RETURN_IF_ERROR(RunPgTool({"pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                                      "--file=" + payload_path, "--dbname=" + Conninfo(location.postgres)},
                                     location.postgres));
  }

  Json manifest = {{"format", kFormat},
                   {"format_version", kFormatVersion},
                   {"created_at", UtcNow()},
                   {"sluice_version", options.sluice_version},
                   {"store", location.dialect == Dialect::kSqlite ? "sqlite" : "postgres"},
                   {"store_description", report.store},
                   {"schema_version", report.schema_version},
                   {"counts", CountsJson(report.counts)},
                   {"payload", payload_name},
                   {"secret_key_included", options.include_secret_key},
                   {"key_check", key ? Json(key->box.Encrypt(kKeyCheckText)) : Json(nullptr)}};

  SLUICE_ASSIGN_OR_RETURN(TarWriter tar, TarWriter::Create(options.archive_path));
  SLUICE_RETURN_IF_ERROR(tar.AddBytes(kManifestName, manifest.dump(2) + "\n", 0644));
  SLUICE_RETURN_IF_ERROR(tar.AddFile(payload_name, payload_path, 0600));
  if (options.include_secret_key) {
    SLUICE_RETURN_IF_ERROR(tar.AddBytes(kKeyName, Base64Encode(key->box.key(), Base64Variant::kStandard) + "\n", 0600));
    report.key_included = true;
  }
  SLUICE_RETURN_IF_ERROR(tar.Finish());
  std::error_code ec;
  report.archive_bytes = fs::file_size(options.archive_path, ec);
  return report;
}

// ---------- restore ----------

Result<RestoreReport> RestoreMetadataStore(const RestoreOptions& options) {
  RestoreReport report;
  SLUICE_ASSIGN_OR_RETURN(TarReader tar, TarReader::Open(options.archive_path));
  const TarEntry* manifest_entry = tar.Find(kManifestName);
  if (manifest_entry == nullptr) {
    return Status::ConfigError(options.archive_path + " is not a sluice backup: it has no manifest.json");
  }
  SLUICE_ASSIGN_OR_RETURN(std::string manifest_text, tar.ReadSmall(*manifest_entry));
  Json manifest = Json::parse(manifest_text, nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || manifest.value("format", "") != kFormat) {
    return Status::ConfigError(options.archive_path + " is not a sluice backup: manifest.json is not sluice's");
  }
  if (manifest.value("format_version", 0) > kFormatVersion) {
    return Status::ConfigError(fmt::format("{} was written by a newer sluice ({}): upgrade sluice to restore it",
                                           options.archive_path, manifest.value("sluice_version", "?")));
  }
  report.backup_created_at = manifest.value("created_at", "");
  report.schema_version = manifest.value("schema_version", 0);
  if (report.schema_version > LatestSchemaVersion()) {
    return Status::ConfigError(fmt::format(
        "the backup's metadata schema is version {}, newer than this sluice binary knows ({}): restore it with "
        "sluice {} or newer",
        report.schema_version, LatestSchemaVersion(), manifest.value("sluice_version", "?")));
  }
  const std::string kind = manifest.value("store", "");
  const TarEntry* payload = tar.Find(kind == "postgres" ? kPgDumpName : kSqliteName);
  if (payload == nullptr || (kind != "sqlite" && kind != "postgres")) {
    return Status::ConfigError(options.archive_path + " is incomplete: the store's copy is missing");
  }

  // The target: the same kind of store as the backup's.
  SLUICE_ASSIGN_OR_RETURN(DatabaseLocation location, ParseDatabaseUrl(options.metadata_url));
  const bool target_postgres = location.dialect == Dialect::kPostgres;
  if (target_postgres != (kind == "postgres")) {
    return Status::ConfigError(fmt::format(
        "this backup is of a {} metadata store; restore it into {} ({})", kind == "postgres" ? "PostgreSQL" : "SQLite",
        kind == "postgres" ? "a PostgreSQL database: --metadata postgres://…" : "SQLite: --data-dir D, without --metadata",
        "converting between SQLite and PostgreSQL is not supported"));
  }

  // The key: the one the restored server will run with must read the backup's secrets.
  std::optional<std::string> included_key;
  if (const TarEntry* key_entry = tar.Find(kKeyName)) {
    SLUICE_ASSIGN_OR_RETURN(std::string text, tar.ReadSmall(*key_entry, 4096));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.pop_back();
    SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBoxFromBase64Key(text, "the backup's secret.key"));
    included_key = text;
  }
  SLUICE_ASSIGN_OR_RETURN(std::optional<FoundKey> target_key, FindSecretKey(options.data_dir));
  const Json& key_check = manifest.contains("key_check") ? manifest["key_check"] : Json(nullptr);
  std::optional<SecretBox> box;  // the key the restored store will be read with
  if (target_key) {
    if (included_key &&
        Base64Encode(target_key->box.key(), Base64Variant::kStandard) != *included_key) {
      return Status::ConfigError(fmt::format(
          "the backup holds its secret key, and the key from {} is a different one: the restored configurations "
          "are encrypted with the backup's key. Remove {} (or unset {}) so the backup's key is used, or restore "
          "a backup made without --include-secret-key",
          target_key->origin, KeyFilePath(options.data_dir), kSecretKeyEnvVar));
    }
    box = target_key->box;
    report.key_origin = target_key->origin;
  } else if (included_key) {
    SLUICE_ASSIGN_OR_RETURN(SecretBox b, SecretBoxFromBase64Key(*included_key, "the backup's secret.key"));
    box = b;
    report.key_origin = KeyFilePath(options.data_dir);
  } else if (key_check.is_string()) {
    return Status::ConfigError(fmt::format(
        "this backup does not include the secret key, and there is none here ({} is unset and {} does not exist). "
        "Its stored secrets need the key of the server it was made on: copy that server's secret.key to {} "
        "(chmod 600) or set {}, then run restore again",
        kSecretKeyEnvVar, KeyFilePath(options.data_dir), KeyFilePath(options.data_dir), kSecretKeyEnvVar));
  }
  if (key_check.is_string()) {
    if (!box->Decrypt(key_check.get<std::string>()).ok()) {
      return Status::ConfigError(fmt::format(
          "the secret key from {} is not the key this backup was made with (its key check does not decrypt), so "
          "the restored sources' and destinations' secrets could not be read. Use the original server's key "
          "({} or its <data dir>/secret.key); nothing was restored",
          report.key_origin, kSecretKeyEnvVar));
    }
    report.key_checked = true;
  } else {
    report.warnings.push_back(
        "the backup was made without a secret key in reach, so the key cannot be checked: if the restored server "
        "cannot decrypt a source's configuration, enter its secrets again");
  }

  // An existing store is replaced only with --force.
  {
    bool exists = true;
    if (!target_postgres) {
      std::error_code ec;
      exists = fs::exists(location.sqlite_path, ec);
    }
    if (exists) {
      SLUICE_ASSIGN_OR_RETURN(auto db, OpenSqlDatabase(options.metadata_url));
      SLUICE_ASSIGN_OR_RETURN(int version, CurrentSchemaVersion(*db));
      if (version > 0 && !options.force) {
        SLUICE_ASSIGN_OR_RETURN(StoreCounts existing, CountStore(*db));
        return Status::ConfigError(fmt::format(
            "{} already holds sluice metadata ({} connections, {} jobs): stop every server and worker using it and "
            "run restore with --force to replace it",
            db->description(), existing.connections, existing.jobs));
      }
    }
  }

  if (included_key && !target_key) {
    const std::string key_path = KeyFilePath(options.data_dir);
    std::error_code ec;
    fs::create_directories(options.data_dir, ec);
    SLUICE_RETURN_IF_ERROR(WritePrivateFile(key_path, *included_key + "\n"));
    report.key_written = true;
  }

  if (!target_postgres) {
    std::error_code ec;
    if (!location.sqlite_folder.empty()) fs::create_directories(location.sqlite_folder, ec);
    if (const auto parent = fs::path(location.sqlite_path).parent_path(); !parent.empty()) {
      fs::create_directories(parent, ec);
    }
    SLUICE_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::Create(location.sqlite_path));
    const std::string copy = scratch.File(kSqliteName);
    SLUICE_RETURN_IF_ERROR(tar.ExtractTo(*payload, copy));
    SLUICE_ASSIGN_OR_RETURN(std::string check, SqliteScalar(copy, "PRAGMA quick_check"));
    if (check != "ok") return Status::ConfigError(options.archive_path + ": the SQLite copy is damaged: " + check);
    SLUICE_RETURN_IF_ERROR(SqliteCopy(copy, location.sqlite_path, /*from_must_exist_rw=*/false));
  } else {
    SLUICE_ASSIGN_OR_RETURN(ScratchDir scratch, ScratchDir::CreateTemp());
    const std::string dump = scratch.File(kPgDumpName);
    SLUICE_RETURN_IF_ERROR(tar.ExtractTo(*payload, dump));
    std::vector<std::string> argv = {"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                                     "--single-transaction"};
    if (options.force) {
      argv.push_back("--clean");
      argv.push_back("--if-exists");
    }
    argv.push_back("--dbname=" + Conninfo(location.postgres));
    argv.push_back(dump);
    SLUICE_RETURN_IF_ERROR(RunPgTool(argv, location.postgres));
  }

  // Read it back: counts, and one stored config decrypted with the key.
  SLUICE_ASSIGN_OR_RETURN(auto db, OpenSqlDatabase(options.metadata_url));
  report.store = db->description();
  SLUICE_ASSIGN_OR_RETURN(report.counts, CountStore(*db));
  if (box) {
    SLUICE_ASSIGN_OR_RETURN(bool readable, StoredConfigDecrypts(*db, *box));
    if (!readable) {
      return Status::ConfigError(fmt::format(
          "restored, but the secret key from {} does not decrypt the restored configurations: start the server with "
          "the original key",
          report.key_origin));
    }
  }
  return report;
}

}  // namespace sluice
