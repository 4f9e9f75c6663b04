// The replication client and the pgoutput decoder against a real PostgreSQL 15 started by the
// test (unit/testing/pg_test_server.h). The server's own bytes, read over plain SQL with
// pg_logical_slot_peek_binary_changes(), are decoded and compared with what was done, and with
// what the replication client streams from the same slot. Skipped only when PostgreSQL 15 is not
// installed.

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "postgres/pg_connection.h"
#include "postgres/pg_replication.h"
#include "postgres/pgoutput.h"
#include "unit/testing/pg_test_server.h"

namespace sluice {
namespace {

using std::chrono::milliseconds;
using testing::PgTestServer;

#define ASSERT_OK(expr)                        \
  do {                                         \
    ::sluice::Status _st = (expr);             \
    ASSERT_TRUE(_st.ok()) << _st.ToString();   \
  } while (0)

// One message with the position it came at, as either interface hands it over.
struct RawMessage {
  PgLsn lsn;
  std::string bytes;
};

std::string Hex(std::string_view hex_text) {  // "\x…" or "…" hex → bytes
  if (hex_text.substr(0, 2) == "\\x") hex_text.remove_prefix(2);
  std::string out;
  for (size_t i = 0; i + 1 < hex_text.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex_text.substr(i, 2)), nullptr, 16));
  }
  return out;
}

//! The slot's pending changes over SQL, without consuming them.
std::vector<RawMessage> Peek(PgConnection& conn, const std::string& slot, int proto, const std::string& publication,
                             bool streaming = false) {
  std::string sql =
      "SELECT lsn::text, encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes($1, NULL, NULL, "
      "'proto_version', $2, 'publication_names', $3";
  if (streaming) sql += ", 'streaming', 'on'";
  sql += ")";
  auto rows = conn.Query(sql, {slot, std::to_string(proto), publication});
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  std::vector<RawMessage> out;
  if (!rows.ok()) return out;
  for (int r = 0; r < rows->rows(); ++r) {
    out.push_back({ParsePgLsn(rows->Get(r, 0)).value(), Hex(rows->Get(r, 1))});
  }
  return out;
}

std::string Tuple(const PgTuple& tuple) {
  std::string out = "(";
  for (size_t i = 0; i < tuple.size(); ++i) {
    if (i) out += ",";
    const PgColumnValue& v = tuple[i];
    switch (v.kind) {
      case PgColumnValue::Kind::kNull: out += "null"; break;
      case PgColumnValue::Kind::kUnchangedToast: out += "unchanged-toast"; break;
      case PgColumnValue::Kind::kBinary: out += "<binary>"; break;
      case PgColumnValue::Kind::kText:
        out += v.data.size() > 40 ? "<" + std::to_string(v.data.size()) + " chars>" : v.data;
        break;
    }
  }
  return out + ")";
}

//! One line per message, for comparing with what the test did. Relation and Type messages
//! (whose placement is the server's business) give "".
std::string Describe(const PgMessage& message) {
  if (std::holds_alternative<PgBegin>(message)) return "BEGIN";
  if (std::holds_alternative<PgCommit>(message)) return "COMMIT";
  if (auto* m = std::get_if<PgInsert>(&message)) return "INSERT " + m->relation->name + " " + Tuple(m->new_tuple);
  if (auto* m = std::get_if<PgUpdate>(&message)) {
    std::string old = m->old_kind ? std::string(1, m->old_kind) + Tuple(m->old_tuple) + " -> " : "";
    return "UPDATE " + m->relation->name + " " + old + Tuple(m->new_tuple);
  }
  if (auto* m = std::get_if<PgDelete>(&message)) {
    return "DELETE " + m->relation->name + " " + std::string(1, m->old_kind) + Tuple(m->old_tuple);
  }
  if (auto* m = std::get_if<PgTruncate>(&message)) {
    std::string out = "TRUNCATE";
    for (const auto& r : m->relations) out += " " + r->name;
    if (m->cascade) out += " cascade";
    if (m->restart_identity) out += " restart-identity";
    return out;
  }
  if (std::holds_alternative<PgRelationMessage>(message) || std::holds_alternative<PgTypeMessage>(message)) return "";
  return std::string(PgMessageName(message));
}

std::vector<std::string> DescribeAll(const std::vector<RawMessage>& raw, int proto,
                                     std::map<std::string, std::shared_ptr<const PgRelation>>* relations = nullptr) {
  PgOutputDecoder decoder(proto);
  std::vector<std::string> lines;
  for (const auto& m : raw) {
    auto decoded = decoder.Decode(m.bytes);
    EXPECT_TRUE(decoded.ok()) << decoded.status().ToString();
    if (!decoded.ok()) break;
    if (auto* r = std::get_if<PgRelationMessage>(&*decoded); r && relations) (*relations)[r->relation->name] = r->relation;
    const std::string line = Describe(*decoded);
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

class ReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!PgTestServer::BinariesPresent()) GTEST_SKIP() << "PostgreSQL 15 is not installed";
    config_ = PgTestServer::Get().NewDatabase("repl");
    ASSERT_NE(config_.port, 0);
    auto sql = PgConnection::Connect(config_, "repl-test-sql");
    ASSERT_TRUE(sql.ok()) << sql.status().ToString();
    sql_ = std::move(sql).value();
  }

  std::unique_ptr<PgReplicationConnection> Replication(PgConnectionConfig config) {
    auto repl = PgReplicationConnection::Connect(config, "repl-test");
    EXPECT_TRUE(repl.ok()) << repl.status().ToString();
    return repl.ok() ? std::move(repl).value() : nullptr;
  }
  std::unique_ptr<PgReplicationConnection> Replication() { return Replication(config_); }

  void Sql(const std::string& sql) {
    Status st = sql_->Exec(sql);
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  struct Streamed {
    PgStreamEvent event;
    std::string bytes;  // event.payload, kept
  };
  //! Streams until `commits` transactions (Commit or Stream Commit) have come, or 20 s.
  static std::vector<Streamed> StreamCommits(PgReplicationConnection& repl, int commits) {
    std::vector<Streamed> events;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    int seen = 0;
    while (seen < commits && std::chrono::steady_clock::now() < deadline) {
      auto event = repl.Next(milliseconds(200));
      EXPECT_TRUE(event.ok()) << event.status().ToString();
      if (!event.ok()) break;
      if (event->kind != PgStreamEvent::Kind::kMessage) continue;
      if (std::holds_alternative<PgCommit>(event->message) || std::holds_alternative<PgStreamCommit>(event->message)) {
        ++seen;
      }
      std::string bytes(event->payload);
      events.push_back({std::move(event).value(), std::move(bytes)});
    }
    EXPECT_EQ(seen, commits) << "timed out waiting for commits";
    return events;
  }

  PgConnectionConfig config_;
  std::unique_ptr<PgConnection> sql_;
};

TEST_F(ReplicationTest, SlotLifecycleAndExportedSnapshot) {
  Sql("CREATE TABLE t (id int PRIMARY KEY, v text); INSERT INTO t VALUES (1, 'before');"
      "CREATE PUBLICATION pub FOR TABLE t");
  auto repl = Replication();
  ASSERT_TRUE(repl);

  auto identity = repl->IdentifySystem();
  ASSERT_TRUE(identity.ok()) << identity.status().ToString();
  EXPECT_EQ(identity->database, config_.database);
  EXPECT_EQ(identity->timeline, 1);
  EXPECT_TRUE(identity->wal_flush.valid());
  EXPECT_FALSE(identity->system_id.empty());

  auto slot = repl->CreateSlot("s1");
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();
  EXPECT_EQ(slot->slot_name, "s1");
  EXPECT_EQ(slot->output_plugin, "pgoutput");
  EXPECT_GE(slot->consistent_point, identity->wal_flush);
  ASSERT_FALSE(slot->snapshot_name.empty());

  // Import the snapshot before the replication connection runs anything else.
  auto snapshot = PgConnection::Connect(config_, "repl-test-snapshot");
  ASSERT_TRUE(snapshot.ok());
  ASSERT_OK((*snapshot)->Exec("BEGIN ISOLATION LEVEL REPEATABLE READ; SET TRANSACTION SNAPSHOT " +
                              QuoteLiteral(slot->snapshot_name)));
  Sql("INSERT INTO t VALUES (2, 'after')");
  auto count = (*snapshot)->Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM t");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->Get(0, 0), "1");  // the snapshot: what the slot's consistent point had
  ASSERT_OK((*snapshot)->Exec("COMMIT"));

  auto info = repl->ReadSlot("s1");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->plugin, "pgoutput");
  EXPECT_EQ((*info)->slot_type, "logical");
  EXPECT_EQ((*info)->database, config_.database);
  EXPECT_FALSE((*info)->active);
  EXPECT_EQ((*info)->wal_status, "reserved");
  ASSERT_TRUE((*info)->confirmed_flush_lsn.has_value());
  EXPECT_EQ(*(*info)->confirmed_flush_lsn, slot->consistent_point);
  EXPECT_TRUE((*info)->restart_lsn.has_value());

  // The stream starts after the snapshot: row 2 only.
  PgStreamOptions options;
  options.publications = {"pub"};
  ASSERT_OK(repl->StartReplication("s1", slot->consistent_point, options));
  EXPECT_TRUE(repl->streaming());
  EXPECT_FALSE(repl->IdentifySystem().ok());  // commands wait until the stream stops
  std::vector<std::string> lines;
  for (const auto& [event, bytes] : StreamCommits(*repl, 1)) {
    const std::string line = Describe(event.message);
    if (!line.empty()) lines.push_back(line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"BEGIN", "INSERT t (2,after)", "COMMIT"}));
  auto active = ReadSlotInfo(*sql_, "s1");
  ASSERT_TRUE(active.ok() && active->has_value());
  EXPECT_TRUE((*active)->active);

  ASSERT_OK(repl->StopReplication());
  EXPECT_FALSE(repl->streaming());
  ASSERT_OK(repl->StopReplication());  // idempotent

  auto again = repl->CreateSlot("s1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().failure_type(), FailureType::kConfig) << again.status().ToString();
  EXPECT_FALSE(repl->CreateSlot("Bad-Name").ok());

  ASSERT_OK(repl->DropSlot("s1", /*wait=*/true));
  auto gone = ReadSlotInfo(*sql_, "s1");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  auto missing = Replication()->StartReplication("s1", PgLsn{}, options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.failure_type(), FailureType::kConfig) << missing.ToString();  // 42704 undefined_object
}

TEST_F(ReplicationTest, RoleWithoutReplicationIsAConfigError) {
  Sql("CREATE ROLE plain LOGIN PASSWORD 'pw'");
  PgConnectionConfig config = config_;
  config.username = "plain";
  config.password = "pw";
  auto repl = PgReplicationConnection::Connect(config, "repl-test");
  ASSERT_FALSE(repl.ok());
  EXPECT_EQ(repl.status().failure_type(), FailureType::kConfig) << repl.status().ToString();
}

TEST_F(ReplicationTest, ChangesDecodeAsDoneAndTheStreamMatchesTheSqlInterface) {
  Sql("CREATE TABLE items (id int PRIMARY KEY, name text, doc text);"
      "ALTER TABLE items ALTER COLUMN doc SET STORAGE EXTERNAL;"  // out of line, uncompressed: TOAST
      "CREATE TABLE full_items (id serial PRIMARY KEY, name text);"
      "ALTER TABLE full_items REPLICA IDENTITY FULL;"
      "CREATE TABLE unpublished (id int);"
      "CREATE PUBLICATION pub FOR TABLE items, full_items");
  auto repl = Replication();
  ASSERT_TRUE(repl);
  auto slot = repl->CreateSlot("changes");
  ASSERT_TRUE(slot.ok()) << slot.status().ToString();

  Sql("INSERT INTO items VALUES (1, 'ann', repeat('x', 10000)), (2, 'bob', NULL)");
  Sql("UPDATE items SET name = 'ann2' WHERE id = 1");  // doc is TOASTed and unchanged: 'u'
  Sql("UPDATE items SET id = 3 WHERE id = 2");         // key change: old key 'K'
  Sql("DELETE FROM items WHERE id = 3");
  Sql("BEGIN; INSERT INTO items VALUES (99, 'ghost', NULL); ROLLBACK");
  Sql("INSERT INTO unpublished VALUES (1)");           // not published: nothing at all
  Sql("INSERT INTO full_items (name) VALUES ('x')");
  Sql("UPDATE full_items SET name = 'y'");
  Sql("DELETE FROM full_items");
  Sql("UPDATE items SET doc = repeat('z', 9000) WHERE id = 1");  // the TOASTed value itself changes
  Sql("TRUNCATE items, full_items");
  Sql("TRUNCATE full_items RESTART IDENTITY CASCADE");

  const std::vector<std::string> expected = {
      "BEGIN", "INSERT items (1,ann,<10000 chars>)", "INSERT items (2,bob,null)", "COMMIT",
      "BEGIN", "UPDATE items (1,ann2,unchanged-toast)", "COMMIT",
      "BEGIN", "UPDATE items K(2,null,null) -> (3,bob,null)", "COMMIT",
      "BEGIN", "DELETE items K(3,null,null)", "COMMIT",
      "BEGIN", "INSERT full_items (1,x)", "COMMIT",
      "BEGIN", "UPDATE full_items O(1,x) -> (1,y)", "COMMIT",
      "BEGIN", "DELETE full_items O(1,y)", "COMMIT",
      "BEGIN", "UPDATE items (1,ann2,<9000 chars>)", "COMMIT",
      "BEGIN", "TRUNCATE items full_items", "COMMIT",
      "BEGIN", "TRUNCATE full_items cascade restart-identity", "COMMIT",
  };

  // The server's bytes over SQL, decoded.
  const std::vector<RawMessage> peeked = Peek(*sql_, "changes", 1, "pub");
  std::map<std::string, std::shared_ptr<const PgRelation>> relations;
  EXPECT_EQ(DescribeAll(peeked, 1, &relations), expected);
  ASSERT_TRUE(relations.count("items") && relations.count("full_items"));
  const PgRelation& items = *relations["items"];
  EXPECT_EQ(items.schema, "public");
  EXPECT_EQ(items.replica_identity, 'd');
  ASSERT_EQ(items.columns.size(), 3u);
  EXPECT_TRUE(items.columns[0].key);
  EXPECT_FALSE(items.columns[1].key);
  EXPECT_EQ(items.columns[0].type_oid, 23u);  // int4
  EXPECT_EQ(items.columns[2].type_oid, 25u);  // text
  EXPECT_EQ(relations["full_items"]->replica_identity, 'f');
  EXPECT_TRUE(relations["full_items"]->columns[1].key);  // FULL: every column is the identity

  // The same slot over the replication protocol: the same messages, byte for byte.
  PgStreamOptions options;
  options.publications = {"pub"};
  ASSERT_OK(repl->StartReplication("changes", PgLsn{}, options));
  const auto events = StreamCommits(*repl, 10);
  ASSERT_EQ(events.size(), peeked.size());
  const auto now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].bytes, peeked[i].bytes) << "message " << i << ": " << PgMessageName(events[i].event.message);
    // Relation messages come without a position over the protocol; the rest at the same LSN.
    if (events[i].event.wal_start.valid()) {
      EXPECT_EQ(events[i].event.wal_start, peeked[i].lsn) << i;
    }
    EXPECT_LE(std::abs(events[i].event.server_time_us - now_us), 60'000'000);
  }
  std::vector<std::string> streamed;
  for (const auto& [event, bytes] : events) {
    const std::string line = Describe(event.message);
    if (!line.empty()) streamed.push_back(line);
    if (auto* commit = std::get_if<PgCommit>(&event.message)) {
      EXPECT_EQ(event.wal_start, commit->end_lsn);
      EXPECT_LE(std::abs(commit->commit_time_us - now_us), 60'000'000);
    }
  }
  EXPECT_EQ(streamed, expected);
  ASSERT_OK(repl->StopReplication());
}

// Protocol v2 with logical_decoding_work_mem=64kB: big transactions arrive as streams, with
// the (sub)transaction xid on each change, before they commit — or abort, whole or by
// savepoint. Applying them the way a CDC reader must (buffer per transaction, drop aborted
// parts, apply on Stream Commit) gives exactly the table's rows.
TEST_F(ReplicationTest, ProtoV2StreamsLargeTransactions) {
  Sql("CREATE TABLE big (id int PRIMARY KEY, pad text); CREATE PUBLICATION pub FOR TABLE big");
  PgConnectionConfig config = config_;
  config.extra_params.emplace_back("options", "-c logical_decoding_work_mem=64kB");
  auto repl = Replication(config);
  ASSERT_TRUE(repl);
  ASSERT_TRUE(repl->CreateSlot("streams").ok());

  Sql("INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(1, 5000) g");
  Sql("BEGIN; INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(5001, 10000) g; ROLLBACK");
  Sql("BEGIN; INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(10001, 13000) g;"
      "SAVEPOINT a; INSERT INTO big SELECT g, repeat('p', 100) FROM generate_series(13001, 16000) g;"
      "ROLLBACK TO a; COMMIT");
  Sql("INSERT INTO big VALUES (20000, 'small')");

  // The SQL interface with the same options, for a byte comparison below.
  ASSERT_OK(sql_->Exec("SET logical_decoding_work_mem = '64kB'"));
  const std::vector<RawMessage> peeked = Peek(*sql_, "streams", 2, "pub", /*streaming=*/true);

  PgStreamOptions options;
  options.proto_version = 2;
  options.streaming = true;
  options.publications = {"pub"};
  ASSERT_OK(repl->StartReplication("streams", PgLsn{}, options));
  const auto events = StreamCommits(*repl, 3);  // two Stream Commits and one Commit

  std::set<int> applied;
  std::map<uint32_t, std::vector<std::pair<uint32_t, int>>> pending;  // top xid → (subxid, id)
  uint32_t stream_xid = 0;
  int stream_starts = 0, whole_aborts = 0, savepoint_aborts = 0, stream_commits = 0;
  bool in_transaction = false;
  for (size_t i = 0; i < events.size(); ++i) {
    const PgMessage& m = events[i].event.message;
    ASSERT_LT(i, peeked.size());
    EXPECT_EQ(events[i].bytes, peeked[i].bytes) << "message " << i << ": " << PgMessageName(m);
    if (auto* start = std::get_if<PgStreamStart>(&m)) {
      ++stream_starts;
      stream_xid = start->xid;
    } else if (auto* insert = std::get_if<PgInsert>(&m)) {
      const int id = std::stoi(insert->new_tuple[0].data);
      if (in_transaction) {
        EXPECT_EQ(insert->xid, 0u);
        applied.insert(id);
      } else {
        EXPECT_NE(insert->xid, 0u);
        pending[stream_xid].emplace_back(insert->xid, id);
      }
    } else if (auto* abort = std::get_if<PgStreamAbort>(&m)) {
      auto& changes = pending[abort->xid];
      if (abort->subxid == abort->xid) {
        ++whole_aborts;
        changes.clear();
      } else {
        ++savepoint_aborts;
        std::erase_if(changes, [&](const auto& change) { return change.first == abort->subxid; });
      }
    } else if (auto* commit = std::get_if<PgStreamCommit>(&m)) {
      ++stream_commits;
      for (const auto& change : pending[commit->xid]) applied.insert(change.second);
      pending.erase(commit->xid);
    } else if (std::holds_alternative<PgBegin>(m)) {
      in_transaction = true;
    } else if (std::holds_alternative<PgCommit>(m)) {
      in_transaction = false;
    }
  }
  EXPECT_EQ(events.size(), peeked.size());
  EXPECT_GE(stream_starts, 3);
  EXPECT_EQ(stream_commits, 2);
  EXPECT_EQ(whole_aborts, 1);
  EXPECT_EQ(savepoint_aborts, 1);

  auto rows = sql_->Query("SELECT string_agg(id::text, ',' ORDER BY id) FROM big");
  ASSERT_TRUE(rows.ok());
  std::string expected;
  for (int id : applied) expected += (expected.empty() ? "" : ",") + std::to_string(id);
  EXPECT_EQ(applied.size(), 8001u);
  EXPECT_EQ(expected, rows->Get(0, 0));
  ASSERT_OK(repl->StopReplication());
}

// The flush LSN is the caller's: confirmed_flush_lsn advances exactly to what was sent, never
// further (even while keepalives are answered), and a new stream resumes right after it.
TEST_F(ReplicationTest, StatusAdvancesConfirmedFlushExactly) {
  Sql("CREATE TABLE t (id int PRIMARY KEY); CREATE PUBLICATION pub FOR TABLE t");
  auto repl = Replication();
  ASSERT_TRUE(repl);
  auto slot = repl->CreateSlot("status");
  ASSERT_TRUE(slot.ok());
  for (int id = 1; id <= 3; ++id) Sql("INSERT INTO t VALUES (" + std::to_string(id) + ")");

  PgStreamOptions options;
  options.publications = {"pub"};
  options.status_interval = milliseconds(100);  // Next() sends status often on its own
  ASSERT_OK(repl->StartReplication("status", PgLsn{}, options));
  std::vector<PgLsn> ends;
  for (const auto& [event, bytes] : StreamCommits(*repl, 3)) {
    if (auto* commit = std::get_if<PgCommit>(&event.message)) ends.push_back(commit->end_lsn);
  }
  ASSERT_EQ(ends.size(), 3u);
  EXPECT_LT(ends[0], ends[1]);
  EXPECT_GT(repl->received_lsn(), ends[1]);

  auto confirmed = [&]() -> PgLsn {
    auto info = ReadSlotInfo(*sql_, "status");
    EXPECT_TRUE(info.ok() && info->has_value());
    return info.ok() && info->has_value() && (*info)->confirmed_flush_lsn ? *(*info)->confirmed_flush_lsn : PgLsn{};
  };
  // Nothing was confirmed yet: the slot stays at its start however long we stream.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(repl->Next(milliseconds(100)).ok());
  EXPECT_EQ(confirmed(), slot->consistent_point);

  ASSERT_OK(repl->SendStatus(ends[1]));
  EXPECT_EQ(repl->flush_lsn(), ends[1]);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (confirmed() != ends[1] && std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE(repl->Next(milliseconds(100)).ok());
  }
  EXPECT_EQ(confirmed(), ends[1]);
  Sql("SELECT pg_switch_wal()");  // more WAL and keepalives; the slot must not follow
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(repl->Next(milliseconds(100)).ok());
  EXPECT_EQ(confirmed(), ends[1]);

  auto backwards = repl->SendStatus(ends[0]);
  EXPECT_FALSE(backwards.ok());

  // Resume (on a new connection): the slot gives only the third transaction.
  ASSERT_OK(repl->StopReplication());
  auto info = repl->ReadSlot("status");
  ASSERT_TRUE(info.ok() && info->has_value());
  EXPECT_EQ(*(*info)->confirmed_flush_lsn, ends[1]);
  EXPECT_FALSE(repl->StartReplication("status", PgLsn{}, options).ok());  // streams once
  auto resumed = Replication();
  ASSERT_TRUE(resumed);
  ASSERT_OK(resumed->StartReplication("status", PgLsn{}, options));
  std::vector<std::string> lines;
  for (const auto& [event, bytes] : StreamCommits(*resumed, 1)) {
    const std::string line = Describe(event.message);
    if (!line.empty()) lines.push_back(line);
  }
  EXPECT_EQ(lines, (std::vector<std::string>{"BEGIN", "INSERT t (3)", "COMMIT"}));
}

// Next() returns on time when nothing comes, and a stopped stream says so.
TEST_F(ReplicationTest, NextTimesOutAndReportsTheEnd) {
  Sql("CREATE TABLE t (id int); CREATE PUBLICATION pub FOR TABLE t");
  auto repl = Replication();
  ASSERT_TRUE(repl);
  ASSERT_TRUE(repl->CreateSlot("idle", /*temporary=*/true).ok());
  PgStreamOptions options;
  options.publications = {"pub"};
  ASSERT_OK(repl->StartReplication("idle", PgLsn{}, options));
  const auto start = std::chrono::steady_clock::now();
  int timeouts = 0;
  while (std::chrono::steady_clock::now() - start < milliseconds(600)) {
    auto event = repl->Next(milliseconds(150));
    ASSERT_TRUE(event.ok()) << event.status().ToString();
    timeouts += event->kind == PgStreamEvent::Kind::kTimeout;
  }
  EXPECT_GE(timeouts, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1500));

  // The server ends the stream when its backend is terminated: an error, not a hang.
  ASSERT_OK(sql_->Exec("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = 'idle'"));
  Status ended;
  for (int i = 0; i < 50 && ended.ok(); ++i) {
    auto event = repl->Next(milliseconds(100));
    if (!event.ok()) ended = event.status();
  }
  ASSERT_FALSE(ended.ok());
  EXPECT_EQ(ended.failure_type(), FailureType::kTransient) << ended.ToString();
  EXPECT_FALSE(repl->streaming());
}

// pg_logical_emit_message() output arrives when the stream asks for messages (a heartbeat
// or a marker a source may write into the WAL).
TEST_F(ReplicationTest, LogicalMessagesWhenAsked) {
  Sql("CREATE TABLE t (id int); CREATE PUBLICATION pub FOR TABLE t");
  auto repl = Replication();
  ASSERT_TRUE(repl);
  ASSERT_TRUE(repl->CreateSlot("messages", /*temporary=*/true).ok());
  Sql("SELECT pg_logical_emit_message(false, 'sluice', 'heartbeat')");
  Sql("BEGIN; SELECT pg_logical_emit_message(true, 'sluice', 'marker'); INSERT INTO t VALUES (1); COMMIT");
  PgStreamOptions options;
  options.publications = {"pub"};
  options.messages = true;
  ASSERT_OK(repl->StartReplication("messages", PgLsn{}, options));
  std::vector<PgLogicalMessage> messages;
  for (const auto& [event, bytes] : StreamCommits(*repl, 1)) {
    if (auto* m = std::get_if<PgLogicalMessage>(&event.message)) messages.push_back(*m);
  }
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_FALSE(messages[0].transactional);
  EXPECT_EQ(messages[0].prefix, "sluice");
  EXPECT_EQ(messages[0].content, "heartbeat");
  EXPECT_TRUE(messages[1].transactional);
  EXPECT_EQ(messages[1].content, "marker");
  EXPECT_LT(messages[0].lsn, messages[1].lsn);
}

}  // namespace
}  // namespace sluice
