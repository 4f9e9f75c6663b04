// S3OutputStream (multipart, parallel parts, abort on failure) and the reading streams, against
// the in-memory FakeS3.
#include <gtest/gtest.h>

#include <thread>

#include "fake_s3.h"
#include "s3/s3_input_stream.h"
#include "s3/s3_output_stream.h"
#include "s3/s3_random_access_file.h"

namespace sluice {
namespace {

using testing::FakeS3;

class S3StreamsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = testing::MakeFakeClient(fake_);
  }

  static std::string Pattern(size_t n) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13) % 26);
    return s;
  }

  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  std::shared_ptr<S3Client> client_;
};

TEST_F(S3StreamsTest, SmallObjectIsOnePut) {
  S3OutputStream out(client_, "bkt", "a/small.jsonl", {.part_bytes = 5 << 20});
  ASSERT_TRUE(out.Write("hello ").ok());
  ASSERT_TRUE(out.Write("world").ok());
  EXPECT_TRUE(fake_->objects.empty());
  ASSERT_TRUE(out.Close().ok());
  EXPECT_EQ(fake_->objects["a/small.jsonl"], "hello world");
  EXPECT_EQ(fake_->puts, 1);
  EXPECT_EQ(fake_->completes, 0);
  EXPECT_EQ(out.bytes_written(), 11u);
  EXPECT_TRUE(out.Close().ok());  // idempotent
}

TEST_F(S3StreamsTest, EmptyObjectIsCreated) {
  S3OutputStream out(client_, "bkt", "empty", {});
  ASSERT_TRUE(out.Close().ok());
  ASSERT_EQ(fake_->objects.count("empty"), 1u);
  EXPECT_EQ(fake_->objects["empty"], "");
}

TEST_F(S3StreamsTest, LargeObjectGoesThroughParallelParts) {
  const std::string data = Pattern((5 << 20) * 7 + 12345);
  // The fake delays parts so several are in flight at once.
  fake_->inject = [](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                     HttpResponse&) {
    if (method == "PUT" && q.count("partNumber")) std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return Status::Ok();
  };
  S3OutputStream out(client_, "bkt", "big.bin", {.part_bytes = 5 << 20, .max_parallel_parts = 3});
  for (size_t pos = 0; pos < data.size(); pos += 700'001) {
    ASSERT_TRUE(out.Write(std::string_view(data).substr(pos, 700'001)).ok());
  }
  EXPECT_TRUE(fake_->objects.empty()) << "nothing is visible before Close";
  ASSERT_TRUE(out.Close().ok());
  EXPECT_EQ(out.parts_uploaded(), 8);
  EXPECT_EQ(fake_->completes, 1);
  EXPECT_TRUE(fake_->uploads.empty());
  ASSERT_EQ(fake_->objects["big.bin"].size(), data.size());
  EXPECT_TRUE(fake_->objects["big.bin"] == data);
  EXPECT_GE(fake_->max_concurrent(), 2) << "parts are uploaded in parallel";
  EXPECT_LE(fake_->max_concurrent(), 3) << "at most max_parallel_parts at once";
}

TEST_F(S3StreamsTest, AFailedPartAbortsTheUpload) {
  fake_->inject = [](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                     HttpResponse&) {
    if (method == "PUT" && q.count("partNumber") && q.at("partNumber") == "2") {
      return Status::TransientError("Connection reset by peer");
    }
    return Status::Ok();
  };
  S3OutputStream out(client_, "bkt", "big.bin", {.part_bytes = 5 << 20, .max_parallel_parts = 2});
  const std::string chunk = Pattern(1 << 20);
  Status st;
  for (int i = 0; i < 40 && st.ok(); ++i) st = out.Write(chunk);
  if (st.ok()) st = out.Close();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("UploadPart 2"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("after 5 attempts"), std::string::npos) << st.message();
  EXPECT_EQ(fake_->aborts, 1);
  EXPECT_TRUE(fake_->uploads.empty()) << "the multipart upload was aborted";
  EXPECT_TRUE(fake_->objects.empty()) << "no partial object";
  EXPECT_FALSE(out.Write("x").ok());
  EXPECT_FALSE(out.Close().ok());
}

TEST_F(S3StreamsTest, DestroyingWithoutCloseAborts) {
  {
    S3OutputStream out(client_, "bkt", "big.bin", {.part_bytes = 5 << 20});
    ASSERT_TRUE(out.Write(Pattern(11 << 20)).ok());
    EXPECT_EQ(fake_->uploads.size(), 1u);
  }
  EXPECT_TRUE(fake_->uploads.empty());
  EXPECT_EQ(fake_->aborts, 1);
  EXPECT_TRUE(fake_->objects.empty());
}

TEST_F(S3StreamsTest, ExplicitAbortLeavesNothing) {
  S3OutputStream out(client_, "bkt", "small", {});
  ASSERT_TRUE(out.Write("abc").ok());
  ASSERT_TRUE(out.Abort().ok());
  ASSERT_TRUE(out.Close().ok());  // closed already: nothing happens
  EXPECT_TRUE(fake_->objects.empty());
}

TEST_F(S3StreamsTest, InputStreamReadsInChunksWithPrefetch) {
  const std::string data = Pattern(1'000'003);
  fake_->objects["obj"] = data;
  auto in = OpenS3InputStream(client_, "bkt", "obj", data.size(), 64 << 10);
  std::string got;
  char buf[10000];
  for (;;) {
    auto n = in->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_TRUE(got == data);
  EXPECT_EQ(fake_->gets, 16);  // ceil(1000003 / 65536)
  EXPECT_EQ(in->name(), "s3://bkt/obj");
}

TEST_F(S3StreamsTest, InputStreamStopsAtAShorterObjectAndReportsErrors) {
  fake_->objects["obj"] = "abc";
  auto in = OpenS3InputStream(client_, "bkt", "obj", 100'000, 64 << 10);
  char buf[100];
  auto n = in->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  n = in->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);

  auto missing = OpenS3InputStream(client_, "bkt", "nope", 10);
  n = missing->Read(buf, sizeof(buf));
  ASSERT_FALSE(n.ok());
  EXPECT_NE(n.status().message().find("s3://bkt/nope"), std::string::npos);
}

TEST_F(S3StreamsTest, ListAllPagesThroughTheFake) {
  fake_->list_page_size = 3;
  for (int i = 0; i < 10; ++i) fake_->objects["p/" + std::to_string(i)] = "x";
  fake_->objects["q/other"] = "x";
  std::vector<std::string> keys;
  ASSERT_TRUE(client_->ListAll("bkt", "p/", [&](const S3Object& o) {
                   keys.push_back(o.key);
                   return Status::Ok();
                 }).ok());
  EXPECT_EQ(keys.size(), 10u);
  EXPECT_EQ(fake_->lists, 4);
  ASSERT_TRUE(client_->DeleteObjects("bkt", keys).ok());
  EXPECT_EQ(fake_->objects.size(), 1u);
}

// What the Parquet reader and writer do through S3: a multipart upload written in odd-sized
// pieces, then ranged reads anywhere in the object (the footer, across part boundaries).
TEST_F(S3StreamsTest, MultipartUploadThenRangedReads) {
  std::string data;
  for (int i = 0; data.size() < (12u << 20); ++i) data += "row-" + std::to_string(i * 31) + ";";
  S3OutputStream out(client_, "bkt", "t.parquet", {.part_bytes = 5 << 20});
  for (size_t at = 0; at < data.size(); at += 777'777) {
    ASSERT_TRUE(out.Write(std::string_view(data).substr(at, 777'777)).ok());
  }
  ASSERT_TRUE(out.Close().ok());
  const uint64_t size = fake_->objects["t.parquet"].size();
  ASSERT_EQ(size, data.size());

  auto ranged = OpenS3RandomAccessFile(client_, "bkt", "t.parquet", size);
  std::string got;
  for (uint64_t offset : {uint64_t{0}, uint64_t{(5u << 20) - 10}, size - 8, size / 3}) {
    const size_t length = static_cast<size_t>(std::min<uint64_t>(100'000, size - offset));
    ASSERT_TRUE(ranged->ReadAt(offset, length, got).ok());
    EXPECT_EQ(got, data.substr(offset, length)) << offset;
  }
  EXPECT_FALSE(ranged->ReadAt(size - 4, 8, got).ok());

  auto missing = OpenS3RandomAccessFile(client_, "bkt", "nope.parquet");
  EXPECT_EQ(missing->Size().status().failure_type(), FailureType::kConfig);
  std::string buf;
  auto file = OpenS3RandomAccessFile(client_, "bkt", "t.parquet");
  ASSERT_TRUE(file->Size().ok());
  EXPECT_EQ(*file->Size(), size);
  EXPECT_FALSE(file->ReadAt(size - 2, 4, buf).ok());
  ASSERT_TRUE(file->ReadAt(0, 4, buf).ok());
  EXPECT_EQ(buf, "row-");
}

}  // namespace
}  // namespace sluice
