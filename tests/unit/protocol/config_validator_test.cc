#include "protocol/config_validator.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sluice {
namespace {

namespace fs = std::filesystem;

// ---------------------------------------------------------------------------------------------
// Agreement with an independent implementation: Python's `jsonschema` (Draft7Validator).
// Python's format checkers for date-time need an extra package, so the script registers RFC 3339
// checks of its own for "date" and "date-time" (written from the RFC, not from our code).

// Each group: one schema and instances to judge against it.
const char* kOracleGroups = R"json([
  {"schema": {"type": "integer"}, "instances": [5, 3.0, 3.5, "10", true, null, -7, 18446744073709551615]},
  {"schema": {"type": "number"}, "instances": [3.5, 0, true, "1.5"]},
  {"schema": {"type": ["string", "null"]}, "instances": [null, "x", 7, []]},
  {"schema": {"type": "boolean"}, "instances": [true, 0, "true"]},
  {"schema": {"type": "object"}, "instances": [{}, [], "x"]},
  {"schema": {"type": "array"}, "instances": [[], {}, "x"]},
  {"schema": {"required": ["a", "b"], "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}},
   "instances": [{}, {"a": "x"}, {"a": "x", "b": 1}, {"a": 1, "b": 1}, {"a": "x", "b": 1, "c": 3}, "not an object"]},
  {"schema": {"properties": {"a": {"type": "integer"}}, "additionalProperties": false},
   "instances": [{"a": 1}, {"a": 1, "z": 2}, {}]},
  {"schema": {"properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}},
   "instances": [{"a": "s", "b": 2}, {"b": "x"}, {"a": 1}]},
  {"schema": {"enum": ["JSONL", "CSV", 1, null]}, "instances": ["CSV", "XML", 1.0, true, null, "csv"]},
  {"schema": {"const": {"a": [1, 2], "b": true}},
   "instances": [{"a": [1, 2], "b": true}, {"b": true, "a": [1, 2]}, {"a": [2, 1], "b": true}, {"a": [1, 2]}]},
  {"schema": {"const": 0}, "instances": [0, 0.0, false, "0"]},
  {"schema": {"minimum": 1, "maximum": 10}, "instances": [1, 0, 0.5, 10.0, 11, "100"]},
  {"schema": {"exclusiveMinimum": 0, "exclusiveMaximum": 100}, "instances": [0, 0.001, 100, 99.99, -1]},
  {"schema": {"minLength": 3}, "instances": ["ab", "abc", "äöü", "", 12]},
  {"schema": {"maxLength": 2}, "instances": ["😀😀", "abc", "é"]},
  {"schema": {"pattern": "^[a-z]+_[0-9]{2}$"}, "instances": ["abc_12", "abc_1", "ABC_12", 5]},
  {"schema": {"pattern": "b"}, "instances": ["abc", "xyz"]},
  {"schema": {"minItems": 1, "maxItems": 2}, "instances": [[], [1], [1, 2], [1, 2, 3], "abc"]},
  {"schema": {"items": {"type": "string"}}, "instances": [["a", "b"], ["a", 1], []]},
  {"schema": {"items": [{"type": "string"}, {"type": "integer"}], "additionalItems": false},
   "instances": [["a", 1], ["a", "b"], ["a", 1, 2], ["a"]]},
  {"schema": {"uniqueItems": true},
   "instances": [[1, 2, 1], [1, "1"], [{"a": 1, "b": 2}, {"b": 2, "a": 1}], [1, 1.0], [true, 1], [[1], [1]], []]},
  {"schema": {"type": "object", "properties": {"format": {"type": "object", "oneOf": [
      {"title": "JSONL", "required": ["format_type"], "properties": {"format_type": {"type": "string", "const": "JSONL"}}},
      {"title": "CSV", "required": ["format_type"], "properties": {"format_type": {"type": "string", "const": "CSV"},
                                                                 "delimiter": {"type": "string", "maxLength": 1}}}]}}},
   "instances": [{"format": {"format_type": "CSV", "delimiter": ","}}, {"format": {"format_type": "XML"}},
                 {"format": {"format_type": "CSV", "delimiter": 5}}, {"format": {"format_type": "JSONL"}},
                 {"format": {}}, {"format": "CSV"}]},
  {"schema": {"oneOf": [{"type": "integer"}, {"type": "number"}]}, "instances": [5, 5.5, "x"]},
  {"schema": {"anyOf": [{"type": "string"}, {"minimum": 10}]}, "instances": [5, "x", 15]},
  {"schema": {"allOf": [{"minimum": 0}, {"maximum": 10}, {"type": "integer"}]}, "instances": [11, 5, -1, 5.5]},
  {"schema": {"definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
              "properties": {"port": {"$ref": "#/definitions/port"}}},
   "instances": [{"port": 70000}, {"port": 5432}, {"port": "5432"}]},
  {"schema": {"definitions": {"node": {"type": "object", "properties": {
      "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/definitions/node"}}}}},
              "$ref": "#/definitions/node"},
   "instances": [{"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]},
                 {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}]},
  {"schema": {"format": "date"}, "instances": ["2024-02-29", "2023-02-29", "2024-13-01", "2024-1-01", "2024-04-31", 5]},
  {"schema": {"format": "date-time"},
   "instances": ["2024-01-01T10:00:00Z", "2024-01-01T10:00:00", "2024-01-01T10:00:00.123+02:00",
                 "2024-01-01 10:00:00Z", "2024-01-01T24:00:00Z", "2024-02-30T10:00:00Z", "2024-01-01t10:00:00z",
                 "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00+0200"]},
  {"schema": {"type": "string", "airbyte_secret": true}, "instances": ["hunter2", 7]},
  {"schema": {"properties": {"a": false, "b": true}}, "instances": [{"a": 1}, {"b": 1}, {}]},
  {"schema": {"patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": false},
   "instances": [{"x_a": 1}, {"x_a": "s"}, {"y": 1}]},
  {"schema": {"not": {"type": "string"}}, "instances": [1, "a"]},
  {"schema": {"if": {"properties": {"kind": {"const": "s3"}}}, "then": {"required": ["bucket"]},
              "else": {"required": ["path"]}},
   "instances": [{"kind": "s3"}, {"kind": "s3", "bucket": "b"}, {"kind": "local"}, {"kind": "local", "path": "/x"}]},
  {"schema": {"multipleOf": 0.5}, "instances": [2.5, 2.3, 4]},
  {"schema": {"multipleOf": 3}, "instances": [9, 10, 9.0]},
  {"schema": {"minProperties": 1, "maxProperties": 2}, "instances": [{}, {"a": 1}, {"a": 1, "b": 2, "c": 3}]},
  {"schema": {"dependencies": {"ssl": ["ssl_cert"], "tunnel": {"required": ["tunnel_host"]}}},
   "instances": [{"ssl": true}, {"ssl": true, "ssl_cert": "c"}, {"tunnel": 1}, {"tunnel": 1, "tunnel_host": "h"}]},
  {"schema": {"propertyNames": {"pattern": "^[a-z_]+$"}}, "instances": [{"ok_name": 1}, {"Bad-Name": 1}]},
  {"schema": {"contains": {"type": "integer"}}, "instances": [["a", 1], ["a"], []]},
  {"schema": {"type": "object", "required": ["streams"], "properties": {"streams": {"type": "array", "minItems": 1,
      "items": {"type": "object", "required": ["name"], "additionalProperties": false, "properties": {
        "name": {"type": "string", "minLength": 1},
        "format": {"oneOf": [{"properties": {"filetype": {"const": "csv"}, "delimiter": {"type": "string"}},
                              "required": ["filetype"]},
                             {"properties": {"filetype": {"const": "parquet"}}, "required": ["filetype"]}]}}}}}},
   "instances": [{"streams": [{"name": "a", "format": {"filetype": "csv", "delimiter": ";"}}]},
                 {"streams": [{"name": "a", "format": {"filetype": "avro"}}]},
                 {"streams": [{"name": "", "extra": 1}]}, {"streams": []}]}
])json";

const char* kOracleScript = R"py(
import datetime, json, re, sys
import jsonschema

checker = jsonschema.FormatChecker(formats=())

@checker.checks("date")
def is_date(s):
    if not isinstance(s, str):
        return True
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", s):
        return False
    try:
        datetime.date.fromisoformat(s)
        return True
    except ValueError:
        return False

@checker.checks("date-time")
def is_date_time(s):
    if not isinstance(s, str):
        return True
    m = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
                     r"([Zz]|[+-]([0-9]{2}):([0-9]{2}))", s)
    if not m or not is_date(m.group(1)):
        return False
    if int(m.group(2)) > 23 or int(m.group(3)) > 59 or int(m.group(4)) > 60:
        return False
    if m.group(7) and (int(m.group(7)) > 23 or int(m.group(8)) > 59):
        return False
    return True

cases = json.load(open(sys.argv[1]))
verdicts = [jsonschema.Draft7Validator(c["schema"], format_checker=checker).is_valid(c["instance"]) for c in cases]
json.dump(verdicts, open(sys.argv[2], "w"))
)py";

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "sluice_validator_XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(ConfigValidatorOracleTest, AgreesWithPythonJsonschema) {
  if (std::system("/usr/bin/python3 -c 'import jsonschema' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with jsonschema not available";
  }
  TempDir dir;
  Json cases = Json::array();
  for (const auto& group : Json::parse(kOracleGroups)) {
    for (const auto& instance : group["instances"])
      cases.push_back({{"schema", group["schema"]}, {"instance", instance}});
  }
  ASSERT_GE(cases.size(), 40u);
  const std::string cases_file = dir.path() + "/cases.json";
  const std::string script_file = dir.path() + "/oracle.py";
  const std::string verdicts_file = dir.path() + "/verdicts.json";
  std::ofstream(cases_file) << cases.dump();
  std::ofstream(script_file) << kOracleScript;
  const std::string command = "/usr/bin/python3 " + script_file + " " + cases_file + " " + verdicts_file;
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(verdicts_file);
  const Json verdicts = Json::parse(in);
  ASSERT_EQ(verdicts.size(), cases.size());

  int valid = 0;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto violations = ValidateConfig(cases[i]["schema"], cases[i]["instance"]);
    const bool ours = violations.empty();
    valid += ours;
    std::string why;
    for (const auto& v : violations) why += "\n  " + v.ToString();
    EXPECT_EQ(ours, verdicts[i].get<bool>())
        << "case " << i << ": schema " << cases[i]["schema"].dump() << "\ninstance " << cases[i]["instance"].dump()
        << "\nours: " << (ours ? "valid" : "invalid") << why;
  }
  // Both outcomes are well represented.
  EXPECT_GT(valid, 30);
  EXPECT_GT(static_cast<int>(cases.size()) - valid, 30);
}

// ---------------------------------------------------------------------------------------------
// Messages and paths.

std::vector<std::string> Messages(const Json& schema, const Json& config) {
  std::vector<std::string> out;
  for (const auto& v : ValidateConfig(schema, config)) out.push_back(v.ToString());
  return out;
}

const Json kFileSpec = Json::parse(R"({
  "type": "object",
  "required": ["destination_path"],
  "additionalProperties": false,
  "properties": {
    "destination_path": {"type": "string"},
    "count": {"type": "integer", "minimum": 1, "default": 100},
    "api_key": {"type": "string", "airbyte_secret": true, "minLength": 8},
    "format": {
      "type": "object",
      "default": {"format_type": "JSONL"},
      "oneOf": [
        {"title": "JSONL", "required": ["format_type"],
         "properties": {"format_type": {"type": "string", "const": "JSONL", "default": "JSONL"},
                        "compression": {"type": "string", "enum": ["none", "gzip"], "default": "none"}}},
        {"title": "CSV", "required": ["format_type"],
         "properties": {"format_type": {"type": "string", "const": "CSV", "default": "CSV"},
                        "delimiter": {"type": "string", "maxLength": 1, "default": ","},
                        "header": {"type": "boolean", "default": true}}}
      ]
    },
    "streams": {"type": "array", "items": {"$ref": "#/definitions/stream"}}
  },
  "definitions": {
    "stream": {"type": "object", "required": ["name"], "properties": {
      "name": {"type": "string", "pattern": "^[a-z_]+$"},
      "format": {"type": "string", "enum": ["csv", "parquet"], "default": "parquet"},
      "password": {"type": "string", "airbyte_secret": true}}}
  }
})");

TEST(ConfigValidatorTest, ValidConfigHasNoViolations) {
  EXPECT_TRUE(ValidateConfig(kFileSpec, {{"destination_path", "/tmp/x"}}).empty());
  EXPECT_TRUE(ValidateConfig(kFileSpec, Json::parse(R"({"destination_path": "/x", "count": 3.0,
      "format": {"format_type": "CSV", "delimiter": ";"}, "streams": [{"name": "users"}]})"))
                  .empty());
}

TEST(ConfigValidatorTest, MessagesSayWhatWasExpectedAndFound) {
  EXPECT_EQ(Messages(kFileSpec, {{"destination_path", "/x"}, {"count", "ten"}}),
            std::vector<std::string>{"$.count: expected integer, got string \"ten\""});
  EXPECT_EQ(Messages(kFileSpec, {{"destination_path", "/x"}, {"count", 2.5}}),
            std::vector<std::string>{"$.count: expected integer, got number 2.5"});
  EXPECT_EQ(Messages(kFileSpec, {{"destination_path", "/x"}, {"count", 0}}),
            std::vector<std::string>{"$.count: must be >= 1, got 0"});
  EXPECT_EQ(Messages(kFileSpec, Json::object()),
            std::vector<std::string>{"$: missing required property 'destination_path'"});
  EXPECT_EQ(Messages(kFileSpec, {{"destination_path", "/x"}, {"format", {{"format_type", "XML"}}}}),
            std::vector<std::string>{"$.format.format_type: must be one of [JSONL, CSV], got \"XML\""});
  EXPECT_EQ(Messages(kFileSpec, {{"destination_path", "/x"}, {"extra_key", 1}}),
            std::vector<std::string>{
                "$.extra_key: unknown property (allowed: destination_path, count, api_key, format, streams)"});
  EXPECT_EQ(Messages(kFileSpec, "just a string"),
            std::vector<std::string>{"$: expected object, got string \"just a string\""});
}

TEST(ConfigValidatorTest, ReportsEveryViolationWithItsPath) {
  const Json config = Json::parse(R"({"count": -1, "extra": true, "streams": [{"name": "ok"}, {"name": "Bad Name",
      "format": "avro"}, {"format": "csv"}], "format": {"format_type": "CSV", "delimiter": ";;"}})");
  EXPECT_EQ(Messages(kFileSpec, config), (std::vector<std::string>{
                                             "$: missing required property 'destination_path'",
                                             "$.count: must be >= 1, got -1",
                                             "$.extra: unknown property (allowed: destination_path, count, "
                                             "api_key, format, streams)",
                                             "$.streams[1].name: must match pattern '^[a-z_]+$', got \"Bad Name\"",
                                             "$.streams[1].format: must be one of [csv, parquet], got \"avro\"",
                                             "$.streams[2]: missing required property 'name'",
                                             "$.format.delimiter: must be at most 1 character(s) long, got 2",
                                         }))
      << "order follows the config; the CSV branch is chosen by its discriminator";
}

TEST(ConfigValidatorTest, PathsQuoteKeysThatAreNotIdentifiers) {
  const Json schema = Json::parse(R"({"properties": {"a b": {"type": "object",
      "properties": {"x.y": {"type": "integer"}}}}})");
  EXPECT_EQ(Messages(schema, Json::parse(R"({"a b": {"x.y": "s"}})")),
            std::vector<std::string>{"$['a b']['x.y']: expected integer, got string \"s\""});
  EXPECT_EQ(JsonPathKey("$", "it's"), "$['it\\'s']");
  EXPECT_EQ(JsonPathIndex("$.a", 3), "$.a[3]");
}

TEST(ConfigValidatorTest, SecretValuesNeverAppearInMessages) {
  const auto messages = Messages(kFileSpec, {{"destination_path", "/x"}, {"api_key", "hunter2"}});
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0], "$.api_key: must be at least 8 character(s) long, got 7");
  const auto typed = Messages(kFileSpec, {{"destination_path", "/x"}, {"api_key", 12345678}});
  ASSERT_EQ(typed.size(), 1u);
  EXPECT_EQ(typed[0], "$.api_key: expected string, got integer (secret, not shown)");
  const Json enum_secret = Json::parse(R"({"enum": ["a"], "airbyte_secret": true})");
  EXPECT_EQ(Messages(enum_secret, "topsecret"),
            std::vector<std::string>{"$: must be one of [a], got a secret value (not shown)"});
}

TEST(ConfigValidatorTest, OneOfWithoutDiscriminatorReportsClosestBranch) {
  const Json schema = Json::parse(R"({"oneOf": [
      {"title": "Password", "type": "object", "required": ["password"], "properties": {"password": {"type": "string"}}},
      {"title": "Key", "type": "object", "required": ["key", "user"],
       "properties": {"key": {"type": "string"}, "user": {"type": "string"}}}]})");
  EXPECT_EQ(Messages(schema, Json::parse(R"({"key": "k"})")),
            (std::vector<std::string>{
                "$: matches none of the oneOf options ('Password', 'Key'); the closest, 'Password', fails:",
                "$: missing required property 'password'"}));
  EXPECT_EQ(Messages(schema, 5), std::vector<std::string>{"$: expected object, got integer 5"});
  const Json both = Json::parse(R"({"oneOf": [{"title": "A", "minimum": 0}, {"title": "B", "maximum": 10}]})");
  EXPECT_EQ(Messages(both, 5),
            std::vector<std::string>{"$: matches 2 of the oneOf options ('A', 'B'), expected exactly one"});
  const Json types = Json::parse(R"({"anyOf": [{"type": "string"}, {"type": "integer"}]})");
  EXPECT_EQ(Messages(types, true), std::vector<std::string>{"$: expected string or integer, got boolean true"});
}

TEST(ConfigValidatorTest, FormatsAndSchemaErrors) {
  EXPECT_EQ(Messages(Json::parse(R"({"format": "date"})"), "2024-02-30"),
            std::vector<std::string>{"$: must be a date (YYYY-MM-DD), got \"2024-02-30\""});
  EXPECT_TRUE(Messages(Json::parse(R"({"format": "date-time"})"), "2024-02-29T23:59:59.5-05:00").empty());
  EXPECT_EQ(Messages(Json::parse(R"({"format": "date-time"})"), "2024-02-29").size(), 1u);
  EXPECT_TRUE(Messages(Json::parse(R"({"format": "email"})"), "anything").empty()) << "other formats pass";
  EXPECT_EQ(Messages(Json::parse(R"({"$ref": "#/definitions/missing"})"), 1),
            std::vector<std::string>{"$: schema error: cannot resolve $ref \"#/definitions/missing\""});
  EXPECT_EQ(Messages(Json::parse(R"({"pattern": "(unclosed"})"), "x"),
            std::vector<std::string>{"$: schema error: invalid pattern '(unclosed'"});
  // A $ref cycle terminates.
  EXPECT_FALSE(
      Messages(Json::parse(R"({"definitions": {"a": {"$ref": "#/definitions/a"}}, "$ref": "#/definitions/a"})"), 1)
          .empty());
}

// ---------------------------------------------------------------------------------------------
// Defaults.

TEST(ConfigValidatorTest, ApplyDefaultsFillsAbsentPropertiesRecursively) {
  const Json out = ApplyDefaults(kFileSpec, Json::parse(R"({"destination_path": "/x", "streams": [{"name": "a"},
      {"name": "b", "format": "csv"}]})"));
  EXPECT_EQ(out, Json::parse(R"({"destination_path": "/x", "streams": [{"name": "a", "format": "parquet"},
      {"name": "b", "format": "csv"}], "count": 100, "format": {"format_type": "JSONL", "compression": "none"}})"));
}

TEST(ConfigValidatorTest, ApplyDefaultsIntoTheChosenOneOfBranch) {
  // CSV chosen by its discriminator: its defaults apply, not JSONL's.
  Json out = ApplyDefaults(kFileSpec, Json::parse(R"({"format": {"format_type": "CSV"}})"));
  EXPECT_EQ(out["format"], Json::parse(R"({"format_type": "CSV", "delimiter": ",", "header": true})"));
  // Given values are kept.
  out = ApplyDefaults(kFileSpec, Json::parse(R"({"format": {"format_type": "CSV", "header": false}})"));
  EXPECT_EQ(out["format"], Json::parse(R"({"format_type": "CSV", "header": false, "delimiter": ","})"));
  // An unknown discriminator: no branch applies, the value is left for the validator to report.
  out = ApplyDefaults(kFileSpec, Json::parse(R"({"format": {"format_type": "XML"}})"));
  EXPECT_EQ(out["format"], Json::parse(R"({"format_type": "XML"})"));
  // Ambiguous (both branches would accept an empty object once their defaults are in): unchanged.
  out = ApplyDefaults(kFileSpec, Json::parse(R"({"format": {}})"));
  EXPECT_EQ(out["format"], Json::object());
  // An object without a default is not created.
  const Json schema = Json::parse(R"({"properties": {"ssl": {"type": "object",
      "properties": {"mode": {"default": "prefer"}}}}})");
  EXPECT_EQ(ApplyDefaults(schema, Json::object()), Json::object());
  EXPECT_EQ(ApplyDefaults(schema, Json::parse(R"({"ssl": {}})")), Json::parse(R"({"ssl": {"mode": "prefer"}})"));
  // Non-objects are returned as they are.
  EXPECT_EQ(ApplyDefaults(kFileSpec, 5), Json(5));
}

TEST(ConfigValidatorTest, PrepareConfigValidatesAfterDefaults) {
  const Json schema = Json::parse(R"({"type": "object", "required": ["mode", "path"],
      "properties": {"mode": {"type": "string", "default": "fast"}, "path": {"type": "string"},
                     "n": {"type": "integer"}}})");
  auto ok = PrepareConfig(schema, {{"path", "/x"}}, "source-faker config");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(*ok, Json::parse(R"({"path": "/x", "mode": "fast"})"));

  auto one = PrepareConfig(schema, Json::object(), "source-faker config");
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.status().failure_type(), FailureType::kConfig);
  EXPECT_EQ(one.status().message(), "source-faker config: $: missing required property 'path'");

  auto two = PrepareConfig(schema, {{"n", "ten"}}, "source-faker config");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message(),
            "source-faker config: 2 problems:\n"
            "  $: missing required property 'path'\n"
            "  $.n: expected integer, got string \"ten\"");
}

// ---------------------------------------------------------------------------------------------
// Secrets.

TEST(ConfigValidatorTest, MaskSecretsReplacesSecretValues) {
  const Json config = Json::parse(R"({"destination_path": "/x", "api_key": "hunter22",
      "streams": [{"name": "a", "password": "p1"}, {"name": "b"}, {"name": "c", "password": null}]})");
  EXPECT_EQ(SecretPaths(kFileSpec, config), (std::vector<std::string>{"$.api_key", "$.streams[0].password"}));
  const Json masked = MaskSecrets(kFileSpec, config);
  EXPECT_EQ(masked["api_key"], "**********");
  EXPECT_EQ(masked["streams"][0]["password"], "**********");
  EXPECT_EQ(masked["streams"][2]["password"], nullptr) << "nothing to hide";
  EXPECT_EQ(masked["destination_path"], "/x");
  EXPECT_EQ(config["api_key"], "hunter22") << "the input is not modified";
}

TEST(ConfigValidatorTest, MaskSecretsLooksIntoEveryBranch) {
  const Json schema = Json::parse(R"({"properties": {"auth": {"oneOf": [
      {"properties": {"type": {"const": "password"}, "password": {"type": "string", "airbyte_secret": true}}},
      {"properties": {"type": {"const": "key"}, "private_key": {"type": "string", "airbyte_secret": true},
                      "user": {"type": "string"}}}]},
      "tunnel": {"$ref": "#/definitions/tunnel"}},
      "definitions": {"tunnel": {"type": "object", "properties": {"secret": {"airbyte_secret": true}}}}})");
  const Json config = Json::parse(R"({"auth": {"type": "key", "private_key": "-----BEGIN", "user": "u",
      "password": "stray"}, "tunnel": {"secret": {"nested": "object"}}})");
  const Json masked = MaskSecrets(schema, config);
  EXPECT_EQ(masked, Json::parse(R"({"auth": {"type": "key", "private_key": "**********", "user": "u",
      "password": "**********"}, "tunnel": {"secret": "**********"}})"));
}

}  // namespace
}  // namespace sluice
