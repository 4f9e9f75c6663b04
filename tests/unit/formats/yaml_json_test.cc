#include "formats/yaml/yaml_json.h"

#include <gtest/gtest.h>

#include <cmath>

namespace sluice {
namespace {

Json Yaml(std::string_view text) {
  auto r = YamlToJson(text, "test.yaml");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Json();
}

std::string YamlError(std::string_view text) {
  auto r = YamlToJson(text, "pipeline.yaml");
  EXPECT_FALSE(r.ok()) << "parsed: " << (r.ok() ? r->dump() : "");
  if (r.ok()) return {};
  EXPECT_EQ(r.status().failure_type(), FailureType::kConfig);
  return r.status().message();
}

TEST(YamlJsonTest, PlainScalarsAreTyped) {
  const Json j = Yaml(R"(
null_word: null
tilde: ~
empty:
t: true
f: False
int: 42
negative: -7
plus: +3
hex: 0x1F
octal: 0o17
big: 18446744073709551615
float: 2.5
exp: 1e3
dot: .5
leading_zero: 007
version: 1.10
word: hello world
yes_word: yes
off_word: off
inf: .inf
ip: 10.0.0.1
time: 12:30
)");
  EXPECT_TRUE(j["null_word"].is_null());
  EXPECT_TRUE(j["tilde"].is_null());
  EXPECT_TRUE(j["empty"].is_null());
  EXPECT_EQ(j["t"], true);
  EXPECT_EQ(j["f"], false);
  EXPECT_TRUE(j["int"].is_number_integer());
  EXPECT_EQ(j["int"], 42);
  EXPECT_EQ(j["negative"], -7);
  EXPECT_EQ(j["plus"], 3);
  EXPECT_EQ(j["hex"], 31);
  EXPECT_EQ(j["octal"], 15);
  EXPECT_TRUE(j["big"].is_number_unsigned());
  EXPECT_EQ(j["big"].get<uint64_t>(), 18446744073709551615ull);
  EXPECT_TRUE(j["float"].is_number_float());
  EXPECT_EQ(j["float"], 2.5);
  EXPECT_EQ(j["exp"], 1000.0);
  EXPECT_EQ(j["dot"], 0.5);
  EXPECT_EQ(j["leading_zero"], 7);
  EXPECT_EQ(j["version"], 1.1);
  EXPECT_EQ(j["word"], "hello world");
  EXPECT_EQ(j["yes_word"], "yes") << "YAML 1.2: yes/no/on/off are strings";
  EXPECT_EQ(j["off_word"], "off");
  EXPECT_EQ(j["inf"], ".inf");
  EXPECT_EQ(j["ip"], "10.0.0.1");
  EXPECT_EQ(j["time"], "12:30");
}

TEST(YamlJsonTest, QuotedBlockAndTaggedScalars) {
  const Json j = Yaml(R"(
dq: "123"
sq: 'true'
qnull: "null"
block: |
  line 1
  line 2
folded: >-
  a
  b
str_tag: !!str 12
int_tag: !!int "7"
float_tag: !!float 1
bool_tag: !!bool "true"
null_tag: !!null ""
empty_str: !!str
)");
  EXPECT_EQ(j["dq"], "123");
  EXPECT_EQ(j["sq"], "true");
  EXPECT_EQ(j["qnull"], "null");
  EXPECT_EQ(j["block"], "line 1\nline 2\n");
  EXPECT_EQ(j["folded"], "a b");
  EXPECT_EQ(j["str_tag"], "12");
  EXPECT_EQ(j["int_tag"], 7);
  EXPECT_TRUE(j["float_tag"].is_number_float());
  EXPECT_EQ(j["bool_tag"], true);
  EXPECT_TRUE(j["null_tag"].is_null());
  EXPECT_EQ(j["empty_str"], "");
}

TEST(YamlJsonTest, CollectionsAnchorsAndMergeKeys) {
  const Json j = Yaml(R"(
list: [1, two, {three: 3}]
block_list:
  - a
  - b: [x]
base: &base {host: db, port: 5432}
copy: *base
derived:
  <<: *base
  port: 6432
multi:
  <<: [{a: 1, b: 1}, {b: 2, c: 2}]
  c: 3
)");
  EXPECT_EQ(j["list"], Json::parse(R"([1, "two", {"three": 3}])"));
  EXPECT_EQ(j["block_list"], Json::parse(R"(["a", {"b": ["x"]}])"));
  EXPECT_EQ(j["copy"], Json::parse(R"({"host": "db", "port": 5432})"));
  EXPECT_EQ(j["derived"]["port"], 6432) << "explicit keys win over merged ones";
  EXPECT_EQ(j["derived"]["host"], "db");
  EXPECT_EQ(j["multi"], Json::parse(R"({"c": 3, "a": 1, "b": 1})")) << "earlier merges win";
  EXPECT_EQ(Yaml(""), Json()) << "an empty document is null";
  EXPECT_EQ(Yaml("# only a comment\n"), Json());
}

TEST(YamlJsonTest, MalformedYamlCitesOneBasedLineAndColumn) {
  EXPECT_EQ(YamlError("a: [1, 2\nb: 3\n"), "pipeline.yaml:2:2: end of sequence flow not found");
  EXPECT_EQ(YamlError("name: x\nsource: a: b\n"), "pipeline.yaml:2:10: illegal map value");
  EXPECT_EQ(YamlError("a: 1\nb: 2\na: 3\n"), "pipeline.yaml:3:1: duplicate key 'a' (first at line 1)");
  EXPECT_EQ(YamlError("x: !!int abc\n"), "pipeline.yaml:1:4: 'abc' is not a valid !!int");
  EXPECT_EQ(YamlError("x: !secret abc\n"), "pipeline.yaml:1:4: unsupported YAML tag '!secret'");
  EXPECT_EQ(YamlError("? [a, b]\n: 1\n"), "pipeline.yaml:1:3: mapping keys must be plain strings");
}

TEST(YamlJsonTest, MarksMapJsonPathsToLines) {
  auto doc = ParseYaml(R"(name: demo
streams:
  - name: users
    mode: "Full Refresh | Overwrite"
  - name: orders
    cursor_field: [created_at]
"key with space": 1
)",
                       "p.yaml");
  ASSERT_TRUE(doc.ok()) << doc.status().message();
  EXPECT_EQ(doc->LocationOf("$"), "p.yaml:1:1");
  EXPECT_EQ(doc->LocationOf("$.name"), "p.yaml:1:1");
  EXPECT_EQ(doc->LocationOf("$.streams"), "p.yaml:2:1");
  EXPECT_EQ(doc->LocationOf("$.streams[0]"), "p.yaml:3:5");
  EXPECT_EQ(doc->LocationOf("$.streams[0].mode"), "p.yaml:4:5");
  EXPECT_EQ(doc->LocationOf("$.streams[1].cursor_field"), "p.yaml:6:5");
  EXPECT_EQ(doc->LocationOf("$.streams[1].cursor_field[0]"), "p.yaml:6:20");
  EXPECT_EQ(doc->LocationOf("$['key with space']"), "p.yaml:7:1");
  // Paths that are not in the file fall back to the nearest ancestor.
  EXPECT_EQ(doc->LocationOf("$.streams[1].primary_key"), "p.yaml:5:5");
  EXPECT_EQ(doc->LocationOf("$.streams[7].x['a.b'][2]"), "p.yaml:2:1");
  EXPECT_EQ(doc->LocationOf("$.nothing"), "p.yaml:1:1");
  YamlDocument empty;
  empty.file_name = "e.yaml";
  EXPECT_EQ(empty.LocationOf("$.a"), "e.yaml");
}

}  // namespace
}  // namespace sluice
