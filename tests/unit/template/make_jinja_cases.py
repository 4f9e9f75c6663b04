#!/usr/bin/python3
"""Writes jinja_cases.json: templates rendered by Jinja2 itself (the independent implementation
the C++ evaluator is checked against), with Airbyte's macros and filters re-implemented here from
their documented behaviour and a fixed now (2024-03-05T06:07:08.123456Z).

Run with Debian's python3-jinja2:  /usr/bin/python3 make_jinja_cases.py > jinja_cases.json
"""
import ast
import base64
import builtins
import datetime
import hashlib
import json
import re
import sys

import jinja2
from jinja2.sandbox import SandboxedEnvironment

NOW = datetime.datetime(2024, 3, 5, 6, 7, 8, 123456, tzinfo=datetime.timezone.utc)


def parse_dt(s):
    s = str(s)
    if re.fullmatch(r"-?\d+", s):
        return datetime.datetime.fromtimestamp(int(s), tz=datetime.timezone.utc)
    dt = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    return dt.astimezone(datetime.timezone.utc)


def fmt(dt, f):
    if f == "%s":
        return str(int(dt.timestamp()))
    if f == "%ms":
        return str(int(dt.timestamp() * 1000))
    return dt.strftime(f)


def duration(s):
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", s)
    d, h, mi, se = (int(x or 0) for x in m.groups())
    return datetime.timedelta(days=d, hours=h, minutes=mi, seconds=se)


def format_datetime(dt, f, input_format=None):
    if not isinstance(dt, datetime.datetime):
        dt = datetime.datetime.strptime(dt, input_format).replace(tzinfo=datetime.timezone.utc) if input_format else parse_dt(dt)
    return fmt(dt, f)


def string_filter(v):
    return v if isinstance(v, str) else '"""' + json.dumps(v) + '"""'


def regex_search(v, r):
    m = re.search(r, v)
    return m.group(1) if m and m.groups() else ""


env = SandboxedEnvironment()
env.globals.update(
    now_utc=lambda: NOW,
    today_utc=lambda: NOW.date(),
    max=builtins.max,
    min=builtins.min,
    day_delta=lambda n, format="%Y-%m-%dT%H:%M:%S.%f%z": fmt(NOW + datetime.timedelta(days=n), format),
    duration=duration,
    format_datetime=format_datetime,
    str_to_datetime=parse_dt,
    timestamp=lambda v: int(v) if isinstance(v, (int, float)) else parse_dt(v).timestamp(),
)
env.globals.pop("range")
env.filters.update(
    base64encode=lambda v: base64.b64encode(v.encode()).decode(),
    base64decode=lambda v: base64.b64decode(v.encode()).decode(),
    string=string_filter,
    regex_search=regex_search,
    hash=lambda v, t="md5", salt=None: hashlib.new(t, (str(v) + (str(salt) if salt else "")).encode()).hexdigest(),
)

CONTEXT = {
    "config": {"start_date": "2023-01-15T00:00:00Z", "api_key": "k-123", "page_size": 50, "region": "eu",
               "ids": ["a", "b", "c"], "nested": {"x": {"y": 7}}, "empty": "", "flag": False, "rate": 1.5,
               "none_value": None},
    "parameters": {"name": "customers", "path": "v1/customers"},
    "stream_slice": {"start_time": "2024-01-01", "end_time": "2024-01-31", "parent_id": 42},
    "stream_state": {"updated_at": "2024-02-01T00:00:00Z"},
    "next_page_token": {"next_page_token": "cur_9"},
    "response": {"data": [{"id": 1, "v": "x"}, {"id": 2, "v": "y"}], "has_more": True, "meta": {"next": None}},
    "headers": {"link": {"next": {"url": "http://h/p?page=2"}}, "x-total": "120"},
    "last_record": {"id": 2, "created": 1700000000},
    "record": {"id": 5, "name": "Ada Lovelace", "tags": ["x", "y"], "amount": 12.5, "status": "active",
               "email": "ADA@example.com", "created": "2024-02-03T04:05:06Z"},
}

TEMPLATES = [
    # plain text and literals
    "hello", "{{ 1 }}", "{{ -3 }}", "{{ 1.5 }}", "{{ 2.0 }}", "{{ 'a' }}", "{{ \"b\" }}", "{{ true }}", "{{ False }}",
    "{{ none }}", "{{ None }}", "{{ [1, 'a', none, true] }}", "{{ {'a': 1, 'b': [2.5]} }}", "{{ (1, 2) }}",
    "{{ 1e20 }}", "{{ 0.1 + 0.2 }}", "{{ 1e-5 }}", "{{ 10 / 4 }}", "{{ 10 // 4 }}", "{{ -7 // 2 }}", "{{ -7 % 3 }}",
    "{{ 7 % -3 }}", "{{ 2 ** 10 }}", "{{ 2 ** -1 }}", "{{ 3 * 'ab' }}", "{{ 'ab' ~ 3 ~ none }}", "{{ 1 + 2 * 3 - 4 }}",
    "{{ (1 + 2) * 3 }}", "{{ 5.0 // 2 }}", "{{ 7.5 % 2 }}", "{{ [1] + [2, 3] }}", "{{ 'a' 'b' }}",
    # config / parameters / slices
    "{{ config['start_date'] }}", "{{ config.start_date }}", "{{ config['page_size'] * 2 }}", "{{ config.nested.x.y }}",
    "{{ config['nested']['x']['y'] + 1 }}", "{{ config['missing'] }}", "{{ config.get('missing', 'fallback') }}",
    "{{ config.get('region') }}", "{{ config.get('missing') }}", "{{ config['ids'][0] }}", "{{ config['ids'][-1] }}",
    "{{ config.ids[1:] }}", "{{ config.ids[:2] }}", "{{ config.ids | join(',') }}", "{{ config.ids | length }}",
    "{{ parameters.name }}/{{ parameters['path'] }}", "{{ stream_slice.start_time }}..{{ stream_slice['end_time'] }}",
    "{{ stream_slice.parent_id }}", "{{ stream_state.get('updated_at', config.start_date) }}",
    "{{ next_page_token['next_page_token'] }}", "{{ next_page_token.missing }}",
    "{{ response.data | length }}", "{{ response['data'][-1]['id'] }}", "{{ response.has_more }}",
    "{{ response.meta.next }}", "{{ headers['link']['next']['url'] }}", "{{ headers['x-total'] | int + 1 }}",
    "{{ last_record['id'] }}", "{{ last_record.created }}",
    "{{ response.data }}", "{{ config.nested }}", "{{ record.tags }}",
    # if / else, boolean logic, comparisons, in
    "{{ 'yes' if config.flag else 'no' }}", "{{ 'yes' if config.page_size > 10 else 'no' }}",
    "{{ 'a' if not config.empty }}", "{{ 'a' if config.empty }}", "{{ config.flag or 'dflt' }}",
    "{{ config.page_size and 'both' }}", "{{ 1 < 2 < 3 }}", "{{ 3 < 2 < 4 }}", "{{ 1 == 1.0 }}", "{{ 'a' != 'b' }}",
    "{{ 'b' in config.ids }}", "{{ 'z' not in config.ids }}", "{{ 'cust' in parameters.name }}",
    "{{ 'region' in config }}", "{{ not response.has_more }}", "{{ response.has_more == false }}",
    "{{ record.amount >= 12.5 and record.status == 'active' }}", "{{ [1, 2] < [1, 3] }}", "{{ 'abc' < 'abd' }}",
    "{% if config.flag %}on{% elif config.page_size == 50 %}fifty{% else %}other{% endif %}",
    "{% if config.missing is defined %}d{% else %}u{% endif %}", "{% for i in config.ids %}{{ loop.index }}={{ i }}{% if not loop.last %},{% endif %}{% endfor %}",
    "{% for k, v in config.nested.items() %}{{ k }}:{{ v }}{% endfor %}", "{% for x in [] %}x{% else %}empty{% endfor %}",
    "{% set n = config.page_size + 1 %}{{ n }}", "  {{- ' trimmed ' -}}  ", "a {# comment #}b", "line\n",
    # tests
    "{{ config.missing is defined }}", "{{ config.start_date is defined }}", "{{ config.none_value is none }}",
    "{{ config.page_size is number }}", "{{ config.region is string }}", "{{ config.nested is mapping }}",
    "{{ 4 is even }}", "{{ 9 is divisibleby 3 }}", "{{ config.page_size is not none }}",
    # filters
    "{{ config.missing | default('x') }}", "{{ config.none_value | default('x') }}", "{{ config.empty | default('x', true) }}",
    "{{ config.empty | d('y', true) }}", "{{ record.name | lower }}", "{{ record.name | upper }}", "{{ record.email | lower }}",
    "{{ 'hello world' | title }}", "{{ 'hELLO' | capitalize }}", "{{ '  x  ' | trim }}", "{{ 'a-b-c' | replace('-', '_') }}",
    "{{ '42' | int }}", "{{ 'x' | int }}", "{{ '4.7' | int }}", "{{ 3 | float }}", "{{ '2.5' | float * 2 }}",
    "{{ record.tags | first }}", "{{ record.tags | last }}", "{{ record.tags | list }}", "{{ record | tojson }}",
    "{{ -4 | abs }}", "{{ 2.567 | round(2) }}", "{{ 2.5 | round }}", "{{ [3, 1, 2] | sort }}", "{{ [1, 2, 3] | sum }}",
    "{{ [1, 2, 2, 3] | unique | list }}", "{{ [3, 9, 4] | max }}", "{{ record.tags | reverse | list }}",
    "{{ config.ids | map('upper') | list if false else 'skip' }}", "{{ 'a,b' | string }}", "{{ config.ids | string }}",
    "{{ 'user:pass' | base64encode }}", "{{ 'dXNlcjpwYXNz' | base64decode }}", "{{ 'order-123' | regex_search('(\\\\d+)') }}",
    "{{ 'abc' | hash }}", "{{ 'abc' | hash('sha256', 'salt') }}", "{{ record.name | length }}",
    # methods
    "{{ 'a,b,,c'.split(',') }}", "{{ ' x y  z '.split() }}", "{{ 'a-b-c'.split('-', 1) }}", "{{ '  pad '.strip() }}",
    "{{ 'xxhixx'.strip('x') }}", "{{ 'Hello'.lower() }}", "{{ 'hello'.upper() }}", "{{ 'a.b'.replace('.', '/') }}",
    "{{ 'prefix_x'.startswith('prefix') }}", "{{ 'file.json'.endswith(('.csv', '.json')) }}", "{{ ', '.join(config.ids) }}",
    "{{ 'abc'.find('c') }}", "{{ '7'.zfill(3) }}", "{{ config.keys() | list | length }}", "{{ record.tags.index('y') }}",
    # Airbyte macros
    "{{ now_utc() }}", "{{ now_utc().strftime('%Y-%m-%dT%H:%M:%SZ') }}", "{{ now_utc().isoformat() }}",
    "{{ today_utc() }}", "{{ (now_utc() - duration('P1D')).strftime('%Y-%m-%d') }}", "{{ now_utc() - duration('PT1H') }}",
    "{{ day_delta(-1) }}", "{{ day_delta(2, '%Y-%m-%d') }}", "{{ format_datetime(config.start_date, '%Y-%m-%d') }}",
    "{{ format_datetime(config.start_date, '%s') }}", "{{ format_datetime('15/01/2023', '%Y-%m-%dT%H:%M:%S', '%d/%m/%Y') }}",
    "{{ format_datetime(now_utc(), '%Y%m%d') }}", "{{ str_to_datetime('2022-01-14') }}", "{{ timestamp('2022-01-14T00:00:00Z') }}",
    "{{ timestamp(1658505815.223235) }}", "{{ max(2, 3) }}", "{{ min(2, 3, 1) }}", "{{ max(config.ids) }}",
    "{{ max(stream_state.updated_at, config.start_date) }}", "{{ now_utc().year }}",
    "{{ (now_utc() - str_to_datetime(config.start_date)).days }}", "{{ duration('P1D') }}",
    "{{ str_to_datetime('2024-02-03T04:05:06Z').timestamp() }}", "{{ now_utc().date() }}",
    "{{ now_utc().replace(microsecond=0).isoformat() }}",
]


def jinja_str_kind(t):
    try:
        return {"expected": env.from_string(t).render(CONTEXT)}
    except jinja2.exceptions.UndefinedError as e:
        return {"error": "undefined"}
    except Exception as e:  # noqa: BLE001
        return {"error": "other"}


ERRORS = ["{{ config.missing.deeper }}", "{{ config.missing + 1 }}", "{{ 'a' - 1 }}", "{{ 1 < 'a' }}", "{{ range(3) }}",
          "{{ 1 / 0 }}", "{{ }}", "{{ 'unterminated }}", "{% if x %}no end", "{{ x | nofilter }}"]

cases = [{"template": t, **jinja_str_kind(t)} for t in TEMPLATES + ERRORS]
for c in cases:
    if c["template"] in ERRORS:
        assert "error" in c, c

LITERALS = ["123", "-5", "1.5", "1e3", "True", "False", "None", "'s'", "\"q\"", "[1, 'a']", "{'a': [1, 2]}", "(1, 2)",
            "1, 2", "2021-01-01", "0123", "00", "abc", "", " 7", "7 ", "1_000", "0x1f", "{1, 2}", "3j", "True False",
            "{'k': None}", "12345678901234567890123", "'a' 'b'", "nan", "[]", "{}", "()"]


def literal(t):
    try:
        v = ast.literal_eval(t)
    except (ValueError, SyntaxError, MemoryError, TypeError):
        return t
    if isinstance(v, complex):
        return t
    if isinstance(v, (set, tuple)):
        return sorted(v) if isinstance(v, set) else list(v)
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 2**63:
        return t  # sluice keeps integers beyond 64 bits as their text
    return v



# Statements as dbt models use them, rendered by a plain Jinja2 environment (Jinja's `string` filter
# and range()) with dbt-like host functions the C++ test registers the same way: ref() gives a
# relation that prints as "analytics"."name", var() reads VARS (else its default), is_incremental()
# is false, `this` is "analytics"."orders".


class Relation:
    def __init__(self, schema, name):
        self.schema, self.name, self.identifier = schema, name, name

    def __str__(self):
        return f'"{self.schema}"."{self.name}"'


VARS = {"start_date": "2024-01-01", "limit": 10, "regions": ["eu", "us"]}


def var(name, default=None):
    if name in VARS:
        return VARS[name]
    if default is None:
        raise jinja2.exceptions.TemplateRuntimeError(f"Required var '{name}' not found")
    return default


dbt_env = jinja2.Environment()
dbt_env.globals.update(ref=lambda *a: Relation("analytics", a[-1]), var=var, is_incremental=lambda: False,
                       this=Relation("analytics", "orders"))

STATEMENTS = [
    # if / elif / else, nested
    "{% if var('limit') > 5 %}big{% elif var('limit') > 1 %}small{% else %}none{% endif %}",
    "{% if false %}a{% elif none %}b{% endif %}.",
    "{% if 1 %}{% if 0 %}x{% else %}y{% endif %}{% endif %}",
    "{% if is_incremental() %}where ts > (select max(ts) from {{ this }}){% else %}-- full{% endif %}",
    # for with loop variables, else, unpacking, nesting, scoping
    "{% for r in var('regions') %}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ r }};{% endfor %}",
    "{% for a, b in [(1, 'x'), (2, 'y')] %}{{ a }}={{ b }}{{ ',' if not loop.last }}{% endfor %}",
    "{% for k, v in {'b': 2, 'a': 1}.items() %}{{ k }}{{ v }}{% endfor %}",
    "{% for x in [] %}x{% else %}no rows{% endfor %}",
    "{% for i in [1, 2] %}{% for j in 'ab' %}{{ i }}{{ j }}{{ loop.index }} {% endfor %}{{ loop.index }}|{% endfor %}",
    "{% set y = 0 %}{% for x in [1, 2] %}{% set y = x %}{% endfor %}{{ y }}",
    "{% for i in range(3) %}{{ i }}{% endfor %} {{ range(2, 9, 3) | list }}",
    # set, set blocks, unpacking
    "{% set a = 1 %}{% set a = a + 1 %}{{ a }}",
    "{% set a, b = 'xy' %}{{ b }}{{ a }}",
    "{% set cols %}id, {{ 'name' | upper }}{% endset %}select {{ cols }} from t",
    "{% set cols = ['id', 'amount'] %}select {% for c in cols %}{{ c }}{% if not loop.last %}, {% endif %}{% endfor %} from {{ ref('orders') }}",
    "{% if true %}{% set z = 3 %}{% endif %}{{ z }}",
    # macros: defaults, keywords, varargs / kwargs, macros calling macros, recursion, scope
    "{% macro cents(c, d=2) %}round({{ c }} / 100.0, {{ d }}){% endmacro %}{{ cents('amount') }} {{ cents('tax', d=0) }} {{ cents(d=1, c='x') }}",
    "{% macro j() %}{{ varargs | join('+') }}|{{ kwargs['k'] }}{% endmacro %}{{ j(1, 2, k=3) }}",
    "{% macro cols(p, sep=', ') %}{{ varargs | map('upper') | join(sep) }}{% endmacro %}{{ cols(1, 'a', 'b', 'c') }}",
    "{{ ['a', 'b'] | map('replace', 'a', 'x') | list }} {{ [{'n': 1}, {'n': 2}] | map(attribute='n') | sum }}",
    "{% macro a(x) %}<{{ x }}>{% endmacro %}{% macro b(x) %}{{ a(x) }}{{ a(x * 2) }}{% endmacro %}{{ b(2) }}",
    "{% macro f(n) %}{% if n > 0 %}{{ n }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(4) }}",
    "{% macro g() %}[{{ y }}]{% endmacro %}{% set y = 1 %}{{ g() }}{% for i in [1] %}{% set y = 2 %}{{ g() }}{% endfor %}",
    "{% macro m(x) %}{{ x }}{% endmacro %}{{ m() }}|{{ m(none) }}|{{ m('a') | upper }}",
    # whitespace control and comments
    "select\n  {%- for c in ['a', 'b'] %}\n  {{ c }}{{ ',' if not loop.last }}\n  {%- endfor %}\nfrom t",
    "a\n{%- if true -%}\n  b\n{%- endif -%}\n c",
    "x {#- a comment -#} y {# another #}z",
    "{% macro sp() -%}\n  inner\n{%- endmacro %}[{{ sp() }}]",
    "line1\n{% if true %}\nline2\n{% endif %}\nline3\n",
    # a model
    "{{ config(materialized='incremental', unique_key='id') }}\nselect o.id, o.amount\nfrom {{ ref('stg_orders') }} o\n"
    "where o.created_at >= '{{ var('start_date') }}'\n{% if is_incremental() %}  and o.id > (select max(id) from {{ this }})\n{% endif %}"
    "limit {{ var('limit') * 2 }} -- {{ ref('x').name }} {{ this.schema }} {{ var('nope', 'dflt') }}",
    "{{ 5 | string }} {{ [1, none] | string }}",
]

STATEMENT_ERRORS = ["{% for x in [1] %}no end", "{% if x %}a{% endfor %}", "{% endif %}", "{% unknown %}",
                    "{% macro m(%}x{% endmacro %}", "{% for x in 5 %}{% endfor %}", "{{ nomacro() }}",
                    "{% set %}", "{{ var('missing_var') }}"]


def dbt_render(t):
    try:
        return {"expected": dbt_env.from_string(t).render(config=lambda **kw: "")}
    except jinja2.exceptions.UndefinedError:
        return {"error": "undefined"}
    except Exception:  # noqa: BLE001
        return {"error": "other"}


statement_cases = [{"template": t, **dbt_render(t)} for t in STATEMENTS + STATEMENT_ERRORS]
for c in statement_cases:
    assert ("error" in c) == (c["template"] in STATEMENT_ERRORS), c

json.dump({"context": CONTEXT, "now_micros": int(NOW.timestamp()) * 1_000_000 + NOW.microsecond,
           "cases": cases, "statement_cases": statement_cases, "vars": VARS, "literals": [{"text": t, "expected": literal(t)} for t in LITERALS]},
          sys.stdout, indent=1, ensure_ascii=False)
sys.stdout.write("\n")
