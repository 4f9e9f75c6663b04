// PgTxnSpool: a streamed transaction's changes kept in order, in memory and spilled to a
// temporary file, with rolled-back subtransactions dropped.
#include "connectors/sources/postgres/pg_txn_spool.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

std::shared_ptr<const PgRelation> Relation(uint32_t oid) {
  auto r = std::make_shared<PgRelation>();
  r->oid = oid;
  r->name = "t" + std::to_string(oid);
  return r;
}

PgTuple Row(int id) {
  return {PgColumnValue{PgColumnValue::Kind::kText, std::to_string(id)}, PgColumnValue{PgColumnValue::Kind::kNull, ""},
          PgColumnValue{PgColumnValue::Kind::kUnchangedToast, ""}};
}

//! "I<id>@<relation oid>/<xid>" per change, as replayed.
std::vector<std::string> ReplayAll(PgTxnSpool& spool) {
  std::vector<std::string> out;
  Status st = spool.Replay([&](const PgMessage& m) {
    if (auto* i = std::get_if<PgInsert>(&m)) {
      EXPECT_EQ(i->new_tuple.size(), 3u);
      EXPECT_EQ(i->new_tuple[1].kind, PgColumnValue::Kind::kNull);
      EXPECT_EQ(i->new_tuple[2].kind, PgColumnValue::Kind::kUnchangedToast);
      out.push_back("I" + i->new_tuple[0].data + "@" + std::to_string(i->relation->oid) + "/" + std::to_string(i->xid));
    } else if (auto* u = std::get_if<PgUpdate>(&m)) {
      out.push_back(std::string("U") + u->old_kind + u->old_tuple[0].data + ">" + u->new_tuple[0].data);
    } else if (auto* d = std::get_if<PgDelete>(&m)) {
      out.push_back(std::string("D") + d->old_kind + d->old_tuple[0].data);
    } else if (auto* t = std::get_if<PgTruncate>(&m)) {
      std::string s = std::string("T") + (t->cascade ? "c" : "") + (t->restart_identity ? "r" : "");
      for (const auto& r : t->relations) s += "@" + std::to_string(r->oid);
      out.push_back(s);
    }
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

TEST(PgTxnSpool, KeepsOrderInMemory) {
  PgTxnSpool spool;
  auto r = Relation(7);
  ASSERT_TRUE(spool.Add(PgInsert{10, r, Row(1)}).ok());
  ASSERT_TRUE(spool.Add(PgUpdate{10, r, 'K', Row(1), Row(2)}).ok());
  ASSERT_TRUE(spool.Add(PgDelete{10, r, 'O', Row(2)}).ok());
  ASSERT_TRUE(spool.Add(PgTruncate{10, false, true, {r, Relation(8)}}).ok());
  ASSERT_TRUE(spool.Add(PgInsert{10, r, Row(3)}).ok());
  ASSERT_TRUE(spool.Add(PgStreamStop{}).ok());  // not a change: ignored
  EXPECT_EQ(spool.changes(), 5u);
  EXPECT_EQ(spool.spilled_bytes(), 0u);
  EXPECT_EQ(ReplayAll(spool), (std::vector<std::string>{"I1@7/10", "UK1>2", "DO2", "Tr@7@8", "I3@7/10"}));
}

TEST(PgTxnSpool, SpillsBeyondTheMemoryLimitAndDropsAbortedSubtransactions) {
  PgTxnSpool spool(/*memory_limit_bytes=*/256);
  auto a = Relation(1), b = Relation(2);
  std::vector<std::string> expected;
  for (int i = 0; i < 1000; ++i) {
    const uint32_t xid = i % 3 == 0 ? 11 : 10;  // every third change in subtransaction 11
    ASSERT_TRUE(spool.Add(PgInsert{xid, i % 2 ? a : b, Row(i)}).ok());
    if (xid == 10) expected.push_back("I" + std::to_string(i) + "@" + (i % 2 ? "1" : "2") + "/10");
    if (i % 100 == 50) {  // truncates across the spill boundary, one in the aborted subtransaction
      ASSERT_TRUE(spool.Add(PgTruncate{xid, true, false, {a}}).ok());
      if (xid == 10) expected.push_back("Tc@1");
    }
  }
  spool.AbortSubtransaction(11);
  EXPECT_GT(spool.spilled_bytes(), 0u);
  EXPECT_EQ(ReplayAll(spool), expected);
}

}  // namespace
}  // namespace sluice
