// The evaluator against Jinja2 itself: jinja_cases.json holds templates rendered by Python's
// Jinja2 (make_jinja_cases.py, with Airbyte's macros and a fixed now), and the texts Python's
// ast.literal_eval reads; "statement_cases" are dbt-style templates (statements, macros, host
// functions) rendered by a plain Jinja2 environment, checked through TemplateDialect::kJinja.

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "template/template.h"

namespace sluice {
namespace {

Json LoadCases() {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/unit/template/jinja_cases.json");
  std::stringstream text;
  text << in.rdbuf();
  return Json::parse(text.str());
}

// Compares one rendering with Jinja2's: the same text, or a failure of the same kind (an
// UndefinedError or another). False (and a test failure) when they differ.
bool CheckCase(const Json& c, const Result<std::string>& r, TemplateErrorKind kind) {
  const std::string t = c["template"].get<std::string>();
  if (c.contains("expected")) {
    if (!r.ok()) {
      ADD_FAILURE() << t << " failed: " << r.status().ToString();
      return false;
    }
    if (*r != c["expected"].get<std::string>()) {
      ADD_FAILURE() << t << " rendered [" << *r << "], Jinja2 gives [" << c["expected"].get<std::string>() << "]";
      return false;
    }
    return true;
  }
  if (r.ok()) {
    ADD_FAILURE() << t << " rendered [" << *r << "], Jinja2 fails";
    return false;
  }
  EXPECT_NE(kind, TemplateErrorKind::kNone) << t;
  EXPECT_EQ(kind == TemplateErrorKind::kUndefined, c["error"] == "undefined") << t << ": " << r.status().ToString();
  return kind != TemplateErrorKind::kNone && (kind == TemplateErrorKind::kUndefined) == (c["error"] == "undefined");
}

TEST(JinjaTest, RendersAsJinja2Does) {
  const Json cases = LoadCases();
  ASSERT_GT(cases["cases"].size(), 100u);
  auto engine = MakeJinjaEngine(cases["now_micros"].get<int64_t>());
  TemplateContext context;
  for (auto it = cases["context"].begin(); it != cases["context"].end(); ++it) context.Set(it.key(), &it.value());
  int failures = 0;
  for (const Json& c : cases["cases"]) {
    const std::string t = c["template"].get<std::string>();
    TemplateErrorKind kind;
    Result<std::string> r = engine->Render(t, context, &kind);
    failures += CheckCase(c, r, kind) ? 0 : 1;
  }
  EXPECT_EQ(failures, 0);
}

TEST(JinjaTest, LiteralEvalReadsPythonLiterals) {
  const Json cases = LoadCases();
  for (const Json& c : cases["literals"]) {
    const std::string text = c["text"].get<std::string>();
    EXPECT_EQ(LiteralEval(text), c["expected"]) << "[" << text << "]";
  }
}

TEST(JinjaTest, ErrorsQuoteTheTemplate) {
  auto engine = MakeJinjaEngine();
  TemplateContext context;
  Result<std::string> r = engine->Render("{{ config['x'].y }}", context);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("{{ config['x'].y }}"), std::string::npos) << r.status().ToString();
}

TEST(JinjaTest, PlainTextIsNotParsed) {
  auto engine = MakeJinjaEngine();
  TemplateContext context;
  EXPECT_EQ(*engine->Render("a } b { c %}", context), "a } b { c %}");
  EXPECT_FALSE(IsTemplate("v1/customers"));
  EXPECT_TRUE(IsTemplate("{{ x }}"));
}

// The same host functions make_jinja_cases.py gives Jinja2 for the statement cases.
Json RelationJson(const std::string& name) {
  return Json{{"schema", "analytics"}, {"name", name}, {"identifier", name}};
}

TEST(JinjaTest, StatementsRenderAsJinja2Does) {
  const Json cases = LoadCases();
  ASSERT_GT(cases["statement_cases"].size(), 30u);
  const Json vars = cases["vars"];
  auto engine = MakeJinjaEngine(0, TemplateDialect::kJinja);
  TemplateContext context;
  context.SetFunction("ref", [](const TemplateArgs& a, const TemplateKwargs&) -> Result<TemplateValue> {
    const std::string name = a.back().get<std::string>();
    return TemplateValue{RelationJson(name), "\"analytics\".\"" + name + "\""};
  });
  context.SetFunction("var", [&vars](const TemplateArgs& a, const TemplateKwargs&) -> Result<TemplateValue> {
    const std::string name = a.at(0).get<std::string>();
    if (vars.contains(name)) return TemplateValue{vars[name], {}};
    if (a.size() > 1 && !a[1].is_null()) return TemplateValue{a[1], {}};
    return Status::ConfigError("Required var '" + name + "' not found");
  });
  context.SetFunction("is_incremental", [](const TemplateArgs&, const TemplateKwargs&) -> Result<TemplateValue> {
    return TemplateValue{Json(false), {}};
  });
  context.SetFunction("config", [](const TemplateArgs&, const TemplateKwargs&) -> Result<TemplateValue> {
    return TemplateValue{Json(""), {}};
  });
  context.SetValue("this", TemplateValue{RelationJson("orders"), "\"analytics\".\"orders\""});
  int failures = 0;
  for (const Json& c : cases["statement_cases"]) {
    TemplateErrorKind kind;
    Result<std::string> r = engine->RenderFile(c["template"].get<std::string>(), "model.sql", context, &kind);
    failures += CheckCase(c, r, kind) ? 0 : 1;
    if (!r.ok()) {
      EXPECT_EQ(r.status().message().rfind("model.sql:", 0), 0u) << r.status().ToString();
    }
  }
  EXPECT_EQ(failures, 0);
}

TEST(JinjaTest, ContextValuesAreBorrowedNotCopied) {
  auto engine = MakeJinjaEngine();
  Json record = {{"n", 1}};
  TemplateContext context;
  context.Set("record", &record);
  EXPECT_EQ(*engine->Render("{{ record.n }}", context), "1");
  record["n"] = 2;  // the engine reads the value at render time
  EXPECT_EQ(*engine->Render("{{ record.n }}", context), "2");
}

}  // namespace
}  // namespace sluice
