#pragma once
// A real PostgreSQL 15 for C++ tests (header-only): started by tests/e2e/pg_server.py (`serve`
// mode: initdb in a temporary folder, a free loopback port, wal_level=logical) on first use,
// shared by the tests of one binary, and stopped when the binary ends — also when it crashes,
// because the server stops when its stdin closes.
//
//   if (!testing::PgTestServer::BinariesPresent()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
//   PgConnectionConfig config = testing::PgTestServer::Get().NewDatabase();

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "base/subprocess.h"
#include "postgres/pg_connection.h"

namespace sluice::testing {

class PgTestServer {
 public:
  static constexpr const char* kInitdb = "/usr/lib/postgresql/15/bin/initdb";

  //! The only reason to skip: the PostgreSQL 15 server binaries are not installed.
  static bool BinariesPresent() { return std::filesystem::exists(kInitdb); }

  static PgTestServer& Get() {
    static PgTestServer* server = new PgTestServer();  // stopped by the environment below
    return *server;
  }

  //! The superuser's config for `database` (TLS off); port 0 when the server did not start
  //! (the test has failed already).
  PgConnectionConfig Config(const std::string& database = "postgres") {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_) Start();
    PgConnectionConfig config;
    config.host = "127.0.0.1";
    config.port = port_;
    config.database = database;
    config.username = "postgres";
    config.password = password_;
    config.ssl_mode = "disable";
    return config;
  }

  //! A new empty database named `<prefix>_<pid>_<n>`; its config.
  PgConnectionConfig NewDatabase(const std::string& prefix = "test") {
    PgConnectionConfig config = Config();
    if (config.port == 0) return config;
    const std::string name = prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter_);
    auto conn = PgConnection::Connect(config, "sluice-test");
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return config;
    Status created = (*conn)->Exec("CREATE DATABASE " + name);
    EXPECT_TRUE(created.ok()) << created.ToString();
    config.database = name;
    return config;
  }

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
      if (!n.ok() || *n == 0 || c == '\n') break;
      line += c;
    }
    const std::string prefix = "DSN postgres://postgres:";  // DSN postgres://postgres:pw@127.0.0.1:port/postgres
    if (line.rfind(prefix, 0) != 0) {
      ADD_FAILURE() << "pg_server.py did not start PostgreSQL (printed '" << line << "')";
      return;
    }
    const std::string rest = line.substr(prefix.size());
    password_ = rest.substr(0, rest.find('@'));
    const std::string after_host = rest.substr(rest.find(':') + 1);
    port_ = std::stoi(after_host.substr(0, after_host.find('/')));
  }

  std::mutex mu_;
  bool started_ = false;
  std::unique_ptr<Subprocess> process_;
  std::string password_;
  int port_ = 0;
  std::atomic<int> counter_{0};
};

//! Stops the shared server after the last test.
class PgTestServerStopper : public ::testing::Environment {
 public:
  void TearDown() override { PgTestServer::Get().Stop(); }
};

inline const bool kPgTestServerStopperRegistered = [] {
  ::testing::AddGlobalTestEnvironment(new PgTestServerStopper());
  return true;
}();

}  // namespace sluice::testing
