#!/bin/sh
# SPDX-License-Identifier: MIT
# The rate-distortion study (bench/README.md), its tables appended to bench/RESULTS.md: sh bench/quality.sh [--quick] [--plot] [SAMPLE...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${CUBEFS_BENCH:=$top/bench/cubefs-bench}"
export CUBEFS_BENCH
[ -x "$CUBEFS_BENCH" ] || { echo "quality: no '$CUBEFS_BENCH': run make" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "quality: ffmpeg needed" >&2; exit 1; }
# --plot measures nothing: its tables are not a new result; a smoke run's
# figures go to RESULTS.md only if BENCH_RESULTS asks
case " $* " in
*" --plot "*) BENCH_RESULTS= ;;
*" --quick "*) : "${BENCH_RESULTS=}" ;;
esac
export BENCH_RESULTS
T=$(mktemp -d /tmp/cubefs-quality-run-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
rc=0
nice /usr/bin/python3 "$top/bench/quality.py" "$@" >"$T/out" || rc=$?
cat "$T/out"
[ $rc -eq 0 ] || exit $rc
title="sh bench/quality.sh${*:+ $*}"
# samples named: the tables also hold the other samples of an earlier run
[ -z "$(printf '%s\n' "$@" | grep -v '^--')" ] ||
	title="$title (tables over quality.json: samples not named are from an earlier run)"
sh "$top/bench/results.sh" "$title" "$T/out"
