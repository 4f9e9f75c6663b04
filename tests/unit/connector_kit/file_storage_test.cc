#include "connectors/kit/file_storage.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "io/output_stream.h"
#include "unit/testing/connector_test_util.h"

namespace sluice {
namespace {

std::string ReadAll(InputStream& in) {
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = in.Read(buf, sizeof(buf));
    if (!n.ok() || *n == 0) break;
    out.append(buf, *n);
  }
  return out;
}

std::string Gzip(const std::string& text) {
  std::string out;
  auto gz = MakeGzipOutputStream(MakeStringOutputStream(&out, "mem"));
  EXPECT_TRUE(gz->Write(text).ok());
  EXPECT_TRUE(gz->Close().ok());
  return out;
}

TEST(FileStorageTest, LocalGlobListsFilesInOrderWithSizeAndTime) {
  testing::TempDir dir;
  dir.Write("b.csv", "x\n22\n");
  dir.Write("a.csv", "x\n1\n");
  dir.Write("c.jsonl", "{}\n");
  dir.Write("sub/d.csv", "x\n");
  auto storage = MakeLocalFileStorage();
  auto files = storage->Glob(dir.Path("*.csv"));
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, dir.Path("a.csv"));
  EXPECT_EQ((*files)[1].path, dir.Path("b.csv"));
  EXPECT_EQ((*files)[1].size, 5u);
  EXPECT_GT((*files)[0].last_modified_micros, int64_t{1'600'000'000} * 1'000'000);
  auto none = storage->Glob(dir.Path("*.parquet"));
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(FileStorageTest, LocalListWalksBelowThePrefix) {
  testing::TempDir dir;
  dir.Write("orders/2024/a.csv", "x\n");
  dir.Write("orders/2025/b.csv", "x\n");
  dir.Write("other/c.csv", "x\n");
  auto storage = MakeLocalFileStorage();
  std::vector<std::string> seen;
  Status st = storage->List(dir.Path("orders/"), [&](const FileInfo& f) {
    seen.push_back(f.path);
    EXPECT_EQ(f.size, 2u);
    return Status::Ok();
  });
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{dir.Path("orders/2024/a.csv"), dir.Path("orders/2025/b.csv")}));
  // The callback's error stops the listing.
  st = storage->List(dir.Path(""), [](const FileInfo&) { return Status::ConfigError("stop"); });
  EXPECT_EQ(st.message(), "stop");
}

TEST(FileStorageTest, LocalOpenDecompressesAndNamesMissingFiles) {
  testing::TempDir dir;
  const std::string path = dir.Write("a.csv.gz", Gzip("id\n1\n"));
  auto storage = MakeLocalFileStorage();
  auto in = storage->Open(path);
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_EQ(ReadAll(**in), "id\n1\n");

  auto missing = storage->Open(dir.Path("absent.csv"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(missing.status().message().find("absent.csv"), std::string::npos);

  auto file = storage->OpenRandomAccess(dir.Write("r.bin", "0123456789"));
  ASSERT_TRUE(file.ok());
  std::string bytes;
  ASSERT_TRUE((*file)->ReadAt(3, 4, bytes).ok());
  EXPECT_EQ(bytes, "3456");
}

TEST(FileStorageTest, HttpCannotListAndSchemesAreRecognised) {
  auto storage = MakeHttpFileStorage({});
  auto files = storage->Glob("https://example.com/*.csv");
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(SchemeOf("S3://bucket/key"), FileScheme::kS3);
  EXPECT_EQ(SchemeOf("https://x/y.csv"), FileScheme::kHttp);
  EXPECT_EQ(SchemeOf("/data/x.csv"), FileScheme::kLocal);
  EXPECT_EQ(FileNameOf("https://x/y.csv.gz?token=1#top"), "https://x/y.csv.gz");
}

TEST(FileStorageTest, S3EnvironmentFillsOnlyWhatIsEmpty) {
  S3ClientOptions options;
  options.region = "eu-west-1";
  ::setenv("AWS_REGION", "us-west-2", 1);
  ::setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9", 1);
  ApplyS3Environment(options);
  ::unsetenv("AWS_REGION");
  ::unsetenv("AWS_ENDPOINT_URL_S3");
  EXPECT_EQ(options.region, "eu-west-1");
  EXPECT_EQ(options.endpoint, "http://127.0.0.1:9");
}

}  // namespace
}  // namespace sluice
