#!/bin/sh
# Prints the Debian packages that provide the shared libraries BINARY links directly (its ELF
# NEEDED entries), one per line, sorted: what a runtime image or host must install to run it.
# Runs where the binary was built (the -dev packages pulled these in). Used by the Dockerfile's
# build stage; tests/e2e/test_deploy.py runs it on build/sluice and checks each package exists.
set -eu
bin=${1:?usage: runtime-packages.sh BINARY}
needed=$(objdump -p "$bin" | awk '$1 == "NEEDED" {print $2}')
[ -n "$needed" ] || { echo "runtime-packages: $bin has no NEEDED entries (static, or not an ELF file?)" >&2; exit 1; }
resolved=$(ldd "$bin")
paths=""
for lib in $needed; do
  path=$(printf '%s\n' "$resolved" | awk -v l="$lib" '$1 == l && $3 ~ /^\// {print $3; exit}')
  [ -n "$path" ] || { echo "runtime-packages: $lib (needed by $bin) is not installed" >&2; exit 1; }
  paths="$paths $(readlink -f "$path")"
done
# One dpkg query for all (it is slow): each library under /usr/lib and /lib, as Debian 12's merged
# /usr lets dpkg know a file by either name.
candidates=""
for real in $paths; do
  base=${real#/usr}
  candidates="$candidates $base /usr$base"
done
owners=$(dpkg -S $candidates 2>/dev/null || true)
for real in $paths; do
  base=${real#/usr}
  owner=$(printf '%s\n' "$owners" | awk -v a="$base" -v b="/usr$base" '$NF == a || $NF == b {print $1; exit}')
  [ -n "$owner" ] || { echo "runtime-packages: no Debian package owns $real" >&2; exit 1; }
  echo "${owner%%:*}"
done | sort -u
