// The SQL seam: URLs, placeholders, typed values, transactions and error classes, on SQLite and
// on a real PostgreSQL.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "backends.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::FreshDatabase;
using testing_metadata::PgServer;

TEST(SqlPlaceholders, NumberedOutsideQuotesAndComments) {
  EXPECT_EQ(ToNumberedPlaceholders("SELECT ? , '?', \"a?\" -- ?\n, ?"), "SELECT $1 , '?', \"a?\" -- ?\n, $2");
  EXPECT_EQ(ToNumberedPlaceholders("INSERT INTO t VALUES (?, 'it''s ?', ?)"),
            "INSERT INTO t VALUES ($1, 'it''s ?', $2)");
}

TEST(DatabaseUrl, RedactsThePassword) {
  EXPECT_EQ(RedactDatabaseUrl("postgres://u:s3cret@h:5432/db?sslmode=require"),
            "postgres://u:***@h:5432/db?sslmode=require");
  EXPECT_EQ(RedactDatabaseUrl("postgres://u@h/db"), "postgres://u@h/db");
  EXPECT_EQ(RedactDatabaseUrl("/var/lib/sluice"), "/var/lib/sluice");
}

TEST(DatabaseUrl, BadUrlsAreConfigErrors) {
  for (const char* url : {"", "mysql://u:p@h/db", "postgres://u:p@h:notaport/db", "postgres://u:p@h:5432/db?sslmode",
                          "postgres://u:p@h/db?password=x", "postgres://u:bad%zzescape@h/db"}) {
    auto db = OpenSqlDatabase(url);
    ASSERT_FALSE(db.ok()) << url;
    EXPECT_EQ(db.status().failure_type(), FailureType::kConfig) << url << ": " << db.status().ToString();
    EXPECT_EQ(db.status().message().find("bad%zz"), std::string::npos);
  }
}

TEST(SqliteDatabase, FolderUrlCreatesTheFolderAndFileUrlsWork) {
  auto dir = MakeTempDir("sluice-sql-test-");
  ASSERT_TRUE(dir.ok());
  auto folder = OpenSqlDatabase(*dir + "/nested/data");
  ASSERT_TRUE(folder.ok()) << folder.status().ToString();
  EXPECT_EQ((*folder)->description(), "sqlite " + *dir + "/nested/data/metadata.db");
  auto file = OpenSqlDatabase("sqlite://" + *dir + "/other.db");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ((*file)->description(), "sqlite " + *dir + "/other.db");
  auto mode = (*file)->Query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ((*mode)[0].GetText(0), "wal");
  auto fk = (*file)->Query("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok());
  EXPECT_EQ((*fk)[0].GetInt(0), 1);
  RemoveTreeIgnoringErrors(*dir);
}

TEST(SqliteDatabase, UnopenableOrForeignFilesAreConfigErrors) {
  auto missing = OpenSqlDatabase("sqlite:///nonexistent-dir-sluice/x/metadata.db");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().failure_type(), FailureType::kConfig) << missing.status().ToString();

  auto dir = MakeTempDir("sluice-sql-test-");
  ASSERT_TRUE(dir.ok());
  std::ofstream(*dir + "/garbage.db") << "this is not an SQLite database, just some text that is long enough....";
  auto garbage = OpenSqlDatabase("sqlite://" + *dir + "/garbage.db");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.status().failure_type(), FailureType::kConfig) << garbage.status().ToString();
  RemoveTreeIgnoringErrors(*dir);
}

TEST(PostgresDatabase, WrongPasswordIsAConfigErrorWithoutThePassword) {
  const std::string base = PgServer::Get().BaseUrl();
  ASSERT_FALSE(base.empty());
  const std::string url = "postgres://postgres:Wr0ngPassw0rd@127.0.0.1:" + std::to_string(PgServer::Get().port()) +
                          "/postgres?sslmode=disable";
  auto db = OpenSqlDatabase(url);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().failure_type(), FailureType::kConfig) << db.status().ToString();
  EXPECT_EQ(db.status().ToString().find("Wr0ngPassw0rd"), std::string::npos) << db.status().ToString();
  EXPECT_NE(db.status().message().find("127.0.0.1"), std::string::npos) << db.status().ToString();
}

TEST(PostgresDatabase, UnknownDatabaseIsAConfigError) {
  const std::string base = PgServer::Get().BaseUrl();
  ASSERT_FALSE(base.empty());
  auto db = OpenSqlDatabase(base + "no_such_db?sslmode=disable");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().failure_type(), FailureType::kConfig) << db.status().ToString();
}

TEST(PostgresDatabase, NothingListeningIsTransient) {
  // Port 1 on loopback: nothing listens there, the connection is refused.
  auto db = OpenSqlDatabase("postgres://postgres:pw@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().failure_type(), FailureType::kTransient) << db.status().ToString();
}

TEST(PostgresDatabase, ALostConnectionIsTransientAndThePoolRecovers) {
  FreshDatabase fresh(Dialect::kPostgres);
  ASSERT_FALSE(fresh.url().empty());
  SqlOptions options;
  options.postgres_pool_size = 2;
  auto db = OpenSqlDatabase(fresh.url(), options);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto pid = (*db)->Query("SELECT pg_backend_pid()");
  ASSERT_TRUE(pid.ok());
  // Kill the pooled connection from another session, as a server restart would.
  auto admin = OpenSqlDatabase(fresh.url());
  ASSERT_TRUE(admin.ok());
  auto killed = (*admin)->Query("SELECT pg_terminate_backend(?)", {(*pid)[0].GetInt(0)});
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto lost = (*db)->Query("SELECT 1");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().failure_type(), FailureType::kTransient) << lost.status().ToString();
  auto again = (*db)->Query("SELECT 2");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)[0].GetInt(0), 2);
}

class SqlDatabaseTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    fresh_ = std::make_unique<FreshDatabase>(GetParam());
    ASSERT_FALSE(fresh_->url().empty());
    auto db = OpenSqlDatabase(fresh_->url());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    auto created = db_->Exec("CREATE TABLE t (id BIGINT PRIMARY KEY, f DOUBLE PRECISION, s TEXT, b BOOLEAN)");
    ASSERT_TRUE(created.ok()) << created.status().ToString();
  }
  int64_t Count() {
    auto rows = db_->Query("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0].GetInt(0) : -1;
  }
  std::unique_ptr<FreshDatabase> fresh_;
  std::unique_ptr<SqlDatabase> db_;
};

TEST_P(SqlDatabaseTest, TypedValuesRoundTrip) {
  EXPECT_EQ(db_->dialect(), GetParam());
  auto inserted = db_->Exec("INSERT INTO t (id, f, s, b) VALUES (?, ?, ?, ?), (?, ?, ?, ?)",
                            {int64_t{9'007'199'254'740'993}, 0.1, "it's ? \"quoted\" ünïcode", true, int64_t{-1},
                             SqlValue(), SqlValue(), false});
  ASSERT_TRUE(inserted.ok()) << inserted.status().ToString();
  EXPECT_EQ(*inserted, 2);
  auto rows =
      db_->Query("SELECT id, f, s, b FROM t WHERE s = ? OR s IS NULL ORDER BY id DESC", {"it's ? \"quoted\" ünïcode"});
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 2u);
  const SqlRow& a = (*rows)[0];
  EXPECT_EQ(a.GetInt(0), 9'007'199'254'740'993);
  EXPECT_DOUBLE_EQ(a.GetDouble(1), 0.1);
  EXPECT_EQ(a.GetText(2), "it's ? \"quoted\" ünïcode");
  EXPECT_TRUE(a.GetBool(3));
  const SqlRow& b = (*rows)[1];
  EXPECT_EQ(b.GetInt(0), -1);
  EXPECT_TRUE(b.IsNull(1));
  EXPECT_EQ(b.GetOptionalText(2), std::nullopt);
  EXPECT_FALSE(b.GetBool(3));
  auto updated = db_->Exec("UPDATE t SET s = ? WHERE id > ?", {"x", int64_t{0}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, 1);
}

TEST_P(SqlDatabaseTest, TransactionsCommitOrRollBack) {
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok()) << tx.status().ToString();
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t (id) VALUES (?)", {1}).ok());
    // destroyed without Commit: rolled back
  }
  EXPECT_EQ(Count(), 0);
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t (id) VALUES (?)", {1}).ok());
    auto inside = (*tx)->Query("SELECT COUNT(*) FROM t");
    ASSERT_TRUE(inside.ok());
    EXPECT_EQ((*inside)[0].GetInt(0), 1);
    SLUICE_ASSERT_OK((*tx)->Commit());
  }
  EXPECT_EQ(Count(), 1);
  {
    auto tx = db_->Begin();
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE((*tx)->Exec("INSERT INTO t (id) VALUES (?)", {2}).ok());
    auto duplicate = (*tx)->Exec("INSERT INTO t (id) VALUES (?)", {1});
    ASSERT_FALSE(duplicate.ok());
    EXPECT_EQ(duplicate.status().failure_type(), FailureType::kConfig) << duplicate.status().ToString();
  }
  EXPECT_EQ(Count(), 1);  // the insert of 2 went with the failed transaction
}

TEST_P(SqlDatabaseTest, SyntaxErrorsNameTheStatement) {
  auto bad = db_->Query("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("SELEC nonsense"), std::string::npos) << bad.status().ToString();
}

TEST_P(SqlDatabaseTest, ConcurrentTransactionsFromManyThreads) {
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto tx = db_->Begin();
        if (!tx.ok() || !(*tx)->Exec("INSERT INTO t (id) VALUES (?)", {t * 1000 + i}).ok() || !(*tx)->Commit().ok()) {
          ++failures;
        }
        if (!db_->Query("SELECT COUNT(*) FROM t").ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count(), kThreads * kPerThread);
}

INSTANTIATE_TEST_SUITE_P(Dialects, SqlDatabaseTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
