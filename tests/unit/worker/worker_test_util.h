#pragma once
// Shared by the worker tests: a SQLite metadata store in a temp folder, a secret box, the real
// `sluice` binary for run-attempt children, and a tiny HTTP listener that records webhook POSTs.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/file_util.h"
#include "base/subprocess.h"
#include "metadata/metadata_store.h"
#include "platform/platform.h"
#include "security/connector_secrets.h"
#include "security/secret_box.h"
#include "worker/worker_pool.h"

namespace sluice::worker_test {

inline std::string SluiceBinary() {
  const char* env = std::getenv("SLUICE_BIN");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string(SLUICE_DEFAULT_BINARY);
}

#define SLUICE_REQUIRE_BINARY()                                                                        \
  do {                                                                                                 \
    if (!std::filesystem::exists(::sluice::worker_test::SluiceBinary())) {                            \
      GTEST_SKIP() << "the sluice binary (" << ::sluice::worker_test::SluiceBinary()                  \
                   << ") is not built yet: build the `sluice` target or set SLUICE_BIN";              \
    }                                                                                                  \
  } while (0)

//! Accepts HTTP requests on 127.0.0.1 and records the bodies of POSTs; answers 200.
class WebhookListener {
 public:
  WebhookListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 16), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Run(); });
  }
  ~WebhookListener() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/services/T000/B000/secret-token"; }
  std::vector<std::string> bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  void Run() {
    while (!stop_) {
      const int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string request;
      char buf[4096];
      size_t body_start = std::string::npos, length = 0;
      while (true) {
        const ssize_t n = read(client, buf, sizeof(buf));
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
        if (body_start == std::string::npos) {
          const size_t end = request.find("\r\n\r\n");
          if (end == std::string::npos) continue;
          body_start = end + 4;
          std::string lower = request.substr(0, end);
          for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          const size_t cl = lower.find("content-length:");
          if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
        }
        if (request.size() >= body_start + length) break;
      }
      if (body_start != std::string::npos) {
        std::lock_guard lock(mu_);
        bodies_.push_back(request.substr(body_start, length));
      }
      const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)!write(client, response.data(), response.size());
      close(client);
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::thread thread_;
};

//! A store in a temp folder, a random key, metrics; helpers to create connections and wait.
class PlatformFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto dir = MakeTempDir("sluice-worker-test-");
    ASSERT_TRUE(dir.ok());
    dir_ = *dir;
    MetadataStoreOptions options;
    options.max_attempts = 2;
    auto store = MetadataStore::Open(dir_ + "/meta", Now(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    auto box = SecretBox::WithRandomKey();
    ASSERT_TRUE(box.ok());
    box_ = std::make_unique<SecretBox>(*box);
    context_.store = store_.get();
    context_.secrets = box_.get();
    context_.clock = &clock_;
    context_.metrics = &metrics_;
  }
  void TearDown() override {
    pool_.reset();
    store_.reset();
    if (!dir_.empty()) RemoveTreeIgnoringErrors(dir_);
  }

  int64_t Now() const { return absl::ToUnixMillis(absl::Now()); }
  MetadataStore& store() { return *store_; }
  std::string WorkspaceId() {
    auto ws = store_->ListWorkspaces();
    EXPECT_TRUE(ws.ok() && !ws->empty());
    return ws.ok() && !ws->empty() ? (*ws)[0].workspace_id : "";
  }

  //! A connection from `source` to `destination` with the given syncCatalog.
  std::string NewConnection(const std::string& source, const Json& source_config, const std::string& destination,
                            const Json& destination_config, const Json& sync_catalog,
                            const Json& resource_requirements = Json(), const std::string& name = "test connection") {
    const std::string ws = WorkspaceId();
    Actor s{ActorKind::kSource, "", ws, source, "my source", EncryptConfig(*box_, source_config)};
    Actor d{ActorKind::kDestination, "", ws, destination, "my destination", EncryptConfig(*box_, destination_config)};
    auto cs = store_->CreateActor(s, Now());
    auto cd = store_->CreateActor(d, Now());
    EXPECT_TRUE(cs.ok() && cd.ok());
    Connection c;
    c.name = name;
    c.source_id = cs->id;
    c.destination_id = cd->id;
    c.sync_catalog = sync_catalog;
    c.resource_requirements = resource_requirements;
    auto created = store_->CreateConnection(c, Now());
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? created->connection_id : "";
  }

  static Json Stream(const std::string& name, const std::string& sync_mode, const std::string& destination_mode) {
    Json config = {{"syncMode", sync_mode}, {"destinationSyncMode", destination_mode}, {"selected", true}};
    if (sync_mode == "incremental") config["cursorField"] = Json::array({"updated_at"});
    return {{"stream", {{"name", name}}}, {"config", config}};
  }

  void StartPool(int workers = 1) {
    WorkerPoolOptions options;
    options.workers = workers;
    options.run_scheduler = false;
    options.heartbeat_ms = 200;
    options.lease_ms = 10'000;
    options.poll_ms = 100;
    options.retry_backoff_ms = 100;
    options.kill_grace_ms = 3000;
    options.scheduler_tick_ms = 50;
    options.sluice_binary = worker_test::SluiceBinary();
    options.worker_id = "test-worker";
    pool_ = std::make_unique<WorkerPool>(context_, options);
    ASSERT_TRUE(pool_->Start().ok());
  }

  JobId Enqueue(const std::string& connection_id, JobConfigType type = JobConfigType::kSync) {
    auto r = store_->EnqueueJob(connection_id, type, Now());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (pool_) pool_->Wake();
    return r.ok() ? r->job.id : 0;
  }

  Job GetJob(JobId id) {
    auto j = store_->GetJob(id);
    EXPECT_TRUE(j.ok() && j->has_value());
    return j.ok() && j->has_value() ? **j : Job{};
  }

  //! Waits (up to `timeout_s`) for `pred(job)`; returns the job as last seen.
  template <typename Pred>
  Job WaitFor(JobId id, Pred pred, int timeout_s = 30) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    Job job = GetJob(id);
    while (!pred(job) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      job = GetJob(id);
    }
    return job;
  }
  Job WaitTerminal(JobId id, int timeout_s = 30) {
    return WaitFor(id, [](const Job& j) { return IsTerminal(j.status); }, timeout_s);
  }

  std::vector<Attempt> Attempts(JobId id) {
    auto a = store_->ListAttempts(id);
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : std::vector<Attempt>{};
  }
  std::vector<std::string> LogLines(JobId id, int attempt) {
    auto lines = store_->ReadLog(id, attempt);
    EXPECT_TRUE(lines.ok());
    std::vector<std::string> out;
    if (lines.ok()) {
      for (const LogLine& l : *lines) out.push_back(l.line);
    }
    return out;
  }
  static std::string Joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  std::string dir_;
  std::unique_ptr<MetadataStore> store_;
  std::unique_ptr<SecretBox> box_;
  SystemClock clock_;
  PlatformMetrics metrics_;
  PlatformContext context_;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace sluice::worker_test
