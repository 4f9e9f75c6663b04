// kit/sql/sql_read.h: the key-chunk loop, key ranges read at once (progress, state shape,
// resume, checkpoint order under threads), integer span splits, the stream checkpoint helper.
#include "connectors/kit/sql/sql_read.h"

#include <gtest/gtest.h>

#include <thread>

#include "connectors/kit/sql/sql_dialect.h"
#include "connectors/kit/sql/sql_state.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

class PlainDialect final : public SqlDialect {
 public:
  std::string_view name() const override { return "Test"; }
  std::string QuoteIdentifier(std::string_view id) const override { return std::string(id); }
  std::string QuoteLiteral(std::string_view text) const override { return "'" + std::string(text) + "'"; }
  std::string TypedLiteral(std::string_view text, std::string_view) const override { return std::string(text); }
  const SqlTypeTable& types() const override { return types_; }
  std::string ColumnsQuery(const std::vector<std::string>&) const override { return "SELECT 1"; }
  std::string PrimaryKeysQuery(const std::vector<std::string>&) const override { return "SELECT 1"; }

 private:
  SqlTypeTable types_{{{"int", TypeId::kInteger, true}}};
};

TEST(SqlReadTest, KeyChunksGoOnAfterEachFullChunkAndStopAtAShortOne) {
  PlainDialect d;
  std::vector<int> table;
  for (int i = 1; i <= 25; ++i) table.push_back(i * 2);  // keys 2, 4, …, 50
  SqlKeyChunkQuery q{"*", "t", {{"id", "int"}}, std::vector<std::string>{"10"}, std::vector<std::string>{"40"}, 5, ""};
  std::vector<std::string> sqls, positions;
  std::vector<int> read;
  Status st = ReadKeyChunks(
      d, q,
      [&](const std::string& sql) -> Result<SqlKeyChunk> {
        sqls.push_back(sql);
        // The chunk: keys after the query's `after`, up to 40, at most 5.
        const int after = std::stoi(sql.substr(sql.find("id > ") + 5));
        SqlKeyChunk c;
        for (int k : table) {
          if (k <= after || k > 40 || c.rows == 5) continue;
          read.push_back(k);
          ++c.rows;
          c.last = {std::to_string(k)};
        }
        return c;
      },
      [&](const std::vector<std::string>& last) {
        positions.push_back(last[0]);
        return Status::Ok();
      });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(sqls.front(), "SELECT * FROM t WHERE id > 10 AND id <= 40 ORDER BY id LIMIT 5");
  EXPECT_EQ(positions, (std::vector<std::string>{"20", "30", "40"}));  // the last chunk came back empty
  EXPECT_EQ(sqls.size(), 4u);
  EXPECT_EQ(read.size(), 15u);
  EXPECT_EQ(read.front(), 12);
  EXPECT_EQ(read.back(), 40);
}

TEST(SqlReadTest, KeyChunksStopAtTheFirstError) {
  PlainDialect d;
  SqlKeyChunkQuery q{"*", "t", {{"id", "int"}}, std::nullopt, std::nullopt, 2, ""};
  int calls = 0;
  Status st = ReadKeyChunks(
      d, q, [&](const std::string&) -> Result<SqlKeyChunk> { return SqlKeyChunk{2, {std::to_string(++calls)}}; },
      [&](const std::vector<std::string>& last) {
        return last[0] == "2" ? Status::TransientError("lost") : Status::Ok();
      });
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_EQ(calls, 2);
}

TEST(SqlReadTest, IntegerSpansSplitIntoEqualRangesThatCoverEveryKey) {
  EXPECT_EQ(SplitIntegerKeySpan("1", "100", 4),
            (std::vector<std::vector<std::string>>{{"25"}, {"50"}, {"75"}}));
  // At least min_width keys per range: 100 keys, 30 each → 3 ranges.
  EXPECT_EQ(SplitIntegerKeySpan("1", "100", 8, 30), (std::vector<std::vector<std::string>>{{"33"}, {"66"}}));
  EXPECT_TRUE(SplitIntegerKeySpan("1", "100", 8, 60).empty());  // one range: read it whole
  EXPECT_EQ(SplitIntegerKeySpan("-10", "9", 2), (std::vector<std::vector<std::string>>{{"-1"}}));
  EXPECT_EQ(SplitIntegerKeySpan("5", "7", 10), (std::vector<std::vector<std::string>>{{"5"}, {"6"}}));
  // BIGINT UNSIGNED beyond int64, and the int64 extremes.
  EXPECT_EQ(SplitIntegerKeySpan("0", "18446744073709551615", 2),
            (std::vector<std::vector<std::string>>{{"9223372036854775807"}}));
  EXPECT_EQ(SplitIntegerKeySpan("-9223372036854775808", "9223372036854775807", 2),
            (std::vector<std::vector<std::string>>{{"-1"}}));
  EXPECT_TRUE(SplitIntegerKeySpan("a", "100", 4).empty());
  EXPECT_TRUE(SplitIntegerKeySpan("100", "1", 4).empty());
  EXPECT_TRUE(SplitIntegerKeySpan("1", "100", 1).empty());
}

TEST(SqlReadTest, KeyRangesSaveEveryRangeAndResumeEachAfterItsLastKey) {
  SqlKeyRanges ranges({"id"}, PlanKeyRanges({{"100"}, {"200"}}));
  ASSERT_EQ(ranges.size(), 3u);
  ranges.Advance(0, {"42"});
  ranges.Complete(1);
  const Json blob = ranges.ToJson();
  EXPECT_EQ(blob, Json::parse(R"({"version":2,"state_type":"primary_key","pk_names":["id"],"pk_ranges":[
      {"upto":["100"],"pk_vals":["42"]},{"after":["100"],"upto":["200"],"complete":true},{"after":["200"]}]})"));
  // A sequential key position is not this shape, and this shape is not a sequential position.
  EXPECT_FALSE(ParseKeyPosition(&blob));
  const Json sequential = KeyPositionJson({{"id"}, {"7"}});
  EXPECT_EQ(SqlKeyRanges::Parse(&sequential), nullptr);
  EXPECT_EQ(SqlKeyRanges::Parse(nullptr), nullptr);

  auto resumed = SqlKeyRanges::Parse(&blob);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->columns(), std::vector<std::string>{"id"});
  EXPECT_EQ(resumed->Pending(), (std::vector<size_t>{0, 2}));
  EXPECT_EQ(resumed->ResumeAfter(0), std::vector<std::string>{"42"});
  EXPECT_EQ(resumed->Upto(0), std::vector<std::string>{"100"});
  EXPECT_EQ(resumed->ResumeAfter(2), std::vector<std::string>{"200"});
  EXPECT_EQ(resumed->Upto(2), std::nullopt);
  EXPECT_EQ(resumed->ToJson(), blob);

  Json bad = blob;
  bad["pk_ranges"][0]["pk_vals"] = Json::array({"1", "2"});  // two values for a one-column key
  EXPECT_EQ(SqlKeyRanges::Parse(&bad), nullptr);
}

// Readers on several threads emit batches and checkpoints into one FIFO (as ParallelStreams
// does): every checkpoint follows the batches it covers, and none covers less than an earlier one.
TEST(SqlReadTest, KeyRangeCheckpointsFollowTheBatchesTheyCoverAndNeverGoBack) {
  struct Event {
    size_t range;
    int last;      // batch: its last key
    Json state;    // checkpoint
  };
  std::mutex mu;
  std::vector<Event> fifo;
  constexpr int kRanges = 4, kChunks = 200;
  SqlKeyRanges ranges({"id"}, PlanKeyRanges({{"1000"}, {"2000"}, {"3000"}}));
  std::vector<std::thread> threads;
  for (size_t r = 0; r < kRanges; ++r) {
    threads.emplace_back([&, r] {
      for (int c = 1; c <= kChunks; ++c) {
        const int last = static_cast<int>(r) * 1000 + c;
        {
          std::lock_guard lock(mu);
          fifo.push_back({r, last, Json()});  // the batch went out …
        }
        ranges.Advance(r, {std::to_string(last)});  // … then the progress
        ASSERT_TRUE(ranges.Checkpoint([&](Json blob) {
                      std::lock_guard lock(mu);
                      fifo.push_back({r, 0, std::move(blob)});
                      return Status::Ok();
                    }).ok());
      }
      ranges.Complete(r);
    });
  }
  for (auto& t : threads) t.join();
  std::vector<int> emitted(kRanges, 0), previous(kRanges, 0);
  for (const Event& e : fifo) {
    if (e.state.is_null()) {
      emitted[e.range] = e.last;
      continue;
    }
    for (size_t r = 0; r < kRanges; ++r) {
      const Json& item = e.state["pk_ranges"][r];
      const int covered = item.value("complete", false) ? static_cast<int>(r) * 1000 + kChunks
                          : item.contains("pk_vals")    ? std::stoi(item["pk_vals"][0].get<std::string>())
                                                        : 0;
      EXPECT_LE(covered, emitted[r]) << "a checkpoint before the batch it covers";
      EXPECT_GE(covered, previous[r]) << "a checkpoint covering less than an earlier one";
      previous[r] = covered;
    }
  }
  EXPECT_TRUE(ranges.Pending().empty());
}

TEST(SqlReadTest, CheckpointIsAStreamStateOrWhatACdcSnapshotWrapsItIn) {
  testing::CollectingEmitter out;
  auto schema = std::make_shared<const Schema>(std::vector<Field>{{"id", TypeId::kInteger, false, {}}});
  StreamBatcher batcher(out, 0, schema);
  batcher.batch().column(0).AppendInt64(1);
  ASSERT_TRUE(batcher.RowAdded().ok());
  StreamDescriptor d{"orders", "shop"};
  ASSERT_TRUE(CheckpointSqlStream(batcher, d, Json{{"k", 1}}).ok());
  ASSERT_EQ(out.batches.size(), 1u) << "the rows go out before the checkpoint";
  ASSERT_EQ(out.states.size(), 1u);
  EXPECT_EQ(out.states[0].type, StateType::kStream);
  EXPECT_EQ(out.states[0].stream.descriptor.name, "orders");
  EXPECT_EQ(out.states[0].stream.stream_state, (Json{{"k", 1}}));
  std::function<StateMessage(Json)> wrap = [](Json blob) {
    StateMessage m;
    m.type = StateType::kGlobal;
    m.shared_state = Json{{"wrapped", std::move(blob)}};
    return m;
  };
  ASSERT_TRUE(CheckpointSqlStream(batcher, d, Json{{"k", 2}}, &wrap).ok());
  EXPECT_EQ(out.states[1].type, StateType::kGlobal);
  EXPECT_EQ(out.states[1].shared_state, (Json{{"wrapped", {{"k", 2}}}}));
}

}  // namespace
}  // namespace sluice
