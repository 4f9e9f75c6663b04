#include "base/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace sluice {
namespace {

TEST(UuidV4GeneratorTest, WritesVersion4TextAndDiffersPerInstance) {
  UuidV4Generator g;
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    char buf[36];
    g.Write(buf);
    const std::string s(buf, 36);
    ASSERT_EQ(s[8], '-');
    ASSERT_EQ(s[13], '-');
    ASSERT_EQ(s[14], '4');
    ASSERT_EQ(s[18], '-');
    ASSERT_TRUE(s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
    ASSERT_EQ(s[23], '-');
    seen.insert(s);
  }
  EXPECT_EQ(seen.size(), 1000u);
  UuidV4Generator other;
  char a[36], b[36];
  g.Write(a);
  other.Write(b);
  EXPECT_NE(std::string(a, 36), std::string(b, 36));
}

TEST(UuidV4GeneratorTest, AppendsTextAndBigEndianBytesWithVersionAndVariant) {
  UuidV4Generator g;
  std::string text;
  g.Append(text);
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text[14], '4');
  std::string bytes;
  g.AppendBytes(bytes);
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[6]) >> 4, 4);     // version in the high nibble of byte 6
  EXPECT_EQ(static_cast<uint8_t>(bytes[8]) >> 6, 2);     // variant 10 in the top bits of byte 8
}

}  // namespace
}  // namespace sluice
