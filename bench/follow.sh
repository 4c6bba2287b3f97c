#!/bin/sh
# SPDX-License-Identifier: MIT
# Follow benchmark: time from a commit through one mount to its visibility through another (-o refresh), appended to bench/RESULTS.md.
#
# usage: sh bench/follow.sh [--quick]   (from a built tree; builds nothing)
# env:   CUBEFS, MOUNT_CUBEFS (default ./cubefs, ./mount.cubefs),
#        BENCH_ROUNDS (default 12; --quick 3), BENCH_REFRESH (the refresh
#        periods to measure, default "1 5"; --quick "1"), BENCH_RESULTS
set -eu
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
CUBEFS=${CUBEFS:-$top/cubefs}
MOUNT=${MOUNT_CUBEFS:-$top/mount.cubefs}
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "bench/follow.sh: needs /dev/fuse and fusermount3" >&2
	exit 1
fi
quick=
[ "${1:-}" = --quick ] && quick=" --quick"
rounds=${BENCH_ROUNDS:-12}
periods=${BENCH_REFRESH:-1 5}
if [ -n "$quick" ]; then
	rounds=${BENCH_ROUNDS:-3}
	periods=${BENCH_REFRESH:-1}
	: "${BENCH_RESULTS=}"
fi
export BENCH_RESULTS
T=$(mktemp -d /tmp/cubefs-bench-follow-XXXXXX)
W=$T/w F=$T/f S=$T/store
mkdir -p "$W" "$F"
cleanup() {
	fusermount3 -u "$F" 2>/dev/null || true
	fusermount3 -u "$W" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# a lossless cube: each round writes one value that must come back exactly
$CUBEFS import -q "$S" "$top/data/landsat8_ny2018_p013r032_11band.npy" \
	--name l8 --lossless
$MOUNT "$S" "$W"
{
	printf '| refresh (s) | rounds | visible after, p50 (s) | p99 (s) | max (s) | p50 / refresh |\n'
	printf '|---|---|---|---|---|---|\n'
} >"$T/out"
for p in $periods; do
	$MOUNT "$S" "$F" -o "ro,refresh=$p"
	$PY - "$W/l8.npy" "$F/l8.npy" "$rounds" "$p" >>"$T/out" <<'PY'
import os, sys, time
import numpy as np

w, f, rounds, period = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
m = np.load(w, mmap_mode="r")
off, shape, item = m.offset, m.shape, m.dtype.itemsize
frame = int(np.prod(shape[1:])) * item
del m
seen = []
for r in range(rounds):
    # a new value in frame r, committed by the fsync
    at = off + (r % shape[0]) * frame + 8 * item
    value = np.array([40000 + r], dtype="<u2").tobytes()
    fd = os.open(w, os.O_RDWR)
    os.pwrite(fd, value, at)
    os.fsync(fd)
    t0 = time.monotonic()
    os.close(fd)
    while True:
        rd = os.open(f, os.O_RDONLY)
        got = os.pread(rd, len(value), at)
        os.close(rd)
        if got == value:
            break
        if time.monotonic() - t0 > 10 * period + 30:
            sys.exit(f"round {r}: not visible after {10 * period + 30} s")
        time.sleep(0.02)
    seen.append(time.monotonic() - t0)
s = np.array(seen)
print(f"| {period:g} | {rounds} | {np.percentile(s, 50):.2f} | "
      f"{np.percentile(s, 99):.2f} | {s.max():.2f} | "
      f"{np.percentile(s, 50) / period:.2f} |")
PY
	fusermount3 -u "$F"
	sleep 0.5
done
cat "$T/out"
sh "$here/results.sh" "sh bench/follow.sh$quick" "$T/out"
