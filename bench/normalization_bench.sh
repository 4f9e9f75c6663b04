#!/usr/bin/env bash
# Basic normalization into PostgreSQL (faker users: a nested `address` object and a `tags` array
# → destination-postgres), side by side in one run on one server:
#   1. ROWS users, Full Refresh | Overwrite, no normalization (direct load)   — the reference F
#   2. the same ROWS users with `normalization: basic` (users + users_tags)     — goal ≤ 1.5 × F
# Runs alternate (plain, normalized) ROUNDS times; the best time of each is compared. Peak RSS of
# every sluice run from /usr/bin/time.
#   bash bench/normalization_bench.sh build/sluice     # BENCH_ROWS=200000 for a quick look
# Starts its own PostgreSQL 15 (initdb in a temporary folder, loopback, a free port).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
HERE=$(dirname "$(realpath "$0")")
ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-2}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-normbench.XXXXXX)}
chmod 755 "$WORK"
cd "$WORK"
source "$HERE/pg_lib.sh"
start_pg

# pipeline NAME SCHEMA NORMALIZATION
pipeline() {
  cat > "$1.yaml" <<YAML
name: $1
source: {connector: faker, config: {count: $ROWS, seed: 1}}
destination: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
              password: $PGPASSWORD, ssl_mode: {mode: disable}, schema: $2}}
normalization: $3
streams: [{name: users, mode: "Full Refresh | Overwrite"}]
YAML
}
run() {
  rm -f "$1.state"
  measure "$SLUICE" sync "$1.yaml" --no-progress --state-file "$1.state"
}

echo "== normalization into PostgreSQL: $(printf "%'d" "$ROWS") faker users (address object, tags array), $(nproc) cores, work dir $WORK"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)"
pipeline plain plain none
pipeline norm norm basic
P=(); N=(); p_rss=0; n_rss=0
for ((r = 1; r <= ROUNDS; r++)); do
  read -r rss s < <(run plain); P+=("$s"); p_rss=$((rss > p_rss ? rss : p_rss))
  read -r rss s < <(run norm); N+=("$s"); n_rss=$((rss > n_rss ? rss : n_rss))
  echo "   round $r: plain ${P[-1]}s, normalized ${N[-1]}s ($(ratio "${N[-1]}" "${P[-1]}")×)"
done
F=$(best "${P[@]}"); B=$(best "${N[@]}")
echo "  1. no normalization     ${F}s  $(rate "$ROWS" "$F") rows/s  peak RSS ${p_rss} MB  ($(q 'select count(*) from plain.users') rows)"
echo "  2. normalization: basic ${B}s  $(rate "$ROWS" "$B") rows/s  peak RSS ${n_rss} MB  ($(q 'select count(*) from norm.users') users, $(q 'select count(*) from norm.users_tags') tags)"
echo "     → $(ratio "$B" "$F")× the sync without normalization (goal ≤ 1.50)"
# Correctness: the flat table holds what the plain table's jsonb holds.
diff=$(q "select count(*) from (select id, address->>'city', coalesce(jsonb_array_length(tags), 0) from plain.users
         except select u.id, u.address_city, coalesce(t.n, 0) from norm.users u left join
           (select _airbyte_users_hashid h, count(*) n from norm.users_tags group by 1) t on t.h = u._airbyte_users_hashid) d")
[ "$diff" = 0 ] || { echo "norm.users differs from plain.users in $diff rows" >&2; exit 1; }
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
