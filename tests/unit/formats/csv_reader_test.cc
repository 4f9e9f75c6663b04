#include "formats/csv/csv_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sluice {
namespace {

struct Parsed {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::vector<uint64_t> lines;
};

// Reads all of `text`; every test runs at several chunk sizes so rows cross buffer refills.
Result<Parsed> ParseCsv(const std::string& text, CsvOptions options = {}) {
  SLUICE_ASSIGN_OR_RETURN(auto reader, CsvReader::Open(MakeStringInputStream(text, "t.csv"), options));
  Parsed out;
  out.columns = reader->column_names();
  while (true) {
    SLUICE_ASSIGN_OR_RETURN(const bool got, reader->Next());
    if (!got) break;
    out.rows.emplace_back(reader->row().begin(), reader->row().end());
    out.lines.push_back(reader->line());
  }
  return out;
}

constexpr size_t kChunkSizes[] = {1, 2, 3, 5, 8, 13, 64, 1 << 20};

Parsed ParseEverywhere(const std::string& text, CsvOptions options = {}) {
  Parsed first;
  bool have_first = false;
  for (size_t chunk : kChunkSizes) {
    options.chunk_bytes = chunk;
    auto parsed = ParseCsv(text, options);
    EXPECT_TRUE(parsed.ok()) << "chunk " << chunk << ": " << parsed.status().ToString();
    if (!parsed.ok()) return {};
    if (!have_first) {
      first = *parsed;
      have_first = true;
      continue;
    }
    EXPECT_EQ(parsed->columns, first.columns) << "chunk " << chunk;
    EXPECT_EQ(parsed->rows, first.rows) << "chunk " << chunk;
    EXPECT_EQ(parsed->lines, first.lines) << "chunk " << chunk;
  }
  return first;
}

// The error message of parsing `text`, which must be the same at every chunk size.
std::string ErrorOf(const std::string& text, CsvOptions options = {}) {
  std::string first;
  for (size_t chunk : kChunkSizes) {
    options.chunk_bytes = chunk;
    auto parsed = ParseCsv(text, options);
    EXPECT_FALSE(parsed.ok()) << "chunk " << chunk;
    if (parsed.ok()) return "";
    EXPECT_EQ(parsed.status().failure_type(), FailureType::kConfig);
    if (chunk == kChunkSizes[0]) {
      first = parsed.status().message();
    } else {
      EXPECT_EQ(parsed.status().message(), first) << "chunk " << chunk;
    }
  }
  return first;
}

using Rows = std::vector<std::vector<std::string>>;

TEST(CsvReaderTest, HeaderAndRows) {
  Parsed p = ParseEverywhere("id,name,price\n1,apple,1.5\n2,pear,0.25\n");
  EXPECT_EQ(p.columns, (std::vector<std::string>{"id", "name", "price"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "apple", "1.5"}, {"2", "pear", "0.25"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(CsvReaderTest, LastRowWithoutLineBreakAndEmptyFields) {
  Parsed p = ParseEverywhere("a,b,c\n,,\n1,,3\nx,y,");
  EXPECT_EQ(p.rows, (Rows{{"", "", ""}, {"1", "", "3"}, {"x", "y", ""}}));
}

TEST(CsvReaderTest, QuotedFields) {
  Parsed p = ParseEverywhere(
      "a,b\n"
      "\"x,y\",\"say \"\"hi\"\"\"\n"
      "\"\",\"\"\"\"\n"
      "\"ab\"c,plain\"quote\n");
  EXPECT_EQ(p.rows, (Rows{{"x,y", "say \"hi\""}, {"", "\""}, {"abc", "plain\"quote"}}));
}

TEST(CsvReaderTest, EmbeddedNewlinesKeepLineNumbers) {
  Parsed p = ParseEverywhere(
      "id,note\n"
      "1,\"two\nlines\"\n"
      "2,\"three\r\nlines\n!\"\n"
      "3,plain\n");
  EXPECT_EQ(p.rows, (Rows{{"1", "two\nlines"}, {"2", "three\r\nlines\n!"}, {"3", "plain"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{2, 4, 7}));
  // An error after a multi-line field names the right line.
  EXPECT_EQ(ErrorOf("id,note\n1,\"a\nb\nc\"\n2,x,extra\n"), "file t.csv line 5: expected 2 fields, found 3");
}

TEST(CsvReaderTest, CrlfAndLoneCr) {
  Parsed p = ParseEverywhere("a,b\r\n1,2\r\n\"3\",\"4\"\r\n5,6\r7,8");
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"3", "4"}, {"5", "6"}, {"7", "8"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{2, 3, 4, 5}));
}

TEST(CsvReaderTest, ByteOrderMarkIsDropped) {
  Parsed p = ParseEverywhere("\xEF\xBB\xBFid,name\n1,\xC3\xA9t\xC3\xA9\n");
  EXPECT_EQ(p.columns, (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "\xC3\xA9t\xC3\xA9"}}));
}

TEST(CsvReaderTest, CustomDelimiters) {
  CsvOptions tab;
  tab.delimiter = '\t';
  EXPECT_EQ(ParseEverywhere("a\tb\n1,5\t\"x\ty\"\n", tab).rows, (Rows{{"1,5", "x\ty"}}));
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  EXPECT_EQ(ParseEverywhere("a;b\n1,5;2\n", semicolon).rows, (Rows{{"1,5", "2"}}));
}

TEST(CsvReaderTest, EscapeChar) {
  CsvOptions options;
  options.escape_char = '\\';
  options.double_quote = false;
  Parsed p = ParseEverywhere("a,b\n\"say \\\"hi\\\"\",x\\,y\n\"back\\\\slash\",\"multi\\\nline\"\n", options);
  EXPECT_EQ(p.rows, (Rows{{"say \"hi\"", "x,y"}, {"back\\slash", "multi\nline"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{2, 3}));
}

TEST(CsvReaderTest, EscapeEqualToQuoteMeansDoubledQuotes) {
  CsvOptions options;
  options.escape_char = '"';
  EXPECT_EQ(ParseEverywhere("a\n\"x\"\"y\"\n", options).rows, (Rows{{"x\"y"}}));
}

TEST(CsvReaderTest, QuotingOff) {
  CsvOptions options;
  options.quote_char = '\0';
  EXPECT_EQ(ParseEverywhere("a,b\n\"x,y\"\n", options).rows, (Rows{{"\"x", "y\""}}));
}

TEST(CsvReaderTest, RaggedRowIsAnErrorWithItsLine) {
  EXPECT_EQ(ErrorOf("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4,5,6,7\n"), "file t.csv line 3: expected 5 fields, found 7");
  EXPECT_EQ(ErrorOf("a,b\n1,2\n\n3\n"), "file t.csv line 4: expected 2 fields, found 1");
}

TEST(CsvReaderTest, SkipMalformedRowsCountsThem) {
  CsvOptions options;
  options.skip_malformed_rows = true;
  Parsed p = ParseEverywhere("a,b\n1,2\n3\n4,5\n6,7,8\n9,\xFF\n10,11\n", options);
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"4", "5"}, {"10", "11"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{2, 4, 7}));
  auto reader = CsvReader::Open(MakeStringInputStream("a,b\n1,2\n3\n4,5\n6,7,8\n9,\xFF\n", "t.csv"), options);
  ASSERT_TRUE(reader.ok());
  while (true) {
    auto got = (*reader)->Next();
    ASSERT_TRUE(got.ok());
    if (!*got) break;
  }
  EXPECT_EQ((*reader)->malformed_rows(), 3u);
  EXPECT_EQ((*reader)->malformed_lines(), (std::vector<uint64_t>{3, 5, 6}));
  EXPECT_EQ((*reader)->rows_read(), 2u);
}

TEST(CsvReaderTest, ReaderContinuesAfterMalformedRow) {
  auto reader = CsvReader::Open(MakeStringInputStream("a,b\n1\n2,3\n", "t.csv"), {});
  ASSERT_TRUE(reader.ok());
  EXPECT_FALSE((*reader)->Next().ok());
  auto got = (*reader)->Next();
  ASSERT_TRUE(got.ok() && *got);
  EXPECT_EQ((*reader)->row()[1], "3");
  EXPECT_EQ((*reader)->line(), 3u);
}

TEST(CsvReaderTest, InvalidUtf8NamesTheColumn) {
  EXPECT_EQ(ErrorOf("id,name,city\n1,ok,ok\n2,\"b\xC3\x28\",x\n"),
            "file t.csv line 3: invalid UTF-8 in column 'name'");
  EXPECT_EQ(ErrorOf("id\xFF\n1\n"), "file t.csv line 1: invalid UTF-8 in the header");
  CsvOptions off;
  off.validate_utf8 = false;
  EXPECT_EQ(ParseEverywhere("a\n\xFF\n", off).rows, (Rows{{"\xFF"}}));
}

TEST(CsvReaderTest, InvalidUtf8AmongValidNonAsciiRows) {
  std::string text = "id,name\n";
  for (int i = 0; i < 40; ++i) text += std::to_string(i) + (i % 3 == 0 ? ",caf\xC3\xA9\n" : ",plain\n");
  Parsed p = ParseEverywhere(text);
  EXPECT_EQ(p.rows.size(), 40u);
  EXPECT_EQ(p.rows[3][1], "caf\xC3\xA9");
  text += "40,\"bad \xE2\x82\"\n41,ok\n";
  EXPECT_EQ(ErrorOf(text), "file t.csv line 42: invalid UTF-8 in column 'name'");
}

TEST(CsvReaderTest, NoHeader) {
  CsvOptions options;
  options.header = false;
  Parsed p = ParseEverywhere("1,2\n3,4\n", options);
  EXPECT_EQ(p.columns, (std::vector<std::string>{"f0", "f1"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{1, 2}));
}

TEST(CsvReaderTest, SkipRowsBeforeHeader) {
  CsvOptions options;
  options.skip_rows_before_header = 2;
  Parsed p = ParseEverywhere("Report \"2024\n(generated)\na,b\n1,2\n", options);
  EXPECT_EQ(p.columns, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{4}));
}

TEST(CsvReaderTest, BlankLinesAreSkippedButCounted) {
  Parsed p = ParseEverywhere("a,b\n\n1,2\r\n\r\n\n3,4\n\n");
  EXPECT_EQ(p.rows, (Rows{{"1", "2"}, {"3", "4"}}));
  EXPECT_EQ(p.lines, (std::vector<uint64_t>{3, 6}));
  // One column: a blank line is an empty value.
  EXPECT_EQ(ParseEverywhere("a\n1\n\n2\n").rows, (Rows{{"1"}, {""}, {"2"}}));
}

TEST(CsvReaderTest, HeaderNamesAreMadeUnique) {
  EXPECT_EQ(ParseEverywhere("a,,a,a_2,b\n").columns,
            (std::vector<std::string>{"a", "column_2", "a_2", "a_2_2", "b"}));
}

TEST(CsvReaderTest, EmptyInput) {
  Parsed p = ParseEverywhere("");
  EXPECT_TRUE(p.columns.empty());
  EXPECT_TRUE(p.rows.empty());
  EXPECT_TRUE(ParseEverywhere("a,b\n").rows.empty());
}

TEST(CsvReaderTest, UnterminatedQuote) {
  EXPECT_EQ(ErrorOf("a,b\n1,2\n3,\"open\n4,5\n"), "file t.csv line 3: unterminated quoted field");
}

TEST(CsvReaderTest, RowLargerThanTheBuffer) {
  std::string big(100000, 'x');
  CsvOptions options;
  options.chunk_bytes = 1024;
  auto p = ParseCsv("a,b\n1,\"" + big + "\"\n2," + big + "\n", options);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->rows.size(), 2u);
  EXPECT_EQ(p->rows[0][1], big);
  EXPECT_EQ(p->rows[1][1], big);
}

TEST(CsvReaderTest, NullValues) {
  auto reader = CsvReader::Open(MakeStringInputStream("a\n", "t.csv"), {});
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->IsNullValue(""));
  EXPECT_FALSE((*reader)->IsNullValue("NULL"));
  CsvOptions options;
  options.null_values = {"NULL", "\\N"};
  reader = CsvReader::Open(MakeStringInputStream("a\n", "t.csv"), options);
  ASSERT_TRUE(reader.ok());
  EXPECT_TRUE((*reader)->IsNullValue("\\N"));
  EXPECT_FALSE((*reader)->IsNullValue(""));
}

TEST(CsvReaderTest, OptionValidation) {
  CsvOptions latin;
  latin.encoding = "latin1";
  auto r = CsvReader::Open(MakeStringInputStream("a\n", "t.csv"), latin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "file t.csv: encoding 'latin1' is not supported: files must be utf-8");
  CsvOptions utf8;
  utf8.encoding = "UTF8";
  EXPECT_TRUE(CsvReader::Open(MakeStringInputStream("a\n", "t.csv"), utf8).ok());
  CsvOptions same;
  same.quote_char = ',';
  EXPECT_FALSE(CsvReader::Open(MakeStringInputStream("a\n", "t.csv"), same).ok());
}

TEST(CsvReaderTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("plain ascii text that is long enough"));
  EXPECT_TRUE(IsValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 ok"));
  EXPECT_FALSE(IsValidUtf8("abcdefgh\xC3"));
  EXPECT_FALSE(IsValidUtf8("\xED\xA0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("\xC0\xAF"));      // overlong
}

}  // namespace
}  // namespace sluice
