#!/usr/bin/env bash
# A REST API source: 1,000,000 records over 10,000 pages (cursor pagination, 100 records a page)
# → source-declarative-manifest → dev-null, beside two references fetching the same pages from the
# same server in the same run:
#   curl    one process fetching the 10,000 page URLs sequentially over one kept-alive connection
#           (a URL glob; a curl process per page would mostly time process start-up, unfair to curl)
#           — the floor: HTTP only, no parsing;
#   python  a `requests.Session` loop (kept-alive) that fetches each page, JSON-parses it and follows
#           its cursor — what a Python connector does at least.
# The server is Debian's nginx serving pre-generated page files (`?cursor=pNNNNN` → pNNNNN.json):
# static files from one event-driven worker answer far faster than any client here parses, so the
# server is not the bottleneck (a Python server would be).
# Reports records/s of each and the ratios sluice/curl time (goal ≤ 1.2) and python/sluice time
# (goal ≥ 10).
#   bash bench/rest_bench.sh build/sluice        # BENCH_PAGES=1000 for a quick look
# Environment: BENCH_PAGES (default 10000), BENCH_PAGE_SIZE (default 100), BENCH_ROUNDS (best of,
# default 3), BENCH_KEEP=1 keeps the work folder, BENCH_TRANSFORM=1 adds an AddFields transformation
# to the stream (records then take the runtime's Json path instead of the simdjson page path).
set -euo pipefail
SLUICE=$(realpath "${1:-build/sluice}")
PAGES=${BENCH_PAGES:-10000}
PAGE_SIZE=${BENCH_PAGE_SIZE:-100}
ROUNDS=${BENCH_ROUNDS:-3}
PY=/usr/bin/python3  # has requests
NGINX=${SLUICE_NGINX:-/usr/sbin/nginx}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sluice-restbench.XXXXXX)}
chmod 755 "$WORK"  # nginx's workers may run as another user
cd "$WORK"
[ -x "$NGINX" ] || { echo "rest_bench: $NGINX missing (apt-get install nginx; scripts/setup.sh installs it)" >&2; exit 1; }

PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT

# The pages: {"data": [100 records], "next_cursor": "p00001"} — the last one without a cursor.
$PY - "$PAGES" "$PAGE_SIZE" << 'PY'
import json, os, sys
pages, size = int(sys.argv[1]), int(sys.argv[2])
os.makedirs("pages", exist_ok=True)
n = 0
for p in range(pages):
    data = []
    for _ in range(size):
        n += 1
        data.append({"id": n, "name": f"customer {n}", "email": f"user{n}@example.com",
                     "created": f"2024-{n % 12 + 1:02d}-{n % 28 + 1:02d}T{n % 24:02d}:00:00Z",
                     "amount": round(n * 0.37 % 1000, 2), "active": n % 3 != 0, "tags": ["a", "b"] if n % 2 else []})
    body = {"data": data, "next_cursor": f"p{p + 1:05d}" if p + 1 < pages else None}
    with open(f"pages/p{p:05d}.json", "w") as f:
        json.dump(body, f, separators=(",", ":"))
PY
BYTES=$(cat pages/*.json | wc -c)
RECORDS=$((PAGES * PAGE_SIZE))

mkdir -p nginx_tmp
cat > nginx.conf << CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/nginx_error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx_tmp; proxy_temp_path $WORK/nginx_tmp; fastcgi_temp_path $WORK/nginx_tmp;
  uwsgi_temp_path $WORK/nginx_tmp; scgi_temp_path $WORK/nginx_tmp;
  default_type application/json;
  keepalive_requests 1000000;
  map \$arg_cursor \$page { "" p00000; default \$arg_cursor; }
  server {
    listen 127.0.0.1:$PORT;
    root $WORK/pages;
    location = /items { try_files /\$page.json =404; }
  }
}
CONF
"$NGINX" -p "$WORK" -c "$WORK/nginx.conf" -g 'daemon off;' 2> nginx.log &
NGINX_PID=$!
cleanup() {
  kill "$NGINX_PID" 2> /dev/null || true
  wait "$NGINX_PID" 2> /dev/null || true
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null "$BASE/items" && break
  sleep 0.1
done

TRANSFORMATIONS=""
if [ -n "${BENCH_TRANSFORM:-}" ]; then
  TRANSFORMATIONS='    transformations: [{type: AddFields, fields: [{path: [origin], value: "bench"}]}]'
fi
cat > manifest.yaml << YAML
version: 6.7.0
type: DeclarativeSource
check: {type: CheckStream, stream_names: [items]}
streams:
  - type: DeclarativeStream
    name: items
    primary_key: [id]
    schema_loader:
      type: InlineSchemaLoader
      schema:
        type: object
        properties:
          id: {type: integer}
          name: {type: string}
          email: {type: string}
          created: {type: string, format: date-time}
          amount: {type: number}
          active: {type: boolean}
          tags: {type: array, items: {type: string}}
          origin: {type: string}
$TRANSFORMATIONS
    retriever:
      type: SimpleRetriever
      requester: {type: HttpRequester, url_base: "$BASE", path: /items, http_method: GET}
      record_selector: {type: RecordSelector, extractor: {type: DpathExtractor, field_path: [data]}}
      paginator:
        type: DefaultPaginator
        page_token_option: {type: RequestOption, inject_into: request_parameter, field_name: cursor}
        pagination_strategy:
          type: CursorPagination
          cursor_value: "{{ response.next_cursor }}"
          stop_condition: "{{ not response.next_cursor }}"
spec:
  type: Spec
  connection_specification: {type: object, properties: {}}
YAML
cat > rest_devnull.yaml << YAML
name: rest_devnull
source: {manifest: $WORK/manifest.yaml, config: {}}
destination: {connector: dev-null, config: {}}
streams: [{name: items, mode: "Full Refresh | Append"}]
YAML

cat > py_loop.py << 'PY'
import sys, time, requests
base = sys.argv[1]
s = requests.Session()
t = time.perf_counter()
n, cursor = 0, None
while True:
    r = s.get(base + "/items", params={"cursor": cursor} if cursor else None)
    r.raise_for_status()
    body = r.json()
    n += len(body["data"])
    cursor = body.get("next_cursor")
    if not cursor:
        break
print(n, time.perf_counter() - t)
PY

# Each run prints "WALL CPU" (CPU: user + system seconds; on a busy machine the steadier figure).
best() { sort -g | head -1; }
timed() {  # timed OUT COMMAND...: runs it with stdout to OUT, prints "WALL CPU"
  local out=$1; shift
  /usr/bin/time -f "%e %U %S" -o time.out "$@" > "$out" 2> cmd.err || { cat cmd.err >&2; return 1; }
  read -r w u s < time.out
  $PY -c "import sys; print(sys.argv[1], float(sys.argv[2]) + float(sys.argv[3]))" "$w" "$u" "$s"
}
LAST=$(printf '%05d' $((PAGES - 1)))

echo "== REST source benchmark: $RECORDS records over $PAGES pages ($((BYTES / 1000000)) MB of JSON) from nginx; best of $ROUNDS"
curl_r=$(for _ in $(seq "$ROUNDS"); do
  timed curl.out curl -sf "$BASE/items?cursor=p[00000-$LAST]"
  got=$(wc -c < curl.out)
  [ "$got" = "$BYTES" ] || { echo "curl fetched $got bytes, expected $BYTES" >&2; exit 1; }
done | best)
rm -f curl.out
sluice_r=$(for _ in $(seq "$ROUNDS"); do
  timed sluice.json "$SLUICE" sync rest_devnull.yaml --json --no-progress
  $PY - "$RECORDS" << 'PY'
import json, sys
s = json.load(open("sluice.json"))
n = next(x for x in s["streams"] if x["stream"] == "items")["records"]
if n != int(sys.argv[1]):
    sys.exit(f"sluice read {n} records, expected {sys.argv[1]}")
PY
done | best)
py_r=$(for _ in $(seq "$ROUNDS"); do
  timed py.out $PY py_loop.py "$BASE"
  read -r n _ < py.out
  [ "$n" = "$RECORDS" ] || { echo "python read $n records" >&2; exit 1; }
done | best)
$PY - "$RECORDS" $curl_r $sluice_r $py_r << 'PY'
import sys
n = int(sys.argv[1])
(curl, curl_cpu), (sluice, sluice_cpu), (py, py_cpu) = [tuple(map(float, sys.argv[i:i + 2])) for i in (2, 4, 6)]
print(f"curl (fetch only)       {curl:7.2f}s wall {curl_cpu:6.2f}s CPU  {n / curl:12,.0f} records/s")
print(f"sluice sync → dev-null  {sluice:7.2f}s wall {sluice_cpu:6.2f}s CPU  {n / sluice:12,.0f} records/s  (whole process)")
print(f"python requests + json  {py:7.2f}s wall {py_cpu:6.2f}s CPU  {n / py:12,.0f} records/s")
print(f"sluice/curl time: {sluice / curl:.2f} (goal ≤ 1.2)   python/sluice time: {py / sluice:.1f}× (goal ≥ 10)"
      f"   by CPU: {sluice_cpu / curl_cpu:.2f} and {py_cpu / sluice_cpu:.1f}×")
PY
