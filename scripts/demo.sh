#!/usr/bin/env bash
# `make demo`: the quickstart sync on the embedded defaults (faker → local folder).
set -euo pipefail
SLUICE=${1:-build/sluice}
cd "$(dirname "$0")/.."
echo "== sluice quickstart: examples/quickstart.yaml (faker → ./demo-output)"
"$SLUICE" sync examples/quickstart.yaml
echo
echo "Output written under ./demo-output/ :"
find demo-output -type f -not -name '.*' | sort | head -20
echo
echo "Try: zcat demo-output/users/*.jsonl.gz | head -n 1"
