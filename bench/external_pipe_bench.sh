#!/usr/bin/env bash
# The Airbyte-protocol path beside the in-process path, PostgreSQL → PostgreSQL (issue 19,
# "external connectors at full speed": goal ≤ 1.3× the in-process sync).
#   1. in process:   sluice sync (source postgres → destination postgres, direct load)
#   2. piped:        sluice connector source-postgres read … | sluice connector destination-postgres write …
#   3. external src: sluice sync whose source is `command: [sluice, connector, source-postgres]`
#   4. external dst: sluice sync whose destination is `command: [sluice, connector, destination-postgres]`
# Two tables of BENCH_ROWS (1 M) rows each in database `bench` (BENCH_TABLES="users t"): faker
# `users` (wide rows, text and JSON) and postgres_bench.sh's mixed `t` (narrow rows: numbers,
# timestamps; the per-row protocol cost shows most). Every path copies a table into database
# `benchdst` of the same server (same schema name, so the records need no
# namespace rewrite in the pipe). Each figure is the best of BENCH_ROUNDS runs, measured in turn.
#   bash bench/external_pipe_bench.sh build/sluice          # BENCH_ROWS=200000 for a quick look
#   BENCH_REF=/tmp/sluice-old bash bench/external_pipe_bench.sh build/sluice   # before/after, same rounds
# Starts its own PostgreSQL 15 (bench/pg_lib.sh).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
HERE=$(dirname "$(realpath "$0")")
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-2}
REF=${BENCH_REF:+$(realpath "$BENCH_REF")}  # optional: an older sluice measured beside (before/after)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-pipebench.XXXXXX)}
mkdir -p "$WORK" && chmod 755 "$WORK"
cd "$WORK"
source "$HERE/pg_lib.sh"
start_pg
psql -q -d postgres -c "create database benchdst"

echo "== Airbyte-protocol path vs in process, PG → PG: $(printf "%'d" "$ROWS") rows a table, $(nproc) cores, best of $ROUNDS"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)"

PGCONF="host: 127.0.0.1, port: $PORT, username: postgres, password: $PGPASSWORD, ssl_mode: {mode: disable}"
cat > load.yaml <<YAML
name: load
source: {connector: faker, config: {count: $ROWS, seed: 1, records_per_slice: 1000000}}
destination: {connector: postgres, config: {$PGCONF, database: bench, schema: public, direct_load: true}}
namespace: {definition: destination}
streams: [{name: users, mode: "Full Refresh | Overwrite"}]
YAML
"$SLUICE" sync load.yaml --no-progress --state-file load.state > load.out 2>&1 || { cat load.out >&2; exit 1; }
# The mixed table of bench/postgres_bench.sh (10 narrow columns: numbers, timestamps, text), where
# the per-row cost of the protocol shows most.
q "create table t (id bigint primary key, qty integer, amount numeric(12,2), price double precision,
                   name text, code varchar(16), flag boolean, created_at timestamptz, day date, note text)"
q "insert into t select g, mod(g * 7, 1000), round((g % 100000) * 1.37, 2), g / 3.0, 'customer ' || g,
          'C-' || mod(g, 5000), mod(g, 3) = 0, '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second',
          '2020-01-01'::date + mod(g, 2000), md5(g::text)
   from generate_series(1, $ROWS) g"
q "vacuum analyze users"; q "vacuum analyze t"
echo "table users: $(q "select pg_size_pretty(pg_table_size('users'))") (faker users, 22 columns with json)"
echo "table t:     $(q "select pg_size_pretty(pg_table_size('t'))") (10 columns: bigint, integer, numeric, double, text, varchar, boolean, timestamptz, date, text)"

SRC="{$PGCONF, database: bench}"
DST="{$PGCONF, database: benchdst, direct_load: true}"
cat > inproc.yaml <<YAML
name: inproc
source: {connector: postgres, config: $SRC}
destination: {connector: postgres, config: $DST}
streams: [{name: TABLE, mode: "Full Refresh | Overwrite"}]
YAML
cat > extsrc.yaml <<YAML
name: extsrc
source: {command: [$SLUICE, connector, source-postgres], config: $SRC}
destination: {connector: postgres, config: $DST}
streams: [{name: TABLE, mode: "Full Refresh | Overwrite"}]
YAML
cat > extdst.yaml <<YAML
name: extdst
source: {connector: postgres, config: $SRC}
destination: {command: [$SLUICE, connector, destination-postgres], config: $DST}
streams: [{name: TABLE, mode: "Full Refresh | Overwrite"}]
YAML
python3 - "$PORT" "$PGPASSWORD" <<'PY'
import json, sys
port, pw = int(sys.argv[1]), sys.argv[2]
base = {"host": "127.0.0.1", "port": port, "username": "postgres", "password": pw, "ssl_mode": {"mode": "disable"}}
json.dump(dict(base, database="bench"), open("src.json", "w"))
json.dump(dict(base, database="benchdst", direct_load=True), open("dst.json", "w"))
PY
"$SLUICE" connector source-postgres discover --config src.json > discover.json
python3 - <<'PY'
import json
msg = [json.loads(l) for l in open("discover.json") if '"CATALOG"' in l][0]
for name in ("users", "t"):
    s = [s for s in msg["catalog"]["streams"] if s["name"] == name][0]
    json.dump({"streams": [{"stream": s, "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"}]},
              open(f"configured_{name}.json", "w"))
PY

piped() {  # piped [BINARY]
  local bin=${1:-$SLUICE}
  "$bin" connector source-postgres read --config src.json --catalog "configured_$TABLE.json" |
    "$bin" connector destination-postgres write --config dst.json --catalog "configured_$TABLE.json" > pipe.out
}
check_copy() {  # the copy in benchdst has every row
  n=$(psql -qAtX -d benchdst -c "select count(*) from public.$TABLE")
  [ "$n" = "$ROWS" ] || { echo "$1: benchdst.public.$TABLE has $n rows, not $ROWS" >&2; exit 1; }
  psql -qAtX -d benchdst -c "drop table public.$TABLE"
}
# measure, plus the CPU seconds (user + system) of CMD and its children: "PEAK_RSS_MB SECONDS CPU".
# On a shared machine CPU seconds move less with other work than wall time does.
measure_cpu() {
  /usr/bin/time -f "%M %e %U %S" -o time.out "$@" > cmd.out 2> cmd.err || { cat cmd.err >&2; return 1; }
  read -r kb s u sy < time.out
  echo "$((kb / 1024)) $s $(python3 -c "print(f'{$u + $sy:.2f}')")"
}
export SLUICE

for TABLE in ${BENCH_TABLES:-users t}; do
  export TABLE
  for f in inproc extsrc extdst; do sed "s/name: TABLE,/name: $TABLE,/" $f.yaml > ${f}_$TABLE.yaml; done
  [ -z "$REF" ] || for f in extsrc extdst; do sed "s|$SLUICE|$REF|" ${f}_$TABLE.yaml > ${f}_${TABLE}_ref.yaml; done
  in_s=(); pipe_s=(); es_s=(); ed_s=(); rp_s=(); res_s=(); red_s=(); in_c=(); pipe_c=(); rp_c=()
  for round in $(seq "$ROUNDS"); do
    read -r in_rss s c < <(measure_cpu "$SLUICE" sync inproc_$TABLE.yaml --no-progress --state-file inproc.state); in_s+=("$s"); in_c+=("$c")
    check_copy "in process"
    read -r _ s c < <(measure_cpu bash -c "set -o pipefail; $(declare -f piped); piped"); pipe_s+=("$s"); pipe_c+=("$c")
    grep -q '"STATE"' pipe.out || { echo "piped: no STATE echoed" >&2; cat pipe.out >&2; exit 1; }
    check_copy "piped"
    read -r es_rss s < <(measure "$SLUICE" sync extsrc_$TABLE.yaml --no-progress --state-file extsrc.state); es_s+=("$s")
    check_copy "external source"
    read -r ed_rss s < <(measure "$SLUICE" sync extdst_$TABLE.yaml --no-progress --state-file extdst.state); ed_s+=("$s")
    check_copy "external destination"
    if [ -n "$REF" ]; then  # the same paths with the reference binary, in the same round
      read -r _ s c < <(measure_cpu bash -c "set -o pipefail; $(declare -f piped); piped $REF"); rp_s+=("$s"); rp_c+=("$c")
      check_copy "piped (reference)"
      read -r _ s < <(measure "$REF" sync extsrc_${TABLE}_ref.yaml --no-progress --state-file r1.state); res_s+=("$s")
      check_copy "external source (reference)"
      read -r _ s < <(measure "$REF" sync extdst_${TABLE}_ref.yaml --no-progress --state-file r2.state); red_s+=("$s")
      check_copy "external destination (reference)"
    fi
  done
  I=$(best "${in_s[@]}"); P=$(best "${pipe_s[@]}"); ES=$(best "${es_s[@]}"); ED=$(best "${ed_s[@]}")
  echo "table $TABLE, PG → PG full refresh (direct load), $(printf "%'d" "$ROWS") rows:"
  echo "  in process (sluice sync)                   ${I}s  $(rate "$ROWS" "$I") rows/s  peak RSS ${in_rss} MB"
  echo "  connector read | connector write            ${P}s  $(rate "$ROWS" "$P") rows/s  → $(ratio "$P" "$I")× in process (goal ≤ 1.30)"
  echo "  sync, source is a command connector         ${ES}s  $(rate "$ROWS" "$ES") rows/s  peak RSS ${es_rss} MB (parent)  → $(ratio "$ES" "$I")×"
  echo "  sync, destination is a command connector    ${ED}s  $(rate "$ROWS" "$ED") rows/s  peak RSS ${ed_rss} MB (parent)  → $(ratio "$ED" "$I")×"
  echo "  runs: in process ${in_s[*]} / piped ${pipe_s[*]} / external source ${es_s[*]} / external destination ${ed_s[*]}"
  IC=$(best "${in_c[@]}"); PC=$(best "${pipe_c[@]}")
  echo "  sluice CPU seconds (user + system, best): in process ${IC}s, read | write ${PC}s (both processes) → $(ratio "$PC" "$IC")×"
  if [ -n "$REF" ]; then
    RP=$(best "${rp_s[@]}"); RES=$(best "${res_s[@]}"); RED=$(best "${red_s[@]}")
    echo "  reference binary $REF, same rounds: piped ${RP}s → $(ratio "$RP" "$I")×, external source ${RES}s → $(ratio "$RES" "$I")×," \
         "external destination ${RED}s → $(ratio "$RED" "$I")× (runs ${rp_s[*]} / ${res_s[*]} / ${red_s[*]});" \
         "read | write CPU $(best "${rp_c[@]}")s → $(ratio "$(best "${rp_c[@]}")" "$IC")×"
  fi
done
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
