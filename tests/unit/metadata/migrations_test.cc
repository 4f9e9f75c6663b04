// Numbered migrations: fresh, twice, concurrently, and refusing a newer schema.
#include "metadata/migrations.h"

#include <gtest/gtest.h>

#include <thread>

#include "backends.h"

namespace sluice {
namespace {

using testing_metadata::DialectParamName;
using testing_metadata::FreshDatabase;

class MigrationsTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    fresh_ = std::make_unique<FreshDatabase>(GetParam());
    ASSERT_FALSE(fresh_->url().empty());
  }
  std::unique_ptr<SqlDatabase> Open() {
    auto db = OpenSqlDatabase(fresh_->url());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(db).value() : nullptr;
  }
  int64_t CountRows(SqlDatabase& db, const std::string& table) {
    auto rows = db.Query("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? (*rows)[0].GetInt(0) : -1;
  }
  std::unique_ptr<FreshDatabase> fresh_;
};

TEST_P(MigrationsTest, FreshDatabaseGetsEveryMigrationAndADefaultWorkspace) {
  auto db = Open();
  ASSERT_TRUE(db);
  auto before = CurrentSchemaVersion(*db);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  EXPECT_EQ(*before, 0);
  SLUICE_ASSERT_OK(Migrate(*db, 42));
  auto after = CurrentSchemaVersion(*db);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, LatestSchemaVersion());
  auto applied = db->Query("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_TRUE(applied.ok());
  ASSERT_EQ(applied->size(), static_cast<size_t>(LatestSchemaVersion()));
  EXPECT_EQ((*applied)[0].GetInt(0), 1);
  EXPECT_EQ((*applied)[0].GetInt(1), 42);
  EXPECT_EQ(CountRows(*db, "workspaces"), 1);
  auto id = db->Query("SELECT id FROM workspaces");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ((*id)[0].GetText(0).size(), 36u);  // a UUID
}

TEST_P(MigrationsTest, RunningTwiceIsANoOp) {
  auto db = Open();
  ASSERT_TRUE(db);
  SLUICE_ASSERT_OK(Migrate(*db, 1));
  SLUICE_ASSERT_OK(Migrate(*db, 2));
  auto again = Open();
  ASSERT_TRUE(again);
  SLUICE_ASSERT_OK(Migrate(*again, 3));
  EXPECT_EQ(CountRows(*db, "schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(CountRows(*db, "workspaces"), 1);
}

TEST_P(MigrationsTest, NewerSchemaThanTheBinaryIsAClearError) {
  auto db = Open();
  ASSERT_TRUE(db);
  SLUICE_ASSERT_OK(Migrate(*db, 1));
  const int newer = LatestSchemaVersion() + 5;
  ASSERT_TRUE(db->Exec("INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)", {newer}).ok());
  Status status = Migrate(*db, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.failure_type(), FailureType::kConfig);
  EXPECT_NE(status.message().find("newer than this sluice binary knows"), std::string::npos) << status.ToString();
  EXPECT_NE(status.message().find(std::to_string(newer)), std::string::npos) << status.ToString();
  auto store = MetadataStore::Open(fresh_->url(), 3);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().failure_type(), FailureType::kConfig);
}

// Several servers starting at once on one database: exactly one applies each migration.
TEST_P(MigrationsTest, ConcurrentStartersMigrateOnce) {
  constexpr int kStarters = 4;
  std::vector<std::unique_ptr<SqlDatabase>> dbs;
  for (int i = 0; i < kStarters; ++i) {
    dbs.push_back(Open());
    ASSERT_TRUE(dbs.back());
  }
  std::vector<Status> results(kStarters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] { results[i] = Migrate(*dbs[i], 100 + i); });
  }
  for (auto& t : threads) t.join();
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(CountRows(*dbs[0], "schema_migrations"), LatestSchemaVersion());
  EXPECT_EQ(CountRows(*dbs[0], "workspaces"), 1);
}

INSTANTIATE_TEST_SUITE_P(Dialects, MigrationsTest, ::testing::Values(Dialect::kSqlite, Dialect::kPostgres),
                         DialectParamName);

}  // namespace
}  // namespace sluice
