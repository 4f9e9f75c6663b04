#pragma once
// Test backends for the metadata store: a fresh SQLite folder, or a fresh database on a real
// PostgreSQL 15 started by tests/e2e/pg_server.py (`serve` mode) on first use and stopped when the
// test binary ends — also when it crashes, because the server stops when its stdin closes.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "base/subprocess.h"
#include "postgres/pg_connection.h"
#include "metadata/metadata_store.h"
#include "metadata/sql_database.h"

namespace sluice::testing_metadata {

//! The PostgreSQL server shared by the tests of one binary.
class PgServer {
 public:
  static PgServer& Get() {
    static PgServer* server = new PgServer();  // stopped by PgServerStopper
    return *server;
  }

  //! "postgres://postgres:pw@127.0.0.1:port/" (append a database name); fails the test when the
  //! server cannot start.
  std::string BaseUrl() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) Start();
    return base_url_;
  }

  //! A new empty database; returns its URL.
  std::string NewDatabaseUrl() {
    const std::string base = BaseUrl();
    if (base.empty()) return "";
    const std::string name = "metadata_" + std::to_string(getpid()) + "_" + std::to_string(++counter_);
    PgConnectionConfig config;
    config.host = "127.0.0.1";
    config.port = port_;
    config.database = "postgres";
    config.username = "postgres";
    config.password = password_;
    config.ssl_mode = "disable";
    auto conn = PgConnection::Connect(config, "metadata-test");
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return "";
    Status created = (*conn)->Exec("CREATE DATABASE " + name);
    EXPECT_TRUE(created.ok()) << created.ToString();
    return base + name + "?sslmode=disable";
  }

  const std::string& password() const { return password_; }
  int port() const { return port_; }

  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    if (process_) {
      process_->CloseStdin();
      process_->Wait();
      process_.reset();
    }
  }

 private:
  void Start() {
    started_ = true;
    auto process = Subprocess::Start(
        {"/usr/bin/python3", std::string(SLUICE_SOURCE_DIR) + "/tests/e2e/pg_server.py", "serve"}, true);
    if (!process.ok()) {
      ADD_FAILURE() << "cannot start pg_server.py: " << process.status().ToString();
      return;
    }
    process_ = std::move(process).value();
    std::string line;
    char c;
    while (true) {
      auto n = process_->ReadStdout(&c, 1);
      if (!n.ok() || *n == 0) break;
      if (c == '\n') break;
      line += c;
    }
    const std::string prefix = "DSN postgres://postgres:";
    if (line.rfind(prefix, 0) != 0) {
      ADD_FAILURE() << "pg_server.py did not start PostgreSQL (printed '" << line << "')";
      return;
    }
    const std::string rest = line.substr(prefix.size());  // pw@127.0.0.1:port/postgres
    password_ = rest.substr(0, rest.find('@'));
    const std::string after_host = rest.substr(rest.find(':') + 1);
    port_ = std::stoi(after_host.substr(0, after_host.find('/')));
    base_url_ = "postgres://postgres:" + password_ + "@127.0.0.1:" + std::to_string(port_) + "/";
  }

  std::mutex mu_;
  bool started_ = false;
  std::unique_ptr<Subprocess> process_;
  std::string base_url_;
  std::string password_;
  int port_ = 0;
  std::atomic<int> counter_{0};
};

//! Stops the shared server after the last test.
class PgServerStopper : public ::testing::Environment {
 public:
  void TearDown() override { PgServer::Get().Stop(); }
};

inline const bool kPgServerStopperRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new PgServerStopper());
  return true;
}();

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
