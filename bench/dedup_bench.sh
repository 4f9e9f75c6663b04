#!/usr/bin/env bash
# Incremental dedup into PostgreSQL at scale (faker users → destination-postgres), beside the same
# rows in full refresh, in one run on one server:
#   1. full refresh (Overwrite, direct load) of ROWS users                       — the reference F
#   2. Incremental | Append + Deduped of the same ROWS users into a new table     — goal ≤ 1.3 × F
#   3. CHANGES users again, newer (another seed), deduped into that ROWS table   — goal ≤ 0.3 × F
#   4. the same CHANGES into a table of CHANGES rows: the time per merged row at CHANGES and at
#      ROWS rows in the table                                                    — goal within 1.5×
# Merge figures come from the destination's own summary line ("N merge(s) of R row(s) …: A ms on
# average, M ms at most"); peak RSS of every sluice run from /usr/bin/time (goal: flat).
#   bash bench/dedup_bench.sh build/sluice      # BENCH_ROWS=1000000 BENCH_CHANGES=100000 for a quick look
# Starts its own PostgreSQL 15 (initdb in a temporary folder, loopback, a free port).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
HERE=$(dirname "$(realpath "$0")")
ROWS=${BENCH_ROWS:-10000000}
CHANGES=${BENCH_CHANGES:-1000000}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-dedupbench.XXXXXX)}
chmod 755 "$WORK"
cd "$WORK"
source "$HERE/pg_lib.sh"
start_pg

# pipeline NAME SCHEMA MODE COUNT SEED [always_updated]
pipeline() {
  local updated=${6:+, always_updated: true}
  cat > "$1.yaml" <<YAML
name: $1
source: {connector: faker, config: {count: $4, seed: $5$updated}}
destination: {connector: postgres, config: {host: 127.0.0.1, port: $PORT, database: bench, username: postgres,
              password: $PGPASSWORD, ssl_mode: {mode: disable}, schema: $2}}
streams: [{name: users, mode: "$3"}]
YAML
}
# run NAME: syncs NAME.yaml (fresh state); prints "RSS_MB SECONDS MERGES MERGED_ROWS AVG_MS MAX_MS"
run() {
  rm -f "$1.state"
  read -r rss s < <(measure "$SLUICE" sync "$1.yaml" --no-progress --state-file "$1.state")
  python3 - "$rss" "$s" <<'PY'
import re, sys
m = re.search(r"(\d+) merge\(s\) of (\d+) row\(s\) .*?: (\d+) ms on average, (\d+) ms at most", open("cmd.err").read())
print(sys.argv[1], sys.argv[2], *(m.groups() if m else (0, 0, 0, 0)))
PY
}
count() { q "select count(*) || ' rows, ' || count(distinct id) || ' distinct' from $1.users"; }
us_per_row() { python3 -c "import sys; m, r, a = map(float, sys.argv[1:]); print(f'{a * 1000 * m / r:.2f}' if r else 'n/a')" "$@"; }

echo "== dedup into PostgreSQL: $(printf "%'d" "$ROWS") users, then $(printf "%'d" "$CHANGES") changed, $(nproc) cores, work dir $WORK"
echo "   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine slows every figure)"
pipeline full fr "Full Refresh | Overwrite" "$ROWS" 1
pipeline first dd "Incremental | Append + Deduped" "$ROWS" 1
pipeline changes dd "Incremental | Append + Deduped" "$CHANGES" 2 yes
pipeline small_first small "Incremental | Append + Deduped" "$CHANGES" 1
pipeline small_changes small "Incremental | Append + Deduped" "$CHANGES" 2 yes

read -r f_rss F _ < <(run full)
echo "  1. full refresh (direct load)         ${F}s  $(rate "$ROWS" "$F") rows/s  peak RSS ${f_rss} MB  ($(count fr))"
read -r d_rss D merges0 _ < <(run first)
echo "  2. dedup into a new table            ${D}s  $(rate "$ROWS" "$D") rows/s  peak RSS ${d_rss} MB  → $(ratio "$D" "$F")× full refresh (goal ≤ 1.30); merges: $merges0  ($(count dd))"
read -r c_rss C merges rows avg max < <(run changes)
echo "  3. $(printf "%'d" "$CHANGES") changes into $(printf "%'d" "$ROWS") rows   ${C}s  $(rate "$CHANGES" "$C") rows/s  peak RSS ${c_rss} MB  → $(ratio "$C" "$F")× full refresh (goal ≤ 0.30)  ($(count dd))"
echo "     $merges merges of $rows rows: ${avg} ms on average, ${max} ms at most = $(us_per_row "$merges" "$rows" "$avg") µs per merged row"
run small_first > /dev/null
read -r s_rss S smerges srows savg smax < <(run small_changes)
echo "  4. $(printf "%'d" "$CHANGES") changes into $(printf "%'d" "$CHANGES") rows   ${S}s  peak RSS ${s_rss} MB  ($(count small))"
echo "     $smerges merges of $srows rows: ${savg} ms on average, ${smax} ms at most = $(us_per_row "$smerges" "$srows" "$savg") µs per merged row"
a=$(us_per_row "$merges" "$rows" "$avg"); b=$(us_per_row "$smerges" "$srows" "$savg")
echo "     merge time per row at $(printf "%'d" "$ROWS") vs $(printf "%'d" "$CHANGES") rows in the table: $(ratio "$a" "$b")× (goal ≤ 1.50)"
# Correctness: the changed rows are seed 2's, the rest seed 1's.
diff=$(q "select count(*) from ((select id, name, email from dd.users where id <= $CHANGES except select id, name, email from small.users)
                                union all (select id, name, email from small.users except select id, name, email from dd.users)) d")
[ "$diff" = 0 ] || { echo "dd.users differs from small.users in $diff rows" >&2; exit 1; }
echo "   load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
