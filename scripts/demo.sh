#!/usr/bin/env bash
# `make demo`: the quickstart sync on the embedded defaults (faker → local Parquet files).
set -euo pipefail
SLUICE=${1:-build/sluice}
cd "$(dirname "$0")/.."
echo "== sluice quickstart: examples/quickstart.yaml (faker → ./demo-output, Parquet zstd)"
"$SLUICE" sync examples/quickstart.yaml
echo
echo "Output written under ./demo-output/ :"
find demo-output -type f -not -name '.*' | sort | head -20
echo
first=$(find demo-output/users -name '*.parquet' | sort | head -n 1)
echo "Look at it:"
if command -v node > /dev/null && [ -d tests/js/node_modules/@duckdb/node-api ]; then
  echo "  node tests/js/read_parquet.mjs duckdb $first --limit 3"
  echo "  node tests/js/read_parquet.mjs sql \"SELECT count(*), min(created_at), max(created_at) FROM read_parquet('demo-output/users/*.parquet')\""
else
  echo "  tests/js/read_parquet.mjs prints Parquet files with DuckDB or hyparquet once scripts/setup.sh has installed tests/js"
fi
echo "  or read them back with sluice: source file reads Parquet, e.g. in a pipeline file"
echo "    source: {connector: file, config: {streams: [{name: users, glob: \"demo-output/users/*.parquet\"}]}}"
