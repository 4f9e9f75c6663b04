#!/usr/bin/env bash
# Continuous CDC lag and apply rate: source-postgres (CDC, pgoutput) → destination-postgres
# (Incremental | Append + Deduped), `sluice sync --continuous`, beside PostgreSQL's own
# pg_recvlogical receiving the same changes from a second slot.
#   1. Lag: pgbench commits RATE single-row upserts/deletes per second for SECS seconds while
#      sluice streams. End-to-end lag per row = the commit time of the destination transaction
#      that made the row's newest version visible, pg_xact_commit_timestamp(dst.xmin)
#      (track_commit_timestamp=on), minus the source commit time of that version, which the row
#      carries as _ab_cdc_updated_at (pgoutput's commit timestamp). One server, one clock, no
#      polling error; every surviving row changed during the phase is a sample → p50 / p99.
#      Goal (issue 15): p99 ≤ 500 ms.
#   2. Apply rate: sluice stopped (SIGTERM), a backlog of BACKLOG changes (upserts in 1000-row
#      transactions) is committed, then `sluice sync --continuous` starts again; the time until the
#      destination shows the backlog's last transaction (a marker row) gives changes/s — the
#      catch-up run's read, merges and commits included. Reference: pg_recvlogical on a slot
#      created just before the backlog, reading to the backlog's end LSN into /dev/null (receive
#      only: the physical limit of the stream). Goal: ≥ 50,000 changes/s.
#   Peak RSS of every sluice run from /usr/bin/time (goal: flat).
#   bash bench/cdc_bench.sh build/sluice     # BENCH_RATE=10000 BENCH_SECS=30 BENCH_BACKLOG=1000000
# Starts its own PostgreSQL 15 (wal_level=logical) in a temporary folder on a free loopback port.
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
HERE=$(dirname "$(realpath "$0")")
RATE=${BENCH_RATE:-10000}
SECS=${BENCH_SECS:-30}
BACKLOG=${BENCH_BACKLOG:-1000000}
ROWS=${BENCH_ROWS:-100000}  # rows in the table before the run; upserts pick ids in 1..2×ROWS
CLIENTS=${BENCH_CLIENTS:-8}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-cdcbench.XXXXXX)}
mkdir -p "$WORK"
chmod 755 "$WORK"
cd "$WORK"
PG_EXTRA_OPTS="-c wal_level=logical -c max_replication_slots=10 -c max_wal_senders=10 -c track_commit_timestamp=on"
source "$HERE/pg_lib.sh"
start_pg
SLUICE_PID=

# SLUICE_PID is /usr/bin/time's; the signal goes to its child, sluice.
stop_sluice() {
  [ -n "$SLUICE_PID" ] || return 0
  pkill -TERM -P "$SLUICE_PID" || true
  wait "$SLUICE_PID" || { echo "sluice exited $? after SIGTERM" >&2; tail -20 sluice.err >&2; exit 1; }
  SLUICE_PID=
}
cleanup() {
  if [ -n "$SLUICE_PID" ]; then pkill -KILL -P "$SLUICE_PID" || true; fi
  pg_cleanup
}
trap cleanup EXIT

q "create table public.events (id bigint primary key, v bigint not null, note text)"
q "insert into public.events select g, 0, md5(g::text) from generate_series(1, $ROWS) g"
q "create publication bench_pub for table public.events"
q "select pg_create_logical_replication_slot('sluice_slot', 'pgoutput')" > /dev/null

cat > cdc.yaml <<YAML
name: cdc
source: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
         password: $PGPASSWORD, ssl_mode: {mode: disable},
         replication_method: {method: CDC, replication_slot: sluice_slot, publication: bench_pub}}}
destination: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
              password: $PGPASSWORD, ssl_mode: {mode: disable}, schema: dst}}
namespace: {definition: custom, format: dst}
streams: [{name: events, mode: "Incremental | Append + Deduped", primary_key: id}]
YAML

# start_sluice RUN: `sluice sync --continuous` in the background, RSS into RUN.time
start_sluice() {
  /usr/bin/time -f "%M" -o "$1.time" "$SLUICE" sync cdc.yaml --continuous --no-progress --state-file cdc.state \
    >> sluice.out 2>> sluice.err &
  SLUICE_PID=$!
}
wait_until() {  # wait_until SQL TIMEOUT_S: until SQL returns t
  local deadline=$((SECONDS + $2))
  until [ "$(q "$1" 2> /dev/null)" = t ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $1" >&2; tail -20 sluice.err >&2; exit 1; }
    kill -0 "$SLUICE_PID" 2> /dev/null || { echo "sluice died" >&2; tail -20 sluice.err >&2; exit 1; }
    sleep 0.05
  done
}

echo "== snapshot of $ROWS rows, then streaming"
start_sluice initial
wait_until "select count(*) = $ROWS from dst.events" 300

echo "== 1. lag: $RATE changes/s for $SECS s ($CLIENTS pgbench clients), sluice --continuous streaming"
cat > upsert.sql <<SQL
\set id random(1, $((2 * ROWS)))
insert into public.events (id, v, note) values (:id, 1, 'i') on conflict (id) do update set v = events.v + 1, note = 'u';
SQL
cat > delete.sql <<SQL
\set id random(1, $((2 * ROWS)))
delete from public.events where id = :id;
SQL
T0=$(q "select now()")
"$PGBIN/pgbench" -n -R "$RATE" -T "$SECS" -c "$CLIENTS" -j 2 -f upsert.sql@9 -f delete.sql@1 bench > pgbench.out 2>&1 \
  || { cat pgbench.out >&2; exit 1; }
LOAD_TPS=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' pgbench.out | head -1)
# Converged: the destination equals the source.
wait_until "select not exists ((select id, v, note from public.events except select id, v, note from dst.events)
            union all (select id, v, note from dst.events except select id, v, note from public.events))" 120
read -r SAMPLES P50 P99 PMAX < <(q "select count(*), round(percentile_cont(0.5) within group (order by l)::numeric, 1),
  round(percentile_cont(0.99) within group (order by l)::numeric, 1), round(max(l)::numeric, 1) from (
  select extract(epoch from pg_xact_commit_timestamp(xmin) - _ab_cdc_updated_at) * 1000 as l
  from dst.events where _ab_cdc_updated_at >= '$T0') s" | tr '|' ' ')
stop_sluice
RSS1=$(cat initial.time)
grep -h "replication lag" sluice.err | tail -2 || true

echo "== 2. apply rate: a backlog of $BACKLOG changes while sluice is stopped"
q "select pg_create_logical_replication_slot('ref_slot', 'pgoutput')" > /dev/null
psql -qX > /dev/null <<SQL
do \$\$
declare b bigint;
begin
  for b in 0 .. $((BACKLOG / 1000 - 1)) loop
    insert into public.events (id, v, note)
      select g, b, 'backlog' from generate_series(b * 1000 + 1, b * 1000 + 1000) g
      on conflict (id) do update set v = excluded.v, note = excluded.note;
    commit;
  end loop;
  insert into public.events values (-1, 0, 'marker');
end \$\$;
SQL
END_LSN=$(q "select pg_current_wal_lsn()")
S0=$(date +%s.%N)
start_sluice backlog
wait_until "select exists (select 1 from dst.events where id = -1)" 1800
S1=$(date +%s.%N)
stop_sluice
RSS2=$(cat backlog.time)
SLUICE_S=$(python3 -c "print(f'{$S1 - $S0:.2f}')")
read -r REF_RSS REF_S < <(measure "$PGBIN/pg_recvlogical" -d bench -S ref_slot --start --endpos="$END_LSN" \
  -o proto_version=1 -o publication_names=bench_pub -f /dev/null)
grep -h "merge(s)" sluice.err | tail -1 || true

echo
echo "lag phase:   load $(printf %.0f "$LOAD_TPS") changes/s for $SECS s; $SAMPLES rows sampled"
echo "             end-to-end lag (source commit → destination commit): p50 ${P50} ms, p99 ${P99} ms, max ${PMAX} ms (goal p99 ≤ 500)"
echo "apply rate:  sluice $(rate "$BACKLOG" "$SLUICE_S") changes/s ($BACKLOG in $SLUICE_S s, restart and catch-up included)"
echo "             pg_recvlogical $(rate "$BACKLOG" "$REF_S") changes/s ($REF_S s, receive only)"
echo "             ratio sluice/pg_recvlogical time: $(ratio "$SLUICE_S" "$REF_S") (goal ≥ 50,000 changes/s)"
echo "peak RSS:    sluice ${RSS1} KB (snapshot + lag phase), ${RSS2} KB (backlog); pg_recvlogical ${REF_RSS} MB"
