#!/bin/sh
# SPDX-License-Identifier: MIT
# Mount benchmark: the whole table of bench/README.md (bench/mount.py does the work), appended to bench/RESULTS.md.
#
# usage: sh bench/mount.sh [--quick]   (from a built tree; builds nothing)
# env:   see bench/README.md (BENCH_*, CUBEFS_BENCH_QUICK, CUBEFS, ...)
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "bench/mount.sh: needs /dev/fuse and fusermount3" >&2
	exit 1
fi
$PY -c 'import numpy' 2>/dev/null || {
	echo "bench/mount.sh: needs numpy for $PY" >&2
	exit 1
}
quick=
case " $* " in *" --quick "*) quick=" --quick" ;; esac
case ${CUBEFS_BENCH_QUICK:-} in ""|0) ;; *) quick=" --quick" ;; esac
# a smoke run's figures go to RESULTS.md only if BENCH_RESULTS asks
[ -z "$quick" ] || : "${BENCH_RESULTS=}"
export BENCH_RESULTS
T=$(mktemp -d /tmp/cubefs-bench-mount-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
rc=0
$PY "$here/mount.py" "$@" >"$T/out" || rc=$?
cat "$T/out"
[ $rc -eq 0 ] || exit $rc
grep -v '^Figures also in ' "$T/out" |
	sh "$here/results.sh" "sh bench/mount.sh$quick" -
