# Shared by the PostgreSQL benchmarks (sourced): a throwaway PostgreSQL 15 in $WORK and the
# measuring helpers. Sets PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE=bench for psql, and PORT.
#   start_pg   initdb + pg_ctl start on a free loopback port, database "bench"; stopped (and
#              $WORK removed unless BENCH_KEEP is set) on exit. PG_EXTRA_OPTS adds server
#              settings (e.g. "-c wal_level=logical" for CDC benchmarks); none by default.
#   q SQL      one psql query, unaligned output
#   measure CMD…   runs CMD, prints "PEAK_RSS_MB SECONDS" (stdout in cmd.out, stderr in cmd.err)
#   best / ratio / rate   figures
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_pg() {
  PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGPASSWORD=bench-pw PGDATABASE=bench
  export PGOPTIONS="-c client_min_messages=warning"
  trap pg_cleanup EXIT
  mkdir -p "$WORK/pg" && echo "$PGPASSWORD" > "$WORK/pw"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$WORK/pg" "$WORK/pw"; fi
  as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=scram-sha-256 --pwfile="$WORK/pw" -E UTF8 \
    --locale=C.UTF-8 > /dev/null
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w -o "-p $PORT -k $WORK/pg \
    -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=8GB -c checkpoint_timeout=30min \
    -c synchronous_commit=on ${PG_EXTRA_OPTS:-}" start > /dev/null
  psql -q -d postgres -c "create database bench"
}

pg_cleanup() {
  [ -f "$WORK/pg/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop > /dev/null 2>&1
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}

q() { psql -qAtX -c "$1"; }

measure() {
  /usr/bin/time -f "%M %e" -o time.out "$@" > cmd.out 2> cmd.err || { cat cmd.err >&2; return 1; }
  read -r kb s < time.out
  echo "$((kb / 1024)) $s"
}
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$1" "$2"; }
