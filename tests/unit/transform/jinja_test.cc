// The Jinja subset dbt models use; expected texts are what Jinja2 prints for the same templates.
#include "transform/jinja.h"

#include <gtest/gtest.h>

namespace sluice {
namespace {

std::string R(JinjaEngine& j, const std::string& t) {
  auto r = j.Render(t, "t.sql");
  return r.ok() ? *r : "ERR: " + r.status().message();
}

TEST(Jinja, ExpressionsAndStatements) {
  JinjaEngine j;
  EXPECT_EQ(R(j, "{{ 1 + 2 * 3 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 10 / 4 }} {{ 'a' ~ 1 }}"), "7 3 -4 2.5 a1");
  EXPECT_EQ(R(j, "{{ none }} {{ true }} {{ [1, 'a'] }} {{ x }}|"), "None True [1, 'a'] |");
  EXPECT_EQ(R(j, "{% if 1 > 2 %}a{% elif 'b' in 'abc' %}b{% else %}c{% endif %}"), "b");
  EXPECT_EQ(R(j, "{% for x in [1, 2, 3] %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}"),
            "11,22,33");
  EXPECT_EQ(R(j, "{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R(j, "{% set a, b = [1, 2] %}{{ a + b }}{% set s %}in {{ a }}{% endset %} {{ s | upper }}"), "3 IN 1");
  EXPECT_EQ(R(j, "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}"), "a=1");
  EXPECT_EQ(R(j, "a  {%- if true -%}  b  {%- endif %}  c"), "ab  c");
  EXPECT_EQ(R(j, "{{ x | default('d') }} {{ ['b', 'a'] | sort | join(', ') }} {{ 'A b' | lower | replace(' ', '_') }}"),
            "d a, b a_b");
  EXPECT_EQ(R(j, "{{ 'yes' if x is not defined else 'no' }} {{ 'Abc'.startswith('A') }}"), "yes True");
}

TEST(Jinja, MacrosAndHostFunctions) {
  JinjaEngine j;
  ASSERT_TRUE(j.AddMacros("{% macro money(c, d=2) -%}round({{ c }} / 100, {{ d }}){%- endmacro %}", "m.sql").ok());
  j.SetGlobal("ref", JinjaValue::Function([](const JinjaArgs& a, const JinjaKwargs&) -> Result<JinjaValue> {
    JinjaValue v(Json{{"name", a[0].Str()}});
    v.text = "\"s\".\"" + a[0].Str() + "\"";
    return v;
  }));
  EXPECT_EQ(R(j, "select {{ money('x') }}, {{ money('y', d=0) }} from {{ ref('t') }} -- {{ ref('t').name }}"),
            "select round(x / 100, 2), round(y / 100, 0) from \"s\".\"t\" -- t");
}

TEST(Jinja, ErrorsNameFileAndLine) {
  JinjaEngine j;
  EXPECT_EQ(R(j, "a\n{% if x %}\nb"), "ERR: t.sql:2: '{% if %}' is never closed by '{% endif %}'");
  EXPECT_EQ(R(j, "a\n\n{{ nope() }}"), "ERR: t.sql:3: 'nope' is undefined");
  EXPECT_EQ(R(j, "{{ x.y.z }}"), "ERR: t.sql:1: 'y' of an undefined value");
}

}  // namespace
}  // namespace sluice
