#!/usr/bin/env bash
# faker → destination-s3 (Parquet, ZSTD) against a local moto_server, beside a reference upload of
# the same bytes with boto3 (multipart, its default 10 threads) to the same server in the same run.
# Reports sluice's MB/s (bytes of the objects written / wall time of the whole sync: generating,
# encoding Parquet and uploading), rows/s, peak RSS, and its MB/s as a ratio of boto3's upload-only
# MB/s. moto keeps objects in memory and is single-process Python: it bounds both figures. The same
# sync to local Parquet is timed too, to show how much of sluice's time is generating and encoding.
#   bash bench/s3_bench.sh build/sluice          # BENCH_ROWS=500000 for a quick look
# Environment: BENCH_ROWS (users rows, default 5,000,000), BENCH_ROUNDS (default 1; best of),
# SLUICE_MOTO_SERVER (default: pyenv's moto_server), BENCH_KEEP=1 keeps the work folder.
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
ROWS=${BENCH_ROWS:-5000000}
ROUNDS=${BENCH_ROUNDS:-1}
MOTO=${SLUICE_MOTO_SERVER:-/root/.pyenv/shims/moto_server}
PY=/usr/bin/python3  # has boto3
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-s3bench.XXXXXX)}
cd "$WORK"

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
setsid "$MOTO" -H 127.0.0.1 -p "$PORT" > moto.log 2>&1 &
MOTO_PID=$!
cleanup() {
  kill -- -"$MOTO_PID" 2> /dev/null || kill "$MOTO_PID" 2> /dev/null || true
  wait "$MOTO_PID" 2> /dev/null || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do
  (echo > /dev/tcp/127.0.0.1/"$PORT") 2> /dev/null && break
  sleep 0.1
done

# s3 helper: bucket creation, listing sizes, download, reference upload.
cat > s3.py << 'EOF'
import sys, time, pathlib, boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
endpoint, cmd, *args = sys.argv[1:]
c = boto3.client("s3", endpoint_url=endpoint, config=Config(signature_version="s3v4", s3={"addressing_style": "path"}))
if cmd == "mkbucket":
    c.create_bucket(Bucket=args[0])
elif cmd == "size":  # total bytes and object count under a prefix
    total = n = 0
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=args[0], Prefix=args[1]):
        for o in page.get("Contents", []):
            total += o["Size"]; n += 1
    print(total, n)
elif cmd == "download":  # every object under a prefix into a folder
    out = pathlib.Path(args[2]); out.mkdir(parents=True, exist_ok=True)
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=args[0], Prefix=args[1]):
        for i, o in enumerate(page.get("Contents", [])):
            c.download_file(args[0], o["Key"], str(out / f"{i:05d}.parquet"))
elif cmd == "upload":  # the files of a folder, timed; prints seconds
    cfg = TransferConfig(multipart_chunksize=16 << 20, multipart_threshold=16 << 20)
    files = sorted(pathlib.Path(args[2]).iterdir())
    t = time.perf_counter()
    for f in files:
        c.upload_file(str(f), args[0], f"{args[1]}/{f.name}", Config=cfg)
    print(f"{time.perf_counter() - t:.3f}")
EOF
s3() { $PY s3.py "$ENDPOINT" "$@"; }

cat > sync.yaml << EOF
name: faker to s3 bench
source: {connector: faker, config: {count: $ROWS, seed: 1}}
destination:
  connector: s3
  config:
    s3_bucket_name: BUCKET
    s3_bucket_path: "bench/\${STREAM_NAME}"
    s3_bucket_region: us-east-1
    s3_endpoint: $ENDPOINT
    access_key_id: bench
    secret_access_key: bench-secret
    format: {format_type: Parquet, compression_codec: ZSTD}
streams: [{name: users, mode: "Full Refresh | Overwrite"}]
EOF

echo "== faker → s3 (moto_server) Parquet/ZSTD: $(printf "%'d" "$ROWS") users rows, $(nproc) cores, best of $ROUNDS"
best_s=""; rss=""; bytes=0; objects=0; best_bytes=0
for round in $(seq "$ROUNDS"); do
  bucket=sluice-bench-$round
  s3 mkbucket "$bucket"
  sed "s/BUCKET/$bucket/" sync.yaml > "sync-$round.yaml"
  /usr/bin/time -f "%M %e" -o time.out "$SLUICE" sync "sync-$round.yaml" > sync.out 2> sync.err \
    || { cat sync.err >&2; exit 1; }
  read -r kb s < time.out
  read -r bytes objects < <(s3 size "$bucket" bench/users/)
  echo "  round $round: ${s}s, peak RSS $((kb / 1024)) MB, $objects object(s), $bytes bytes"
  if [ -z "$best_s" ] || $PY -c "import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))" "$s" "$best_s"; then
    best_s=$s; rss=$((kb / 1024)); best_bytes=$bytes
  fi
done

# Where sluice's time goes: the same sync to a local Parquet folder (no network).
cat > local.yaml << EOF
name: faker to local parquet bench
source: {connector: faker, config: {count: $ROWS, seed: 1}}
destination: {connector: local, config: {destination_path: $WORK/local, format: {format_type: Parquet, compression_codec: ZSTD}}}
streams: [{name: users, mode: "Full Refresh | Overwrite"}]
EOF
/usr/bin/time -f "%M %e" -o time.out "$SLUICE" sync local.yaml > sync.out 2> sync.err || { cat sync.err >&2; exit 1; }
read -r local_kb local_s < time.out
echo "  same sync to local Parquet (no upload): ${local_s}s, peak RSS $((local_kb / 1024)) MB"
rm -rf "${WORK:?}/local"

# Reference: the same objects, uploaded by boto3 to the same server.
s3 download sluice-bench-1 bench/users/ objects
s3 mkbucket boto3-ref
ref_s=""
for round in $(seq "$ROUNDS"); do
  t=$(s3 upload boto3-ref "round-$round" objects)
  echo "  boto3 round $round: ${t}s"
  if [ -z "$ref_s" ] || $PY -c "import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))" "$t" "$ref_s"; then
    ref_s=$t
  fi
done

$PY - "$ROWS" "$best_bytes" "$best_s" "$rss" "$ref_s" << 'EOF'
import sys
rows, size, s, rss, ref = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], float(sys.argv[5])
mb = size / 1e6
print(f"sluice: {mb:,.1f} MB of Parquet in {s:.2f}s = {mb / s:,.1f} MB/s, {rows / s:,.0f} rows/s, peak RSS {rss} MB")
print(f"boto3 upload of the same bytes: {ref:.2f}s = {mb / ref:,.1f} MB/s")
print(f"sluice MB/s / boto3 MB/s = {(mb / s) / (mb / ref):.2f} (sluice's time includes generating and encoding)")
EOF
