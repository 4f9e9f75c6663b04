#include "backup/metadata_backup.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "metadata/migrations.h"
#include "metadata/sql_database.h"
#include "security/secret_key.h"

// SQLite stores (the PostgreSQL path, pg_dump / pg_restore, is covered by tests/e2e/test_backup.py).
namespace sluice {
namespace {

namespace fs = std::filesystem;

class MetadataBackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    unsetenv("SLUICE_SECRET_KEY");
    std::string tmpl = (fs::temp_directory_path() / "sluice_backup_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    // A store as a server leaves it: migrated, one source whose config is encrypted with the
    // data dir's key, and a saved state.
    fs::create_directories(Dir("a"));
    auto box = SecretBoxFromKeyFile(Dir("a") + "/secret.key", /*create_if_missing=*/true);
    ASSERT_TRUE(box.ok());
    auto db = OpenSqlDatabase(Url("a"));
    ASSERT_TRUE(db.ok()) << db.status().message();
    ASSERT_TRUE(Migrate(**db, 1).ok());
    auto ws = (*db)->Query("SELECT id FROM workspaces");
    ASSERT_TRUE(ws.ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO actors (id, kind, workspace_id, definition_name, name, configuration, "
                            "created_at, updated_at) VALUES ('s1', 'source', ?, 'source-faker', 'faker', ?, 1, 1)",
                            {ws->at(0).GetText(0), box->Encrypt("{\"password\":\"hunter2\"}")})
                    .ok());
  }
  void TearDown() override {
    unsetenv("SLUICE_SECRET_KEY");
    fs::remove_all(dir_);
  }
  std::string Dir(const std::string& name) const { return (dir_ / name).string(); }
  std::string Url(const std::string& name) const { return "sqlite://" + Dir(name) + "/sluice.db"; }
  Result<BackupReport> Backup(bool include_key = false) {
    return BackupMetadataStore({.metadata_url = Url("a"),
                                .data_dir = Dir("a"),
                                .archive_path = Dir("b.backup"),
                                .include_secret_key = include_key,
                                .sluice_version = "test"});
  }
  Result<RestoreReport> Restore(const std::string& to, bool force = false) {
    return RestoreMetadataStore(
        {.archive_path = Dir("b.backup"), .metadata_url = Url(to), .data_dir = Dir(to), .force = force});
  }
  void CopyKey(const std::string& to) {
    fs::create_directories(Dir(to));
    fs::copy_file(Dir("a") + "/secret.key", Dir(to) + "/secret.key");
  }
  fs::path dir_;
};

TEST_F(MetadataBackupTest, RoundTripWithTheOriginalKey) {
  auto backup = Backup();
  ASSERT_TRUE(backup.ok()) << backup.status().message();
  EXPECT_EQ(backup->counts.sources, 1);
  EXPECT_EQ(backup->key_origin, Dir("a") + "/secret.key");
  EXPECT_FALSE(backup->key_included);
  CopyKey("c");
  auto restored = Restore("c");
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_TRUE(restored->key_checked);
  EXPECT_FALSE(restored->key_written);
  EXPECT_EQ(restored->counts.sources, 1);
  EXPECT_EQ(restored->schema_version, LatestSchemaVersion());
  auto db = OpenSqlDatabase(Url("c"));
  auto rows = (*db)->Query("SELECT name FROM actors WHERE id = 's1'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0).GetText(0), "faker");
}

TEST_F(MetadataBackupTest, RestoreRefusesAMissingOrWrongKeyBeforeWritingAnything) {
  ASSERT_TRUE(Backup().ok());
  auto none = Restore("c");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("does not include the secret key"), std::string::npos);
  fs::create_directories(Dir("c"));
  ASSERT_TRUE(SecretBoxFromKeyFile(Dir("c") + "/secret.key", true).ok());  // another, fresh key
  auto wrong = Restore("c");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("is not the key this backup was made with"), std::string::npos)
      << wrong.status().message();
  EXPECT_FALSE(fs::exists(Dir("c") + "/sluice.db"));
}

TEST_F(MetadataBackupTest, IncludedKeyIsWrittenPrivatelyAndAnExistingStoreNeedsForce) {
  auto backup = Backup(/*include_key=*/true);
  ASSERT_TRUE(backup.ok()) << backup.status().message();
  EXPECT_TRUE(backup->key_included);
  auto restored = Restore("c");
  ASSERT_TRUE(restored.ok()) << restored.status().message();
  EXPECT_TRUE(restored->key_written);
  struct stat st {};
  ASSERT_EQ(stat((Dir("c") + "/secret.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream a(Dir("a") + "/secret.key"), c(Dir("c") + "/secret.key");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(a), {}), std::string(std::istreambuf_iterator<char>(c), {}));

  auto again = Restore("c");
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("--force"), std::string::npos);
  EXPECT_TRUE(Restore("c", /*force=*/true).ok());
  // The backup's key differs from a key already at the target: refused.
  fs::remove(Dir("c") + "/secret.key");
  ASSERT_TRUE(SecretBoxFromKeyFile(Dir("c") + "/secret.key", true).ok());
  auto differs = Restore("c", true);
  ASSERT_FALSE(differs.ok());
  EXPECT_NE(differs.status().message().find("different one"), std::string::npos) << differs.status().message();
}

TEST_F(MetadataBackupTest, BackupRefusesAKeyThatIsNotTheStores) {
  fs::remove(Dir("a") + "/secret.key");
  ASSERT_TRUE(SecretBoxFromKeyFile(Dir("a") + "/secret.key", true).ok());
  auto backup = Backup();
  ASSERT_FALSE(backup.ok());
  EXPECT_NE(backup.status().message().find("not this store's key"), std::string::npos) << backup.status().message();
  EXPECT_FALSE(fs::exists(Dir("b.backup")));
}

}  // namespace
}  // namespace sluice
