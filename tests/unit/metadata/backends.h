#pragma once
// Test backends for the metadata store: a fresh SQLite folder, or a fresh database on a real
// PostgreSQL 15 started by tests/e2e/pg_server.py (`serve` mode) on first use and stopped when the
// test binary ends — also when it crashes, because the server stops when its stdin closes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "metadata/metadata_store.h"
#include "metadata/sql_database.h"
#include "unit/testing/pg_test_server.h"

namespace sluice::testing_metadata {

//! The PostgreSQL server shared by the tests of one binary (unit/testing/pg_test_server.h), as
//! URLs for MetadataStore::Open.
class PgServer {
 public:
  static PgServer& Get() {
    static PgServer server;
    return server;
  }

  //! "postgres://postgres:pw@127.0.0.1:port/" (append a database name); "" (the test failed)
  //! when the server cannot start.
  std::string BaseUrl() {
    const PgConnectionConfig c = testing::PgTestServer::Get().Config();
    if (c.port == 0) return "";
    return "postgres://postgres:" + c.password + "@127.0.0.1:" + std::to_string(c.port) + "/";
  }
  int port() { return testing::PgTestServer::Get().Config().port; }

  //! A new empty database; returns its URL.
  std::string NewDatabaseUrl() {
    const PgConnectionConfig c = testing::PgTestServer::Get().NewDatabase("metadata");
    if (c.port == 0) return "";
    return BaseUrl() + c.database + "?sslmode=disable";
  }
};

//! A fresh database of `dialect`: a new SQLite folder (removed at the end) or PostgreSQL database.
class FreshDatabase {
 public:
  explicit FreshDatabase(Dialect dialect) {
    if (dialect == Dialect::kSqlite) {
      auto dir = MakeTempDir("sluice-metadata-test-");
      EXPECT_TRUE(dir.ok());
      dir_ = *dir;
      url_ = dir_;
    } else {
      url_ = PgServer::Get().NewDatabaseUrl();
    }
  }
  ~FreshDatabase() {
    if (!dir_.empty()) RemoveTreeIgnoringErrors(dir_);
  }
  const std::string& url() const { return url_; }

 private:
  std::string dir_;
  std::string url_;
};

inline std::string DialectParamName(const ::testing::TestParamInfo<Dialect>& info) {
  return std::string(DialectName(info.param));
}

//! Base for tests that run once per dialect: a migrated MetadataStore on a fresh database.
class StoreTest : public ::testing::TestWithParam<Dialect> {
 protected:
  static constexpr int64_t kStart = 1'700'000'000'000;  // epoch ms

  void SetUp() override {
    db_ = std::make_unique<FreshDatabase>(GetParam());
    ASSERT_FALSE(db_->url().empty());
    Reopen();
  }
  void Reopen(MetadataStoreOptions options = {}) {
    store_.reset();
    auto store = MetadataStore::Open(db_->url(), kStart, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }
  MetadataStore& store() { return *store_; }
  const std::string& url() const { return db_->url(); }

  //! A faker → dev-null connection named `name` in the first workspace; its id ("" on failure).
  std::string NewConnection(const std::string& name = "c") {
    auto workspaces = store().ListWorkspaces();
    EXPECT_TRUE(workspaces.ok() && !workspaces->empty());
    if (!workspaces.ok() || workspaces->empty()) return "";
    const std::string ws = (*workspaces)[0].workspace_id;
    auto s = store().CreateActor({ActorKind::kSource, "", ws, "source-faker", name + " src", "{}"}, kStart);
    auto d = store().CreateActor({ActorKind::kDestination, "", ws, "destination-dev-null", name, "{}"}, kStart);
    EXPECT_TRUE(s.ok() && d.ok());
    if (!s.ok() || !d.ok()) return "";
    Connection c;
    c.name = name;
    c.source_id = s->id;
    c.destination_id = d->id;
    auto created = store().CreateConnection(c, kStart);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->connection_id : "";
  }

  std::unique_ptr<FreshDatabase> db_;
  std::unique_ptr<MetadataStore> store_;
};

#define SLUICE_ASSERT_OK_AND_ASSIGN(lhs, expr) \
  SLUICE_ASSERT_OK_AND_ASSIGN_IMPL(SLUICE_CONCAT(_assert_result_, __LINE__), lhs, expr)
#define SLUICE_ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();      \
  lhs = std::move(tmp).value()

#define SLUICE_ASSERT_OK(expr)               \
  do {                                       \
    ::sluice::Status _st = (expr);           \
    ASSERT_TRUE(_st.ok()) << _st.ToString(); \
  } while (0)

}  // namespace sluice::testing_metadata
