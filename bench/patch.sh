#!/bin/sh
# SPDX-License-Identifier: MIT
# One-frame edits as patch GOPs against whole-GOP re-encodes: commit time, bytes added, drift of the frames not written.
#
# usage: sh bench/patch.sh [--quick]   (from a built tree)
# env:   CUBEFS, MOUNT_CUBEFS, BENCH_RESULTS (see bench/README.md)
set -eu
PY=/usr/bin/python3 here=$(dirname "$0")
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
[ -c /dev/fuse ] && command -v fusermount3 >/dev/null &&
	$PY -c 'import numpy, netCDF4' 2>/dev/null ||
	{ echo "bench/patch.sh: needs FUSE, numpy and netCDF4" >&2; exit 1; }
# --quick: a smoke run, whose figures go to RESULTS.md only if
# BENCH_RESULTS names a file
quick= edits=10
if [ "${1:-}" = --quick ]; then
	quick=" --quick" edits=3
	: "${BENCH_RESULTS=}"
fi
export BENCH_RESULTS
T=$(mktemp -d /tmp/cubefs-bench-patch-XXXXXX) M=$T/mnt
mkdir -p "$M"
trap 'fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# ERA5 t2m, all 744 frames in GOPs of 248 (as imported by default)
$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$here/../data/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:].filled(np.nan).astype('f4'))
"
$CUBEFS import -q "$T/store" "$T/t2m.npy" --gop 248
cp -r "$T/store" "$T/base"

# each mode edits frame 100 $edits times, each commit waited for by fsync;
# with compact_after=1 every second commit re-encodes the whole GOP (a
# compaction), as every commit did before patches
for mode in patches compact_after=1; do
	rm -rf "$T/store"
	cp -r "$T/base" "$T/store"
	opt=compact_after=0
	[ $mode = patches ] || opt=$mode
	$MOUNT "$T/store" "$M" -o $opt
	$PY - "$M" "$T" "$mode" "$edits" <<'PY' >>"$T/rows"
import os, sys, time, glob, numpy as np
m, t, mode, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = f"{m}/t2m.npy"
before = np.load(p)
size0 = sum(os.path.getsize(f) for f in glob.glob(f"{t}/store/packs/*"))
secs = []
for i in range(k):
    # from the write to the end of its commit (the release commits it,
    # and an open waits for that)
    t0 = time.monotonic()
    a = np.load(p, mmap_mode="r+")
    a[100] += 0.1
    a.flush()
    del a
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    secs.append(time.monotonic() - t0)
after = np.load(p)
o = np.ones(len(after), bool)
o[100] = False
drift = np.abs(after[o].astype("f8") - before[o]).max()
size1 = sum(os.path.getsize(f) for f in glob.glob(f"{t}/store/packs/*"))
print(f"| {mode} | {k} | {np.median(secs):.3f} | {(size1 - size0) / k / 1024:.1f} | {drift:.4f} |")
PY
	fusermount3 -u "$M"
	sleep 1
done
{
	echo "### $edits edits of frame 100 of ERA5 t2m (744 frames, GOPs of 248), one commit each"
	echo
	echo "| commit | edits | write + commit p50 (s) | KiB added per edit | max change of other frames |"
	echo "|---|---|---|---|---|"
	cat "$T/rows"
	echo
	awk -F'|' '{ t[NR] = $4 } END { printf "ratio of the commit times, patches / compact_after=1: %.3f\n", t[1] / t[2] }' "$T/rows"
} >"$T/out"
cat "$T/out"
sh "$here/results.sh" "sh bench/patch.sh$quick" "$T/out"
