#!/bin/sh
# SPDX-License-Identifier: MIT
# The encode-speed frontier (bench/README.md), its tables appended to bench/RESULTS.md: sh bench/frontier.sh [--quick] [--no-effort] [--key]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${CUBEFS_BENCH:=$top/bench/cubefs-bench}"
: "${CUBEFS:=$top/cubefs}"
export CUBEFS_BENCH CUBEFS
[ -x "$CUBEFS_BENCH" ] || { echo "frontier: no '$CUBEFS_BENCH': run make" >&2; exit 1; }
# a smoke run's figures go to RESULTS.md only if BENCH_RESULTS asks
case " $* " in
*" --quick "*) : "${BENCH_RESULTS=}" ; : "${FRONTIER_PNG:=/dev/null}" ;;
esac
export BENCH_RESULTS
[ -z "${FRONTIER_PNG:-}" ] || export FRONTIER_PNG
T=$(mktemp -d /tmp/cubefs-frontier-run-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
rc=0
/usr/bin/python3 "$top/bench/frontier.py" "$@" >"$T/out" || rc=$?
cat "$T/out"
[ $rc -eq 0 ] || exit $rc
sh "$top/bench/results.sh" "sh bench/frontier.sh${*:+ $*}" "$T/out"
