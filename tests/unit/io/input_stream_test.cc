#include "io/input_stream.h"
#include "unit/testing/zlib_util.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>


namespace sluice {
namespace {

namespace fs = std::filesystem;

class InputStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sluice_stream_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }

  fs::path dir_;
};

using testing::Gzip;

std::string Zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Reads everything, `step` bytes at a time.
Result<std::string> ReadAll(InputStream& in, size_t step = 7) {
  std::string out;
  std::string buf(step, '\0');
  while (true) {
    SLUICE_ASSIGN_OR_RETURN(const size_t n, in.Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf, 0, n);
  }
}

std::string Sample(size_t rows) {
  std::string s = "id,name\n";
  for (size_t i = 0; i < rows; ++i) s += std::to_string(i) + ",name " + std::to_string(i * 7919 % 1000) + "\n";
  return s;
}

TEST_F(InputStreamTest, PlainFile) {
  const std::string data = Sample(1000);
  auto in = OpenInputFile(Write("a.csv", data));
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  auto got = ReadAll(**in, 4096);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, data);
}

TEST_F(InputStreamTest, MissingFile) {
  const std::string path = (dir_ / "nope.csv").string();
  auto in = OpenInputFile(path);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(in.status().message(), "cannot open '" + path + "': No such file or directory");
  auto dir = OpenInputFile(dir_.string());
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().message(), "cannot open '" + dir_.string() + "': Is a directory");
}

TEST_F(InputStreamTest, GzipByExtensionAndByMagic) {
  const std::string data = Sample(20000);
  for (const char* name : {"a.csv.gz", "a.csv.GZIP", "gzip-without-extension.csv"}) {
    const std::string path = Write(name, Gzip(data));
    for (size_t step : {size_t{1} << 20, size_t{3}}) {
      auto in = OpenInputFile(path);
      ASSERT_TRUE(in.ok()) << in.status().ToString();
      auto got = ReadAll(**in, step);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, data) << name;
    }
  }
}

TEST_F(InputStreamTest, GzipMultipleMembers) {
  const std::string a = Sample(100);
  const std::string b = "100,more\n101,rows\n";
  auto in = OpenInputFile(Write("m.gz", Gzip(a) + Gzip(b) + Gzip("")));
  ASSERT_TRUE(in.ok());
  auto got = ReadAll(**in, 1000);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, a + b);
}

TEST_F(InputStreamTest, GzipCorruptOrTruncated) {
  const std::string gz = Gzip(Sample(5000));
  const std::string truncated = Write("t.csv.gz", gz.substr(0, gz.size() / 2));
  auto in = OpenInputFile(truncated);
  ASSERT_TRUE(in.ok());
  auto got = ReadAll(**in, 4096);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "cannot read '" + truncated + "': corrupt gzip data (unexpected end of data)");

  const std::string plain = Write("plain.csv.gz", "id,name\n1,x\n");
  in = OpenInputFile(plain);
  ASSERT_TRUE(in.ok());
  got = ReadAll(**in);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().failure_type(), FailureType::kConfig);
  EXPECT_NE(got.status().message().find("cannot read '" + plain + "': corrupt gzip data"), std::string::npos)
      << got.status().message();
}

TEST_F(InputStreamTest, ZstdFramesAndErrors) {
  const std::string a = Sample(30000);
  const std::string b = "x,y\n";
  for (const char* name : {"a.csv.zst", "a.zstd", "zstd-by-magic.csv"}) {
    auto in = OpenInputFile(Write(name, Zstd(a) + Zstd(b)));
    ASSERT_TRUE(in.ok());
    auto got = ReadAll(**in, 65536);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, a + b) << name;
  }
  const std::string z = Zstd(a);
  const std::string truncated = Write("t.zst", z.substr(0, z.size() - 10));
  auto in = OpenInputFile(truncated);
  ASSERT_TRUE(in.ok());
  auto got = ReadAll(**in, 4096);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message(), "cannot read '" + truncated + "': corrupt zstd data (unexpected end of data)");

  const std::string garbage = Write("g.zst", "definitely not zstd");
  in = OpenInputFile(garbage);
  ASSERT_TRUE(in.ok());
  got = ReadAll(**in);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().message().rfind("cannot read '" + garbage + "': corrupt zstd data (", 0), 0u)
      << got.status().message();
}

TEST_F(InputStreamTest, CompressedFilesFromTheCommandLineTools) {
  const std::string data = Sample(3000);
  const std::string path = Write("cli.csv", data);
  if (std::system(("gzip -k -f " + path + " && zstd -q -f " + path).c_str()) != 0) {
    GTEST_SKIP() << "gzip/zstd command-line tools not available";
  }
  for (const std::string& compressed : {path + ".gz", path + ".zst"}) {
    auto in = OpenInputFile(compressed);
    ASSERT_TRUE(in.ok());
    auto got = ReadAll(**in);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, data) << compressed;
  }
}

TEST(CompressionTest, Extensions) {
  EXPECT_EQ(CompressionFromPath("a.csv.gz"), Compression::kGzip);
  EXPECT_EQ(CompressionFromPath("A.CSV.GZ"), Compression::kGzip);
  EXPECT_EQ(CompressionFromPath("a.jsonl.zst"), Compression::kZstd);
  EXPECT_EQ(CompressionFromPath("a.csv"), Compression::kNone);
  EXPECT_EQ(StripCompressionExtension("a.csv.gzip"), "a.csv");
  EXPECT_EQ(StripCompressionExtension("a.tsv.zstd"), "a.tsv");
  EXPECT_EQ(StripCompressionExtension("a.csv"), "a.csv");
}

TEST(LineReaderTest, Lines) {
  for (size_t chunk : {size_t{1}, size_t{4}, size_t{1} << 20}) {
    LineReader lines(MakeStringInputStream("one\r\ntwo\n\nthree has more bytes\nlast", "x.jsonl"), 64, chunk);
    std::vector<std::string> got;
    std::string_view line;
    while (true) {
      auto more = lines.Next(&line);
      ASSERT_TRUE(more.ok());
      if (!*more) break;
      got.emplace_back(line);
    }
    EXPECT_EQ(got, (std::vector<std::string>{"one", "two", "", "three has more bytes", "last"})) << chunk;
    EXPECT_EQ(lines.line_number(), 5u);
  }
}

}  // namespace
}  // namespace sluice
