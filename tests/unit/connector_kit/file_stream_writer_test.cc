// FileStreamWriter over an in-memory sink: rows in the configured format, files rolled by size
// and numbered, the sink told when a file closed, at Flush (publish), at Finish (complete or
// abandon) — the rules both file destinations inherit.
#include "connectors/kit/file_stream_writer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

SchemaPtr Schema2() {
  return std::make_shared<const Schema>(
      std::vector<Field>{{"id", TypeId::kInteger, false, Json()}, {"text", TypeId::kString, true, Json()}});
}

RecordBatch Batch(int64_t first, size_t rows, size_t text_bytes = 100) {
  RecordBatch batch(Schema2(), 0);
  for (size_t i = 0; i < rows; ++i) {
    batch.column(0).AppendInt64(first + static_cast<int64_t>(i));
    batch.column(1).AppendBytes(std::string(text_bytes, 'x'));
    batch.FinishRow();
  }
  return batch;
}

// Files are strings; the log records the sink calls in order.
class MemoryWriter final : public FileStreamWriter {
 public:
  MemoryWriter(const FileFormatOptions& options, bool empty_file = false)
      : FileStreamWriter(options, {.name = "s", .schema = Schema2(), .default_extracted_ms = 1}, empty_file) {}
  ~MemoryWriter() override { FinishOnDestroy(); }

  std::map<uint64_t, std::string> files;
  std::vector<std::string> log;

 private:
  Result<std::unique_ptr<OutputStream>> OpenFile(uint64_t part) override {
    log.push_back("open " + std::to_string(part));
    return MakeStringOutputStream(&files[part], "part");
  }
  Status FileClosed() override {
    log.push_back("closed");
    return Status::Ok();
  }
  Status Publish() override {
    log.push_back("publish");
    return Status::Ok();
  }
  Status Complete(uint64_t rows) override {
    log.push_back("complete " + std::to_string(rows));
    return Status::Ok();
  }
  Status Abandon() override {
    log.push_back("abandon");
    return Status::Ok();
  }
};

TEST(FileStreamWriterTest, TextFilesRollBySizeEachWithItsHeader) {
  FileFormatOptions options;
  options.format = FileFormat::kCsv;
  options.flattening = Flattening::kRootLevel;
  options.file_size_bytes = 10'000;
  MemoryWriter w(options);
  ASSERT_TRUE(w.Write(Batch(0, 150)).ok());  // ~180 bytes a row: rolls mid-batch
  ASSERT_TRUE(w.Flush().ok());
  ASSERT_TRUE(w.Finish(StreamOutcome::kComplete).ok());
  ASSERT_GE(w.files.size(), 3u);
  size_t rows = 0;
  for (const auto& [part, bytes] : w.files) {
    EXPECT_TRUE(bytes.starts_with("_airbyte_raw_id,_airbyte_extracted_at,_airbyte_generation_id,_airbyte_meta,id,text\n"))
        << part;
    EXPECT_LT(bytes.size(), 10'000u + 400u) << "a text file rolls at the first row past the size";
    rows += static_cast<size_t>(std::count(bytes.begin(), bytes.end(), '\n')) - 1;
  }
  EXPECT_EQ(rows, 150u);
  EXPECT_EQ(w.files.rbegin()->first, w.files.size() - 1) << "parts are numbered 0, 1, 2 …";
  EXPECT_EQ(w.log.back(), "complete 150");
  EXPECT_EQ(w.rows(), 150u);
}

TEST(FileStreamWriterTest, GzipIsAddedOverTheSinksStream) {
  FileFormatOptions options;
  options.compression = Compression::kGzip;
  MemoryWriter w(options);
  ASSERT_TRUE(w.Write(Batch(0, 10)).ok());
  ASSERT_TRUE(w.Finish(StreamOutcome::kComplete).ok());
  ASSERT_EQ(w.files.size(), 1u);
  EXPECT_EQ(static_cast<unsigned char>(w.files[0][0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(w.files[0][1]), 0x8b);
}

TEST(FileStreamWriterTest, FlushClosesThenPublishesAndIncompleteAbandons) {
  FileFormatOptions options;  // JSONL
  MemoryWriter w(options);
  ASSERT_TRUE(w.Write(Batch(0, 3)).ok());
  ASSERT_TRUE(w.Flush().ok());
  ASSERT_TRUE(w.Write(Batch(3, 3)).ok());
  ASSERT_TRUE(w.Finish(StreamOutcome::kIncomplete).ok());
  EXPECT_EQ(w.log, (std::vector<std::string>{"open 0", "closed", "publish", "open 1", "abandon"}));
  const Json row = Json::parse(w.files[0].substr(0, w.files[0].find('\n')));
  EXPECT_TRUE(testing::IsUuidV4Text(row["_airbyte_raw_id"].get<std::string>()));
  EXPECT_EQ(row["_airbyte_data"]["id"], 0);
  EXPECT_FALSE(w.Write(Batch(6, 1)).ok()) << "no Write after Finish";
}

TEST(FileStreamWriterTest, AnEmptyParquetStreamGetsOneFileWhenAsked) {
  FileFormatOptions options;
  options.format = FileFormat::kParquet;
  MemoryWriter with(options, /*empty_file=*/true);
  ASSERT_TRUE(with.Finish(StreamOutcome::kComplete).ok());
  ASSERT_EQ(with.files.size(), 1u);
  EXPECT_TRUE(with.files[0].starts_with("PAR1"));
  MemoryWriter without(options);
  ASSERT_TRUE(without.Finish(StreamOutcome::kComplete).ok());
  EXPECT_TRUE(without.files.empty());
  EXPECT_EQ(without.log, (std::vector<std::string>{"publish", "complete 0"}));
}

}  // namespace
}  // namespace sluice
