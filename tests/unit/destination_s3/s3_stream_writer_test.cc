// S3StreamWriter against the in-memory FakeS3: a Parquet file's row groups reach the multipart
// upload while rows are still being written (the overlap), yet nothing is visible before the
// checkpoint, Flush() returns only once the object is complete, and a part failing before the
// checkpoint fails it with the object named and nothing left behind.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "../s3/fake_s3.h"
#include "connectors/destinations/s3/s3_stream_writer.h"
#include "formats/parquet/parquet_reader.h"
#include "s3/s3_random_access_file.h"

namespace sluice {
namespace {

using testing::FakeS3;

constexpr size_t kPart = 5 << 20;

class S3StreamWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = testing::MakeFakeClient(fake_, 2);
    config_.bucket = "bkt";
    config_.format = S3OutputFormat::kParquet;
    config_.parquet.codec = ParquetCodec::kUncompressed;
    config_.part_bytes = kPart;
    config_.upload_threads = 2;
    config_.file_name_pattern = "{part_number}{format_extension}";
  }

  std::unique_ptr<S3StreamWriter> Open() {
    S3StreamPlan plan;
    plan.name = "users";
    plan.mode = DestinationSyncMode::kAppend;
    plan.key_base = "data/users_";
    plan.prefix = "data/";
    plan.schema = schema_;
    auto w = S3StreamWriter::Open(config_, client_, std::move(plan));
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(w).value() : nullptr;
  }

  //! `rows` rows of ~1 KB of incompressible payload each.
  RecordBatch Batch(int64_t first_id, size_t rows) {
    RecordBatch batch(schema_, 0);
    std::string payload(1000, '\0');
    for (size_t i = 0; i < rows; ++i) {
      for (char& c : payload) c = static_cast<char>('a' + rng_() % 26);
      batch.column(0).AppendInt64(first_id + static_cast<int64_t>(i));
      batch.column(1).AppendBytes(payload);
      batch.FinishRow();
    }
    return batch;
  }

  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  std::shared_ptr<S3Client> client_;
  S3DestinationConfig config_;
  SchemaPtr schema_ = std::make_shared<const Schema>(
      std::vector<Field>{{"id", TypeId::kInteger, false, {}}, {"payload", TypeId::kString, false, {}}});
  std::mt19937 rng_{42};
};

TEST_F(S3StreamWriterTest, RowGroupsUploadBeforeTheCheckpointWhichWaitsForTheObject) {
  config_.parquet.row_group_bytes = 10 << 20;  // block_size_mb 10: two 5 MiB parts
  auto w = Open();
  ASSERT_TRUE(w);
  // ~24 MB of Parquet: row groups close at block_size_mb; two are handed to the upload.
  for (int b = 0; b < 24; ++b) ASSERT_TRUE(w->Write(Batch(b * 1000, 1000)).ok());
  EXPECT_EQ(fake_->uploads.size(), 1u) << "the multipart upload started before the checkpoint";
  EXPECT_TRUE(fake_->objects.empty()) << "nothing is visible before the checkpoint";

  ASSERT_TRUE(w->Flush().ok());
  // Flush returned: the object is complete, no upload is left open.
  ASSERT_EQ(w->written_keys().size(), 1u);
  const std::string key = w->written_keys()[0];
  EXPECT_EQ(key, "data/users_0.parquet");
  ASSERT_EQ(fake_->objects.count(key), 1u);
  EXPECT_TRUE(fake_->uploads.empty());
  EXPECT_EQ(fake_->completes, 1);

  auto reader = ParquetReader::Open(OpenS3RandomAccessFile(client_, "bkt", key, fake_->objects[key].size()));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->num_rows(), 24'000);
  EXPECT_GE((*reader)->num_row_groups(), 3) << "row groups of block_size_mb";
  RecordBatch back((*reader)->schema(), 0);
  for (;;) {
    auto got = (*reader)->Next(back, 100'000);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (!*got) break;
  }
  ASSERT_EQ(back.num_rows(), 24'000u);
  const size_t id = static_cast<size_t>((*reader)->schema()->IndexOf("id"));
  for (size_t i = 0; i < back.num_rows(); ++i) ASSERT_EQ(back.column(id).Int64(i), static_cast<int64_t>(i));
  ASSERT_TRUE(w->Finish(StreamOutcome::kComplete).ok());
}

TEST_F(S3StreamWriterTest, APartFailingBeforeTheCheckpointFailsItAndLeavesNoObject) {
  // The first file (the first checkpoint) goes through; every part of the second fails.
  fake_->inject = [](const std::string& method, const std::string& key, const std::map<std::string, std::string>& q,
                     HttpResponse&) {
    if (method == "PUT" && q.count("partNumber") && key == "data/users_1.parquet") {
      return Status::TransientError("Connection reset by peer");
    }
    return Status::Ok();
  };
  auto w = Open();
  ASSERT_TRUE(w);
  for (int b = 0; b < 12; ++b) ASSERT_TRUE(w->Write(Batch(b * 1000, 1000)).ok());
  ASSERT_TRUE(w->Flush().ok());
  ASSERT_EQ(fake_->objects.count("data/users_0.parquet"), 1u);

  Status st;
  for (int b = 12; b < 40 && st.ok(); ++b) st = w->Write(Batch(b * 1000, 1000));
  if (st.ok()) st = w->Flush();
  ASSERT_FALSE(st.ok()) << "the checkpoint must not be confirmed";
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("s3://bkt/data/users_1.parquet"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("stream 'users'"), std::string::npos) << st.message();
  EXPECT_FALSE(w->Flush().ok()) << "the writer stays failed";
  EXPECT_TRUE(w->Finish(StreamOutcome::kIncomplete).ok());

  // The failed file's upload is aborted and invisible; the first checkpoint's object stays.
  EXPECT_TRUE(fake_->uploads.empty());
  EXPECT_EQ(fake_->objects.count("data/users_1.parquet"), 0u);
  EXPECT_EQ(fake_->objects.size(), 1u);
  EXPECT_EQ(w->written_keys(), std::vector<std::string>{"data/users_0.parquet"});
}

TEST(S3KeyGlobTest, FileNameGlobsAndMatching) {
  S3DestinationConfig c;
  c.format = S3OutputFormat::kParquet;
  c.file_name_pattern = "{date}_{timestamp}_{part_number}{format_extension}";
  EXPECT_EQ(S3FileNameGlob(c).value(), "*_*_*.parquet");
  c.file_name_pattern = "{sync_id}{format_extension}";  // no {part_number}: "_<part>" may follow
  EXPECT_EQ(S3FileNameGlob(c).value(), "**.parquet");
  c.file_name_pattern = "";
  EXPECT_EQ(S3FileNameGlob(c).value(), "*.parquet");
  c.file_name_pattern = "{nope}";
  EXPECT_FALSE(S3FileNameGlob(c).ok());

  EXPECT_TRUE(S3KeyMatchesGlob("data/users/*_*.parquet", "data/users/1700000000000_0.parquet"));
  EXPECT_TRUE(S3KeyMatchesGlob("data/users/*_*.parquet", "data/users/_.parquet"));
  EXPECT_FALSE(S3KeyMatchesGlob("data/users/*_*.parquet", "data/users/x/1_0.parquet")) << "'*' never crosses '/'";
  EXPECT_FALSE(S3KeyMatchesGlob("data/users/*_*.parquet", "data/users/1_0.parquet.tmp"));
  EXPECT_FALSE(S3KeyMatchesGlob("data/users/*_*.parquet", "data/users_old/1_0.parquet"));
  EXPECT_TRUE(S3KeyMatchesGlob("a/*b*c", "a/bxbxc"));
  EXPECT_FALSE(S3KeyMatchesGlob("a/*b*c", "a/bxbxcx"));
}

TEST_F(S3StreamWriterTest, OpenAbortsTheUploadsEarlierRunsLeftUnderItsPrefixOnly) {
  config_.bucket_path = "data/${STREAM_NAME}";
  config_.path_format = "${EPOCH}_";
  S3StreamPlan plan;
  plan.name = "users";
  plan.mode = DestinationSyncMode::kOverwrite;
  plan.schema = schema_;
  plan.path.stream.name = "users";
  plan.path.sync_start_micros = 1'800'000'000'000'000;
  plan.key_base = ExpandS3ObjectPath(config_, plan.path, &plan.prefix).value();
  ASSERT_EQ(plan.prefix, "data/users/");
  ASSERT_EQ(plan.key_base, "data/users/1800000000000_");
  // Left by killed runs (FakeS3 answers no Initiated time: they count as older than this run).
  for (const char* key : {"data/users/1799999999000_0.parquet", "data/users/1799999998000_3.parquet"}) {
    ASSERT_TRUE(client_->CreateMultipartUpload("bkt", key).ok());
  }
  // Not this stream's files: another name, a deeper folder, another stream's prefix.
  for (const char* key : {"data/users/notes.txt", "data/users/sub/1_0.parquet", "data/users_v2/1_0.parquet"}) {
    ASSERT_TRUE(client_->CreateMultipartUpload("bkt", key).ok());
  }
  auto w = S3StreamWriter::Open(config_, client_, std::move(plan));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::set<std::string> left;
  for (const auto& [id, upload] : fake_->uploads) left.insert(upload.key);
  EXPECT_EQ(left, (std::set<std::string>{"data/users/notes.txt", "data/users/sub/1_0.parquet", "data/users_v2/1_0.parquet"}));
  EXPECT_TRUE((*w)->Finish(StreamOutcome::kIncomplete).ok());
}

}  // namespace
}  // namespace sluice
