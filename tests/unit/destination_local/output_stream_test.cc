#include "io/output_stream.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace sluice {
namespace {

using testing::ReadFile;
using testing::ReadGzip;
using testing::TempDir;

TEST(OutputStreamTest, PlainFileGetsEveryByte) {
  TempDir dir;
  const std::string path = dir.path() + "/a.txt";
  auto out = OpenOutputFile(path);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  SLUICE_ASSERT_OK((*out)->Write("hello "));
  SLUICE_ASSERT_OK((*out)->Write("world"));
  EXPECT_EQ((*out)->bytes_written(), 11u);
  SLUICE_ASSERT_OK((*out)->Close());
  SLUICE_ASSERT_OK((*out)->Close());  // idempotent
  EXPECT_EQ(ReadFile(path), "hello world");
}

TEST(OutputStreamTest, GzipFileDecompressesToTheInput) {
  TempDir dir;
  const std::string path = dir.path() + "/a.jsonl.gz";
  auto out = OpenOutputFile(path, {.compression = Compression::kGzip});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  std::string expected;
  for (int i = 0; i < 200000; ++i) expected += "{\"id\":" + std::to_string(i * 7919 % 100003) + "}\n";
  for (size_t at = 0; at < expected.size(); at += 100000) {
    SLUICE_ASSERT_OK((*out)->Write(std::string_view(expected).substr(at, 100000)));
  }
  SLUICE_ASSERT_OK((*out)->Close());
  EXPECT_GT((*out)->bytes_written(), 0u);
  EXPECT_LT((*out)->bytes_written(), expected.size());
  bool ok = false;
  EXPECT_EQ(ReadGzip(path, &ok), expected);
  EXPECT_TRUE(ok);
}

TEST(OutputStreamTest, EmptyGzipIsAValidMember) {
  std::string sink;
  auto out = MakeGzipOutputStream(MakeStringOutputStream(&sink, "mem"));
  SLUICE_ASSERT_OK(out->Close());
  EXPECT_GE(sink.size(), 18u);  // header + trailer
  EXPECT_EQ(static_cast<unsigned char>(sink[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(sink[1]), 0x8b);
}

TEST(OutputStreamTest, ErrorsNameTheFile) {
  TempDir dir;
  auto out = OpenOutputFile(dir.path() + "/missing/a.txt");
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(out.status().message().find("missing/a.txt"), std::string::npos) << out.status().message();
  EXPECT_NE(out.status().message().find("No such file or directory"), std::string::npos);
  auto zstd = OpenOutputFile(dir.path() + "/a.zst", {.compression = Compression::kZstd});
  EXPECT_FALSE(zstd.ok());
}

}  // namespace
}  // namespace sluice
