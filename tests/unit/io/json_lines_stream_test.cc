#include "io/json_lines_stream.h"

#include <gtest/gtest.h>

#include <string>

namespace sluice {
namespace {

// Everything the stream returns, read `chunk` bytes at a time.
std::string Lines(const std::string& document, size_t chunk = 4096) {
  auto stream = MakeJsonToLinesStream(MakeStringInputStream(document, "doc.json"));
  std::string out;
  std::string buf(chunk, '\0');
  while (true) {
    auto n = stream->Read(buf.data(), buf.size());
    EXPECT_TRUE(n.ok());
    if (!n.ok() || *n == 0) break;
    out.append(buf.data(), *n);
  }
  return out;
}

TEST(JsonToLinesStreamTest, ArrayElementsBecomeLines) {
  EXPECT_EQ(Lines("[{\"a\":1},{\"a\":2}]"), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(Lines("  [\n  {\n    \"a\": 1,\n    \"b\": [1,\n 2]\n  },\n  {\"a\": 2}\n]\n"),
            "{     \"a\": 1,     \"b\": [1,  2]   }\n{\"a\": 2}\n");
  EXPECT_EQ(Lines("[]"), "");
  EXPECT_EQ(Lines("[1, \"x\", null]"), "1\n\"x\"\nnull\n");
}

TEST(JsonToLinesStreamTest, SequencesAndSingleObjects) {
  EXPECT_EQ(Lines("{\"a\":1}"), "{\"a\":1}\n");
  EXPECT_EQ(Lines("{\"a\":1}\n{\"a\":2}\n"), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(Lines("{\"a\":1}{\"a\":2}"), "{\"a\":1}\n{\"a\":2}\n");
  EXPECT_EQ(Lines("{\n\"a\":\n1\n}\r\n{\"a\":2}"), "{ \"a\": 1 }\n{\"a\":2}\n");
}

TEST(JsonToLinesStreamTest, StringsKeepBracketsQuotesAndEscapes) {
  const std::string doc = R"([{"s":"] } , [ { \" \\"},{"t":"\\\""}])";
  EXPECT_EQ(Lines(doc), R"({"s":"] } , [ { \" \\"})" "\n" R"({"t":"\\\""})" "\n");
  // The same result whatever the read size (state carries across reads).
  for (size_t chunk : {1, 2, 3, 7}) EXPECT_EQ(Lines(doc, chunk), Lines(doc)) << chunk;
}

}  // namespace
}  // namespace sluice
