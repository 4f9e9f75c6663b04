#include "io/tar_archive.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace sluice {
namespace {

namespace fs = std::filesystem;

class TarArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "sluice_tar_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  //! Runs a shell command, returns its stdout.
  static std::string Shell(const std::string& cmd) {
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    std::array<char, 4096> buf;
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    pclose(p);
    return out;
  }
  fs::path dir_;
};

TEST_F(TarArchiveTest, WritesWhatGnuTarReadsAndReadsItBack) {
  std::string big(700 * 1024 + 13, '\0');  // not a multiple of 512, with every byte value
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31 + 7);
  std::ofstream(Path("big.bin"), std::ios::binary) << big;
  {
    auto writer = TarWriter::Create(Path("a.tar"));
    ASSERT_TRUE(writer.ok()) << writer.status().message();
    ASSERT_TRUE(writer->AddBytes("manifest.json", "{\"a\": 1}\n", 0644).ok());
    ASSERT_TRUE(writer->AddFile("payload.bin", Path("big.bin")).ok());
    ASSERT_TRUE(writer->AddBytes("empty", "").ok());
    EXPECT_FALSE(fs::exists(Path("a.tar"))) << "only renamed into place by Finish";
    ASSERT_TRUE(writer->Finish().ok());
  }
  struct stat st {};
  ASSERT_EQ(stat(Path("a.tar").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // GNU tar, an independent reader, lists and extracts the same bytes.
  EXPECT_EQ(Shell("tar -tf " + Path("a.tar")), "manifest.json\npayload.bin\nempty\n");
  EXPECT_EQ(Shell("tar -xOf " + Path("a.tar") + " payload.bin"), big);

  auto reader = TarReader::Open(Path("a.tar"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ASSERT_EQ(reader->entries().size(), 3u);
  const TarEntry* manifest = reader->Find("manifest.json");
  ASSERT_NE(manifest, nullptr);
  EXPECT_EQ(manifest->mode, 0644);
  EXPECT_EQ(*reader->ReadSmall(*manifest), "{\"a\": 1}\n");
  ASSERT_TRUE(reader->ExtractTo(*reader->Find("payload.bin"), Path("out.bin")).ok());
  EXPECT_EQ(Slurp(Path("out.bin")), big);
  EXPECT_EQ(reader->Find("empty")->size, 0u);
  EXPECT_EQ(reader->Find("missing"), nullptr);
  EXPECT_FALSE(reader->ReadSmall(*reader->Find("payload.bin"), 1024).ok()) << "larger than the caller allows";
}

TEST_F(TarArchiveTest, ReadsAnArchiveMadeByGnuTar) {
  std::ofstream(Path("x.txt")) << "hello";
  Shell("cd " + dir_.string() + " && tar --format=ustar -cf gnu.tar x.txt");
  auto reader = TarReader::Open(Path("gnu.tar"));
  ASSERT_TRUE(reader.ok()) << reader.status().message();
  ASSERT_NE(reader->Find("x.txt"), nullptr);
  EXPECT_EQ(*reader->ReadSmall(*reader->Find("x.txt")), "hello");
}

TEST_F(TarArchiveTest, RejectsTruncatedCorruptAndForeignFiles) {
  {
    auto writer = TarWriter::Create(Path("a.tar"));
    ASSERT_TRUE(writer->AddBytes("m", std::string(2000, 'x')).ok());
    ASSERT_TRUE(writer->Finish().ok());
  }
  const std::string whole = Slurp(Path("a.tar"));
  std::ofstream(Path("cut.tar"), std::ios::binary) << whole.substr(0, 1024);
  auto cut = TarReader::Open(Path("cut.tar"));
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("truncated"), std::string::npos) << cut.status().message();

  std::string corrupt = whole;
  corrupt[10] ^= 0x20;  // a byte of the name: the header checksum no longer matches
  std::ofstream(Path("bad.tar"), std::ios::binary) << corrupt;
  auto bad = TarReader::Open(Path("bad.tar"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos) << bad.status().message();

  std::ofstream(Path("text.tar")) << std::string(3000, 'a');
  EXPECT_FALSE(TarReader::Open(Path("text.tar")).ok());
  EXPECT_FALSE(TarReader::Open(Path("missing.tar")).ok());
}

TEST_F(TarArchiveTest, AnUnfinishedArchiveLeavesNothingBehind) {
  {
    auto writer = TarWriter::Create(Path("a.tar"));
    ASSERT_TRUE(writer->AddBytes("m", "x").ok());
    EXPECT_FALSE(writer->AddBytes(std::string(101, 'n'), "x").ok()) << "names over 100 bytes";
  }  // destroyed without Finish
  EXPECT_TRUE(fs::is_empty(dir_));
  EXPECT_FALSE(TarWriter::Create(Path("no/such/folder/a.tar")).ok());
}

}  // namespace
}  // namespace sluice
