#include "connectors/kit/file_record_reader.h"

#include <gtest/gtest.h>

#include "formats/parquet/parquet_writer.h"
#include "io/output_stream.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

SchemaPtr MakeSchema(std::vector<Field> fields) { return std::make_shared<const Schema>(std::move(fields)); }

// Reads `files` with `options` into a fresh stream 0 of `schema`; the batcher is finished.
struct ReadRun {
  testing::CollectingEmitter out;
  Status status;
  uint64_t skipped = 0;
  std::vector<std::string> skipped_at;
  std::vector<RecordChange> changes;

  ReadRun(SchemaPtr schema, const FileReadOptions& options, const std::vector<FileInfo>& files, std::string url = {}) {
    auto storage = MakeLocalFileStorage();
    StreamBatcher batcher(out, 0, std::move(schema));
    FileRecordReader reader(*storage, options, batcher);
    Status st = batcher.Start();
    for (const FileInfo& f : files) {
      if (st.ok()) st = reader.ReadFile(f, url);
    }
    status = batcher.Finish(st);
    skipped = reader.skipped();
    skipped_at = reader.skipped_at();
    for (const auto& b : out.batches) changes.insert(changes.end(), b.changes().begin(), b.changes().end());
  }
};

FileInfo At(const std::string& path, int64_t modified = 0) { return FileInfo{path, std::nullopt, modified}; }

SchemaPtr Typed() {
  return MakeSchema({{"id", TypeId::kInteger, true, {}},
                     {"ok", TypeId::kBoolean, true, {}},
                     {"day", TypeId::kDate, true, {}},
                     {"name", TypeId::kString, true, {}}});
}

TEST(FileRecordReaderTest, CsvCellsBecomeTypedValues) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.csv", "id,ok,day,name,extra\n 7 ,YES,2024-02-29,Ann,x\n+8,f,,,y\n");
  FileReadOptions options;
  ReadRun run(Typed(), options, {At(path)});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  const auto rows = run.out.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], Json::parse(R"({"id":7,"ok":true,"day":"2024-02-29","name":"Ann"})"));
  EXPECT_EQ(rows[1], Json::parse(R"({"id":8,"ok":false,"day":null,"name":null})"));
  using P = std::pair<uint32_t, StreamStatus>;
  EXPECT_EQ(run.out.statuses, (std::vector<P>{{0, StreamStatus::kStarted}, {0, StreamStatus::kRunning},
                                              {0, StreamStatus::kComplete}}));
}

TEST(FileRecordReaderTest, CsvBadValueFailsNamingFileLineAndColumn) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.csv", "id,ok\n1,true\n2,maybe\n");
  ReadRun run(Typed(), FileReadOptions(), {At(path)});
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.message(), "file " + path + " line 3 column 'ok': 'maybe' is not a boolean");
  EXPECT_EQ(run.out.statuses.back().second, StreamStatus::kIncomplete);
}

TEST(FileRecordReaderTest, CsvBadValueBecomesNullWithAChangeNote) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.csv", "id,ok,day\nx1,on,2024-13-01\n2,off,  \n");
  FileReadOptions options;
  options.on_bad_row = BadRowPolicy::kNullValue;
  options.true_values = {"on"};
  options.false_values = {"off"};
  options.blank_is_null = true;
  ReadRun run(Typed(), options, {At(path)});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  const auto rows = run.out.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], Json::parse(R"({"id":null,"ok":true,"day":null,"name":null})"));
  EXPECT_EQ(rows[1], Json::parse(R"({"id":2,"ok":false,"day":null,"name":null})"));
  ASSERT_EQ(run.changes.size(), 2u);  // the blank day of row 2 is null, not a change
  EXPECT_EQ(run.changes[0].row, 0u);
  EXPECT_EQ(run.changes[0].field, "id");
  EXPECT_EQ(run.changes[0].change, ChangeKind::kNulled);
  EXPECT_EQ(run.changes[0].reason, ChangeReason::kSourceSerializationError);
  EXPECT_EQ(run.changes[1].field, "day");
}

TEST(FileRecordReaderTest, CsvSkipModeCountsBadAndMalformedRows) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.csv", "id,ok\n1,true\nbad,true\n3\n4,false\n");
  FileReadOptions options;
  options.on_bad_row = BadRowPolicy::kSkipRow;
  ReadRun run(Typed(), options, {At(path)});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  EXPECT_EQ(run.out.Rows().size(), 2u);
  EXPECT_EQ(run.skipped, 2u);
  EXPECT_EQ(run.skipped_at, (std::vector<std::string>{path + ":3", path + ":4"}));
}

TEST(FileRecordReaderTest, CsvGivenNamesAndLaterFilesColumns) {
  testing::TempDir dir;
  const std::string a = dir.Write("a.csv", "1,Ann\n");
  FileReadOptions options;
  options.csv.header = false;
  options.csv_column_names = {"id", "name"};
  ReadRun named(Typed(), options, {At(a)});
  ASSERT_TRUE(named.status.ok()) << named.status.ToString();
  EXPECT_EQ(named.out.Rows()[0], Json::parse(R"({"id":1,"ok":null,"day":null,"name":"Ann"})"));

  const std::string b = dir.Write("b.csv", "id\n1\n");
  const std::string c = dir.Write("c.csv", "id,name\n2,Bo\n");
  FileReadOptions strict;
  strict.same_columns_as_first_file = true;
  ReadRun run(Typed(), strict, {At(b), At(c)});
  ASSERT_FALSE(run.status.ok());
  EXPECT_EQ(run.status.message(),
            "file " + c + ": column 'name' is not in the header of the first file (" + b + ")");
}

TEST(FileRecordReaderTest, JsonlRowsAndMalformedLines) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.jsonl", "{\"id\":1,\"name\":\"Ann\",\"more\":1}\n\n[1]\n{\"id\":\"x\"}\n{bad\n");
  FileReadOptions options;
  options.format = InputFileFormat::kJsonl;
  ReadRun failing(Typed(), options, {At(path)});
  ASSERT_FALSE(failing.status.ok());
  EXPECT_EQ(failing.status.message(), "file " + path + " line 3: expected a JSON object");

  options.on_bad_row = BadRowPolicy::kSkipRow;
  ReadRun run(Typed(), options, {At(path)});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  const auto rows = run.out.Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], Json::parse(R"({"id":1,"ok":null,"day":null,"name":"Ann"})"));
  EXPECT_EQ(rows[1], Json::parse(R"({"id":null,"ok":null,"day":null,"name":null})"));  // "x" is no integer
  ASSERT_EQ(run.changes.size(), 1u);
  EXPECT_EQ(run.changes[0].row, 1u);
  EXPECT_EQ(run.changes[0].field, "id");
  EXPECT_EQ(run.skipped, 2u);
  EXPECT_EQ(run.skipped_at, (std::vector<std::string>{path + ":3", path + ":5"}));
}

TEST(FileRecordReaderTest, PerFileColumns) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.jsonl", "{\"id\":1}\n");
  auto schema = MakeSchema({{"id", TypeId::kInteger, true, {}},
                            {"modified", TypeId::kTimestampTz, true, {}},
                            {"url", TypeId::kString, true, {}}});
  FileReadOptions options;
  options.format = InputFileFormat::kJsonl;
  options.modified_column = "modified";
  options.url_column = "url";
  ReadRun run(schema, options, {At(path, 1'704'164'645'000'000)}, "data/a.jsonl");
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  const auto rows = run.out.Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["id"], 1);
  EXPECT_EQ(rows[0]["url"], "data/a.jsonl");
  EXPECT_EQ(rows[0]["modified"].get<std::string>().substr(0, 19), "2024-01-02T03:04:05");
  EXPECT_EQ(FileModifiedText(1'704'164'645'000'001), "2024-01-02T03:04:05.000001Z");
}

std::string WriteParquet(const testing::TempDir& dir, const std::string& name) {
  auto schema = MakeSchema({{"id", TypeId::kInteger, false, {}}, {"name", TypeId::kString, true, {}}});
  RecordBatch batch(schema, 0);
  for (int i = 0; i < 5000; ++i) {
    batch.column(0).AppendInt64(i);
    if (i % 2 == 0) batch.column(1).AppendBytes("n" + std::to_string(i));
    batch.FinishRow();
  }
  std::string bytes;
  auto out = MakeStringOutputStream(&bytes, name);
  auto writer = ParquetWriter::Open(schema, {}, out.get());
  EXPECT_TRUE(writer.ok());
  EXPECT_TRUE((*writer)->Write(batch).ok());
  EXPECT_TRUE((*writer)->Close().ok());
  return dir.Write(name, bytes);
}

TEST(FileRecordReaderTest, ParquetByNameWithAndWithoutPerFileColumns) {
  testing::TempDir dir;
  const std::string path = WriteParquet(dir, "a.parquet");
  FileReadOptions options;
  options.format = InputFileFormat::kParquet;
  auto schema = MakeSchema({{"name", TypeId::kString, true, {}}, {"missing", TypeId::kNumber, true, {}}});
  ReadRun plain(schema, options, {At(path)});
  ASSERT_TRUE(plain.status.ok()) << plain.status.ToString();
  auto rows = plain.out.Rows();
  ASSERT_EQ(rows.size(), 5000u);
  EXPECT_EQ(rows[2], Json::parse(R"({"name":"n2","missing":null})"));
  EXPECT_EQ(rows[3], Json::parse(R"({"name":null,"missing":null})"));

  options.url_column = "url";
  auto with_url = MakeSchema({{"id", TypeId::kInteger, true, {}}, {"url", TypeId::kString, true, {}}});
  ReadRun run(with_url, options, {At(path)});
  ASSERT_TRUE(run.status.ok()) << run.status.ToString();
  rows = run.out.Rows();
  ASSERT_EQ(rows.size(), 5000u);
  EXPECT_EQ(rows[4999], Json({{"id", 4999}, {"url", path}}));
}

TEST(FileRecordReaderTest, BatchesFollowTheBatcherLimits) {
  testing::TempDir dir;
  std::string text = "id\n";
  for (int i = 0; i < 1000; ++i) text += std::to_string(i) + "\n";
  const std::string path = dir.Write("a.csv", text);
  testing::CollectingEmitter out;
  auto storage = MakeLocalFileStorage();
  StreamBatcher batcher(out, 0, Typed(), {.max_rows = 300});
  FileRecordReader reader(*storage, FileReadOptions(), batcher);
  ASSERT_TRUE(reader.ReadFile(At(path)).ok());
  ASSERT_TRUE(batcher.Finish(Status::Ok()).ok());
  ASSERT_EQ(out.batches.size(), 4u);
  EXPECT_EQ(out.batches[0].num_rows(), 300u);
  EXPECT_EQ(batcher.rows(), 1000u);
  EXPECT_EQ(reader.files_read(), 1u);
}

}  // namespace
}  // namespace sluice
