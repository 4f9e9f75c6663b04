#!/usr/bin/env bash
# source-mysql benchmarks (issue 16), MariaDB 10.11 → PostgreSQL 15, each beside a reference run
# on the same servers in the same run:
#   1. Full refresh of a table (BENCH_ROWS rows, 10 mixed columns) into destination-postgres
#      (Full Refresh | Overwrite, direct load: the typed table only) beside the reference pipe
#        mariadb --batch --quick -e 'SELECT …' | psql -c '\copy t2 from stdin'
#      — goal ≤ 1.0× (sluice reads the table's primary-key ranges at once on max_db_connections = 2
#      connections). Best of BENCH_ROUNDS runs, measured alternately; peak RSS of sluice and of
#      both clients.
#   2. CDC lag at a steady rate: `sluice sync --continuous` (CDC, Incremental | Append + Deduped)
#      streams while bench/mysql_load.cc (sluice_mysql_load, built with sluice) commits
#      BENCH_LAG_RATE single-row upserts/deletes per second for BENCH_LAG_SECS seconds on 4
#      connections (open-loop schedule, like pgbench -R). Each row carries ts = NOW(6) of its last
#      change (its commit time, to within the statement); PostgreSQL (track_commit_timestamp = on)
#      gives the commit time of the destination transaction that made that version visible,
#      pg_xact_commit_timestamp(xmin). Lag per row = the difference (one machine, one clock); every
#      surviving row changed during the phase is a sample → p50 / p99 / max. Goal (issue 16): p99
#      ≤ 500 ms. The destination must equal the source after.
#   3. CDC apply rate: after a CDC snapshot of table c, a backlog of BENCH_CDC_CHANGES changes
#      (upserts and deletes in 1000-row transactions) is committed; then one `sluice sync` (CDC,
#      Incremental | Append + Deduped) reads them from the binlog and merges them into PostgreSQL.
#      Reported: changes/s of that sync (read, merge and commit), its peak RSS, and beside it
#      the reference `mariadb-binlog --read-from-remote-server` decoding the same binlog range to
#      /dev/null (the rate the server serves it); the destination must equal the source after.
#   bash bench/mysql_bench.sh build/sluice    # BENCH_ROWS=1000000 BENCH_CDC_CHANGES=200000 for a quick look
#   BENCH_PARTS=lag bash bench/mysql_bench.sh build/sluice    # only some of full, lag, backlog
# Starts its own MariaDB (ROW binlog) and PostgreSQL in a temporary folder on free loopback ports.
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
LOAD=$(dirname "$SLUICE")/bench/sluice_mysql_load
HERE=$(dirname "$(realpath "$0")")
PARTS=${BENCH_PARTS:-full,lag,backlog}
LAG_RATE=${BENCH_LAG_RATE:-10000}
LAG_SECS=${BENCH_LAG_SECS:-45}
LAG_ROWS=${BENCH_LAG_ROWS:-100000}
[ -x "$LOAD" ] || { echo "$LOAD is missing: cmake --build build --target sluice_mysql_load" >&2; exit 1; }
ROWS=${BENCH_ROWS:-5000000}
ROUNDS=${BENCH_ROUNDS:-2}
CHANGES=${BENCH_CDC_CHANGES:-1000000}
CDC_ROWS=${BENCH_CDC_ROWS:-100000}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-mysqlbench.XXXXXX)}
mkdir -p "$WORK"
chmod 755 "$WORK"
cd "$WORK"
PG_EXTRA_OPTS="-c track_commit_timestamp=on"
source "$HERE/pg_lib.sh"
start_pg
export PGTZ=UTC

# ---- MariaDB ---------------------------------------------------------------------------------
MY=$WORK/my
MYPORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MYPW=bench-pw
mkdir -p "$MY"
AS_MYSQL=()
if [ "$(id -u)" = 0 ]; then chown mysql:mysql "$MY"; AS_MYSQL=(--user=mysql); fi
mariadb-install-db --no-defaults "${AS_MYSQL[@]}" --datadir="$MY/data" --auth-root-authentication-method=normal \
  --skip-test-db > "$MY/install.log" 2>&1
mariadbd --no-defaults "${AS_MYSQL[@]}" --datadir="$MY/data" --socket="$MY/mysqld.sock" --port="$MYPORT" \
  --bind-address=127.0.0.1 --pid-file="$MY/mysqld.pid" --log-error="$MY/error.log" --server-id=1 \
  --log-bin="$MY/binlog" --binlog-format=ROW --binlog-row-image=FULL --innodb-buffer-pool-size=1G \
  --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 --skip-name-resolve --max-binlog-size=256M \
  --character-set-server=utf8mb4 > /dev/null 2>&1 &
SLUICE_PID=
cleanup() {
  if [ -n "$SLUICE_PID" ]; then pkill -KILL -P "$SLUICE_PID" || true; fi
  if [ -f "$MY/mysqld.pid" ]; then
    kill "$(cat "$MY/mysqld.pid")" 2> /dev/null || true
    for _ in $(seq 60); do [ -f "$MY/mysqld.pid" ] || break; sleep 0.5; done
  fi
  pg_cleanup
}
trap cleanup EXIT
for _ in $(seq 120); do
  mariadb-admin --no-defaults -uroot --socket="$MY/mysqld.sock" ping > /dev/null 2>&1 && break
  sleep 0.5
done
my() { mariadb --no-defaults -uroot --socket="$MY/mysqld.sock" --batch --skip-column-names bench -e "$1"; }
mariadb --no-defaults -uroot --socket="$MY/mysqld.sock" -e "CREATE DATABASE bench CHARACTER SET utf8mb4;
  CREATE USER 'bench'@'%' IDENTIFIED BY '$MYPW'; GRANT ALL PRIVILEGES ON *.* TO 'bench'@'%';"

MYSQL_CONFIG="{host: 127.0.0.1, port: $MYPORT, database: bench, username: bench, password: $MYPW,
               ssl_mode: {mode: preferred}"
PG_CONFIG="{host: 127.0.0.1, port: $PORT, database: bench, username: postgres, password: $PGPASSWORD,
            ssl_mode: {mode: disable}"

echo "== MySQL (MariaDB $(my "SELECT VERSION()")) benchmarks: $(nproc) cores, work dir $WORK"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)"

has() { [[ ",$PARTS," == *",$1,"* ]]; }

# ---- 1. full refresh ---------------------------------------------------------------------------
if has full; then
my "CREATE TABLE t (id BIGINT PRIMARY KEY, qty INT, amount DECIMAL(12,2), price DOUBLE, name VARCHAR(64),
      code VARCHAR(16), flag TINYINT(1), created_at DATETIME(6), day DATE, note CHAR(32));
    SET SESSION sql_log_bin = 0;
    INSERT INTO t SELECT seq, (seq * 7) % 1000, ROUND((seq % 100000) * 1.37, 2), seq / 3.0, CONCAT('customer ', seq),
      CONCAT('C-', seq % 5000), seq % 3 = 0, TIMESTAMPADD(SECOND, seq, '2024-01-01 00:00:00'),
      DATE_ADD('2020-01-01', INTERVAL seq % 2000 DAY), MD5(seq) FROM seq_1_to_$ROWS;
    ANALYZE TABLE t;" > /dev/null
size_mb=$(my "SELECT ROUND((data_length + index_length) / 1048576) FROM information_schema.tables
              WHERE table_schema = 'bench' AND table_name = 't'")
echo "table t: $(printf "%'d" "$ROWS") rows, ${size_mb} MB in InnoDB (bigint, int, decimal, double, varchar, varchar,"
echo "  tinyint(1), datetime(6), date, char)"
q "create table t2 (id bigint primary key, qty integer, amount numeric(12,2), price double precision, name text,
                    code varchar(16), flag boolean, created_at timestamp, day date, note text)"
cat > full.yaml <<YAML
name: mysql to pg
source: {connector: mysql, config: $MYSQL_CONFIG}}
destination: {connector: postgres, config: $PG_CONFIG, direct_load: true}}
namespace: {definition: custom, format: dst}
streams: [{name: t, mode: "Full Refresh | Overwrite"}]
YAML
pipe() {
  /usr/bin/time -f "%M" -o rss_out.txt mariadb --no-defaults -ubench -p"$MYPW" -h127.0.0.1 -P"$MYPORT" --protocol=TCP \
      --batch --quick --skip-column-names bench \
      -e "SELECT id, qty, amount, price, name, code, flag, created_at, day, note FROM t" |
    /usr/bin/time -f "%M" -o rss_in.txt psql -qX -c "\\copy t2 from stdin"
}
pipe_s=(); sluice_s=()
for round in $(seq "$ROUNDS"); do
  q "truncate t2"
  start=$(date +%s.%N); pipe; end=$(date +%s.%N)
  pipe_s+=("$(python3 -c "print(f'{$end - $start:.2f}')")")
  pipe_rss=$(( ($(cat rss_out.txt) + $(cat rss_in.txt)) / 1024 ))
  read -r sluice_rss s < <(measure "$SLUICE" sync full.yaml --no-progress --state-file full.state)
  sluice_s+=("$s")
done
# Correctness: both copies hold the source's rows.
src_sum=$(my "SELECT COUNT(*), SUM(qty), SUM(amount), SUM(flag), SUM(DATEDIFF(day, '2020-01-01')) FROM t" | tr '\t' ' ')
for tbl in t2 dst.t; do
  got=$(q "select count(*), sum(qty), sum(amount), sum(flag::int), sum(day - date '2020-01-01') from $tbl" | tr '|' ' ')
  [ "$got" = "$src_sum" ] || { echo "$tbl differs from the source: $got vs $src_sum" >&2; exit 1; }
done
P=$(best "${pipe_s[@]}"); S=$(best "${sluice_s[@]}")
echo "full refresh MariaDB → PostgreSQL, $(printf "%'d" "$ROWS") rows:"
echo "  mariadb --batch --quick | psql \\copy   ${P}s  $(rate "$ROWS" "$P") rows/s  peak RSS ${pipe_rss} MB (both clients)"
echo "  sluice (direct load, 2 connections)     ${S}s  $(rate "$ROWS" "$S") rows/s  peak RSS ${sluice_rss} MB  → $(ratio "$S" "$P")× the pipe (goal ≤ 1.0)"
echo "  runs: pipe ${pipe_s[*]} / sluice ${sluice_s[*]}"
echo
q "drop schema dst cascade; drop table t2" > /dev/null
my "DROP TABLE t"
fi

# ---- 2. CDC lag at a steady rate -----------------------------------------------------------------
if has lag; then
my "CREATE TABLE l (id BIGINT PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(16), ts TIMESTAMP(6) NULL);
    INSERT INTO l SELECT seq, 0, 'p', NULL FROM seq_1_to_$LAG_ROWS;"
cat > lag.yaml <<YAML
name: mysql cdc lag
source: {connector: mysql, config: $MYSQL_CONFIG, replication_method: {method: CDC}}}
destination: {connector: postgres, config: $PG_CONFIG}}
namespace: {definition: custom, format: lag}
streams: [{name: l, mode: "Incremental | Append + Deduped", primary_key: id}]
YAML
/usr/bin/time -f "%M" -o lag.time "$SLUICE" sync lag.yaml --continuous --no-progress --state-file lag.state \
  > lag.out 2> lag.err &
SLUICE_PID=$!
wait_q() {  # wait_q SQL WANT TIMEOUT_S: until psql's answer to SQL is WANT
  local deadline=$((SECONDS + $3))
  until [ "$(q "$1" 2> /dev/null)" = "$2" ]; do
    [ $SECONDS -lt $deadline ] || { echo "timed out waiting for: $1 = $2" >&2; tail -20 lag.err >&2; exit 1; }
    kill -0 "$SLUICE_PID" 2> /dev/null || { echo "sluice died" >&2; tail -20 lag.err >&2; exit 1; }
    sleep 0.1
  done
}
wait_q "select count(*) from lag.l" "$LAG_ROWS" 300
sleep 3  # streaming: the snapshot's catch-up run is over
read -r made achieved late errors < <("$LOAD" "$MY/mysqld.sock" bench "$LAG_RATE" "$LAG_SECS" 4 $((2 * LAG_ROWS)))
src=$(my "SELECT COUNT(*), SUM(v), SUM(note = 'u') FROM l" | tr '\t' '|')
wait_q "select count(*), sum(v), sum((note = 'u')::int) from lag.l" "$src" 120
read -r samples p50 p99 pmax < <(q "select count(*), round(percentile_cont(0.5) within group (order by x)::numeric, 1),
  round(percentile_cont(0.99) within group (order by x)::numeric, 1), round(max(x)::numeric, 1) from (
  select extract(epoch from pg_xact_commit_timestamp(xmin) - ts) * 1000 as x from lag.l where note <> 'p') s" | tr '|' ' ')
pkill -TERM -P "$SLUICE_PID" || true
wait "$SLUICE_PID" || { echo "sluice exited $? after SIGTERM" >&2; tail -20 lag.err >&2; exit 1; }
SLUICE_PID=
echo "CDC lag, MariaDB → PostgreSQL (Append + Deduped), sluice sync --continuous:"
echo "  load: $(printf "%'d" "$made") single-row changes in ${LAG_SECS}s on 4 connections, $(printf "%'.0f" "$achieved") changes/s achieved (asked $(printf "%'d" "$LAG_RATE")); at worst ${late} ms behind schedule"
echo "  lag from the source commit to the destination commit, $(printf "%'d" "$samples") rows: p50 ${p50} ms, p99 ${p99} ms, max ${pmax} ms (goal p99 ≤ 500)  peak RSS $(( $(cat lag.time) / 1024 )) MB"
grep -h "CDC: replication lag" lag.err | tail -1 | sed 's/^/  last log: /' || true
echo
my "DROP TABLE l"
fi

# ---- 3. CDC apply rate -------------------------------------------------------------------------
if has backlog; then
my "CREATE TABLE c (id BIGINT PRIMARY KEY, qty INT, amount DECIMAL(12,2), name VARCHAR(64), updated DATETIME(6));
    INSERT INTO c SELECT seq, seq % 1000, seq * 0.5, CONCAT('row ', seq), NOW(6) FROM seq_1_to_$CDC_ROWS;"
cat > cdc.yaml <<YAML
name: mysql cdc to pg
source: {connector: mysql, config: $MYSQL_CONFIG, replication_method: {method: CDC}}}
destination: {connector: postgres, config: $PG_CONFIG}}
namespace: {definition: custom, format: cdc}
streams: [{name: c, mode: "Incremental | Append + Deduped", primary_key: id}]
YAML
"$SLUICE" sync cdc.yaml --no-progress --state-file cdc.state > snapshot.out 2> snapshot.err || { cat snapshot.err >&2; exit 1; }
read -r from_file from_pos < <(my "SHOW MASTER STATUS" | cut -f1,2)
# The backlog: upserts (new ids and existing ones) and deletes, 1000 rows a transaction.
python3 - "$CHANGES" "$CDC_ROWS" > backlog.sql <<'PY'
import sys
changes, rows = int(sys.argv[1]), int(sys.argv[2])
done, k = 0, 0
while done < changes:
    lo = rows + 1 + k * 1000
    if k % 4 == 3:  # every 4th transaction: 1000 deletes of earlier rows
        start = 1 + (k // 4) * 1000
        print(f"DELETE FROM c WHERE id BETWEEN {start} AND {start + 999};")
    elif k % 4 == 2:  # updates of existing rows
        start = 1 + (k // 4) * 1000 + 500_000
        print(f"UPDATE c SET qty = qty + 1, name = CONCAT(name, '+'), updated = NOW(6) WHERE id BETWEEN {start % rows + 1} AND {start % rows + 1000};")
    else:  # inserts of new rows
        print(f"INSERT INTO c SELECT seq, seq % 1000, seq * 0.5, CONCAT('new ', seq), NOW(6) FROM seq_{lo}_to_{lo + 999};")
    done += 1000
    k += 1
PY
start=$(date +%s.%N)
mariadb --no-defaults -uroot --socket="$MY/mysqld.sock" bench < backlog.sql
end=$(date +%s.%N)
write_s=$(python3 -c "print(f'{$end - $start:.2f}')")
read -r to_file to_pos < <(my "SHOW MASTER STATUS" | cut -f1,2)
binlog_mb=$(python3 -c "print(f'{($to_pos - $from_pos) / 1048576:.0f}')" 2> /dev/null || echo "?")
[ "$from_file" = "$to_file" ] || binlog_mb="(several files)"
# Reference: the server serving the same binlog range, decoded by mariadb-binlog into /dev/null.
start=$(date +%s.%N)
mariadb-binlog --no-defaults --read-from-remote-server -h127.0.0.1 -P"$MYPORT" -ubench -p"$MYPW" \
  --start-position="$from_pos" --stop-position="$to_pos" "$from_file" > /dev/null
end=$(date +%s.%N)
ref_s=$(python3 -c "print(f'{$end - $start:.2f}')")
read -r cdc_rss s < <(measure "$SLUICE" sync cdc.yaml --no-progress --state-file cdc.state)
src=$(my "SELECT COUNT(*), SUM(qty), SUM(amount) FROM c" | tr '\t' ' ')
got=$(q "select count(*), sum(qty), sum(amount) from cdc.c" | tr '|' ' ')
[ "$got" = "$src" ] || { echo "cdc.c differs from the source after the backlog: $got vs $src" >&2; exit 1; }
echo "CDC apply rate, a backlog of $(printf "%'d" "$CHANGES") row changes (1000 per transaction; binlog ${binlog_mb} MB; MariaDB wrote them in ${write_s}s):"
echo "  mariadb-binlog --read-from-remote-server > /dev/null   ${ref_s}s  $(rate "$CHANGES" "$ref_s") changes/s (the binlog served and decoded)"
echo "  sluice sync (CDC → Append + Deduped)                   ${s}s  $(rate "$CHANGES" "$s") changes/s  peak RSS ${cdc_rss} MB  → $(ratio "$s" "$ref_s")× the reference"
fi
