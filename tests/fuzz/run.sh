#!/usr/bin/env bash
# The long form of fuzzing (`make fuzz`): builds every fuzz target for libFuzzer with clang-14,
# AddressSanitizer and UndefinedBehaviorSanitizer (in BUILD, default build-fuzz), then runs each
# for SECONDS (default 60) on a copy of its seed corpus, keeping what it finds under
# $BUILD/fuzz-work/<target>/ (new corpus entries; crash-*, leak-*, timeout-* artifacts). Prints
# executions and findings per target and exits non-zero if any target crashed. Installs clang-14
# and its runtime from Debian first when missing (idempotent).
#   bash tests/fuzz/run.sh [BUILD] [SECONDS] [TARGET…]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-build-fuzz}"
SECONDS_PER_TARGET="${2:-60}"
shift $(( $# > 2 ? 2 : $# ))
TARGETS=("$@")
if ((${#TARGETS[@]} == 0)); then
  TARGETS=($(cd "$ROOT/tests/fuzz" && ls fuzz_*.cc | grep -v fuzz_driver | sed 's/^fuzz_//; s/\.cc$//'))
fi

missing=()
for p in clang-14 libclang-rt-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq -o DPkg::Lock::Timeout=600
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${missing[@]}" >/dev/null
fi

cd "$ROOT"
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++-14 -DSLUICE_FUZZ=ON >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target "${TARGETS[@]/#/fuzz_}"

failed=0
printf '%-12s %12s %10s %8s  %s\n' target executions corpus crashes artifacts
for t in "${TARGETS[@]}"; do
  work="$BUILD/fuzz-work/$t"
  mkdir -p "$work/corpus"
  rm -f "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*  # findings of this run only
  cp -n tests/fuzz/corpus/"$t"/* "$work/corpus/" 2>/dev/null || true
  log="$work/fuzz.log"
  set +e
  "$BUILD/tests/fuzz/fuzz_$t" "$work/corpus" -max_total_time="$SECONDS_PER_TARGET" -max_len=65536 \
    -artifact_prefix="$work/" -print_final_stats=1 >"$log" 2>&1
  code=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  crashes=$(ls "$work" | grep -cE '^(crash|leak|timeout|oom)-' || true)
  printf '%-12s %12s %10s %8s  %s\n' "$t" "${execs:-?}" "$(ls "$work/corpus" | wc -l)" "$crashes" \
    "$( ((crashes)) && ls "$work" | grep -E '^(crash|leak|timeout|oom)-' | head -3 | tr '\n' ' ' )"
  if ((code != 0 || crashes > 0)); then
    failed=1
    grep -m5 -E 'ERROR|SUMMARY|runtime error' "$log" || true
  fi
done
exit $failed
