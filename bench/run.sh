#!/usr/bin/env bash
# End-to-end benchmarks (not part of `make test`). Each prints sluice's figure beside a
# reference measured in the same run, as a ratio. Sizes can be lowered for a quick look:
#   BENCH_ROWS=5000000 BENCH_CSV_MB=1024 bash bench/run.sh build/sluice
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
ROWS=${BENCH_ROWS:-5000000}
CSV_MB=${BENCH_CSV_MB:-1024}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-bench.XXXXXX)}
HERE=$(cd "$(dirname "$0")" && pwd)
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK"

secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.3f}')" "$1"; }
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$1" "$2"; }
ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print(f'{a / b:.2f}')" "$1" "$2"; }
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):,.0f}')" "$1" "$2"; }
# Peak RSS (MB) and wall seconds of a command: "RSS_MB SECONDS".
measure() {
  /usr/bin/time -f "%M %e" -o time.out "$@" > cmd.out 2> cmd.err || { cat cmd.err >&2; return 1; }
  read -r kb s < time.out
  echo "$((kb / 1024)) $s"
}

pipeline() {  # pipeline NAME SOURCE_YAML DEST_YAML
  cat > "$1.yaml" <<YAML
name: $1
source: $2
destination: $3
YAML
}

echo "== sluice benchmarks ($(nproc) cores; work dir $WORK)"
echo

# 1. Engine overhead: faker → dev-null, users stream only.
pipeline faker_devnull "{connector: faker, config: {count: $ROWS, records_per_slice: 1000000}}" \
  "{connector: dev-null, config: {}}"
echo 'streams: [{name: users, mode: "Full Refresh | Append"}]' >> faker_devnull.yaml
"$SLUICE" sync faker_devnull.yaml --json --no-progress > faker.json
python3 - "$ROWS" <<'PY'
import json, sys
s = json.load(open("faker.json"))
users = next(x for x in s["streams"] if x["stream"] == "users")
rate = users["records"] / users["duration_seconds"]
print(f"faker users → dev-null: {users['records']:,} rows in {users['duration_seconds']:.2f}s = {rate:,.0f} rows/s "
      f"(goal ≥ 5,000,000 rows/s/core: {rate / 5e6:.2f}× the goal)")
PY

# 2. Peak RSS as the record count grows (goal ≤ 100 MB and flat).
echo
for n in 1000000 3000000 10000000; do
  pipeline rss_$n "{connector: faker, config: {count: $n, records_per_slice: 1000000}}" "{connector: dev-null, config: {}}"
  echo 'streams: [{name: users, mode: "Full Refresh | Append"}]' >> rss_$n.yaml
  read -r mb s < <(measure "$SLUICE" sync rss_$n.yaml --no-progress)
  echo "peak RSS, faker users → dev-null, $(printf "%'d" $n) records: ${mb} MB (${s}s)"
done

# 3. A large CSV → dev-null and → local JSONL, beside `cat FILE > /dev/null`.
echo
python3 - "$CSV_MB" <<'PY'
import sys, random
target = int(sys.argv[1]) << 20
random.seed(1)
words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
with open("big.csv", "w", buffering=1 << 22) as f:
    f.write("id,customer,amount,quantity,created_at,note\n")
    size, i = 0, 0
    block = []
    while size < target:
        i += 1
        line = (f"{i},customer_{i % 99991},{(i * 7919) % 100000 / 100:.2f},{i % 97},"
                f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z,"
                f"\"{words[i % 10]} {words[(i // 10) % 10]}, order {i}\"\n")
        block.append(line)
        size += len(line)
        if len(block) == 10000:
            f.write("".join(block)); block = []
    f.write("".join(block))
PY
CSV_BYTES=$(stat -c %s big.csv)
cat big.csv > /dev/null  # warm the page cache for both
t0=$(now); cat big.csv > /dev/null; t1=$(now); CAT_S=$(elapsed "$t0" "$t1")
pipeline csv_devnull "{connector: file, config: {streams: [{name: big, path: $WORK/big.csv}]}}" "{connector: dev-null, config: {}}"
read -r mb1 s1 < <(measure "$SLUICE" sync csv_devnull.yaml --no-progress)
pipeline csv_local "{connector: file, config: {streams: [{name: big, path: $WORK/big.csv}]}}" \
  "{connector: local, config: {destination_path: $WORK/out, format: {format_type: JSONL}}}"
read -r mb2 s2 < <(measure "$SLUICE" sync csv_local.yaml --no-progress)
OUT_BYTES=$(du -sb out | cut -f1)
rm -rf out
t0=$(now); dd if=/dev/zero of=zero.bin bs=4M count=$((OUT_BYTES / 4194304 + 1)) conv=fsync status=none; t1=$(now)
DD_S=$(elapsed "$t0" "$t1"); rm -f zero.bin
MB=$((CSV_BYTES / 1000000))
echo "CSV ${MB} MB: cat → /dev/null $(secs "$CAT_S")s ($(rate "$MB" "$CAT_S") MB/s)"
echo "CSV ${MB} MB → dev-null:    $(secs "$s1")s = $(rate "$MB" "$s1") MB/s, peak RSS ${mb1} MB; time ratio vs cat: $(ratio "$s1" "$CAT_S")×"
echo "CSV ${MB} MB → local JSONL: $(secs "$s2")s = $(rate "$MB" "$s2") MB/s, peak RSS ${mb2} MB; time ratio vs cat: $(ratio "$s2" "$CAT_S")×"
echo "  (it writes $((OUT_BYTES / 1000000)) MB of JSONL; dd writing as many bytes with fsync: $(secs "$DD_S")s," \
     "so sluice takes $(ratio "$s2" "$DD_S")× the disk's own write time)"
rm -f big.csv

# 4. Airbyte-protocol JSON lines from an external process → dev-null (goal ≥ 300 MB/s per core).
echo
echo '{"count": 2000000, "seed": 1}' > faker_config.json
"$SLUICE" connector faker discover --config faker_config.json > catalog_msg.json
python3 - <<'PY'
import json
cat = json.load(open("catalog_msg.json"))["catalog"]
users = [s for s in cat["streams"] if s["name"] == "users"]
json.dump({"streams": [{"stream": users[0], "sync_mode": "full_refresh", "destination_sync_mode": "append"}]},
          open("configured.json", "w"))
PY
"$SLUICE" connector faker read --config faker_config.json --catalog configured.json | grep '"RECORD"' > records.jsonl
JSONL_BYTES=$(stat -c %s records.jsonl)
cat records.jsonl > /dev/null
t0=$(now); cat records.jsonl > /dev/null; t1=$(now); CAT_S=$(elapsed "$t0" "$t1")
pipeline protocol "{command: [$HERE/replay_source.sh], config: {}}" "{connector: dev-null, config: {}}"
read -r mb3 s3 < <(REPLAY_FILE=$WORK/records.jsonl REPLAY_CATALOG=$WORK/catalog_msg.json \
  measure "$SLUICE" sync protocol.yaml --no-progress)
MB=$((JSONL_BYTES / 1000000))
echo "protocol JSONL ${MB} MB from an external process → dev-null: $(secs "$s3")s = $(rate "$MB" "$s3") MB/s" \
     "(goal ≥ 300 MB/s), peak RSS ${mb3} MB; cat alone: $(rate "$MB" "$CAT_S") MB/s"
