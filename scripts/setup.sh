#!/usr/bin/env bash
# Installs what sluice needs on Debian 12. Idempotent: a second run only checks.
#   scripts/setup.sh build   what building the binary and `make demo` need (apt only)
#   scripts/setup.sh         everything: the build, then the test tools, browser and npm packages
#                            (`make build`, `make test`)
set -euo pipefail
MODE=${1:-all}
case "$MODE" in build | all) ;; *) echo "usage: $0 [build|all]" >&2; exit 2 ;; esac

# What the binary's build needs (and so `make demo`). A new library the build links goes here.
# mold: the demo's linker (CMake's SLUICE_FAST_LINKER); `scripts/setup.sh build` installs these
# without their recommended packages (about half the download and unpacking of a fresh machine).
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsimdjson-dev nlohmann-json3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  zlib1g-dev libzstd-dev libpq-dev libcurl4-openssl-dev libssl-dev libsnappy-dev
  libabsl-dev libsqlite3-dev libsodium-dev libcpp-httplib-dev libmariadb-dev libmongoc-dev libbson-dev
  libssh2-1-dev libexpat1-dev libzip-dev
  mold
)
# What only the tests and benchmarks need: test frameworks, real servers, reference tools, the browser.
TEST_APT_PACKAGES=(
  python3 python3-pip libgtest-dev libgmock-dev libbenchmark-dev liblz4-dev
  zstd gzip time python3-yaml python3-jsonschema python3-pytest
  postgresql-15 python3-boto3 python3-psycopg2 pgloader hyperfine python3-prometheus-client
  chromium fonts-noto-color-emoji mariadb-server python3-bson openssh-server
  dpkg-dev systemd python3-kubernetes python3-cryptography python3-requests nginx curl
)
# kubectl for the deployment tests (tests/e2e/test_deploy.py): Debian's kubernetes-client, unless a
# kubectl is already installed (another package's /usr/bin/kubectl would conflict with it).
command -v kubectl > /dev/null || TEST_APT_PACKAGES+=(kubernetes-client)

wanted=("${APT_PACKAGES[@]}")
[ "$MODE" = all ] && wanted+=("${TEST_APT_PACKAGES[@]}")
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  recommends=(); [ "$MODE" = build ] && recommends=(--no-install-recommends)
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${recommends[@]}" \
    "${missing[@]}" >/dev/null
fi
[ "$MODE" = build ] && exit 0

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
