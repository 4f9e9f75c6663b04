"""`sluice transform` against a real PostgreSQL 15: the seed's stg_customers model unchanged on the
legacy raw layout after a sync (the pipeline's `transform:` key), a project of 12 models with
sources, refs, macros, vars, an ephemeral and an incremental model, schema tests, a failing test and a
SQL error reported with the model's file and line, and a ref cycle named."""
import json
import textwrap

from conftest import run, write_pipeline
from pg_server import pg  # noqa: F401  (session fixture)

STG_CUSTOMERS = """\
with source as (
    select * from {{ source('airbyte_raw', '_airbyte_raw_customers') }}
),

parsed as (
    select
        _airbyte_ab_id,
        _airbyte_emitted_at,
        (_airbyte_data->>'id')::int as customer_id,
        _airbyte_data->>'name' as customer_name,
        _airbyte_data->'contact'->>'email' as email,
        _airbyte_data->'contact'->>'phone' as phone
    from source
)

select * from parsed
"""


def write_files(root, files):
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))


def profile(pg, db, schema="analytics"):
    return f"""\
    shop:
      target: dev
      outputs:
        dev:
          type: postgres
          host: {pg.host}
          port: {pg.port}
          user: {pg.user}
          password: "{{{{ env_var('SHOP_PG_PASSWORD', '{pg.password or ''}') }}}}"
          dbname: {db}
          schema: {schema}
          sslmode: disable
    """


def test_seed_model_after_a_sync_on_the_legacy_raw_layout(pg, tmp_path):
    db = pg.create_database("tr_seed")
    data = tmp_path / "customers.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in [
        {"id": 1, "name": "Acme Corp", "contact": {"email": "info@acme.com", "phone": "+1234567890"},
         "addresses": [{"type": "billing", "city": "New York"}, {"type": "shipping", "city": "Boston"}]},
        {"id": 2, "name": "Globex", "contact": {"email": "hi@globex.test", "phone": None}, "addresses": []},
    ]) + "\n")
    project = tmp_path / "dbt"
    write_files(project, {
        "dbt_project.yml": "name: shop\nprofile: shop\nmodels:\n  shop:\n    staging:\n      +materialized: view\n",
        "models/staging/sources.yml": """\
            version: 2
            sources:
              - name: airbyte_raw
                schema: public
                tables:
                  - name: _airbyte_raw_customers
            """,
        "models/staging/stg_customers.sql": STG_CUSTOMERS,
    })
    p = write_pipeline(tmp_path / "customers.yaml", {
        "name": "customers",
        "source": {"connector": "file", "config": {"streams": [{"name": "customers", "path": str(data)}]}},
        "destination": {"connector": "postgres", "config": pg.config(db, legacy_raw_tables=True)},
        "streams": [{"name": "customers", "mode": "Full Refresh | Overwrite"}],
        "transform": "dbt",
    })
    r = run("sync", p, "--no-progress")
    assert "Done. PASS=1 WARN=0 ERROR=0 SKIP=0 TOTAL=1" in r.stderr
    assert pg.query(db, "select customer_id, customer_name, email, phone from public.stg_customers "
                        "order by 1") == [(1, "Acme Corp", "info@acme.com", "+1234567890"),
                                          (2, "Globex", "hi@globex.test", None)]
    assert pg.query(db, "select relkind from pg_class where relname = 'stg_customers'") == [("v",)]
    assert (project / "target/run/shop/models/staging/stg_customers.sql").read_text().count('"public"."_airbyte_raw_customers"') == 1


def project_files(pg, db):
    return {
        "dbt_project.yml": """\
            name: shop
            profile: shop
            vars:
              min_amount: 10
            models:
              shop:
                +materialized: view
                marts:
                  +materialized: table
                  +schema: marts
            """,
        "profiles.yml": profile(pg, db),
        "macros/cents.sql": """\
            {% macro cents_to_euros(column, digits=2) -%}
              round(({{ column }})::numeric / 100, {{ digits }})
            {%- endmacro %}
            {% macro status_list() %}{% for s in ['paid', 'open', 'void'] %}'{{ s }}'{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}
            """,
        "models/sources.yml": """\
            version: 2
            sources:
              - name: shop_raw
                schema: raw
                tables:
                  - name: customers
                  - name: orders
                    identifier: orders_v1
                  - name: payments
            """,
        "models/staging/stg_customers.sql": "select id as customer_id, name, country from {{ source('shop_raw', 'customers') }}\n",
        "models/staging/stg_orders.sql": """\
            select id as order_id, customer_id, status, amount_cents, ordered_at
            from {{ source('shop_raw', 'orders') }}
            where status in ({{ status_list() }})
            """,
        "models/staging/stg_payments.sql": """\
            {{ config(materialized='ephemeral') }}
            select order_id, {{ cents_to_euros('amount_cents') }} as amount from {{ source('shop_raw', 'payments') }}
            """,
        "models/intermediate/int_order_amounts.sql": """\
            select o.order_id, o.customer_id, o.status, o.ordered_at, coalesce(sum(p.amount), 0) as paid
            from {{ ref('stg_orders') }} o left join {{ ref('stg_payments') }} p using (order_id)
            group by 1, 2, 3, 4
            """,
        "models/intermediate/int_customer_orders.sql": """\
            select customer_id, count(*) as orders, sum(paid) as paid
            from {{ ref('int_order_amounts') }} group by 1
            """,
        "models/intermediate/int_countries.sql": """\
            {%- set countries = ['NL', 'BE', 'FR'] %}
            {%- for c in countries %}
            select '{{ c }}'::text as country, {{ loop.index }} as rank{% if not loop.last %} union all{% endif %}
            {%- endfor %}
            """,
        "models/marts/dim_customers.sql": """\
            select c.customer_id, c.name, c.country, coalesce(o.orders, 0) as orders, coalesce(o.paid, 0) as paid
            from {{ ref('stg_customers') }} c left join {{ ref('int_customer_orders') }} o using (customer_id)
            """,
        "models/marts/fct_orders.sql": """\
            {{ config(materialized='incremental', unique_key='order_id') }}
            select order_id, customer_id, status, paid, ordered_at, '{{ this.name }}' as built_as
            from {{ ref('int_order_amounts') }}
            {% if is_incremental() %}
            where ordered_at > (select max(ordered_at) from {{ this }}) or status = 'open'
            {% endif %}
            """,
        "models/marts/big_customers.sql": """\
            select * from {{ ref('dim_customers') }} where paid >= {{ var('min_amount') }}
            """,
        "models/marts/country_stats.sql": """\
            select k.country, k.rank, count(d.customer_id) as customers
            from {{ ref('int_countries') }} k left join {{ ref('dim_customers') }} d using (country) group by 1, 2
            """,
        "models/marts/disabled_model.sql": "{{ config(enabled=false) }}\nselect nonsense from nowhere\n",
        "models/reporting/rpt_summary.sql": """\
            select (select count(*) from {{ ref('fct_orders') }}) as orders,
                   (select count(*) from {{ ref('big_customers') }}) as big_customers,
                   '{{ target.name }}' as target_name, '{{ env_var('SHOP_LABEL', 'none') }}' as label
            """,
        "models/reporting/rpt_open.sql": "select * from {{ ref('fct_orders') }} where status = 'open'\n",
        "models/schema.yml": """\
            version: 2
            models:
              - name: dim_customers
                columns:
                  - name: customer_id
                    tests: [not_null, unique]
                  - name: country
                    tests:
                      - accepted_values:
                          values: ['NL', 'BE', 'FR']
              - name: fct_orders
                columns:
                  - name: order_id
                    tests: [unique, not_null]
                  - name: customer_id
                    tests:
                      - relationships:
                          to: ref('dim_customers')
                          field: customer_id
                  - name: status
                    tests:
                      - accepted_values:
                          values: ['paid', 'open']
            """,
    }


def seed_raw(pg, db):
    pg.execute(db, """
        create schema raw;
        create table raw.customers (id int, name text, country text);
        insert into raw.customers values (1, 'Ann', 'NL'), (2, 'Bob', 'BE'), (3, 'Cas', 'NL');
        create table raw.orders_v1 (id int, customer_id int, status text, amount_cents int, ordered_at timestamptz);
        insert into raw.orders_v1 values (10, 1, 'paid', 2500, '2025-01-01'), (11, 1, 'open', 900, '2025-01-02'),
                                         (12, 2, 'paid', 500, '2025-01-03'), (13, 3, 'refunded', 1, '2025-01-04');
        create table raw.payments (order_id int, amount_cents int);
        insert into raw.payments values (10, 2500), (12, 500), (11, 100);
    """)


def test_project_with_refs_sources_macros_incremental_and_tests(pg, tmp_path):
    db = pg.create_database("tr_project")
    seed_raw(pg, db)
    project = tmp_path / "shop"
    write_files(project, project_files(pg, db))
    r = run("transform", project, "--test", env={"SHOP_LABEL": "nightly"})
    out = r.stdout
    assert "Done. PASS=19 WARN=0 ERROR=0 SKIP=0 TOTAL=19" in out, out
    assert "disabled_model" not in out
    # Models run in ref order.
    order = [line.split(" model ")[1].split()[0] for line in out.splitlines() if " START sql " in line]
    assert order.index("analytics.stg_orders") < order.index("analytics.int_order_amounts") < \
        order.index("analytics_marts.fct_orders") < order.index("analytics.rpt_summary")
    assert pg.query(db, "select customer_id, name, orders, paid from analytics_marts.dim_customers order by 1") == [
        (1, "Ann", 2, __import__("decimal").Decimal("26.00")), (2, "Bob", 1, __import__("decimal").Decimal("5.00")),
        (3, "Cas", 0, 0)]
    assert pg.query(db, "select * from analytics.rpt_summary") == [(3, 1, "dev", "nightly")]
    assert pg.query(db, "select country, rank, customers from analytics_marts.country_stats order by rank") == [
        ("NL", 1, 2), ("BE", 2, 1), ("FR", 3, 0)]
    kinds = dict(pg.query(db, "select c.relname, c.relkind from pg_class c join pg_namespace n on n.oid = "
                              "c.relnamespace where n.nspname like 'analytics%'"))
    assert kinds["stg_orders"] == "v" and kinds["dim_customers"] == "r" and kinds["fct_orders"] == "r"
    assert "stg_payments" not in kinds  # ephemeral: inlined

    # Incremental: new and changed rows merge by unique_key; the table keeps its other rows.
    pg.execute(db, "insert into raw.orders_v1 values (14, 2, 'open', 300, '2025-02-01'); "
                   "update raw.orders_v1 set status = 'paid' where id = 11; "
                   "insert into raw.payments values (11, 800)")
    run("transform", project, "--select", "stg_orders+")
    assert pg.query(db, "select order_id, status, paid from analytics_marts.fct_orders order by 1") == [
        (10, "paid", 25), (11, "open", 1), (12, "paid", 5), (14, "open", 0)]  # 11: not re-read (not open, not newer)
    run("transform", project, "--select", "fct_orders", "--full-refresh")
    assert pg.query(db, "select order_id, status, paid from analytics_marts.fct_orders order by 1") == [
        (10, "paid", 25), (11, "paid", 9), (12, "paid", 5), (14, "open", 0)]

    # A failing test is named with its model and count; exit code is non-zero.
    pg.execute(db, "insert into raw.customers values (1, 'Dup', 'DE')")
    r = run("transform", project, "--test-only")  # dim_customers is a table not rebuilt yet: tests pass
    assert "Done. PASS=7 WARN=0 ERROR=0 SKIP=0 TOTAL=7" in r.stdout
    r = run("transform", project, "--test", check=False)
    assert r.returncode == 2
    assert "FAIL 1 unique_dim_customers_customer_id" in r.stdout
    assert "FAIL 1 accepted_values_dim_customers_country" in r.stdout
    assert "models/marts/dim_customers.sql" in r.stdout


def test_sql_error_names_file_and_line_and_skips_downstream(pg, tmp_path):
    db = pg.create_database("tr_error")
    seed_raw(pg, db)
    project = tmp_path / "shop"
    files = project_files(pg, db)
    files["models/intermediate/int_customer_orders.sql"] = (
        "select customer_id,\n  count(*) as orders,\n  sum(paid) as paid,\n  no_such_column\n"
        "from {{ ref('int_order_amounts') }} group by 1\n")
    write_files(project, files)
    r = run("transform", project, check=False)
    assert r.returncode == 2
    assert "ERROR creating sql view model analytics.int_customer_orders" in r.stdout
    assert "models/intermediate/int_customer_orders.sql:4" in r.stdout, r.stdout
    assert "SKIP relation analytics_marts.dim_customers" in r.stdout
    assert "ERROR=1" in r.stdout and "SKIP=4" in r.stdout  # dim, big, country_stats, rpt_summary


def test_cycles_and_template_errors_are_config_errors(pg, tmp_path):
    db = pg.create_database("tr_cycle")
    project = tmp_path / "p"
    write_files(project, {
        "dbt_project.yml": "name: shop\nprofile: shop\n",
        "profiles.yml": profile(pg, db),
        "models/a.sql": "select * from {{ ref('b') }}\n",
        "models/b.sql": "select * from {{ ref('c') }}\n",
        "models/c.sql": "select * from {{ ref('a') }}\n",
    })
    r = run("transform", project, check=False)
    assert r.returncode == 2 and "Found a cycle: a -> b -> c -> a" in r.stderr
    write_files(project, {"models/c.sql": "select 1 as x\n{% if true %}\n", "models/a.sql": "select 1\n",
                          "models/b.sql": "select {{ ref('nope') }}\n"})
    r = run("transform", project, check=False)
    assert r.returncode == 2
    assert "models/b.sql:1: ref('nope')" in r.stderr or "models/c.sql:2" in r.stderr
