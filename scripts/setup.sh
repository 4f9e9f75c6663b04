#!/usr/bin/env bash
# Installs everything sluice needs to build, test and demo on Debian 12. Idempotent: a second run
# only checks. Used by `make demo` and `make test`; safe to run by hand.
set -euo pipefail

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config python3 python3-pip
  libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  zlib1g-dev libzstd-dev libgtest-dev libgmock-dev libbenchmark-dev
  zstd gzip time python3-yaml python3-jsonschema python3-pytest
  libpq-dev postgresql-15 libcurl4-openssl-dev libssl-dev libsnappy-dev liblz4-dev
  python3-boto3 python3-psycopg2 pgloader hyperfine libabsl-dev libsqlite3-dev libsodium-dev libcpp-httplib-dev python3-prometheus-client
  chromium fonts-noto-color-emoji libmariadb-dev mariadb-server
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

# Independent readers and servers the tests compare against (hyparquet, DuckDB, s3rver), from npm.
# Node.js is part of the machine image; npm only installs what package-lock.json pins.
JS_DIR="$(cd "$(dirname "$0")/.." && pwd)/tests/js"
if [ -f "$JS_DIR/package.json" ] && { [ ! -d "$JS_DIR/node_modules" ] || [ "$JS_DIR/package.json" -nt "$JS_DIR/node_modules" ]; }; then
  echo "setup: npm install in tests/js"
  (cd "$JS_DIR" && npm install --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules)
fi

# The web UI's build tools (Vite, TypeScript, React) and playwright-core, which drives Debian's
# chromium in tests/e2e/test_web_ui.py (never `playwright install`: the browser is the apt one).
WEB_DIR="$(cd "$(dirname "$0")/.." && pwd)/web"
if [ -f "$WEB_DIR/package-lock.json" ] && ! [ "$WEB_DIR/node_modules/.package-lock.json" -nt "$WEB_DIR/package-lock.json" ]; then
  echo "setup: npm ci in web"
  (cd "$WEB_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null && touch node_modules/.package-lock.json)
fi
