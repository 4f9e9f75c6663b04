#!/usr/bin/env bash
# CSV → Parquet (zstd) benchmark: sluice (source file → destination local, format Parquet) beside
# DuckDB's `COPY (FROM read_csv('…')) TO '…' (FORMAT parquet, COMPRESSION zstd)` (the npm
# @duckdb/node-api of tests/js), on the same CSV in the same run. Goal: sluice ≤ 1.0× DuckDB's
# wall time. Prints wall time, peak RSS and output size of each, and checks both outputs hold
# the same rows (count and column sums).
#   bash bench/parquet_bench.sh build/sluice             # BENCH_ROWS=500000 for a quick look
# Both infer the column types from the CSV. sluice's files also carry the four _airbyte_*
# columns (a random UUID per row among them), which DuckDB's file does not have.
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
ROWS=${BENCH_ROWS:-5000000}
ROUNDS=${BENCH_ROUNDS:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
JS=$HERE/../tests/js
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-pqbench.XXXXXX)}
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK"
[ -d "$JS/node_modules/@duckdb/node-api" ] || { echo "run scripts/setup.sh first: $JS/node_modules lacks @duckdb/node-api" >&2; exit 1; }

# Peak RSS (MB), wall seconds and CPU seconds (user + system, all threads) of a command:
# "RSS_MB SECONDS CPU_SECONDS".
measure() {
  /usr/bin/time -f "%M %e %U %S" -o time.out "$@" > cmd.out 2> cmd.err || { cat cmd.err >&2; return 1; }
  read -r kb s user sys < time.out
  echo "$((kb / 1024)) $s $(python3 -c "print(f'{$user + $sys:.2f}')")"
}
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$1" "$2"; }
mb() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6:,.1f}')" "$1"; }
sql() { node "$JS/read_parquet.mjs" sql "$1"; }

echo "== CSV → Parquet (zstd): $(printf "%'d" "$ROWS") rows, $(nproc) cores, best of $ROUNDS, work dir $WORK"

# 10 columns: bigint, int, 2-decimal amount, double, two strings (one low-cardinality), boolean,
# UTC timestamp, date, and a free-text string that is sometimes quoted with a comma inside.
python3 - "$ROWS" <<'PY'
import sys
rows = int(sys.argv[1])
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
with open("in.csv", "w", buffering=1 << 22) as f:
    f.write("id,qty,amount,price,name,code,flag,created_at,day,note\n")
    block = []
    for i in range(1, rows + 1):
        s = 1704067200 + i * 7
        hh, mm, ss = (s // 3600) % 24, (s // 60) % 60, s % 60
        note = f"\"{words[i % 10]}, {words[(i // 10) % 10]} #{i % 1013}\"" if i % 3 == 0 else f"{words[(i * 7) % 10]} {i % 4099}"
        block.append(f"{i},{(i * 7) % 1000},{(i * 7919) % 1000000 / 100:.2f},{i / 3:.6f},customer {i % 250000},"
                     f"C-{i % 5000},{'true' if i % 3 == 0 else 'false'},"
                     f"2024-{1 + (i // 86400) % 12:02d}-{1 + (i // 3600) % 28:02d}T{hh:02d}:{mm:02d}:{ss:02d}Z,"
                     f"20{10 + i % 14}-{1 + i % 12:02d}-{1 + i % 28:02d},{note}\n")
        if len(block) == 20000:
            f.write("".join(block))
            block = []
    f.write("".join(block))
PY
CSV_BYTES=$(stat -c %s in.csv)
echo "CSV: $(mb "$CSV_BYTES") MB"
cat in.csv > /dev/null  # the page cache holds it for both

cat > csv_parquet.yaml <<YAML
name: csv to parquet
source: {connector: file, config: {streams: [{name: t, path: $WORK/in.csv}]}}
destination: {connector: local, config: {destination_path: $WORK/out,
              format: {format_type: Parquet, compression_codec: ZSTD}}}
streams: [{name: t, mode: "Full Refresh | Overwrite"}]
YAML

sluice_s=(); duck_s=(); duck_copy_s=(); sluice_cpu=(); duck_cpu=()
for round in $(seq "$ROUNDS"); do
  rm -f duck.parquet
  read -r duck_rss s cpu < <(measure node "$JS/duckdb_csv_to_parquet.mjs" "$WORK/in.csv" "$WORK/duck.parquet" zstd)
  duck_s+=("$s"); duck_cpu+=("$cpu")
  duck_copy_s+=("$(python3 -c "import json; print(json.load(open('cmd.out'))['seconds'])")")
  read -r sluice_rss s cpu < <(measure "$SLUICE" sync csv_parquet.yaml --no-progress --state-file csv_parquet.state)
  sluice_s+=("$s"); sluice_cpu+=("$cpu")
done
S=$(best "${sluice_s[@]}"); D=$(best "${duck_s[@]}"); DC=$(best "${duck_copy_s[@]}")
SC=$(best "${sluice_cpu[@]}"); DCPU=$(best "${duck_cpu[@]}")
SLUICE_BYTES=$(du -sb out | cut -f1)
DUCK_BYTES=$(stat -c %s duck.parquet)
FILES=$(find out -name '*.parquet' | wc -l)

# Both outputs hold the same rows: count and a sum per column, read back by DuckDB.
check='count(*), sum(id), sum(qty), sum(round(amount * 100)::BIGINT), sum(round(price * 1e6)::BIGINT), count(distinct name),
       count(distinct code), sum(flag::int), sum(epoch(created_at)), sum(epoch(day::timestamp)), sum(length(note))'
want=$(sql "SELECT $check FROM read_parquet('$WORK/duck.parquet')")
got=$(sql "SELECT $check FROM read_parquet('$WORK/out/**/*.parquet')")
[ "$want" = "$got" ] || { echo "sluice's Parquet differs from DuckDB's: $got vs $want" >&2; exit 1; }
first() { python3 -c "import json, sys; print(json.loads(sys.stdin.read())[0][0])"; }
types=$(sql "SELECT string_agg(column_type, ', ') FROM (DESCRIBE SELECT * EXCLUDE (_airbyte_raw_id,
             _airbyte_extracted_at, _airbyte_generation_id, _airbyte_meta) FROM read_parquet('$WORK/out/**/*.parquet'))" | first)
AIRBYTE_BYTES=$(sql "SELECT sum(total_compressed_size) FROM parquet_metadata('$WORK/out/**/*.parquet')
                     WHERE path_in_schema LIKE '_airbyte_%'" | first)

echo "CSV → Parquet zstd, $(printf "%'d" "$ROWS") rows (sluice's column types: $types):"
echo "  DuckDB COPY (node)   ${D}s  $(rate "$ROWS" "$D") rows/s  CPU ${DCPU}s  peak RSS ${duck_rss} MB  output $(mb "$DUCK_BYTES") MB" \
     "(the COPY statement alone: $(printf '%.2f' "$DC")s)"
echo "  sluice file → local  ${S}s  $(rate "$ROWS" "$S") rows/s  CPU ${SC}s  peak RSS ${sluice_rss} MB  output $(mb "$SLUICE_BYTES") MB in $FILES file(s)"
echo "    (of which the _airbyte_* columns: $(mb "$AIRBYTE_BYTES") MB; the CSV's columns: $(mb $((SLUICE_BYTES - AIRBYTE_BYTES))) MB)"
echo "  → sluice takes $(ratio "$S" "$D")× DuckDB's wall time (goal ≤ 1.00) and $(ratio "$SC" "$DCPU")× its CPU time;" \
     "output $(ratio "$SLUICE_BYTES" "$DUCK_BYTES")× DuckDB's size"
echo "  (load average now: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores: other work on the machine skews wall times)"
echo "  runs: duckdb ${duck_s[*]} / sluice ${sluice_s[*]}"
