#include "connectors/destinations/local/local_destination.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "connectors/destinations/local/local_layout.h"
#include "base/time.h"
#include "formats/parquet/parquet_reader.h"
#include "test_util.h"

namespace sluice {
namespace {

using testing::ListNames;
using testing::MakeCatalog;
using testing::MakeUsersBatch;
using testing::ParseCsv;
using testing::ParseJsonLines;
using testing::ReadFile;
using testing::ReadGzip;
using testing::TempDir;
using testing::VisibleNames;

namespace fs = std::filesystem;

constexpr int64_t kStartMicros = 1709622489123000;  // 2024-03-05T07:08:09.123Z
constexpr int64_t kStartMs = kStartMicros / 1000;

class LocalDestinationTest : public ::testing::Test {
 protected:
  std::unique_ptr<Destination> MakeDestination() {
    return MakeLocalDestinationWithOptions({.now_micros = [this] { return now_micros_; }});
  }
  Json Config(Json extra = Json::object()) {
    Json config = {{"destination_path", root_.path() + "/out"}};
    for (auto& [k, v] : extra.items()) config[k] = v;
    return config;
  }
  std::string Folder(std::string_view relative) { return root_.path() + "/out/" + std::string(relative); }

  //! Begin → Open → Write(batches) with a Flush after each → Finish → End.
  void Run(const Json& config, const ConfiguredCatalog& catalog, const std::vector<RecordBatch>& batches,
           StreamOutcome outcome = StreamOutcome::kComplete) {
    auto dest = MakeDestination();
    SLUICE_ASSERT_OK(dest->Begin(config, catalog));
    std::vector<std::unique_ptr<StreamWriter>> writers;
    for (uint32_t i = 0; i < catalog.streams.size(); ++i) {
      auto w = dest->Open(i);
      ASSERT_TRUE(w.ok()) << w.status().ToString();
      writers.push_back(std::move(*w));
    }
    for (const RecordBatch& b : batches) {
      SLUICE_ASSERT_OK(writers[b.stream()]->Write(b));
      SLUICE_ASSERT_OK(writers[b.stream()]->Flush());
    }
    for (auto& w : writers) SLUICE_ASSERT_OK(w->Finish(outcome));
    SLUICE_ASSERT_OK(dest->End(outcome == StreamOutcome::kComplete));
  }

  //! Every record in the visible data files of a folder, in file order.
  std::vector<Json> ReadRecords(const std::string& folder) {
    std::vector<Json> records;
    for (const std::string& name : VisibleNames(folder)) {
      std::string text;
      if (name.ends_with(".gz")) {
        bool ok = false;
        text = ReadGzip(folder + "/" + name, &ok);
        EXPECT_TRUE(ok) << name;
      } else {
        text = ReadFile(folder + "/" + name);
      }
      for (Json& j : ParseJsonLines(text)) records.push_back(std::move(j));
    }
    return records;
  }

  TempDir root_;
  int64_t now_micros_ = kStartMicros;
};

TEST_F(LocalDestinationTest, JsonlRecordsCarryTheAirbyteColumns) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "public", "append"}}, /*generation_id=*/3, /*sync_id=*/42);
  Run(Config(), catalog, {MakeUsersBatch(catalog, 0, 1, 5)});

  const std::string folder = Folder("public/users");
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{std::to_string(kStartMs) + "_00000.jsonl"});
  std::vector<Json> records = ReadRecords(folder);
  ASSERT_EQ(records.size(), 5u);
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (const Json& r : records) {
    std::vector<std::string> keys;
    for (auto& [k, v] : r.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id",
                                              "_airbyte_meta", "_airbyte_data"}));
    const std::string id = r["_airbyte_raw_id"];
    EXPECT_TRUE(std::regex_match(id, uuid)) << id;
    ids.insert(id);
    EXPECT_EQ(r["_airbyte_extracted_at"], 1700000000123);
    EXPECT_EQ(r["_airbyte_generation_id"], 3);
    EXPECT_EQ(r["_airbyte_meta"]["sync_id"], 42);
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_EQ(records[0]["_airbyte_data"],
            Json::parse(R"({"id":1,"name":"plain","score":1.5,"seen":"2023-11-14T22:13:21Z","doc":{"tags":["a","b"],"n":1}})"));
  EXPECT_EQ(records[0]["_airbyte_meta"]["changes"], Json::array());
  EXPECT_EQ(records[1]["_airbyte_data"]["name"], "with \"quotes\", comma");
  EXPECT_EQ(records[2]["_airbyte_data"]["name"], "multi\nline\r\ntext");
  EXPECT_EQ(records[3]["_airbyte_data"],
            Json::parse(R"({"id":4,"name":null,"score":null,"seen":null,"doc":null})"));
  EXPECT_EQ(records[3]["_airbyte_meta"]["changes"],
            Json::parse(R"([{"field":"name","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR"}])"));
  EXPECT_EQ(records[4]["_airbyte_data"]["name"], "");
}

TEST_F(LocalDestinationTest, CsvHasAirbyteColumnsThenOneColumnPerField) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}}, 0, 7);
  Run(Config({{"format", {{"format_type", "CSV"}, {"delimiter", ";"}}}}), catalog, {MakeUsersBatch(catalog, 0, 1, 5)});

  const std::string folder = Folder("users");
  ASSERT_EQ(VisibleNames(folder), std::vector<std::string>{std::to_string(kStartMs) + "_00000.csv"});
  auto rows = ParseCsv(ReadFile(folder + "/" + VisibleNames(folder)[0]), ';');
  ASSERT_EQ(rows.size(), 6u);
  std::vector<std::string> header;
  for (auto& c : rows[0]) header.push_back(c.text);
  EXPECT_EQ(header, (std::vector<std::string>{"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id",
                                              "_airbyte_meta", "id", "name", "score", "seen", "doc"}));
  for (size_t r = 1; r < rows.size(); ++r) ASSERT_EQ(rows[r].size(), 9u) << r;
  EXPECT_EQ(rows[1][0].text.size(), 36u);
  EXPECT_EQ(rows[1][1].text, "1700000000123");
  EXPECT_EQ(rows[1][2].text, "0");
  EXPECT_EQ(Json::parse(rows[1][3].text), Json::parse(R"({"changes":[],"sync_id":7})"));
  EXPECT_EQ(rows[1][4].text, "1");
  EXPECT_EQ(rows[1][5].text, "plain");
  EXPECT_EQ(rows[1][6].text, "1.5");
  EXPECT_EQ(rows[1][7].text, "2023-11-14T22:13:21Z");
  EXPECT_EQ(Json::parse(rows[1][8].text), Json::parse(R"({"tags":["a","b"],"n":1})"));
  EXPECT_EQ(rows[2][5].text, "with \"quotes\", comma");
  EXPECT_EQ(rows[3][5].text, "multi\nline\r\ntext");
  EXPECT_EQ(rows[4][5].text, "");
  EXPECT_FALSE(rows[4][5].quoted);  // null
  EXPECT_EQ(Json::parse(rows[4][3].text)["changes"][0]["field"], "name");
  EXPECT_EQ(rows[5][5].text, "");
  EXPECT_TRUE(rows[5][5].quoted);  // empty string
}

TEST_F(LocalDestinationTest, GzipOutputIsReadable) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  Run(Config({{"format", {{"format_type", "JSONL"}, {"compression", "gzip"}}}}), catalog,
      {MakeUsersBatch(catalog, 0, 1, 1000), MakeUsersBatch(catalog, 0, 1001, 1000)});
  const std::string folder = Folder("users");
  EXPECT_EQ(VisibleNames(folder), (std::vector<std::string>{std::to_string(kStartMs) + "_00000.jsonl.gz",
                                                            std::to_string(kStartMs) + "_00001.jsonl.gz"}));
  std::vector<Json> records = ReadRecords(folder);
  ASSERT_EQ(records.size(), 2000u);
  for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i]["_airbyte_data"]["id"], i + 1);

  const std::string csv_folder = root_.path() + "/csv";
  Run(Json{{"destination_path", csv_folder}, {"format", {{"format_type", "CSV"}, {"compression", "gzip"}}}}, catalog,
      {MakeUsersBatch(catalog, 0, 1, 10)});
  const auto names = VisibleNames(csv_folder + "/users");
  ASSERT_EQ(names.size(), 1u);
  EXPECT_TRUE(names[0].ends_with(".csv.gz"));
  bool ok = false;
  EXPECT_EQ(ParseCsv(ReadGzip(csv_folder + "/users/" + names[0], &ok)).size(), 11u);
  EXPECT_TRUE(ok);
}

TEST_F(LocalDestinationTest, TempFilesStayHiddenUntilFlush) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  auto dest = MakeDestination();
  SLUICE_ASSERT_OK(dest->Begin(Config(), catalog));
  auto w = dest->Open(0);
  ASSERT_TRUE(w.ok());
  const std::string folder = Folder("users");
  const std::string part0 = std::to_string(kStartMs) + "_00000.jsonl";
  const std::string part1 = std::to_string(kStartMs) + "_00001.jsonl";

  SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(catalog, 0, 1, 100)));
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{"." + part0 + ".tmp"});
  SLUICE_ASSERT_OK((*w)->Flush());
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{part0});
  EXPECT_EQ(ReadRecords(folder).size(), 100u);
  SLUICE_ASSERT_OK((*w)->Flush());  // nothing new: no empty part
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{part0});

  SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(catalog, 0, 101, 50)));
  EXPECT_EQ(ListNames(folder), (std::vector<std::string>{"." + part1 + ".tmp", part0}));
  EXPECT_EQ(ReadRecords(folder).size(), 100u);
  // Append + incomplete: the flushed part stays, the unflushed one goes.
  SLUICE_ASSERT_OK((*w)->Finish(StreamOutcome::kIncomplete));
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{part0});
  SLUICE_ASSERT_OK(dest->End(false));
}

TEST_F(LocalDestinationTest, RollsToANewPartBySize) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  auto dest = MakeDestination();
  SLUICE_ASSERT_OK(dest->Begin(Config({{"file_size_mb", 1}}), catalog));
  auto w = dest->Open(0);
  ASSERT_TRUE(w.ok());
  const std::string folder = Folder("users");
  // ~1.3 KB per record, 3 batches of 1000: about 3.9 MB.
  for (int b = 0; b < 3; ++b) SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(catalog, 0, 1 + b * 1000, 1000, 1200)));
  // Rolled parts are closed but stay hidden until the Flush.
  EXPECT_TRUE(VisibleNames(folder).empty());
  SLUICE_ASSERT_OK((*w)->Flush());
  SLUICE_ASSERT_OK((*w)->Finish(StreamOutcome::kComplete));
  const auto names = VisibleNames(folder);
  ASSERT_EQ(names.size(), 4u);
  EXPECT_EQ(ListNames(folder).size(), 4u);  // no temp files left
  for (size_t i = 0; i + 1 < names.size(); ++i) {
    const auto size = fs::file_size(folder + "/" + names[i]);
    EXPECT_GE(size, 1u << 20) << names[i];
    EXPECT_LT(size, (1u << 20) + 2000) << names[i];
  }
  std::vector<Json> records = ReadRecords(folder);
  ASSERT_EQ(records.size(), 3000u);
  for (size_t i = 0; i < records.size(); ++i) ASSERT_EQ(records[i]["_airbyte_data"]["id"], i + 1);
}

TEST_F(LocalDestinationTest, ParquetRollsBySizeCountingTheBufferedRowGroup) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  auto dest = MakeDestination();
  // Row groups (128 MB) are never full here: only the row group still in memory can make a part
  // reach file_size_mb.
  const Json format = {{"format_type", "Parquet"}, {"compression_codec", "UNCOMPRESSED"}, {"dictionary_encoding", false}};
  SLUICE_ASSERT_OK(dest->Begin(Config({{"file_size_mb", 1}, {"format", format}}), catalog));
  auto w = dest->Open(0);
  ASSERT_TRUE(w.ok());
  const std::string folder = Folder("users");
  // ~1.1 KB of names per row, 3 batches of 1000: about 3 × 0.95 MB (with _airbyte_raw_id as a
  // 36-byte string; the padding was 1200 when it was 16 raw bytes).
  for (int b = 0; b < 3; ++b) SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(catalog, 0, 1 + b * 1000, 1000, 1100)));
  EXPECT_TRUE(VisibleNames(folder).empty());
  SLUICE_ASSERT_OK((*w)->Flush());
  SLUICE_ASSERT_OK((*w)->Finish(StreamOutcome::kComplete));
  const auto names = VisibleNames(folder);
  ASSERT_EQ(names.size(), 2u);  // rolled after the second batch (~1.8 MB), the third in its own
  int64_t rows = 0;
  int64_t next_id = 1;
  for (const std::string& name : names) {
    EXPECT_TRUE(name.ends_with(".parquet")) << name;
    auto file = OpenRandomAccessFile(folder + "/" + name);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    auto reader = ParquetReader::Open(std::move(*file));
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_EQ((*reader)->num_row_groups(), 1) << name;
    rows += (*reader)->num_rows();
    RecordBatch batch((*reader)->schema(), 0);
    for (;;) {
      auto more = (*reader)->Next(batch, 4096);
      ASSERT_TRUE(more.ok()) << more.status().ToString();
      if (!*more) break;
    }
    const int id_column = batch.schema().IndexOf("id");
    ASSERT_GE(id_column, 0);
    for (size_t r = 0; r < batch.num_rows(); ++r) ASSERT_EQ(batch.column(static_cast<size_t>(id_column)).Int64(r), next_id++);
  }
  EXPECT_EQ(rows, 3000);
  EXPECT_GE(fs::file_size(folder + "/" + names[0]), 1u << 20);
}

TEST_F(LocalDestinationTest, OverwriteReplacesTheFolderOnlyAtCompletion) {
  ConfiguredCatalog append = MakeCatalog({{"users", "", "append"}});
  Run(Config(), append, {MakeUsersBatch(append, 0, 1, 10)});
  const std::string folder = Folder("users");
  const auto old_names = VisibleNames(folder);
  ASSERT_EQ(old_names.size(), 1u);

  ConfiguredCatalog overwrite = MakeCatalog({{"users", "", "overwrite"}});
  now_micros_ += 60 * kMicrosPerSecond;
  auto dest = MakeDestination();
  SLUICE_ASSERT_OK(dest->Begin(Config(), overwrite));
  auto w = dest->Open(0);
  ASSERT_TRUE(w.ok());
  SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(overwrite, 0, 100, 3)));
  SLUICE_ASSERT_OK((*w)->Flush());
  SLUICE_ASSERT_OK((*w)->Write(MakeUsersBatch(overwrite, 0, 103, 2)));
  SLUICE_ASSERT_OK((*w)->Flush());
  // Until Finish(kComplete) readers see the old data only.
  EXPECT_EQ(VisibleNames(folder), old_names);
  const std::string staging = StagingFolder(folder, kStartMs + 60000);
  EXPECT_EQ(VisibleNames(staging).size(), 2u);
  SLUICE_ASSERT_OK((*w)->Finish(StreamOutcome::kComplete));
  SLUICE_ASSERT_OK(dest->End(true));

  EXPECT_EQ(VisibleNames(folder), (std::vector<std::string>{std::to_string(kStartMs + 60000) + "_00000.jsonl",
                                                            std::to_string(kStartMs + 60000) + "_00001.jsonl"}));
  std::vector<Json> records = ReadRecords(folder);
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0]["_airbyte_data"]["id"], 100);
  EXPECT_EQ(ListNames(root_.path() + "/out"), std::vector<std::string>{"users"});  // no staging/old left
}

TEST_F(LocalDestinationTest, IncompleteOverwriteKeepsTheOldData) {
  ConfiguredCatalog overwrite = MakeCatalog({{"users", "", "overwrite"}});
  Run(Config(), overwrite, {MakeUsersBatch(overwrite, 0, 1, 10)});
  const std::string folder = Folder("users");
  const auto old_names = VisibleNames(folder);
  ASSERT_EQ(old_names.size(), 1u);

  now_micros_ += 1000;
  Run(Config(), overwrite, {MakeUsersBatch(overwrite, 0, 100, 3)}, StreamOutcome::kIncomplete);
  EXPECT_EQ(ListNames(folder), old_names);
  EXPECT_EQ(ReadRecords(folder).size(), 10u);
  EXPECT_EQ(ListNames(root_.path() + "/out"), std::vector<std::string>{"users"});
}

TEST_F(LocalDestinationTest, OverwriteWithNoRecordsEmptiesTheFolder) {
  ConfiguredCatalog overwrite = MakeCatalog({{"users", "", "overwrite"}});
  Run(Config(), overwrite, {MakeUsersBatch(overwrite, 0, 1, 10)});
  now_micros_ += 1000;
  Run(Config(), overwrite, {});
  EXPECT_TRUE(ListNames(Folder("users")).empty());
  EXPECT_TRUE(fs::is_directory(Folder("users")));
}

TEST_F(LocalDestinationTest, AppendAddsFiles) {
  ConfiguredCatalog append = MakeCatalog({{"users", "", "append"}});
  Run(Config(), append, {MakeUsersBatch(append, 0, 1, 10)});
  // Same millisecond: the second run steps past the first run's names instead of clobbering them.
  Run(Config(), append, {MakeUsersBatch(append, 0, 11, 5)});
  const auto names = VisibleNames(Folder("users"));
  EXPECT_EQ(names, (std::vector<std::string>{std::to_string(kStartMs) + "_00000.jsonl",
                                             std::to_string(kStartMs + 1) + "_00000.jsonl"}));
  EXPECT_EQ(ReadRecords(Folder("users")).size(), 15u);
}

// A refresh that removes records (append, minimum_generation_id == generation_id > 0): the
// stream's older files go when the new generation completes, as in overwrite — and stay when it
// does not. Minimum 0 (a merge refresh, a plain append sync) keeps them.
TEST_F(LocalDestinationTest, TruncateRefreshReplacesOlderGenerationsOnlyAtCompletion) {
  ConfiguredCatalog first = MakeCatalog({{"users", "", "append"}}, /*generation_id=*/1, /*sync_id=*/10);
  first.streams[0].minimum_generation_id = 0;
  Run(Config(), first, {MakeUsersBatch(first, 0, 1, 10)});
  now_micros_ += 1000;
  Run(Config(), first, {MakeUsersBatch(first, 0, 11, 2)});  // merge / plain append: kept
  ASSERT_EQ(ReadRecords(Folder("users")).size(), 12u);

  ConfiguredCatalog refresh = MakeCatalog({{"users", "", "append"}}, /*generation_id=*/2, /*sync_id=*/11);
  refresh.streams[0].minimum_generation_id = 2;
  now_micros_ += 1000;
  Run(Config(), refresh, {MakeUsersBatch(refresh, 0, 100, 3)}, StreamOutcome::kIncomplete);
  EXPECT_EQ(ReadRecords(Folder("users")).size(), 12u);  // the failed refresh left the old rows

  now_micros_ += 1000;
  Run(Config(), refresh, {MakeUsersBatch(refresh, 0, 100, 3)});
  std::vector<Json> records = ReadRecords(Folder("users"));
  ASSERT_EQ(records.size(), 3u);
  for (const Json& r : records) {
    EXPECT_EQ(r["_airbyte_generation_id"], 2);
    EXPECT_EQ(r["_airbyte_meta"]["sync_id"], 11);
  }
  EXPECT_EQ(ListNames(root_.path() + "/out"), std::vector<std::string>{"users"});  // no staging left

  // Generation 0 with minimum 0 is a plain append, not a truncate.
  ConfiguredCatalog zero = MakeCatalog({{"users", "", "append"}});
  zero.streams[0].generation_id = 0;
  zero.streams[0].minimum_generation_id = 0;
  now_micros_ += 1000;
  Run(Config(), zero, {MakeUsersBatch(zero, 0, 200, 1)});
  EXPECT_EQ(ReadRecords(Folder("users")).size(), 4u);
}

TEST_F(LocalDestinationTest, PathFormatPlacesStreams) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "public", "append"}, {"orders", "", "overwrite"}});
  Run(Config({{"path_format", "raw/${NAMESPACE}/${STREAM_NAME}/${YEAR}-${MONTH}-${DAY}"}}), catalog,
      {MakeUsersBatch(catalog, 0, 1, 2), MakeUsersBatch(catalog, 1, 1, 3)});
  EXPECT_EQ(ReadRecords(Folder("raw/public/users/2024-03-05")).size(), 2u);
  EXPECT_EQ(ReadRecords(Folder("raw/orders/2024-03-05")).size(), 3u);
}

TEST_F(LocalDestinationTest, RejectsUnsupportedSyncModesNamingTheStream) {
  ConfiguredCatalog catalog = MakeCatalog({{"events", "", "append"}, {"users", "", "append_dedup"}});
  auto dest = MakeDestination();
  Status st = dest->Begin(Config(), catalog);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_EQ(st.message(),
            "stream 'users': destination-local does not support destination sync mode append_dedup (supported: "
            "overwrite, append)");
}

TEST_F(LocalDestinationTest, RejectsStreamsSharingAFolder) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "a", "append"}, {"users", "b", "append"}});
  auto dest = MakeDestination();
  Status st = dest->Begin(Config({{"path_format", "${STREAM_NAME}"}}), catalog);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("both map to folder 'users'"), std::string::npos) << st.message();

  ConfiguredCatalog nested = MakeCatalog({{"x", "", "overwrite"}, {"y", "x", "append"}});
  st = dest->Begin(Config(), nested);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("inside the folder 'x'"), std::string::npos) << st.message();
}

TEST_F(LocalDestinationTest, BeginCleansWhatKilledRunsLeft) {
  const std::string folder = Folder("users");
  fs::create_directories(folder);
  std::ofstream(folder + "/1_00000.jsonl") << "{}\n";
  std::ofstream(folder + "/.2_00000.jsonl.tmp") << "{\"half";
  std::ofstream(folder + "/.keep-me") << "x";
  fs::create_directories(StagingFolder(folder, 3));
  std::ofstream(StagingFolder(folder, 3) + "/3_00000.jsonl") << "{}\n";
  fs::create_directories(OldFolder(folder, 4));

  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  auto dest = MakeDestination();
  SLUICE_ASSERT_OK(dest->Begin(Config(), catalog));
  EXPECT_EQ(ListNames(folder), (std::vector<std::string>{".keep-me", "1_00000.jsonl"}));
  EXPECT_EQ(ListNames(root_.path() + "/out"), std::vector<std::string>{"users"});
}

TEST_F(LocalDestinationTest, BeginFinishesAnInterruptedReplacement) {
  // Killed between "users → old" and "staging → users": the staging was complete.
  const std::string folder = Folder("users");
  fs::create_directories(OldFolder(folder, 9));
  std::ofstream(OldFolder(folder, 9) + "/1_00000.jsonl") << "{\"old\":1}\n";
  fs::create_directories(StagingFolder(folder, 9));
  std::ofstream(StagingFolder(folder, 9) + "/9_00000.jsonl") << "{\"new\":1}\n";
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  SLUICE_ASSERT_OK(MakeDestination()->Begin(Config(), catalog));
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{"9_00000.jsonl"});
  EXPECT_EQ(ListNames(root_.path() + "/out"), std::vector<std::string>{"users"});

  // Only the old data left and no stream folder: put it back.
  fs::rename(folder, OldFolder(folder, 10));
  SLUICE_ASSERT_OK(MakeDestination()->Begin(Config(), catalog));
  EXPECT_EQ(ListNames(folder), std::vector<std::string>{"9_00000.jsonl"});
}

TEST_F(LocalDestinationTest, KilledWriterNeverLeavesAHalfFileUnderAFinalName) {
  for (const char* compression : {"none", "gzip"}) {
    SCOPED_TRACE(compression);
    TempDir dir;
    const Json config = {{"destination_path", dir.path()},
                         {"format", {{"compression", compression}}},
                         {"file_size_mb", 1}};
    ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      auto dest = MakeLocalDestination();
      if (!dest->Begin(config, catalog).ok()) ::_exit(1);
      auto w = dest->Open(0);
      if (!w.ok()) ::_exit(1);
      for (int64_t batch = 0;; ++batch) {
        if (!(*w)->Write(MakeUsersBatch(catalog, 0, 1 + batch * 500, 500, 200)).ok()) ::_exit(1);
        if (batch % 6 == 5 && !(*w)->Flush().ok()) ::_exit(1);  // every 3000 records
      }
    }
    // Let it write (and roll, and flush) for a while, then kill it mid-flight.
    const std::string folder = dir.path() + "/users";
    for (int i = 0; i < 400 && VisibleNames(folder).size() < 3; ++i) ::usleep(10000);
    ::usleep(30000);
    ASSERT_EQ(::kill(child, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited early: " << status;

    const auto names = VisibleNames(folder);
    ASSERT_GE(names.size(), 3u);
    int64_t next_id = 1;
    for (const std::string& name : names) {
      std::string text;
      if (name.ends_with(".gz")) {
        bool ok = false;
        text = ReadGzip(folder + "/" + name, &ok);
        ASSERT_TRUE(ok) << name << " is truncated";
      } else {
        text = ReadFile(folder + "/" + name);
        ASSERT_TRUE(text.ends_with("\n")) << name;
      }
      for (const Json& r : ParseJsonLines(text)) ASSERT_EQ(r["_airbyte_data"]["id"], next_id++) << name;
    }
    // Whatever is visible is a whole number of flushes (3000 records each).
    EXPECT_EQ((next_id - 1) % 3000, 0) << next_id;
    // The next run removes the killed run's temp files.
    SLUICE_ASSERT_OK(MakeLocalDestination()->Begin(config, catalog));
    EXPECT_EQ(ListNames(folder), names);
  }
}

TEST_F(LocalDestinationTest, CheckProvesTheFolderWritable) {
  auto dest = MakeDestination();
  SLUICE_ASSERT_OK(dest->Check(Config()));
  EXPECT_TRUE(fs::is_directory(root_.path() + "/out"));
  EXPECT_TRUE(ListNames(root_.path() + "/out").empty());

  std::ofstream(root_.path() + "/file") << "x";
  Status st = dest->Check(Json{{"destination_path", root_.path() + "/file/sub"}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kConfig);
  EXPECT_NE(st.message().find(root_.path() + "/file/sub"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("Not a directory"), std::string::npos) << st.message();

  st = dest->Check(Config({{"path_format", "../${STREAM_NAME}"}}));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("path_format"), std::string::npos);
}

}  // namespace
}  // namespace sluice
