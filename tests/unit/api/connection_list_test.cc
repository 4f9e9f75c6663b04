// connections/list from kept fragments (api/connection_list.h): after every kind of change to the
// connections — creates, updates (two in the same millisecond), deletes, a deleted source, a
// deleted operation, jobs that fail and succeed — the assembled answer must be byte-identical to
// one serialized afresh from the store's rows, with and without the catalogs, and kept fragments
// must be reused (not rebuilt) for connections that did not change.

#include "api/connection_list.h"

#include <gtest/gtest.h>

#include <zlib.h>

#include <filesystem>

#include "api/api.h"
#include "api_fixture.h"

namespace sluice {
namespace {

// A gzip stream decompressed by zlib (every member; what HTTP clients do).
std::string Gunzip(const std::string& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  std::string out(1 << 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  size_t done = 0;
  int rc = Z_OK;
  while (rc == Z_OK) {
    if (done == out.size()) out.resize(out.size() * 2);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    z.avail_out = static_cast<uInt>(out.size() - done);
    rc = inflate(&z, Z_NO_FLUSH);
    done = out.size() - z.avail_out;
  }
  EXPECT_EQ(rc, Z_STREAM_END) << "a complete gzip stream with a valid CRC and length";
  EXPECT_EQ(z.avail_in, 0u) << "nothing after the trailer";
  inflateEnd(&z);
  out.resize(done);
  return out;
}

class ConnectionListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("sluice-connection-list-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto store = MetadataStore::Open("sqlite://" + (dir_ / "m.db").string(), now_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto workspaces = store_->ListWorkspaces();
    ASSERT_TRUE(workspaces.ok() && !workspaces->empty());
    ws_ = workspaces->front().workspace_id;
    Workspace other;
    other.name = "other";
    auto created = store_->CreateWorkspace(other, now_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    other_ws_ = created->workspace_id;
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string NewActor(ActorKind kind, const std::string& ws) {
    return testing_api::CreateTestActor(*store_, kind, ws, now_);
  }

  Connection NewConnection(const std::string& source, const std::string& destination, int i) {
    Connection c;
    c.name = "connection " + std::to_string(i);
    c.source_id = source;
    c.destination_id = destination;
    c.status = ConnectionStatus::kActive;
    c.namespace_definition = "destination";
    c.non_breaking_changes_preference = "ignore";
    c.schedule_type = i % 3 == 0 ? ScheduleType::kBasic : ScheduleType::kManual;
    if (c.schedule_type == ScheduleType::kBasic) c.schedule_data = {{"basicSchedule", {{"timeUnit", "hours"}, {"units", i}}}};
    c.sync_catalog = {{"streams",
                       {{{"stream", {{"name", "users"}, {"jsonSchema", {{"type", "object"}}}}},
                         {"config", {{"syncMode", "full_refresh"}, {"selected", true}, {"aliasName", "ü\"s" + std::to_string(i)}}}}}}};
    c.resource_requirements = Json::object();
    auto created = store_->CreateConnection(c, now_);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : c;
  }

  // connections/list's answer serialized from the rows, as before the fragments.
  std::string Fresh(const std::string& ws, bool include_catalog) {
    auto rows = store_->ListConnections(ws);
    EXPECT_TRUE(rows.ok());
    std::string body = R"({"connections":[)";
    for (size_t i = 0; i < rows->size(); ++i) {
      if (i > 0) body += ',';
      body += DumpJson(ConnectionToApi((*rows)[i], include_catalog));
    }
    return body + "]}";
  }

  void ExpectSame(const std::string& step) {
    for (const std::string& ws : {ws_, other_ws_}) {
      for (bool catalog : {true, false}) {
        auto answer = ConnectionListFragments::Assemble({fragments_.Live(*store_, ws)}, catalog);
        EXPECT_EQ(answer.body, Fresh(ws, catalog)) << step << (catalog ? " (with catalogs)" : " (without catalogs)");
        EXPECT_EQ(Gunzip(answer.gzip), answer.body) << step;
      }
    }
  }

  std::filesystem::path dir_;
  int64_t now_ = 1'800'000'000'000;
  std::unique_ptr<MetadataStore> store_;
  std::string ws_, other_ws_;
  ConnectionListFragments fragments_;
};

TEST_F(ConnectionListTest, AssembledAnswerEqualsAFreshOneAfterEveryKindOfChange) {
  const std::string source = NewActor(ActorKind::kSource, ws_);
  const std::string destination = NewActor(ActorKind::kDestination, ws_);
  const std::string other_source = NewActor(ActorKind::kSource, other_ws_);
  const std::string other_destination = NewActor(ActorKind::kDestination, other_ws_);
  ExpectSame("empty");

  std::vector<Connection> cs;
  for (int i = 0; i < 30; ++i) cs.push_back(NewConnection(source, destination, i));
  for (int i = 0; i < 3; ++i) NewConnection(other_source, other_destination, 100 + i);
  ExpectSame("created");
  EXPECT_EQ(fragments_.size(), 33u);

  // Two updates in the same millisecond: the second must still show.
  cs[4].name = "renamed once";
  ASSERT_TRUE(store_->UpdateConnection(cs[4], now_).ok());
  ExpectSame("renamed");
  cs[4].name = "renamed twice in the same millisecond";
  cs[4].sync_catalog["streams"][0]["config"]["selected"] = false;
  ASSERT_TRUE(store_->UpdateConnection(cs[4], now_).ok());
  ExpectSame("renamed again, same millisecond");

  cs[7].status = ConnectionStatus::kInactive;
  cs[7].schema_change = "breaking";
  ASSERT_TRUE(store_->UpdateConnection(cs[7], now_ + 1).ok());
  ASSERT_TRUE(store_->DeleteConnection(cs[9].connection_id, now_ + 1).ok());
  ExpectSame("inactive, breaking, deleted");

  // A job that fails moves consecutiveFailures; one that succeeds resets it.
  for (AttemptOutcome outcome : {AttemptOutcome::kFailed, AttemptOutcome::kFailed, AttemptOutcome::kSucceeded}) {
    ASSERT_TRUE(store_->EnqueueJob(cs[2].connection_id, JobConfigType::kSync, now_ + 2).ok());
    auto claimed = store_->ClaimJob("w", 60'000, now_ + 2);
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    AttemptResult result;
    result.outcome = outcome;
    ASSERT_TRUE(store_->FinishAttempt((*claimed)->job.id, (*claimed)->attempt.attempt_number, "w", result, now_ + 2).ok());
    ExpectSame("a job finished");
  }
  auto failing = store_->GetConnection(cs[2].connection_id);
  ASSERT_TRUE(failing.ok() && failing->has_value());

  // An operation used by two connections is deleted: it leaves their operationIds.
  Operation op;
  op.workspace_id = ws_;
  op.name = "webhook";
  op.operator_configuration = {{"operatorType", "webhook"}};
  auto created_op = store_->CreateOperation(op, now_ + 3);
  ASSERT_TRUE(created_op.ok()) << created_op.status().ToString();
  for (int i : {11, 12}) {
    cs[i].operation_ids = {created_op->operation_id};
    ASSERT_TRUE(store_->UpdateConnection(cs[i], now_ + 3).ok());
  }
  ExpectSame("operation added");
  ASSERT_TRUE(store_->DeleteOperation(created_op->operation_id, now_ + 3).ok());
  ExpectSame("operation deleted");

  // Deleting the other workspace's source deletes its connections.
  ASSERT_TRUE(store_->DeleteActor(ActorKind::kSource, other_source, now_ + 4).ok());
  ExpectSame("source deleted");
  EXPECT_EQ(fragments_.size(), 29u) << "fragments of deleted connections are dropped";

  for (int i = 30; i < 50; ++i) NewConnection(source, destination, i);  // many new ones at once
  ExpectSame("twenty more");
}

TEST_F(ConnectionListTest, UnchangedConnectionsAreNotSerializedAgain) {
  const std::string source = NewActor(ActorKind::kSource, ws_);
  const std::string destination = NewActor(ActorKind::kDestination, ws_);
  std::vector<Connection> cs;
  for (int i = 0; i < 5; ++i) cs.push_back(NewConnection(source, destination, i));
  const std::string before = ConnectionListFragments::Assemble({fragments_.Live(*store_, ws_)}, true).body;
  const std::string version = ConnectionListFragments::Version(*store_, ws_);
  // A row changed behind the store's back (not through a write that moves updated_at) shows
  // that the kept fragment is served: this is the property that makes builds cheap.
  ASSERT_TRUE(store_->database().Exec("UPDATE connections SET name = 'sneaky' WHERE id = ?", {cs[1].connection_id}).ok());
  EXPECT_EQ(ConnectionListFragments::Assemble({fragments_.Live(*store_, ws_)}, true).body, before);
  EXPECT_EQ(ConnectionListFragments::Version(*store_, ws_), version);
  // A real write moves the version and shows the row's content.
  cs[1].name = "renamed";
  ASSERT_TRUE(store_->UpdateConnection(cs[1], now_).ok());
  EXPECT_NE(ConnectionListFragments::Version(*store_, ws_), version);
  EXPECT_EQ(ConnectionListFragments::Assemble({fragments_.Live(*store_, ws_)}, true).body, Fresh(ws_, true));
}

TEST_F(ConnectionListTest, AnswersForSeveralWorkspacesJoinTheirItems) {
  NewConnection(NewActor(ActorKind::kSource, ws_), NewActor(ActorKind::kDestination, ws_), 1);
  NewConnection(NewActor(ActorKind::kSource, other_ws_), NewActor(ActorKind::kDestination, other_ws_), 2);
  auto both = ConnectionListFragments::Assemble({fragments_.Live(*store_, ws_), fragments_.Live(*store_, other_ws_)}, false);
  const std::string a = Fresh(ws_, false), b = Fresh(other_ws_, false);
  EXPECT_EQ(both.body, a.substr(0, a.size() - 2) + "," + b.substr(b.find('[') + 1));
  EXPECT_EQ(Gunzip(both.gzip), both.body);
  auto none = ConnectionListFragments::Assemble({}, true);
  EXPECT_EQ(none.body, R"({"connections":[]})");
  EXPECT_EQ(Gunzip(none.gzip), none.body);
}

TEST_F(ConnectionListTest, LiveConnectionsAreReadThroughThePartialIndex) {
  auto plan = store_->database().Query(
      "EXPLAIN QUERY PLAN SELECT c.id, c.updated_at FROM connections c CROSS JOIN actors s WHERE s.id = c.source_id "
      "AND c.status <> 'deprecated' AND s.workspace_id = ? ORDER BY c.created_at, c.id",
      {ws_});
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::string text;
  for (const SqlRow& row : *plan) text += row.GetText(3) + "\n";
  EXPECT_NE(text.find("connections_live"), std::string::npos) << text;
  EXPECT_EQ(text.find("TEMP B-TREE"), std::string::npos) << "no sort: the index is in list order\n" << text;
}

}  // namespace
}  // namespace sluice
