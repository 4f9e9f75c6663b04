#include "formats/csv/csv_writer.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace sluice {
namespace {

using testing::MakeCatalog;
using testing::MakeUsersBatch;
using testing::ParseCsv;

TEST(CsvWriterTest, QuotesOnlyWhenNeeded) {
  CsvWriter w;
  std::string out;
  w.AppendCell(out, "plain");
  w.AppendDelimiter(out);
  w.AppendCell(out, "a,b");
  w.AppendDelimiter(out);
  w.AppendCell(out, "say \"hi\"");
  w.AppendDelimiter(out);
  w.AppendCell(out, "two\nlines");
  w.AppendDelimiter(out);
  w.AppendCell(out, "cr\r");
  w.AppendDelimiter(out);
  w.AppendCell(out, "");
  w.AppendDelimiter(out);
  w.AppendCell(out, "", /*quote_empty=*/false);
  w.EndRow(out);
  EXPECT_EQ(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\",\"\",\n");
}

TEST(CsvWriterTest, CustomDelimiterAndLineTerminator) {
  CsvWriter w(CsvWriterOptions{.delimiter = '\t', .line_terminator = "\r\n"});
  std::string out;
  w.AppendHeader(out, std::vector<std::string>{"a", "b,c", "d\te"});
  EXPECT_EQ(out, "a\tb,c\t\"d\te\"\r\n");
}

TEST(CsvWriterTest, WritesBatchRowsThatParseBack) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  RecordBatch batch = MakeUsersBatch(catalog, 0, 1, 5);
  CsvWriter w;
  std::string out;
  w.AppendHeader(out, batch.schema());
  for (size_t r = 0; r < batch.num_rows(); ++r) w.AppendRow(out, batch, r);
  auto rows = ParseCsv(out);
  ASSERT_EQ(rows.size(), 6u);
  ASSERT_EQ(rows[0].size(), 5u);
  EXPECT_EQ(rows[0][0].text, "id");
  EXPECT_EQ(rows[0][4].text, "doc");
  // Row ids 1..5: names cycle through plain / quotes / multi-line / unicode / empty.
  EXPECT_EQ(rows[1][0].text, "1");
  EXPECT_EQ(rows[1][1].text, "plain");
  EXPECT_FALSE(rows[1][1].quoted);
  EXPECT_EQ(rows[1][2].text, "1.5");
  EXPECT_EQ(rows[1][3].text, "2023-11-14T22:13:21Z");
  EXPECT_EQ(rows[1][4].text, R"({"tags":["a","b"],"n":1})");
  EXPECT_TRUE(rows[1][4].quoted);
  EXPECT_EQ(rows[2][1].text, "with \"quotes\", comma");
  EXPECT_EQ(rows[3][1].text, "multi\nline\r\ntext");
  // Row 4 (index 3) is null except id: empty, unquoted cells.
  EXPECT_EQ(rows[4][0].text, "4");
  for (size_t c = 1; c < 5; ++c) {
    EXPECT_EQ(rows[4][c].text, "");
    EXPECT_FALSE(rows[4][c].quoted);
  }
  // Row 5 has an empty (not null) name: "".
  EXPECT_EQ(rows[5][1].text, "");
  EXPECT_TRUE(rows[5][1].quoted);
}

TEST(CsvWriterTest, RowCellsCanFollowCallerCells) {
  ConfiguredCatalog catalog = MakeCatalog({{"users", "", "append"}});
  RecordBatch batch = MakeUsersBatch(catalog, 0, 7, 1);
  CsvWriter w(CsvWriterOptions{.delimiter = ';'});
  std::string out = "x;";
  w.AppendRowCells(out, batch, 0);
  EXPECT_EQ(out, R"(x;7;plain;7.5;2023-11-14T22:13:27Z;"{""tags"":[""a"",""b""],""n"":1}")");
  auto rows = ParseCsv(out + "\n", ';');
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_EQ(rows[0].size(), 6u);
  EXPECT_EQ(rows[0][5].text, R"({"tags":["a","b"],"n":1})");
  EXPECT_TRUE(rows[0][5].quoted);  // it holds quotes
}

}  // namespace
}  // namespace sluice
