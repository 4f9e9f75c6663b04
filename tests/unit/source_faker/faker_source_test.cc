#include "connectors/sources/faker/faker_source.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "base/time.h"
#include "connectors/sources/faker/faker_generator.h"
#include "protocol/codec.h"

namespace sluice {
namespace {

//! Keeps everything a source emits, in order.
class CollectingEmitter : public Emitter {
 public:
  struct Event {
    enum Kind { kBatch, kState, kStatus } kind;
    size_t index;  //!< into batches / states / statuses
  };

  Status Emit(RecordBatch batch) override {
    if (cancel_after_batches >= 0 && static_cast<int>(batches.size()) >= cancel_after_batches) cancelled_ = true;
    if (fail_emit) return Status::Cancelled("emitter stopped");
    events.push_back({Event::kBatch, batches.size()});
    batches.push_back(std::move(batch));
    return Status::Ok();
  }
  Status EmitState(StateMessage state) override {
    events.push_back({Event::kState, states.size()});
    store.Apply(state);
    states.push_back(std::move(state));
    return Status::Ok();
  }
  Status EmitStreamStatus(uint32_t stream, StreamStatus status) override {
    events.push_back({Event::kStatus, statuses.size()});
    statuses.emplace_back(stream, status);
    return Status::Ok();
  }
  bool cancelled() const override { return cancelled_; }

  //! Rows of one stream (by catalog index) as record JSON text, in emission order.
  std::vector<std::string> Rows(uint32_t stream) const {
    std::vector<std::string> rows;
    for (const auto& b : batches) {
      if (b.stream() != stream) continue;
      for (size_t r = 0; r < b.num_rows(); ++r) {
        std::string text;
        AppendRecordData(text, b, r);
        rows.push_back(std::move(text));
      }
    }
    return rows;
  }
  size_t RowCount(uint32_t stream) const {
    size_t n = 0;
    for (const auto& b : batches) n += b.stream() == stream ? b.num_rows() : 0;
    return n;
  }
  //! Every non-null value of column `name` of one stream, as int64 (integers, timestamps).
  std::vector<int64_t> Ints(uint32_t stream, const std::string& name) const {
    std::vector<int64_t> out;
    for (const auto& b : batches) {
      if (b.stream() != stream) continue;
      const int col = b.schema().IndexOf(name);
      if (col < 0) continue;
      for (size_t r = 0; r < b.num_rows(); ++r) {
        if (!b.column(static_cast<size_t>(col)).IsNull(r)) out.push_back(b.column(static_cast<size_t>(col)).Int64(r));
      }
    }
    return out;
  }

  std::vector<RecordBatch> batches;
  std::vector<StateMessage> states;
  std::vector<std::pair<uint32_t, StreamStatus>> statuses;
  std::vector<Event> events;
  StateStore store;
  int cancel_after_batches = -1;
  bool fail_emit = false;

 private:
  bool cancelled_ = false;
};

//! Counts rows and drops them, as a destination that keeps nothing.
class DiscardingEmitter : public Emitter {
 public:
  Status Emit(RecordBatch batch) override {
    rows += batch.num_rows();
    return Status::Ok();
  }
  Status EmitState(StateMessage) override {
    ++states;
    return Status::Ok();
  }
  Status EmitStreamStatus(uint32_t, StreamStatus) override { return Status::Ok(); }
  bool cancelled() const override { return false; }
  size_t rows = 0;
  size_t states = 0;
};

Json Config(int64_t count, int64_t seed = 0, int64_t records_per_slice = 1000, bool always_updated = false) {
  return Json{{"count", count},
              {"seed", seed},
              {"records_per_slice", records_per_slice},
              {"always_updated", always_updated},
              {"parallelism", 1}};
}

const AirbyteStream& FindStream(const Catalog& catalog, const std::string& name) {
  for (const auto& s : catalog.streams) {
    if (s.name == name) return s;
  }
  throw std::runtime_error("no stream " + name);
}

//! A configured catalog of the named streams (discovered schemas), all in `mode`.
ConfiguredCatalog Configure(const std::vector<std::string>& names, SyncMode mode = SyncMode::kIncremental) {
  auto source = MakeFakerSource();
  auto catalog = source->Discover(Config(1));
  EXPECT_TRUE(catalog.ok());
  ConfiguredCatalog configured;
  for (const auto& name : names) {
    ConfiguredStream s;
    s.stream = FindStream(*catalog, name);
    s.sync_mode = mode;
    s.cursor_field = {"updated_at"};
    s.primary_key = {{"id"}};
    configured.streams.push_back(std::move(s));
  }
  EXPECT_TRUE(configured.Bind().ok());
  return configured;
}

const std::vector<std::string> kAll = {"users", "products", "purchases"};

CollectingEmitter ReadAll(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state = {}) {
  CollectingEmitter out;
  Status st = MakeFakerSource()->Read(config, catalog, state, out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

int64_t ExpectedPurchases(int64_t users, int64_t seed = 0) {
  faker::Generator gen(seed);
  int64_t n = 0;
  for (int64_t u = 1; u <= users; ++u) n += gen.PurchaseCount(u);
  return n;
}

std::string CursorText(const StateMessage& state) { return state.stream.stream_state.at("updated_at"); }

TEST(FakerSourceTest, SpecDescribesEveryOption) {
  ConnectorSpec spec = MakeFakerSource()->Spec();
  EXPECT_TRUE(spec.supports_incremental);
  const Json& s = spec.connection_specification;
  EXPECT_EQ(s["type"], "object");
  EXPECT_EQ(s["additionalProperties"], false);
  for (const char* key : {"count", "seed", "records_per_slice", "always_updated", "parallelism"}) {
    ASSERT_TRUE(s["properties"].contains(key)) << key;
    EXPECT_TRUE(s["properties"][key].contains("title")) << key;
    EXPECT_TRUE(s["properties"][key].contains("description")) << key;
    EXPECT_TRUE(s["properties"][key].contains("default")) << key;
  }
  EXPECT_EQ(s["properties"]["count"]["default"], 1000);
  EXPECT_EQ(s["properties"]["count"]["minimum"], 1);
  EXPECT_EQ(s["properties"]["seed"]["default"], 0);
  EXPECT_EQ(s["properties"]["always_updated"]["type"], "boolean");
  EXPECT_EQ(s["properties"]["always_updated"]["default"], false);
}

TEST(FakerSourceTest, CheckAcceptsValidConfigAndNamesBadField) {
  auto source = MakeFakerSource();
  EXPECT_TRUE(source->Check(Config(10)).ok());
  EXPECT_TRUE(source->Check(Json::object()).ok());
  Status bad = source->Check(Json{{"count", "many"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.failure_type(), FailureType::kConfig);
  EXPECT_NE(bad.message().find("count"), std::string::npos) << bad.message();
  EXPECT_FALSE(source->Check(Json{{"count", 0}}).ok());
}

TEST(FakerSourceTest, DiscoverReportsThreeTypedStreams) {
  auto catalog = MakeFakerSource()->Discover(Config(10));
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ(catalog->streams.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const AirbyteStream& s = catalog->streams[i];
    EXPECT_EQ(s.name, kAll[i]);
    EXPECT_FALSE(s.namespace_.has_value());
    EXPECT_EQ(s.supported_sync_modes, (std::vector<SyncMode>{SyncMode::kFullRefresh, SyncMode::kIncremental}));
    EXPECT_EQ(s.source_defined_cursor, true);
    EXPECT_EQ(s.default_cursor_field, std::vector<std::string>{"updated_at"});
    EXPECT_EQ(s.source_defined_primary_key, std::vector<FieldPath>{{"id"}});
    EXPECT_EQ(s.is_resumable, true);
  }
  auto users = Schema::FromJsonSchema(catalog->streams[0].json_schema);
  ASSERT_TRUE(users.ok());
  const Schema& u = **users;
  EXPECT_EQ(u.num_fields(), 18u);
  auto type_of = [&](const char* name) { return u.field(static_cast<size_t>(u.IndexOf(name))).type; };
  EXPECT_EQ(type_of("id"), TypeId::kInteger);
  EXPECT_EQ(type_of("created_at"), TypeId::kTimestampTz);
  EXPECT_EQ(type_of("updated_at"), TypeId::kTimestampTz);
  EXPECT_EQ(type_of("name"), TypeId::kString);
  EXPECT_EQ(type_of("age"), TypeId::kInteger);
  EXPECT_EQ(type_of("height"), TypeId::kNumber);
  EXPECT_EQ(type_of("weight"), TypeId::kInteger);
  EXPECT_EQ(type_of("address"), TypeId::kJson);
  EXPECT_EQ(type_of("tags"), TypeId::kJson);
  const Json& address = catalog->streams[0].json_schema["properties"]["address"];
  EXPECT_EQ(address["type"], "object");
  for (const char* key : {"street_number", "street_name", "city", "state", "province", "postal_code", "country_code"}) {
    EXPECT_TRUE(address["properties"].contains(key)) << key;
  }
  EXPECT_EQ(catalog->streams[0].json_schema["properties"]["tags"]["type"], "array");
  EXPECT_EQ(catalog->streams[0].json_schema["properties"]["tags"]["items"]["type"], "string");

  auto products = Schema::FromJsonSchema(catalog->streams[1].json_schema);
  ASSERT_TRUE(products.ok());
  EXPECT_EQ((*products)->field(static_cast<size_t>((*products)->IndexOf("price"))).type, TypeId::kNumber);
  EXPECT_EQ((*products)->field(static_cast<size_t>((*products)->IndexOf("year"))).type, TypeId::kInteger);
  auto purchases = Schema::FromJsonSchema(catalog->streams[2].json_schema);
  ASSERT_TRUE(purchases.ok());
  const Field& returned = (*purchases)->field(static_cast<size_t>((*purchases)->IndexOf("returned_at")));
  EXPECT_EQ(returned.type, TypeId::kTimestampTz);
  EXPECT_TRUE(returned.nullable);
}

TEST(FakerSourceTest, CountsFollowConfig) {
  auto out = ReadAll(Config(5000), Configure(kAll, SyncMode::kFullRefresh));
  EXPECT_EQ(out.RowCount(0), 5000u);
  EXPECT_EQ(out.RowCount(1), 100u);
  const auto purchases = static_cast<int64_t>(out.RowCount(2));
  EXPECT_EQ(purchases, ExpectedPurchases(5000));
  EXPECT_NEAR(static_cast<double>(purchases) / 5000.0, 1.3, 0.1);
  // Ids are 1..N in order.
  for (uint32_t s = 0; s < 3; ++s) {
    const auto ids = out.Ints(s, "id");
    for (size_t i = 0; i < ids.size(); ++i) ASSERT_EQ(ids[i], static_cast<int64_t>(i + 1)) << kAll[s];
  }
}

TEST(FakerSourceTest, SameSeedSameDataOtherSeedOtherData) {
  const auto catalog = Configure(kAll, SyncMode::kFullRefresh);
  auto a = ReadAll(Config(300, 7), catalog);
  auto b = ReadAll(Config(300, 7, /*records_per_slice=*/17), catalog);  // slicing changes no value
  auto c = ReadAll(Config(300, 8), catalog);
  for (uint32_t s = 0; s < 3; ++s) EXPECT_EQ(a.Rows(s), b.Rows(s)) << kAll[s];
  const auto ua = a.Rows(0), uc = c.Rows(0);
  ASSERT_EQ(ua.size(), uc.size());
  size_t different = 0;
  for (size_t i = 0; i < ua.size(); ++i) different += ua[i] != uc[i];
  EXPECT_EQ(different, ua.size());
  EXPECT_NE(a.Rows(1), c.Rows(1));
  // A larger count extends the data: the first users do not change.
  auto d = ReadAll(Config(400, 7), catalog);
  const auto ud = d.Rows(0);
  EXPECT_TRUE(std::equal(ua.begin(), ua.end(), ud.begin()));
}

TEST(FakerSourceTest, ValuesLookLikeTheirFields) {
  auto out = ReadAll(Config(200), Configure({"users", "products", "purchases"}, SyncMode::kFullRefresh));
  const RecordBatch& b = out.batches.at(0);
  ASSERT_EQ(b.stream(), 0u);
  const Schema& schema = b.schema();
  auto col = [&](const char* name) -> const Column& { return b.column(static_cast<size_t>(schema.IndexOf(name))); };
  for (size_t r = 0; r < b.num_rows(); ++r) {
    const std::string email(col("email").Bytes(r));
    EXPECT_NE(email.find('@'), std::string::npos) << email;
    EXPECT_NE(email.find("+" + std::to_string(r + 1) + "@"), std::string::npos) << email;
    for (char ch : email) EXPECT_FALSE(ch >= 'A' && ch <= 'Z') << email;
    const std::string name(col("name").Bytes(r));
    EXPECT_NE(name.find(' '), std::string::npos);
    EXPECT_EQ(col("telephone").Bytes(r).size(), std::string_view("+1-415-555-0123").size());
    EXPECT_GE(col("age").Int64(r), 18);
    EXPECT_LE(col("age").Int64(r), 80);
    EXPECT_GE(col("height").Double(r), 1.5);
    EXPECT_LE(col("height").Double(r), 2.05);
    const Json address = Json::parse(col("address").Bytes(r));
    ASSERT_TRUE(address.is_object());
    EXPECT_EQ(address.size(), 7u);
    EXPECT_TRUE(address["city"].is_string());
    EXPECT_EQ(address["postal_code"].get<std::string>().size(), 5u);
    const Json tags = Json::parse(col("tags").Bytes(r));
    ASSERT_TRUE(tags.is_array());
    EXPECT_LE(tags.size(), 4u);
    for (const auto& t : tags) EXPECT_TRUE(t.is_string());
    EXPECT_EQ(b.column(0).null_count(), 0u);
  }
  // Purchases: references stay inside their streams; returned implies purchased.
  for (const auto& batch : out.batches) {
    if (batch.stream() != 2) continue;
    const Schema& ps = batch.schema();
    auto pcol = [&](const char* name) -> const Column& { return batch.column(static_cast<size_t>(ps.IndexOf(name))); };
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      EXPECT_GE(pcol("user_id").Int64(r), 1);
      EXPECT_LE(pcol("user_id").Int64(r), 200);
      EXPECT_GE(pcol("product_id").Int64(r), 1);
      EXPECT_LE(pcol("product_id").Int64(r), 100);
      if (!pcol("returned_at").IsNull(r)) {
        ASSERT_FALSE(pcol("purchased_at").IsNull(r));
        EXPECT_GT(pcol("returned_at").Int64(r), pcol("purchased_at").Int64(r));
      }
      EXPECT_FALSE(pcol("added_to_cart_at").IsNull(r) && pcol("purchased_at").IsNull(r));
      EXPECT_LT(pcol("created_at").Int64(r), pcol("updated_at").Int64(r));
    }
  }
}

TEST(FakerSourceTest, TimestampsGrowStrictlyWithId) {
  auto out = ReadAll(Config(3000, 3), Configure(kAll, SyncMode::kFullRefresh));
  for (uint32_t s = 0; s < 3; ++s) {
    const auto created = out.Ints(s, "created_at");
    const auto updated = out.Ints(s, "updated_at");
    ASSERT_EQ(created.size(), updated.size());
    ASSERT_FALSE(created.empty());
    for (size_t i = 0; i < created.size(); ++i) {
      EXPECT_LT(created[i], updated[i]);
      if (i > 0) {
        ASSERT_LT(created[i - 1], created[i]) << kAll[s] << " row " << i;
        ASSERT_LT(updated[i - 1], updated[i]) << kAll[s] << " row " << i;
      }
    }
    EXPECT_GE(created[0], 1546300800LL * kMicrosPerSecond);  // from 2019 on
  }
  // Purchases come in user order.
  const auto users = out.Ints(2, "user_id");
  for (size_t i = 1; i < users.size(); ++i) ASSERT_LE(users[i - 1], users[i]);
}

TEST(FakerSourceTest, StatesFollowSlicesAndCoverEmittedBatches) {
  auto out = ReadAll(Config(2500, 0, /*records_per_slice=*/1000), Configure({"users"}));
  // STARTED, RUNNING, ... COMPLETE.
  ASSERT_EQ(out.statuses.size(), 3u);
  EXPECT_EQ(out.statuses[0].second, StreamStatus::kStarted);
  EXPECT_EQ(out.statuses[1].second, StreamStatus::kRunning);
  EXPECT_EQ(out.statuses[2].second, StreamStatus::kComplete);
  ASSERT_EQ(out.states.size(), 3u);
  // Each state comes right after the batches holding exactly the records it covers.
  size_t rows = 0;
  std::vector<size_t> rows_at_state;
  for (const auto& e : out.events) {
    if (e.kind == CollectingEmitter::Event::kBatch) rows += out.batches[e.index].num_rows();
    if (e.kind == CollectingEmitter::Event::kState) rows_at_state.push_back(rows);
  }
  EXPECT_EQ(rows_at_state, (std::vector<size_t>{1000, 2000, 2500}));
  const auto updated = out.Ints(0, "updated_at");
  for (size_t i = 0; i < 3; ++i) {
    const StateMessage& st = out.states[i];
    EXPECT_EQ(st.type, StateType::kStream);
    EXPECT_EQ(st.stream.descriptor.name, "users");
    EXPECT_FALSE(st.stream.descriptor.namespace_.has_value());
    std::string expected;
    AppendTimestamp(expected, updated[rows_at_state[i] - 1], true);
    EXPECT_EQ(CursorText(st), expected);
  }
  for (const auto& b : out.batches) EXPECT_LE(b.num_rows(), 16384u);
}

TEST(FakerSourceTest, BigSlicesStillCapBatches) {
  auto out = ReadAll(Config(40000, 0, /*records_per_slice=*/1000000), Configure({"users"}));
  EXPECT_EQ(out.RowCount(0), 40000u);
  EXPECT_GE(out.batches.size(), 3u);
  for (const auto& b : out.batches) {
    EXPECT_LE(b.num_rows(), 16384u);
    EXPECT_LE(b.ByteSize(), size_t{5} << 20);
  }
  EXPECT_EQ(out.states.size(), 1u);
}

TEST(FakerSourceTest, IncrementalReadEmitsOnlyNewRecords) {
  const auto catalog = Configure(kAll);
  auto first = ReadAll(Config(1000), catalog);
  EXPECT_EQ(first.RowCount(0), 1000u);
  const auto purchases_before = static_cast<int64_t>(first.RowCount(2));

  // The same config again: nothing new, the cursors stay.
  auto again = ReadAll(Config(1000), catalog, first.store);
  EXPECT_EQ(again.RowCount(0), 0u);
  EXPECT_EQ(again.RowCount(1), 0u);
  EXPECT_EQ(again.RowCount(2), 0u);
  for (const auto& name : kAll) {
    ASSERT_NE(again.store.Find({name, std::nullopt}), nullptr);
    EXPECT_EQ(*again.store.Find({name, std::nullopt}), *first.store.Find({name, std::nullopt})) << name;
  }

  // More users: exactly the new users and their purchases.
  auto grown = ReadAll(Config(1500), catalog, first.store);
  const auto user_ids = grown.Ints(0, "id");
  ASSERT_EQ(user_ids.size(), 500u);
  EXPECT_EQ(user_ids.front(), 1001);
  EXPECT_EQ(user_ids.back(), 1500);
  EXPECT_EQ(grown.RowCount(1), 0u);
  const auto purchase_ids = grown.Ints(2, "id");
  ASSERT_EQ(static_cast<int64_t>(purchase_ids.size()), ExpectedPurchases(1500) - purchases_before);
  EXPECT_EQ(purchase_ids.front(), purchases_before + 1);
  for (int64_t uid : grown.Ints(2, "user_id")) EXPECT_GT(uid, 1000);
  // The new rows equal those of a full read of 1500 users.
  auto full = ReadAll(Config(1500), Configure(kAll, SyncMode::kFullRefresh));
  const auto full_users = full.Rows(0);
  const auto grown_users = grown.Rows(0);
  EXPECT_TRUE(std::equal(grown_users.begin(), grown_users.end(), full_users.begin() + 1000));
}

TEST(FakerSourceTest, FullRefreshIgnoresSavedState) {
  auto first = ReadAll(Config(100), Configure(kAll));
  auto full = ReadAll(Config(100), Configure(kAll, SyncMode::kFullRefresh), first.store);
  EXPECT_EQ(full.RowCount(0), 100u);
  EXPECT_EQ(full.RowCount(1), 100u);
  EXPECT_FALSE(full.states.empty());
}

TEST(FakerSourceTest, AlwaysUpdatedReemitsEverythingWithNewerCursors) {
  const auto catalog = Configure({"users", "products"});
  auto first = ReadAll(Config(300, 0, 1000, /*always_updated=*/true), catalog);
  auto second = ReadAll(Config(300, 0, 1000, true), catalog, first.store);
  EXPECT_EQ(second.RowCount(0), 300u);
  EXPECT_EQ(second.RowCount(1), 100u);
  const auto before = first.Ints(0, "updated_at");
  const auto after = second.Ints(0, "updated_at");
  EXPECT_GT(after.front(), before.back());
  for (size_t i = 1; i < after.size(); ++i) ASSERT_LT(after[i - 1], after[i]);
  // Only updated_at changes.
  EXPECT_EQ(first.Ints(0, "created_at"), second.Ints(0, "created_at"));
}

TEST(FakerSourceTest, SubsetAndReorderedCatalogGetsTheSameValues) {
  auto full = ReadAll(Config(50), Configure({"users"}, SyncMode::kFullRefresh));

  ConfiguredCatalog catalog;
  ConfiguredStream s;
  s.stream.name = "users";
  s.stream.json_schema = Json::parse(R"({"type":"object","properties":{
      "email":{"type":"string"},
      "id":{"type":"integer"},
      "favourite_colour":{"type":"string"},
      "age":{"type":"string"},
      "created_at":{"type":"string"},
      "height":{"type":"integer"},
      "address":{"type":"string"}}})");
  s.sync_mode = SyncMode::kFullRefresh;
  catalog.streams.push_back(s);
  ASSERT_TRUE(catalog.Bind().ok());
  auto subset = ReadAll(Config(50), catalog);
  ASSERT_EQ(subset.RowCount(0), 50u);
  const RecordBatch& a = full.batches.at(0);
  const RecordBatch& b = subset.batches.at(0);
  auto fa = [&](const char* n) -> const Column& { return a.column(static_cast<size_t>(a.schema().IndexOf(n))); };
  auto fb = [&](const char* n) -> const Column& { return b.column(static_cast<size_t>(b.schema().IndexOf(n))); };
  for (size_t r = 0; r < 50; ++r) {
    EXPECT_EQ(fb("email").Bytes(r), fa("email").Bytes(r));
    EXPECT_EQ(fb("id").Int64(r), static_cast<int64_t>(r + 1));
    EXPECT_TRUE(fb("favourite_colour").IsNull(r));
    EXPECT_EQ(fb("age").Bytes(r), std::to_string(fa("age").Int64(r)));
    std::string ts;
    AppendTimestamp(ts, fa("created_at").Int64(r), true);
    EXPECT_EQ(fb("created_at").Bytes(r), ts);
    EXPECT_EQ(fb("height").Int64(r), static_cast<int64_t>(std::llround(fa("height").Double(r))));
    EXPECT_EQ(fb("address").Bytes(r), fa("address").Bytes(r));
  }
}

TEST(FakerSourceTest, StreamsReadInCatalogOrderWithTheirIndex) {
  auto out = ReadAll(Config(10), Configure({"purchases", "users"}, SyncMode::kFullRefresh));
  EXPECT_EQ(out.RowCount(1), 10u);
  EXPECT_EQ(static_cast<int64_t>(out.RowCount(0)), ExpectedPurchases(10));
  ASSERT_EQ(out.statuses.size(), 6u);
  EXPECT_EQ(out.statuses[0].first, 0u);
  EXPECT_EQ(out.statuses[5].first, 1u);
  EXPECT_EQ(out.states.back().stream.descriptor.name, "users");
}

TEST(FakerSourceTest, UnknownStreamIsAConfigError) {
  ConfiguredCatalog catalog = Configure({"users"});
  catalog.streams[0].stream.name = "orders";
  CollectingEmitter out;
  Status st = MakeFakerSource()->Read(Config(10), catalog, {}, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("orders"), std::string::npos);
  EXPECT_TRUE(out.events.empty());
}

TEST(FakerSourceTest, BadSavedCursorIsAConfigError) {
  StateMessage m;
  m.stream.descriptor = {"users", std::nullopt};
  m.stream.stream_state = Json{{"updated_at", "yesterday"}};
  StateStore state;
  state.Apply(m);
  CollectingEmitter out;
  Status st = MakeFakerSource()->Read(Config(10), Configure({"users"}), state, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find("updated_at"), std::string::npos) << st.message();
}

TEST(FakerSourceTest, CancelledEmitterStopsTheRead) {
  CollectingEmitter out;
  out.cancel_after_batches = 2;
  Status st = MakeFakerSource()->Read(Config(1'000'000), Configure(kAll), {}, out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.cancelled());
  EXPECT_LE(out.batches.size(), 3u);

  CollectingEmitter failing;
  failing.fail_emit = true;
  st = MakeFakerSource()->Read(Config(1'000'000), Configure(kAll), {}, failing);
  EXPECT_TRUE(st.cancelled());
  EXPECT_TRUE(failing.batches.empty());
  EXPECT_TRUE(failing.states.empty());
}

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

// Not asserted: prints rows/s of the users stream into a discarding emitter, per wall-clock
// second and per CPU second of this thread (the machine may be shared).
TEST(FakerSourceTest, UsersThroughput) {
  const int64_t count = 2'000'000;
  for (int64_t slice : {int64_t{1000}, int64_t{1'000'000}}) {
    DiscardingEmitter out;
    const auto catalog = Configure({"users"}, SyncMode::kFullRefresh);
    const int64_t start = MonotonicMicros();
    const double cpu_start = ThreadCpuSeconds();
    Status st = MakeFakerSource()->Read(Config(count, 0, slice), catalog, {}, out);
    const double cpu = ThreadCpuSeconds() - cpu_start;
    const double wall = static_cast<double>(MonotonicMicros() - start) / 1e6;
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_EQ(out.rows, static_cast<size_t>(count));
    std::printf("[ perf     ] users, records_per_slice=%lld: %.2f M rows/s/core (CPU), %.2f M rows/s (wall), %zu states\n",
                static_cast<long long>(slice), static_cast<double>(count) / cpu / 1e6,
                static_cast<double>(count) / wall / 1e6, out.states);
  }
}

}  // namespace
}  // namespace sluice
