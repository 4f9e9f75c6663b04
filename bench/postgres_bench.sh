#!/usr/bin/env bash
# PostgreSQL benchmarks for destination-postgres (and source-postgres), each beside a reference
# measured on the same server in the same run:
#   1. PG → PG full refresh of a table (BENCH_ROWS rows, 10 mixed columns) with sluice
#      (direct load, and with raw tables) beside
#      psql -c "COPY t TO STDOUT (FORMAT binary)" | psql -c "COPY t2 FROM STDIN (FORMAT binary)"
#      — goal: sluice direct load ≤ 1.1× the pipe.
#   2. CSV (same rows) → PG with sluice (source-file → destination-postgres, direct load) beside
#      psql \copy (goal ≤ 1.2×) and pgloader (ratio reported).
# Every figure is the best of BENCH_ROUNDS runs, measured alternately; peak RSS of each client
# (/usr/bin/time). pgloader is slow (minutes at 5 M rows): it runs BENCH_PGLOADER_ROUNDS times (1).
# sluice runs with its default config, direct load (the typed table only, like the reference), and
# with direct_load: false (raw + typed tables, Airbyte Destinations V2). The default parallel_copies: 2 loads each table kind
# through 2 connections at once (BENCH_PARALLEL_COPIES=N sets it for the destination).
#   bash bench/postgres_bench.sh build/sluice            # BENCH_ROWS=500000 for a quick look
# Starts its own PostgreSQL 15 (initdb in a temporary folder, loopback, a free port).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
HERE=$(dirname "$(realpath "$0")")
ROWS=${BENCH_ROWS:-5000000}
ROUNDS=${BENCH_ROUNDS:-2}
PGLOADER_ROUNDS=${BENCH_PGLOADER_ROUNDS:-1}
SECTIONS=${BENCH_SECTIONS:-pgpg csv}  # which parts to run
COPIES=${BENCH_PARALLEL_COPIES:+, parallel_copies: $BENCH_PARALLEL_COPIES}  # empty: the default
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-pgbench.XXXXXX)}
chmod 755 "$WORK"
cd "$WORK"
source "$HERE/pg_lib.sh"
start_pg

echo "== PostgreSQL benchmarks: $(printf "%'d" "$ROWS") rows, $(nproc) cores, best of $ROUNDS, work dir $WORK"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)"
q "create table t (id bigint primary key, qty integer, amount numeric(12,2), price double precision,
                   name text, code varchar(16), flag boolean, created_at timestamptz, day date, note text)"
q "insert into t select g, mod(g * 7, 1000), round((g % 100000) * 1.37, 2), g / 3.0, 'customer ' || g,
          'C-' || mod(g, 5000), mod(g, 3) = 0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
          '2020-01-01'::date + mod(g, 2000), md5(g::text)
   from generate_series(1, $ROWS) g"
q "vacuum analyze t"
echo "table t: $(q "select pg_size_pretty(pg_table_size('t'))") (10 columns: bigint, integer, numeric, double, text, varchar, boolean, timestamptz, date, text)"
echo

# ---- 1. PG → PG ------------------------------------------------------------------------------
if [[ " $SECTIONS " == *" pgpg "* ]]; then
cat > pgpg.yaml <<YAML
name: pg to pg
source: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
         password: $PGPASSWORD, ssl_mode: {mode: disable}}}
destination: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
              password: $PGPASSWORD, ssl_mode: {mode: disable}, direct_load: true$COPIES}}
namespace: {definition: custom, format: dst}
streams: [{name: t, mode: "Full Refresh | Overwrite"}]
YAML
sed 's/direct_load: true/direct_load: false/; s/format: dst/format: dst_raw/' pgpg.yaml > pgpg_raw.yaml

pipe_copy() {
  /usr/bin/time -f "%M" -o rss_out.txt psql -qX -c "COPY t TO STDOUT (FORMAT binary)" |
    /usr/bin/time -f "%M" -o rss_in.txt psql -qX -c "COPY t2 FROM STDIN (FORMAT binary)"
}
pipe_s=(); sluice_s=(); raw_s=()
for round in $(seq "$ROUNDS"); do
  q "drop table if exists t2; create table t2 (like t)"
  start=$(date +%s.%N); pipe_copy; end=$(date +%s.%N)
  pipe_s+=("$(python3 -c "print(f'{$end - $start:.2f}')")")
  pipe_rss=$(( ($(cat rss_out.txt) + $(cat rss_in.txt)) / 1024 ))
  read -r sluice_rss s < <(measure "$SLUICE" sync pgpg.yaml --no-progress --state-file pgpg.state)
  sluice_s+=("$s")
  [ "$(q "select count(*) from dst.t")" = "$ROWS" ] || { echo "dst.t has the wrong row count" >&2; exit 1; }
  read -r raw_rss s < <(measure "$SLUICE" sync pgpg_raw.yaml --no-progress --state-file pgpg_raw.state)
  raw_s+=("$s")
  [ "$(q "select count(*) from dst_raw.t")" = "$ROWS" ] || { echo "dst_raw.t has the wrong row count" >&2; exit 1; }
done
# Correctness: the copy equals the source.
diff=$(q "select count(*) from ((select id, qty, amount, price, name, code, flag, created_at, day, note from t
                                 except all select id, qty, amount, price, name, code, flag, created_at, day, note from dst.t)
                                union all (select id, qty, amount, price, name, code, flag, created_at, day, note from dst.t
                                 except all select id, qty, amount, price, name, code, flag, created_at, day, note from t)) d")
[ "$diff" = 0 ] || { echo "dst.t differs from t in $diff rows" >&2; exit 1; }
P=$(best "${pipe_s[@]}"); S=$(best "${sluice_s[@]}"); R=$(best "${raw_s[@]}")
echo "PG → PG full refresh, $(printf "%'d" "$ROWS") rows:"
echo "  psql COPY binary | psql COPY binary           ${P}s  $(rate "$ROWS" "$P") rows/s  peak RSS ${pipe_rss} MB (both psql)"
echo "  sluice, direct_load: true (typed table only)  ${S}s  $(rate "$ROWS" "$S") rows/s  peak RSS ${sluice_rss} MB  → $(ratio "$S" "$P")× the pipe (goal ≤ 1.10)"
echo "  sluice, direct_load: false (raw + typed)      ${R}s  $(rate "$ROWS" "$R") rows/s  peak RSS ${raw_rss} MB  → $(ratio "$R" "$P")× the pipe"
echo "  runs: pipe ${pipe_s[*]} / direct ${sluice_s[*]} / default ${raw_s[*]}"
echo
q "drop schema dst cascade; drop schema dst_raw cascade; drop schema airbyte_internal cascade; drop table t2"
fi

# ---- 2. CSV → PG -----------------------------------------------------------------------------
if [[ " $SECTIONS " == *" csv "* ]]; then
psql -qX -c "\\copy t to '$WORK/t.csv' (format csv, header)"
echo "CSV file: $(du -m t.csv | cut -f1) MB"
cat > csvpg.yaml <<YAML
name: csv to pg
source: {connector: file, config: {streams: [{name: t, path: $WORK/t.csv, schema: {id: integer, qty: integer,
         amount: number, price: number, name: string, code: string, flag: boolean,
         created_at: timestamp_with_timezone, day: date, note: string}}]}}
destination: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
              password: $PGPASSWORD, ssl_mode: {mode: disable}, direct_load: true, schema: csv$COPIES}}
streams: [{name: t, mode: "Full Refresh | Overwrite"}]
YAML
cat > load.pgloader <<EOF
LOAD CSV FROM '$WORK/t.csv' (id, qty, amount, price, name, code, flag, created_at, day, note)
  INTO postgresql://postgres:$PGPASSWORD@127.0.0.1:$PORT/bench?tablename=t4
     (id, qty, amount, price, name, code, flag, created_at, day, note)
  WITH skip header = 1, fields optionally enclosed by '"', fields escaped by double-quote,
       fields terminated by ',', truncate
  SET work_mem to '64MB';
EOF
copy_s=(); csv_s=(); pgl_s=()
for round in $(seq "$ROUNDS"); do
  q "drop table if exists t3; create table t3 (like t)"
  read -r copy_rss s < <(measure psql -qX -c "\\copy t3 from '$WORK/t.csv' (format csv, header)")
  copy_s+=("$s")
  read -r csv_rss s < <(measure "$SLUICE" sync csvpg.yaml --no-progress --state-file csvpg.state)
  csv_s+=("$s")
  [ "$(q "select count(*) from csv.t")" = "$ROWS" ] || { echo "csv.t has the wrong row count" >&2; exit 1; }
  if [ "$round" -le "$PGLOADER_ROUNDS" ] && command -v pgloader > /dev/null; then
    q "drop table if exists t4; create table t4 (like t)"
    if read -r pgl_rss s < <(measure pgloader --on-error-stop load.pgloader); then
      pgl_s+=("$s")
    fi
  fi
done
C=$(best "${copy_s[@]}"); V=$(best "${csv_s[@]}")
echo "CSV → PG, $(printf "%'d" "$ROWS") rows:"
echo "  psql \\copy                            ${C}s  $(rate "$ROWS" "$C") rows/s  peak RSS ${copy_rss} MB"
echo "  sluice (file → postgres, direct load) ${V}s  $(rate "$ROWS" "$V") rows/s  peak RSS ${csv_rss} MB  → $(ratio "$V" "$C")× \\copy (goal ≤ 1.20)"
if [ ${#pgl_s[@]} -gt 0 ]; then
  L=$(best "${pgl_s[@]}")
  echo "  pgloader                              ${L}s  $(rate "$ROWS" "$L") rows/s  peak RSS ${pgl_rss} MB  → sluice is $(ratio "$L" "$V")× faster"
  echo "    (pgloader loaded $(q "select count(*) from t4") rows)"
else
  echo "  pgloader: not installed or failed (see $WORK/cmd.err)"
fi
echo "  runs: \\copy ${copy_s[*]} / sluice ${csv_s[*]} / pgloader ${pgl_s[*]:-}"
fi
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
