#include "connectors/sources/file/file_source.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include "base/time.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::ColumnTypes;
using testing::CollectingEmitter;
using testing::DiscoverAndRead;
using testing::TempDir;
using Strings = std::vector<std::string>;

Json OneStream(Json stream, Json extra = Json::object()) {
  Json config = {{"streams", Json::array({std::move(stream)})}};
  for (auto& [k, v] : extra.items()) config[k] = v;
  return config;
}

std::string Gzip(const std::string& data) {
  uLongf size = compressBound(static_cast<uLong>(data.size())) + 32;
  std::string out(size, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

TEST(FileSourceTest, SpecDescribesTheConfig) {
  const Json spec = MakeFileSource()->Spec().connection_specification;
  EXPECT_EQ(spec["additionalProperties"], false);
  EXPECT_FALSE(spec.contains("required"));  // streams, or Airbyte's dataset_name + url
  for (const char* key : {"dataset_name", "format", "url", "reader_options", "provider"}) {
    EXPECT_TRUE(spec["properties"].contains(key)) << key;
  }
  // The spec says which of Airbyte's formats and storages sluice does not read.
  EXPECT_NE(spec["properties"]["format"]["description"].get<std::string>().find("excel"), std::string::npos);
  EXPECT_NE(spec["properties"]["provider"]["properties"]["storage"]["description"].get<std::string>().find("SFTP"),
            std::string::npos);
  const Json& item = spec["properties"]["streams"]["items"];
  EXPECT_EQ(item["additionalProperties"], false);
  for (const char* key : {"name", "path", "glob", "format", "csv", "schema", "primary_key", "on_error"}) {
    EXPECT_TRUE(item["properties"].contains(key)) << key;
    EXPECT_TRUE(item["properties"][key].contains("description")) << key;
  }
  EXPECT_EQ(item["properties"]["schema"]["additionalProperties"]["enum"][0], "boolean");
  EXPECT_EQ(spec["properties"]["infer_rows"]["default"], 10000);
}

TEST(FileSourceTest, InfersCsvTypesWithWidening) {
  TempDir dir;
  const std::string path = dir.Write("types.csv",
                                     "flag,count,price,day,at,local,when,mixed,code,empty\n"
                                     "true,1,1,2024-01-02,2024-01-02T03:04:05Z,2024-01-02 03:04:05,2024-01-02,1,007,\n"
                                     "FALSE,-20,2.5,2024-12-31,2024-01-02T03:04:05+02:00,2024-01-02T03:04:05.5,2024-01-02T10:00:00,x,008,\n"
                                     ",,,,,,,,,\n"
                                     "True,9223372036854775807,1e3,1999-02-28,2024-01-02 03:04:05-0530,2024-01-02 03:04,2024-01-03,2.5,010,\n");
  auto catalog = MakeFileSource()->Discover(OneStream({{"name", "t"}, {"path", path}}));
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->streams.size(), 1u);
  const AirbyteStream& s = catalog->streams[0];
  EXPECT_EQ(s.name, "t");
  EXPECT_FALSE(s.namespace_.has_value());
  EXPECT_EQ(s.supported_sync_modes, std::vector<SyncMode>{SyncMode::kFullRefresh});
  EXPECT_EQ(ColumnTypes(s), (Strings{"flag:boolean", "count:integer", "price:number", "day:date",
                                     "at:timestamp_with_timezone", "local:timestamp_without_timezone",
                                     "when:timestamp_without_timezone", "mixed:string", "code:string",
                                     "empty:string"}));
}

TEST(FileSourceTest, ReadsTypedCsvValues) {
  TempDir dir;
  const std::string path = dir.Write("orders.csv",
                                     "id,name,price,paid,day,at\r\n"
                                     "1,\"Smith, J.\",9.5,true,2024-01-02,2024-01-02T03:04:05+01:00\r\n"
                                     "2,,,,,\r\n"
                                     "+3,\"multi\nline\",-1e2,False,1970-01-01,2024-01-02 00:00:00Z\r\n");
  CollectingEmitter out;
  Catalog catalog;
  Status st = DiscoverAndRead(OneStream({{"name", "orders"}, {"path", path}}), out, &catalog);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ColumnTypes(catalog.streams[0]),
            (Strings{"id:integer", "name:string", "price:number", "paid:boolean", "day:date",
                     "at:timestamp_with_timezone"}));
  const auto rows = out.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], Json::parse(R"({"id":1,"name":"Smith, J.","price":9.5,"paid":true,"day":"2024-01-02",
                                    "at":"2024-01-02T02:04:05Z"})"));
  EXPECT_EQ(rows[1], Json::parse(R"({"id":2,"name":null,"price":null,"paid":null,"day":null,"at":null})"));
  EXPECT_EQ(rows[2], Json::parse(R"({"id":3,"name":"multi\nline","price":-100.0,"paid":false,"day":"1970-01-01",
                                    "at":"2024-01-02T00:00:00Z"})"));
  // STARTED, RUNNING, COMPLETE, and a final state.
  ASSERT_EQ(out.statuses.size(), 3u);
  EXPECT_EQ(out.statuses[0].second, StreamStatus::kStarted);
  EXPECT_EQ(out.statuses[1].second, StreamStatus::kRunning);
  EXPECT_EQ(out.statuses[2].second, StreamStatus::kComplete);
  ASSERT_EQ(out.states.size(), 1u);
  EXPECT_EQ(out.states[0].type, StateType::kStream);
  EXPECT_EQ(out.states[0].stream.descriptor.name, "orders");
  EXPECT_EQ(out.states[0].stream.stream_state["files_read"], 1);
  for (const auto& b : out.batches) EXPECT_GT(b.emitted_at_ms(), 0);
}

TEST(FileSourceTest, DateAndTimestampLayouts) {
  const std::vector<std::string> timestamps = {
      "2024-02-29T23:59:59",        "2024-02-29 23:59:60.1234567Z", "1999-12-31T24:00:00",
      "2024-01-01T00:00:00.5",      "2024-01-01T00:00:00+02:00",    "2024-01-01t00:00:00",
      "2024-01-01",                 "1900-03-01 12:30",             "0001-01-01T00:00:00Z",
      "2024-06-30T12:00:00.000001", "12345-01-01T00:00:00",         "2000-02-29T01:02:03Z"};
  const std::vector<std::string> bad = {"2023-02-29T00:00:00", "2024-13-01 00:00:00", "2024-01-01T25:00:00",
                                        "2024-01-01T00:00:00.", "2024-01-01T00:00:00ZZ", "2024-01-01X00:00:00"};
  TempDir dir;
  std::string csv = "ts,day\n";
  for (const auto& t : timestamps) csv += t + "," + t.substr(0, t.find_first_of("T t")) + "\n";
  const std::string path = dir.Write("t.csv", csv);
  const Json schema = {{"ts", "timestamp_with_timezone"}, {"day", "date"}};
  CollectingEmitter out;
  Status st = DiscoverAndRead(OneStream({{"name", "t"}, {"path", path}, {"schema", schema}}), out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(out.batches.size(), 1u);
  const RecordBatch& b = out.batches[0];
  ASSERT_EQ(b.num_rows(), timestamps.size());
  for (size_t i = 0; i < timestamps.size(); ++i) {
    EXPECT_EQ(b.column(0).Int64(i), *ParseTimestamp(timestamps[i])) << timestamps[i];
    EXPECT_EQ(b.column(1).Int32(i), *ParseDate(timestamps[i].substr(0, timestamps[i].find_first_of("T t"))))
        << timestamps[i];
  }
  for (const auto& t : bad) {
    ASSERT_FALSE(ParseTimestamp(t).has_value()) << t;
    const std::string p = dir.Write("bad.csv", "ts\n" + t + "\n");
    CollectingEmitter ignored;
    st = DiscoverAndRead(OneStream({{"name", "t"}, {"path", p}, {"schema", {{"ts", "timestamp"}}}}), ignored);
    ASSERT_FALSE(st.ok()) << t;
    EXPECT_EQ(st.message(), "file " + p + " line 2 column 'ts': '" + t + "' is not a timestamp");
  }
}

TEST(FileSourceTest, GivenSchemaIsUsedAndBadValuesNameLineAndColumn) {
  TempDir dir;
  const std::string path = dir.Write("p.csv", "id,price,note,ignored\n1,10,a,x\n2,20,\"multi\nline\",y\n3,abc,c,z\n");
  const Json schema = {{"id", "integer"}, {"note", "string"}, {"price", "number"}};
  Json config = OneStream({{"name", "p"}, {"path", path}, {"schema", schema}, {"primary_key", {"id"}}});
  auto catalog = MakeFileSource()->Discover(config);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ(ColumnTypes(catalog->streams[0]), (Strings{"id:integer", "note:string", "price:number"}));
  EXPECT_EQ(catalog->streams[0].source_defined_primary_key, (std::vector<FieldPath>{{"id"}}));
  CollectingEmitter out;
  Status st = DiscoverAndRead(config, out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_EQ(st.message(), "file " + path + " line 5 column 'price': 'abc' is not a number");
  EXPECT_EQ(out.statuses.back().second, StreamStatus::kIncomplete);
}

TEST(FileSourceTest, SkipModeCountsMalformedRows) {
  TempDir dir;
  const std::string path = dir.Write("s.csv", "id,price\n1,1.5\n2,abc\n3\n4,4\n5,5,5\n6,\xFF\n7,7\n");
  CollectingEmitter out;
  std::vector<std::string> warnings;
  SetLogSink([&](LogLevel level, std::string_view text) {
    if (level == LogLevel::kWarn) warnings.emplace_back(text);
  });
  Status st = DiscoverAndRead(
      OneStream({{"name", "s"}, {"path", path}, {"on_error", "skip"}, {"schema", {{"id", "integer"}, {"price", "number"}}}}),
      out);
  SetLogSink(nullptr);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "stream 's': skipped 4 malformed rows (first at " + path + ":3, " + path + ":4, " + path +
                             ":6, " + path + ":7)");
  const auto rows = out.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["id"], 1);
  EXPECT_EQ(rows[1]["id"], 4);
  EXPECT_EQ(rows[2]["id"], 7);
}

TEST(FileSourceTest, GlobReadsEveryFileInOrderAsOneStream) {
  TempDir dir;
  dir.Write("orders/2024-02.csv", "id,amount,extra\n3,30,x\n");
  dir.Write("orders/2024-01.csv", "id,amount,extra\n1,10,a\n2,20.5,b\n");
  dir.Write("orders/2024-03.csv", "amount,id\n40,4\n");  // other order, a missing column
  dir.Write("orders/notes.txt", "not matched");
  CollectingEmitter out;
  Catalog catalog;
  Status st = DiscoverAndRead(OneStream({{"name", "orders"}, {"glob", dir.Path("orders/*.csv")}}), out, &catalog);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ColumnTypes(catalog.streams[0]), (Strings{"id:integer", "amount:number", "extra:string"}));
  const auto rows = out.Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], Json::parse(R"({"id":1,"amount":10.0,"extra":"a"})"));
  EXPECT_EQ(rows[2], Json::parse(R"({"id":3,"amount":30.0,"extra":"x"})"));
  EXPECT_EQ(rows[3], Json::parse(R"({"id":4,"amount":40.0,"extra":null})"));
  EXPECT_EQ(out.states[0].stream.stream_state["files_read"], 3);

  // A later file with a column the first file lacks is an error naming it.
  const std::string bad = dir.Write("orders/2024-04.csv", "id,amount,surprise\n5,50,!\n");
  CollectingEmitter out2;
  st = DiscoverAndRead(OneStream({{"name", "orders"}, {"glob", dir.Path("orders/*.csv")}}), out2);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "file " + bad + ": column 'surprise' is not in the header of the first file (" +
                              dir.Path("orders/2024-01.csv") + ")");
}

TEST(FileSourceTest, CompressedInputs) {
  TempDir dir;
  const std::string csv = "id,name\n1,a\n2,b\n";
  const std::string gz = dir.Write("a.csv.gz", Gzip(csv));
  const std::string zst = dir.Write("b.csv.zst", Zstd(csv));
  const std::string jsonl = dir.Write("c.jsonl.zstd", Zstd("{\"id\":1}\n{\"id\":2}\n"));
  Json config = {{"streams", Json::array({{{"name", "gz"}, {"path", gz}},
                                          {{"name", "zst"}, {"path", zst}},
                                          {{"name", "jsonl"}, {"path", jsonl}}})}};
  ASSERT_TRUE(MakeFileSource()->Check(config).ok());
  CollectingEmitter out;
  Status st = DiscoverAndRead(config, out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out.Rows(0), out.Rows(1));
  EXPECT_EQ(out.Rows(0).size(), 2u);
  EXPECT_EQ(out.Rows(2), (std::vector<Json>{Json{{"id", 1}}, Json{{"id", 2}}}));
}

TEST(FileSourceTest, JsonlWithNestedObjects) {
  TempDir dir;
  const std::string path = dir.Write("events.jsonl",
                                     R"({"id":1,"user":{"name":"a","tags":["x"]},"at":"2024-01-02T03:04:05Z","score":1})" "\n"
                                     "\n"
                                     R"({"id":2,"score":2.5,"items":[1,2],"day":"2024-01-02","flag":true,"user":null})" "\n"
                                     R"({"id":3,"mixed":"a","flag":false})" "\n"
                                     R"({"id":4,"mixed":5})" "\n");
  CollectingEmitter out;
  Catalog catalog;
  Status st = DiscoverAndRead(OneStream({{"name", "events"}, {"path", path}}), out, &catalog);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(ColumnTypes(catalog.streams[0]),
            (Strings{"id:integer", "user:json", "at:timestamp_with_timezone", "score:number", "items:json",
                     "day:date", "flag:boolean", "mixed:string"}));
  const auto rows = out.Rows();
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0]["user"], Json::parse(R"({"name":"a","tags":["x"]})"));
  EXPECT_EQ(rows[0]["at"], "2024-01-02T03:04:05Z");
  EXPECT_EQ(rows[1]["items"], Json::parse("[1,2]"));
  EXPECT_EQ(rows[1]["score"], 2.5);
  EXPECT_EQ(rows[1]["day"], "2024-01-02");
  EXPECT_EQ(rows[2]["mixed"], "a");
  EXPECT_EQ(rows[3]["mixed"], "5");  // a number in a string column keeps its JSON text
}

TEST(FileSourceTest, MalformedJsonLine) {
  TempDir dir;
  const std::string path = dir.Write("bad.ndjson", "{\"id\":1}\n{\"id\":2}\n{\"id\":\n[1]\n{\"id\":5}\n");
  const Json schema = {{"id", "integer"}};
  CollectingEmitter out;
  Status st = DiscoverAndRead(OneStream({{"name", "b"}, {"path", path}, {"schema", schema}}), out);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message().rfind("file " + path + " line 3: ", 0), 0u) << st.message();

  CollectingEmitter skipped;
  st = DiscoverAndRead(OneStream({{"name", "b"}, {"path", path}, {"schema", schema}, {"on_error", "skip"}}), skipped);
  ASSERT_TRUE(st.ok()) << st.ToString();
  const auto rows = skipped.Rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[2]["id"], 5);
}

TEST(FileSourceTest, TsvAndCsvOptions) {
  TempDir dir;
  const std::string tsv = dir.Write("a.tsv", "id\tname\n1\tx,y\n");
  const std::string semi = dir.Write("b.csv", "title line\nid;name\n1;'it''s'\n2;NULL\n");
  Json config = {{"streams", Json::array({{{"name", "tsv"}, {"path", tsv}},
                                          {{"name", "semi"},
                                           {"path", semi},
                                           {"csv",
                                            {{"delimiter", ";"},
                                             {"quote_char", "'"},
                                             {"skip_rows_before_header", 1},
                                             {"null_values", {"NULL"}}}}}})}};
  CollectingEmitter out;
  Status st = DiscoverAndRead(config, out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out.Rows(0), (std::vector<Json>{Json{{"id", 1}, {"name", "x,y"}}}));
  EXPECT_EQ(out.Rows(1), (std::vector<Json>{Json{{"id", 1}, {"name", "it's"}}, Json{{"id", 2}, {"name", nullptr}}}));
}

TEST(FileSourceTest, NoHeaderWithSchemaNamesColumnsInOrder) {
  TempDir dir;
  const std::string path = dir.Write("n.csv", "1,a\n2,b\n");
  CollectingEmitter out;
  Status st = DiscoverAndRead(OneStream({{"name", "n"},
                                         {"path", path},
                                         {"csv", {{"header", false}}},
                                         {"schema", {{"id", "integer"}, {"label", "string"}}}}),
                              out);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(out.Rows(), (std::vector<Json>{Json{{"id", 1}, {"label", "a"}}, Json{{"id", 2}, {"label", "b"}}}));
}

TEST(FileSourceTest, ReadsOnlySelectedColumns) {
  TempDir dir;
  const std::string path = dir.Write("c.csv", "a,b,c\n1,2,3\n");
  const Json config = OneStream({{"name", "c"}, {"path", path}});
  auto source = MakeFileSource();
  auto catalog = source->Discover(config);
  ASSERT_TRUE(catalog.ok());
  catalog->streams[0].json_schema["properties"].erase("b");
  auto configured = testing::ConfigureAll(*catalog);
  ASSERT_TRUE(configured.ok());
  CollectingEmitter out;
  ASSERT_TRUE(source->Read(config, *configured, StateStore(), out).ok());
  EXPECT_EQ(out.Rows(), (std::vector<Json>{Json{{"a", 1}, {"c", 3}}}));
}

TEST(FileSourceTest, CheckNamesStreamAndPath) {
  TempDir dir;
  const std::string ok = dir.Write("ok.csv", "a\n1\n");
  auto source = MakeFileSource();
  EXPECT_TRUE(source->Check(OneStream({{"name", "ok"}, {"path", ok}})).ok());

  const std::string missing = dir.Path("missing.csv");
  Status st = source->Check(OneStream({{"name", "orders"}, {"path", missing}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_EQ(st.message(), "stream 'orders': cannot open '" + missing + "': No such file or directory");

  st = source->Check(OneStream({{"name", "orders"}, {"glob", dir.Path("*.parquet")}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "stream 'orders': no file matches glob '" + dir.Path("*.parquet") + "'");

  const std::string dat = dir.Write("x.dat", "a\n");
  st = source->Check(OneStream({{"name", "x"}, {"path", dat}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "stream 'x': cannot tell the format of '" + dat + "' from its name; set format to csv, json, jsonl or parquet");
  EXPECT_TRUE(source->Check(OneStream({{"name", "x"}, {"path", dat}, {"format", "csv"}})).ok());

  const std::string latin = dir.Write("l.csv", "a\n");
  st = source->Check(OneStream({{"name", "l"}, {"path", latin}, {"csv", {{"encoding", "latin1"}}}}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("encoding 'latin1' is not supported"), std::string::npos) << st.message();

  st = source->Check(OneStream({{"name", "both"}, {"path", ok}, {"glob", ok}}));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.message(), "streams[0] (stream 'both') has both path and glob; give only one of path, url and glob");

  auto discovered = source->Discover(OneStream({{"name", "missing"}, {"path", missing}}));
  ASSERT_FALSE(discovered.ok());
  EXPECT_NE(discovered.status().message().find("cannot open '" + missing + "'"), std::string::npos);
}

TEST(FileSourceTest, ConfigErrors) {
  TempDir dir;
  const std::string ok = dir.Write("ok.csv", "a\n1\n");
  auto source = MakeFileSource();
  auto r = source->Discover(OneStream({{"name", "s"}, {"path", ok}, {"schema", {{"a", "money"}}}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().rfind("streams[0].schema.a: unknown type \"money\"", 0), 0u) << r.status().message();
  r = source->Discover(OneStream({{"name", "s"}, {"path", ok}, {"primary_key", {"nope"}}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "stream 's': primary_key column 'nope' is not a column of the stream");
  r = source->Discover(OneStream({{"name", "s"}, {"path", ok}, {"csv", {{"delimiter", ";;"}}}}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "streams[0].csv.delimiter must be a single character, got ';;'");
}

// ---- Airbyte source-file's single-file shape -------------------------------------------------

TEST(FileSourceTest, AirbyteSingleFileCsvReadsLikeTheStreamsForm) {
  TempDir dir;
  const std::string path = dir.Write("sales.csv", "# exported\nid;region;amount\n1;north;10.5\n2;NA;7\n");
  const Json config = {{"dataset_name", "sales_data"},
                       {"format", "csv"},
                       {"url", path},
                       {"provider", {{"storage", "local"}}},
                       {"reader_options", R"({"sep": ";", "skiprows": 1})"}};
  CollectingEmitter out;
  Catalog catalog;
  Status st = DiscoverAndRead(config, out, &catalog);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_EQ(catalog.streams.size(), 1u);
  EXPECT_EQ(catalog.streams[0].name, "sales_data");
  EXPECT_EQ(ColumnTypes(catalog.streams[0]), (Strings{"id:integer", "region:string", "amount:number"}));
  const auto rows = out.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["region"], "north");
  EXPECT_EQ(rows[0]["amount"], 10.5);
  EXPECT_TRUE(rows[1]["region"].is_null());  // pandas reads "NA" as missing, and so does sluice here
}

TEST(FileSourceTest, AirbyteJsonFormatReadsArraysObjectsAndLines) {
  TempDir dir;
  const std::string array = dir.Write("a.json", "[\n  {\"id\": 1, \"tags\": [\"x\", \"y\"]},\n  {\"id\": 2, \"note\": \"a ] } , [ \\\" b\"}\n]\n");
  const std::string lines = dir.Write("b.json", "{\"id\": 1}\n{\"id\": 2}{\"id\": 3}\n");
  for (const auto& [path, count] : std::vector<std::pair<std::string, size_t>>{{array, 2}, {lines, 3}}) {
    CollectingEmitter out;
    Status st = DiscoverAndRead({{"dataset_name", "d"}, {"format", "json"}, {"url", path},
                                 {"provider", {{"storage", "local"}}}},
                                out);
    ASSERT_TRUE(st.ok()) << path << ": " << st.ToString();
    const auto rows = out.Rows();
    ASSERT_EQ(rows.size(), count) << path;
    EXPECT_EQ(rows[1]["id"], 2);
  }
  CollectingEmitter out;
  ASSERT_TRUE(DiscoverAndRead({{"dataset_name", "d"}, {"format", "json"}, {"url", array},
                               {"provider", {{"storage", "local"}}}},
                              out)
                  .ok());
  EXPECT_EQ(out.Rows()[0]["tags"], Json::parse(R"(["x","y"])"));
  EXPECT_EQ(out.Rows()[1]["note"], "a ] } , [ \" b");
  // The streams form reads .json files the same way.
  CollectingEmitter own;
  ASSERT_TRUE(DiscoverAndRead(OneStream({{"name", "d"}, {"path", array}}), own).ok());
  EXPECT_EQ(own.Rows().size(), 2u);
}

TEST(FileSourceTest, AirbyteShapeErrorsNameTheKey) {
  TempDir dir;
  const std::string path = dir.Write("x.csv", "a\n1\n");
  auto check = [&](Json config) {
    Status st = MakeFileSource()->Check(config);
    EXPECT_FALSE(st.ok());
    EXPECT_EQ(st.failure_type(), FailureType::kConfig);
    return st.message();
  };
  const Json base = {{"dataset_name", "x"}, {"url", path}, {"provider", {{"storage", "local"}}}};
  auto with = [&](const char* key, Json value) {
    Json c = base;
    c[key] = std::move(value);
    return c;
  };
  EXPECT_EQ(check(with("format", "excel")).rfind("format: 'excel' is an Airbyte source-file format", 0), 0u);
  for (const char* storage : {"GCS", "AzBlob", "SSH", "SCP", "SFTP", "WebHDFS"}) {
    const std::string m = check(with("provider", {{"storage", storage}, {"user", "u"}, {"host", "h"}}));
    EXPECT_EQ(m.rfind(std::string("provider.storage: ") + storage + " is an Airbyte source-file storage", 0), 0u) << m;
  }
  EXPECT_NE(check(with("reader_options", R"({"usecols": [1]})")).find("reader_options.usecols"), std::string::npos);
  EXPECT_NE(check(with("reader_options", "{'sep': ';'}")).find("reader_options: not valid JSON"), std::string::npos);
  EXPECT_NE(check(with("reader_options", R"({"sep": "\\s+"})")).find("reader_options.sep"), std::string::npos);
  EXPECT_NE(check(with("provider", {{"storage", "HTTPS"}})).find("url: does not fit provider.storage HTTPS"),
            std::string::npos);
  Json both = base;
  both["streams"] = Json::array({{{"name", "s"}, {"path", path}}});
  EXPECT_EQ(check(both).rfind("dataset_name: Airbyte's single-file key cannot be used with streams", 0), 0u);
  Json no_url = base;
  no_url.erase("url");
  EXPECT_EQ(check(no_url).rfind("url: required", 0), 0u);
}

}  // namespace
}  // namespace sluice
