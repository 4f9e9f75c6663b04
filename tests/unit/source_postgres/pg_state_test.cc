// source-postgres state blobs, the xmin wraparound filter, the type mapping and the config.
#include "connectors/sources/postgres/pg_state.h"

#include <gtest/gtest.h>

#include "protocol/config_validator.h"
#include "connectors/sources/postgres/pg_discover.h"
#include "connectors/sources/postgres/pg_source_config.h"
#include "connectors/sources/postgres/pg_types.h"

namespace sluice {
namespace {

using pgbin::Decoder;

// The cursor state is the SQL toolkit's (sql_state.h); source-postgres's saved states still parse.
TEST(PgState, CursorRoundTrip) {
  SqlCursorState s{{"updated_at"}, std::string("2024-01-01T00:00:00+00"), 3};
  const Json j = CursorStateJson("orders", std::string("public"), s);
  EXPECT_EQ(j["state_type"], "cursor_based");
  EXPECT_EQ(j["stream_namespace"], "public");
  EXPECT_EQ(j["cursor_record_count"], 3);
  auto parsed = ParseCursorState(&j);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->cursor_field, std::vector<std::string>{"updated_at"});
  EXPECT_EQ(*parsed->cursor, "2024-01-01T00:00:00+00");
  EXPECT_EQ(parsed->record_count, 3u);
  // Airbyte's numeric cursors may be JSON numbers.
  const Json airbyte = Json::parse(R"({"state_type":"cursor_based","cursor_field":["id"],"cursor":42})");
  EXPECT_EQ(*ParseCursorState(&airbyte)->cursor, "42");
  EXPECT_FALSE(ParseCursorState(nullptr));
  const Json other = Json::parse(R"({"state_type":"xmin"})");
  EXPECT_FALSE(ParseCursorState(&other));
}

TEST(PgState, CtidPositions) {
  const Json j = CtidStateJson({16384, 99});
  EXPECT_EQ(j["ctid"], "(16384,0)");
  auto p = ParseFullRefreshPosition(&j);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->page, 16384u);
  EXPECT_EQ(p->filenode, 99u);
  const Json done = FullRefreshCompleteJson();
  EXPECT_FALSE(ParseFullRefreshPosition(&done));
  EXPECT_FALSE(j.contains("completed_filenodes"));
  // A partitioned table's position also names the partitions already read.
  const Json partitioned = CtidStateJson({3, 120, {100, 110}});
  EXPECT_EQ(partitioned["completed_filenodes"], Json::array({100, 110}));
  auto pp = ParseFullRefreshPosition(&partitioned);
  ASSERT_TRUE(pp);
  EXPECT_EQ(pp->filenode, 120u);
  EXPECT_EQ(pp->completed_filenodes, (std::vector<uint32_t>{100, 110}));
  const Json bad = Json::parse(R"j({"state_type":"ctid","ctid":"(1,0)","relation_filenode":5,"completed_filenodes":"x"})j");
  EXPECT_FALSE(ParseFullRefreshPosition(&bad));
  EXPECT_EQ(ParseCtidPage("(7,12)"), 7u);
  EXPECT_FALSE(ParseCtidPage("(7)"));
  EXPECT_FALSE(ParseCtidPage("7,0"));
}

TEST(PgState, XminShapes) {
  PgXminState s;
  s.raw = (uint64_t{1} << 32) | 812;
  const Json j = XminStateJson(s);
  EXPECT_EQ(j["xmin_xid_value"], 812);
  EXPECT_EQ(j["num_wraparound"], 1);
  EXPECT_EQ(j["xmin_raw_value"], (uint64_t{1} << 32) | 812);
  EXPECT_FALSE(j.contains("ctid"));
  auto parsed = ParseXminState(&j);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed->raw, *s.raw);
  EXPECT_FALSE(parsed->position);
  // Airbyte's states without the raw value.
  const Json airbyte = Json::parse(R"({"state_type":"xmin","xmin_xid_value":5,"num_wraparound":2,"version":2})");
  EXPECT_EQ(*ParseXminState(&airbyte)->raw, (uint64_t{2} << 32) | 5);
  // In progress.
  s.position = PgCtidPosition{10, 77};
  s.snapshot_raw = 900;
  const Json progress = XminStateJson(s);
  auto p = ParseXminState(&progress);
  ASSERT_TRUE(p && p->position);
  EXPECT_EQ(p->position->page, 10u);
  EXPECT_EQ(*p->snapshot_raw, 900u);
  s.position->completed_filenodes = {70};
  const Json partitioned = XminStateJson(s);
  EXPECT_EQ(ParseXminState(&partitioned)->position->completed_filenodes, std::vector<uint32_t>{70});
}

TEST(PgState, XminFilterHandlesWraparound) {
  EXPECT_EQ(XminFilterSql(std::nullopt, 1000), "");
  EXPECT_EQ(XminFilterSql(700, 1000), "(xmin::text::bigint >= 700 AND xmin::text::bigint < 1000)");
  // After a wraparound, within the new epoch: the previous epoch's large raw xids are excluded.
  EXPECT_EQ(XminFilterSql((uint64_t{1} << 32) | 300, (uint64_t{1} << 32) | 900),
            "(xmin::text::bigint >= 300 AND xmin::text::bigint < 900)");
  const uint64_t before = 4294967000ull;                 // epoch 0, near the end
  const uint64_t after = (uint64_t{1} << 32) | 300;       // epoch 1
  EXPECT_EQ(XminFilterSql(before, after), "(xmin::text::bigint >= 4294967000 OR xmin::text::bigint < 300)");
  EXPECT_EQ(XminFilterSql(before, (uint64_t{2} << 32) | 5), "");  // wrapped twice: read everything
}

TEST(PgTypes, NumericModifiers) {
  int p = 0, s = 0;
  EXPECT_FALSE(NumericPrecisionScale(-1, p, s));
  ASSERT_TRUE(NumericPrecisionScale(((10 << 16) | 2) + 4, p, s));
  EXPECT_EQ(p, 10);
  EXPECT_EQ(s, 2);
  // numeric(5,-2): integers rounded to hundreds, up to 7 digits.
  ASSERT_TRUE(NumericPrecisionScale(((5 << 16) | (-2 & 0x7FF)) + 4, p, s));
  EXPECT_EQ(p, 7);
  EXPECT_EQ(s, 0);
  // numeric(3,5): 0.00xxx.
  ASSERT_TRUE(NumericPrecisionScale(((3 << 16) | 5) + 4, p, s));
  EXPECT_EQ(p, 5);
  EXPECT_EQ(s, 5);
}

TEST(PgTypes, DomainsEnumsAndArrays) {
  PgTypeCatalog types;
  types.Add(1700, {'b', 'N', 0, -1, 0, -1});
  types.Add(1231, {'b', 'A', 0, -1, 1700, -1});            // numeric[]
  types.Add(1186, {'b', 'T', 0, -1, 0, 16});               // interval
  types.Add(1187, {'b', 'A', 0, -1, 1186, -1});            // interval[]
  types.Add(50000, {'d', 'N', 1700, ((12 << 16) | 3) + 4, 0, -1});  // domain money12 as numeric(12,3)
  types.Add(50001, {'d', 'N', 50000, -1, 0, -1});          // a domain over the domain
  types.Add(50002, {'e', 'E', 0, -1, 0, 4});               // an enum
  types.Add(50003, {'b', 'A', 0, -1, 50002, -1});          // its array

  PgColumnType t = types.Resolve(50001, -1);
  EXPECT_EQ(t.type, TypeId::kDecimal);
  EXPECT_EQ(t.precision, 12);
  EXPECT_EQ(t.scale, 3);
  EXPECT_EQ(t.JsonSchema(true)["precision"], 12);
  EXPECT_EQ(t.JsonSchema(true)["airbyte_type"], "big_number");

  t = types.Resolve(50002, -1);
  EXPECT_EQ(t.type, TypeId::kString);
  EXPECT_EQ(t.decoder, Decoder::kText);
  EXPECT_TRUE(t.cast.empty());
  EXPECT_TRUE(t.cursor_ok);

  t = types.Resolve(1186, -1);
  EXPECT_EQ(t.type, TypeId::kString);
  EXPECT_EQ(t.cast, "::text");
  EXPECT_FALSE(t.cursor_ok);

  t = types.Resolve(1187, -1);
  EXPECT_EQ(t.type, TypeId::kJson);
  EXPECT_EQ(t.decoder, Decoder::kArray);
  EXPECT_EQ(t.element, Decoder::kText);
  EXPECT_EQ(t.cast, "::text[]");
  const Json schema = t.JsonSchema(false);
  EXPECT_EQ(schema["type"], "array");
  EXPECT_EQ(schema["items"]["type"], Json::array({"null", "string"}));

  t = types.Resolve(1231, -1);
  EXPECT_EQ(t.element, Decoder::kNumeric);
  EXPECT_TRUE(t.cast.empty());
  EXPECT_EQ(types.Resolve(50003, -1).element, Decoder::kText);
  // Unknown types are read as text.
  EXPECT_EQ(types.Resolve(99999, -1).cast, "::text");
  EXPECT_EQ(types.Resolve(1184, -1).type, TypeId::kTimestampTz);
  EXPECT_EQ(types.Resolve(2950, -1).JsonSchema(true)["format"], "uuid");
}

TEST(PgSourceConfig, SpecDefaultsAndParsing) {
  const Json spec = PgSourceSpecJson();
  auto prepared = PrepareConfig(spec, Json{{"host", "db"}, {"port", 5432}, {"database", "d"}, {"username", "u"}},
                                "config");
  ASSERT_TRUE(prepared.ok()) << prepared.status().message();
  EXPECT_EQ((*prepared)["schemas"], Json::array({"public"}));
  EXPECT_EQ((*prepared)["replication_method"]["method"], "Standard");
  auto parsed = ParsePgSourceConfig(*prepared);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->max_parallel_streams, 2);
  EXPECT_EQ(parsed->chunk_size_mb, 128);
  EXPECT_EQ(parsed->replication, ReplicationMethod::kStandard);

  Json xmin = *prepared;
  xmin["replication_method"] = {{"method", "Xmin"}};
  xmin["schemas"] = Json::array();
  ASSERT_TRUE(PrepareConfig(spec, xmin, "config").ok());
  parsed = ParsePgSourceConfig(xmin);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->replication, ReplicationMethod::kXmin);
  EXPECT_TRUE(parsed->schemas.empty());

  Json unknown = *prepared;
  unknown["tunnel"] = true;
  EXPECT_FALSE(PrepareConfig(spec, unknown, "config").ok());
  Json cdc = *prepared;
  cdc["replication_method"] = {{"method", "CDC"}};
  auto rejected = ParsePgSourceConfig(cdc);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.status().failure_type(), FailureType::kConfig);
}

TEST(PgDiscover, StreamShapes) {
  PgTable t;
  t.schema = "shop";
  t.name = "orders";
  t.relkind = 'r';
  PgColumn id;
  id.name = "id";
  id.nullable = false;
  PgColumnType integer;
  integer.type = TypeId::kInteger;
  integer.cursor_ok = true;
  id.SetPgType(integer);
  PgColumn tags;
  tags.name = "tags";
  PgColumnType array;
  array.type = TypeId::kJson;
  array.decoder = Decoder::kArray;
  tags.SetPgType(array);
  t.columns = {id, tags};
  t.primary_key = {"id"};
  AirbyteStream s = StreamForTable(t, ReplicationMethod::kStandard, 150000);
  EXPECT_EQ(s.namespace_, "shop");
  EXPECT_EQ(s.json_schema["properties"]["id"]["type"], "integer");
  EXPECT_EQ(s.source_defined_primary_key, std::vector<FieldPath>{{"id"}});
  EXPECT_EQ(s.supported_sync_modes.size(), 2u);
  EXPECT_TRUE(*s.is_resumable);
  EXPECT_FALSE(*s.source_defined_cursor);
  EXPECT_EQ(s.extra["cursor_candidates"], Json::array({Json::array({"id"})}));
  EXPECT_FALSE(*StreamForTable(t, ReplicationMethod::kStandard, 130000).is_resumable);

  t.relkind = 'v';
  s = StreamForTable(t, ReplicationMethod::kXmin, 150000);
  EXPECT_EQ(s.supported_sync_modes, std::vector<SyncMode>{SyncMode::kFullRefresh});
  EXPECT_FALSE(*s.is_resumable);
  t.relkind = 'r';
  s = StreamForTable(t, ReplicationMethod::kXmin, 150000);
  EXPECT_TRUE(*s.source_defined_cursor);
}

}  // namespace
}  // namespace sluice
