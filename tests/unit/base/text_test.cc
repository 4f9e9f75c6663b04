#include "base/text.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

TEST(Utf8SequenceLengthTest, AcceptsValidSequencesAndRejectsInvalidOnes) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength(std::string_view("\0", 1), 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC", 0), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80", 0), 4u);  // 😀
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);              // stray continuation byte
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF", 0), 0u);      // overlong
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);      // surrogate
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // past U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), 0u);          // cut off
  EXPECT_EQ(Utf8SequenceLength("x\xC3\xA9", 1), 2u);
}

TEST(PercentDecodeTest, DecodesEscapesAndKeepsMalformedOnes) {
  bool valid = false;
  EXPECT_EQ(PercentDecode("a%20b%2Fc%3d", &valid), "a b/c=");
  EXPECT_TRUE(valid);
  EXPECT_EQ(PercentDecode("100%", &valid), "100%");
  EXPECT_FALSE(valid);
  EXPECT_EQ(PercentDecode("%zz%41", &valid), "%zzA");
  EXPECT_FALSE(valid);
  EXPECT_EQ(PercentDecode("%4"), "%4");
}

}  // namespace
}  // namespace sluice
