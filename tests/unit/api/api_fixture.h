#pragma once
// The unit_api tests' fixture: a fresh SQLite metadata store in a temp folder, a secret box, a
// hand-driven clock and metrics, as the PlatformContext an Api is built on; Call sends a request.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "api/api.h"
#include "scheduler/clock.h"

namespace sluice::testing_api {

//! A source (source-faker) or destination (destination-dev-null) with an empty config in
//! `workspace`, created at `now`; its id ("" after a failed expectation).
inline std::string CreateTestActor(MetadataStore& store, ActorKind kind, const std::string& workspace, int64_t now) {
  Actor a;
  a.kind = kind;
  a.workspace_id = workspace;
  a.definition_name = kind == ActorKind::kSource ? "source-faker" : "destination-dev-null";
  a.name = "actor";
  a.configuration = "{}";
  auto created = store.CreateActor(a, now);
  EXPECT_TRUE(created.ok()) << created.status().ToString();
  return created.ok() ? created->id : "";
}

class ApiFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("sluice-api-test-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = MetadataStore::Open("sqlite://" + (dir_ / "m.db").string(), 0);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto box = SecretBox::WithRandomKey();
    ASSERT_TRUE(box.ok());
    box_.emplace(*box);
    context_.store = store_.get();
    context_.secrets = &*box_;
    context_.clock = &clock_;
    context_.metrics = &metrics_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ApiResponse Call(Api& api, std::string path, std::string body = "{}", std::string method = "POST",
                   std::string authorization = "") {
    ApiRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    r.authorization = std::move(authorization);
    return api.Handle(r);
  }

  std::filesystem::path dir_;
  std::unique_ptr<MetadataStore> store_;
  std::optional<SecretBox> box_;
  ManualClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  PlatformMetrics metrics_;
  PlatformContext context_;
};

}  // namespace sluice::testing_api
