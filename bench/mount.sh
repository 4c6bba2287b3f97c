#!/bin/sh
# SPDX-License-Identifier: MIT
# Mount benchmark: the whole table of bench/README.md (bench/mount.py does the work).
#
# usage: sh bench/mount.sh [--quick]   (from a built tree; builds nothing)
# env:   see bench/README.md (BENCH_*, CUBEFS_BENCH_QUICK, CUBEFS, ...)
set -eu
PY=/usr/bin/python3
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "bench/mount.sh: needs /dev/fuse and fusermount3" >&2
	exit 1
fi
$PY -c 'import numpy' 2>/dev/null || {
	echo "bench/mount.sh: needs numpy for $PY" >&2
	exit 1
}
exec $PY "$(dirname "$0")/mount.py" "$@"
