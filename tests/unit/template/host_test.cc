// The evaluator as dbt models use it (TemplateDialect::kJinja, RenderFile): statements, macros
// (in the template and added from macro files), return(), host functions and objects, and
// errors naming the file and line. Expected texts are what Jinja2 prints for the same templates;
// jinja_cases.json's "statement_cases" check more of them against Jinja2 itself.
#include <gtest/gtest.h>

#include "template/template.h"

namespace sluice {
namespace {

class HostTest : public ::testing::Test {
 protected:
  std::string R(const std::string& t) {
    auto r = engine_->RenderFile(t, "t.sql", ctx_);
    return r.ok() ? *r : "ERR: " + r.status().message();
  }
  std::unique_ptr<TemplateEngine> engine_ = MakeJinjaEngine(0, TemplateDialect::kJinja);
  TemplateContext ctx_;
};

TEST_F(HostTest, ExpressionsAndStatements) {
  EXPECT_EQ(R("{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 10 / 4 }} {{ 'a' ~ 1 }}"), "7 3 -4 2.5 a1");
  EXPECT_EQ(R("{{ none }} {{ true }} {{ [1, 'a'] }} {{ x }}|"), "None True [1, 'a'] |");
  EXPECT_EQ(R("{% if 1 > 2 %}a{% elif 'b' in 'abc' %}b{% else %}c{% endif %}"), "b");
  EXPECT_EQ(R("{% for x in [1, 2, 3] %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"),
            "11,22,33");
  EXPECT_EQ(R("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("{% set a, b = [1, 2] %}{{ a + b }}{% set s %}in {{ a }}{% endset %} {{ s | upper }}"), "3 IN 1");
  EXPECT_EQ(R("{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}"), "a=1");
  EXPECT_EQ(R("a  {%- if true -%}  b  {%- endif %}  c"), "ab  c");
  EXPECT_EQ(R("{{ x | default('d') }} {{ ['b', 'a'] | sort | join(', ') }} {{ 'A b' | lower | replace(' ', '_') }}"),
            "d a, b a_b");
  EXPECT_EQ(R("{{ 'yes' if x is not defined else 'no' }} {{ 'Abc'.startswith('A') }}"), "yes True");
  // Jinja's string filter and range(), not Airbyte's.
  EXPECT_EQ(R("{{ 5 | string }} {{ range(3) | list }} {{ range(1, 7, 2) | join('') }}"), "5 [0, 1, 2] 135");
}

TEST_F(HostTest, MacrosAndHostFunctions) {
  ASSERT_TRUE(engine_->AddMacros("{% macro money(c, d=2) -%}round({{ c }} / 100, {{ d }}){%- endmacro %}", "m.sql").ok());
  ctx_.SetFunction("ref", [](const TemplateArgs& a, const TemplateKwargs&) -> Result<TemplateValue> {
    const std::string name = a.at(0).get<std::string>();
    return TemplateValue{Json{{"name", name}}, "\"s\".\"" + name + "\""};
  });
  Json seen = Json::object();
  ctx_.SetFunction("config", [&seen](const TemplateArgs&, const TemplateKwargs& kw) -> Result<TemplateValue> {
    for (const auto& [k, v] : kw) seen[k] = v;
    return TemplateValue{Json(""), {}};
  });
  ctx_.SetValue("this", TemplateValue{Json{{"schema", "an"}, {"name", "m"}}, "\"an\".\"m\""});
  EXPECT_EQ(R("select {{ money('x') }}, {{ money('y', d=0) }} from {{ ref('t') }} -- {{ ref('t').name }}"),
            "select round(x / 100, 2), round(y / 100, 0) from \"s\".\"t\" -- t");
  EXPECT_EQ(R("{{ config(materialized='table', unique_key=['id']) }}{{ this }} {{ this.schema }}"), "\"an\".\"m\" an");
  EXPECT_EQ(seen, (Json{{"materialized", "table"}, {"unique_key", {"id"}}}));
  // Macros in the template itself, keyword defaults, varargs, return() and recursion.
  EXPECT_EQ(R("{% macro cols(p, sep=', ') %}{{ varargs | map('upper') | join(sep) }}{% endmacro %}"
              "{{ cols(1, 'a', 'b') }}|{{ cols(1, sep='-') }}|{{ cols(1, '-', 'x', 'y') }}"),
            "B||X-Y");
  EXPECT_EQ(R("{% macro sq(x) %}{{ return(x * x) }}{% endmacro %}{{ sq(3) + 1 }}"), "10");
  EXPECT_EQ(R("{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(3) }}"), "321");
  // A macro sees its arguments, the globals and the template's top-level names (as in Jinja2).
  EXPECT_EQ(R("{% macro g() %}[{{ y }}]{% endmacro %}{% set y = 1 %}{{ g() }}{% for i in [1] %}{% set y = 2 %}{{ g() }}{% endfor %}"), "[1][1]");
}

TEST_F(HostTest, ErrorsNameFileAndLine) {
  EXPECT_EQ(R("a\n{% if x %}\nb"), "ERR: t.sql:2: '{% if %}' is never closed by '{% endif %}'");
  EXPECT_EQ(R("a\n\n{{ nope() }}"), "ERR: t.sql:3: 'nope' is undefined (not a known function)");
  EXPECT_EQ(R("{{ x.y.z }}"), "ERR: t.sql:1: 'x' is undefined");
  EXPECT_EQ(R("x\n{{ (1 + }}"), "ERR: t.sql:2: unexpected end of expression");
  ctx_.SetFunction("ref", [](const TemplateArgs&, const TemplateKwargs&) -> Result<TemplateValue> {
    return Status::ConfigError("ref('zz'): no model named 'zz' in the project");
  });
  ASSERT_TRUE(engine_->AddMacros("\n{% macro bad() %}\n{{ ref('zz') }}\n{% endmacro %}", "macros/bad.sql").ok());
  EXPECT_EQ(R("select\n{{ bad() }}"), "ERR: macros/bad.sql:3: ref('zz'): no model named 'zz' in the project");
  EXPECT_FALSE(engine_->AddMacros("{% macro m( %}", "macros/m.sql").ok());
  EXPECT_EQ(R("{% macro r(n) %}{{ r(n) }}{% endmacro %}{{ r(1) }}"),
            "ERR: t.sql:1: macro 'r': maximum recursion depth exceeded");
}

}  // namespace
}  // namespace sluice
