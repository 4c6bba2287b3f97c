#!/bin/sh
# SPDX-License-Identifier: MIT
# Mount tests: real samples through FUSE, read by numpy, cmp, dd, concurrent readers, a corrupt GOP.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-mnt-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; fusermount3 -u "$T/m2" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

L=$DATA/landsat8_ny2018_p013r032_11band.npy
# the NetCDF samples' cubes as .npy (physical values, NaN where missing)
$PY - "$DATA" "$T" <<'PY' || { echo "FAIL: cannot prepare samples"; exit 1; }
import sys, numpy as np, netCDF4
d, t = sys.argv[1], sys.argv[2]
for f, v, n in (("era5_t2m_uk_2019-03.nc", "t2m", "t2m"),
                ("ncl_fice_monthly.nc", "fice", "fice"),
                ("s2_eolearn_ndvi_clp_clm_2015-2017.nc", "NDVI", "ndvi"),
                ("s2_eolearn_ndvi_clp_clm_2015-2017.nc", "CLM", "clm")):
    with netCDF4.Dataset(f"{d}/{f}") as nc:
        a = nc[v][:]
        a = a.filled(np.nan).astype("f4") if a.dtype.kind == "f" or np.ma.is_masked(a) else np.asarray(a)
        np.save(f"{t}/{n}.npy", a)
PY
check "import landsat8" $CUBEFS import -q "$S" "$L" --name landsat8
check "import landsat8 lossless" $CUBEFS import -q "$S" "$L" --name exact --lossless
for n in t2m fice ndvi; do check "import $n" $CUBEFS import -q "$S" "$T/$n.npy"; done
check "import clm lossless" $CUBEFS import -q "$S" "$T/clm.npy" --lossless

check "mount" $MOUNT "$S" "$M" -o cache_size=32M
ls -l "$M" >"$T/ls" 2>&1
for n in landsat8 exact t2m fice ndvi clm; do
	check "$n.npy listed" grep -q " $n.npy\$" "$T/ls"
	$CUBEFS export "$S" $n "$T/$n.exp.npy" || bad "export $n"
	check "$n: view size equals export size" test "$(stat -c %s "$M/$n.npy")" = "$(stat -c %s "$T/$n.exp.npy")"
	check "$n: cmp view with export" cmp -s "$M/$n.npy" "$T/$n.exp.npy"
done
check "lossless view equals the source" cmp -s "$M/exact.npy" "$L"
check "clm lossless view equals the source" cmp -s "$M/clm.npy" "$T/clm.npy"

# numpy: whole, and mmap at random time steps; within what import reported
$CUBEFS ls "$S" >"$T/report"
check "numpy reads every view" $PY - "$M" "$T" "$L" <<'PY'
import sys, numpy as np, random
m, t, l = sys.argv[1:4]
src = {"landsat8": l, "exact": l, "t2m": f"{t}/t2m.npy", "fice": f"{t}/fice.npy",
       "ndvi": f"{t}/ndvi.npy", "clm": f"{t}/clm.npy"}
rep = {}
for line in open(f"{t}/report").read().splitlines()[1:]:
    f = line.split()
    rep[f[0]] = float("inf") if f[-1] == "exact" else float(f[-2])
random.seed(7)
for n, s in src.items():
    a = np.load(f"{m}/{n}.npy"); b = np.load(s); e = np.load(f"{t}/{n}.exp.npy")
    assert a.shape == b.shape and a.dtype == b.dtype, (n, a.shape, b.shape)
    assert np.array_equal(a, e, equal_nan=True), n
    assert np.array_equal(np.isnan(a), np.isnan(b)) if a.dtype.kind == "f" else True, n
    ok = ~np.isnan(b.astype("f8"))
    d = a.astype("f8")[ok] - b.astype("f8")[ok]
    if rep[n] == float("inf"):
        assert not d.any(), n
    else:
        rng = b.astype("f8")[ok].max() - b.astype("f8")[ok].min()
        psnr = 20*np.log10(rng) - 10*np.log10((d**2).mean())
        assert abs(psnr - rep[n]) < 0.05, (n, psnr, rep[n])
    mm = np.load(f"{m}/{n}.npy", mmap_mode="r")
    for _ in range(10):
        i = random.randrange(mm.shape[0])
        assert np.array_equal(np.asarray(mm[i]), e[i], equal_nan=True), (n, i)
PY
check "views of a MiB or more start their data on a page" $PY - "$M" <<'PY'
import sys, numpy as np
m = sys.argv[1]
for n in ("t2m", "fice", "ndvi", "landsat8", "clm"):
    a = np.load(f"{m}/{n}.npy", mmap_mode="r")
    want = 4096 if a.nbytes >= 1 << 20 else None
    assert (a.offset == want) if want else (a.offset % 64 == 0 and a.offset < 4096), (n, a.offset)
assert np.load(f"{m}/t2m.npy", mmap_mode="r").offset == 4096
PY

# dd at odd offsets and sizes, past EOF
size=$(stat -c %s "$M/t2m.npy")
for spec in "1 0" "7 13" "4093 1" "65537 3" "1000000 1"; do
	set -- $spec
	dd if="$M/t2m.npy" of="$T/a" bs=$1 skip=$2 count=3 2>/dev/null
	dd if="$T/t2m.exp.npy" of="$T/b" bs=$1 skip=$2 count=3 2>/dev/null
	check "dd bs=$1 skip=$2" cmp -s "$T/a" "$T/b"
done
check "read past EOF is empty" test "$(dd if="$M/t2m.npy" bs=1 skip=$((size + 5)) count=10 2>/dev/null | wc -c)" = 0
check "odd-offset pread" $PY -c "
import os
f = os.open('$M/t2m.npy', os.O_RDONLY); g = open('$T/t2m.exp.npy', 'rb').read()
for off, n in ((1, 3), (127, 4097), (len(g) - 5, 100), (len(g), 10), (333333, 1 << 20)):
    assert os.pread(f, n, off) == g[off:off + n], (off, n)
"

# two concurrent readers, and a cache smaller than one view
( cmp -s "$M/ndvi.npy" "$T/ndvi.exp.npy" && echo ok >"$T/r1" ) &
( cmp -s "$M/fice.npy" "$T/fice.exp.npy" && echo ok >"$T/r2" ) &
wait
check "concurrent readers" test -f "$T/r1" -a -f "$T/r2"
$CUBEFS stats "$M" >"$T/stats"
check "stats counters" grep -q '^decodes [1-9]' "$T/stats"
# GOP after GOP of a stream, one decoder: it stays open from one to the next
check "decoders reused" grep -q '^decoders_reused [1-9]' "$T/stats"
# the kernel reads ahead a MiB on this mount, where it may be set (root)
dev=$(awk -v m="$M" '$5 == m { d = $3 } END { print d }' /proc/self/mountinfo)
if [ -n "$dev" ] && [ -w "/sys/class/bdi/$dev/read_ahead_kb" ]; then
	check "read-ahead of a MiB" test "$(cat "/sys/class/bdi/$dev/read_ahead_kb")" = 1024
fi
check "inode numbers stable" sh -c "ls -i '$M' > '$T/ino1'"
check "clean unmount" unmount_wait "$M" "$S"
check "remount" $MOUNT "$S" "$M"
ls -i "$M" >"$T/ino2"
check "same inodes after remount" cmp -s "$T/ino1" "$T/ino2"
fusermount3 -u "$M"

# a corrupt GOP: EIO there, correct data elsewhere
cp -r "$S" "$T/bad"
check "corrupt GOP of stream 5" corrupt_gop "$T/bad" "d.name = 'exact' AND s.idx = 5 AND g.first_frame = 0"
mkdir -p "$T/m2"
check "mount the damaged store" $MOUNT "$T/bad" "$T/m2"
check "corrupt GOP gives EIO, other planes read" $PY - "$T/m2/exact.npy" "$L" <<'PY'
import sys, os, numpy as np, errno
# plane 5 is broken; its pages also hold the edges of planes 4 and 6
m = np.load(sys.argv[1], mmap_mode="r"); b = np.load(sys.argv[2])
assert np.array_equal(np.asarray(m[:, :4]), b[:, :4])
assert np.array_equal(np.asarray(m[:, 7:]), b[:, 7:])
f = os.open(sys.argv[1], os.O_RDONLY)
plane = 77 * 76 * 2
try:
    os.pread(f, plane, m.offset + 5 * plane)
    raise SystemExit("plane 5 read without error")
except OSError as e:
    assert e.errno == errno.EIO, e
assert os.fstat(f).st_size == b.nbytes + m.offset
PY
check "store with a corrupt GOP still lists" ls "$T/m2"
fusermount3 -u "$T/m2"

# refusals: not a store, another schema version
mkdir "$T/notstore"
check "mount refuses a non-store" sh -c "! $MOUNT '$T/notstore' '$M' 2>'$T/err' && grep -q 'not a cubefs store' '$T/err'"
cp -r "$S" "$T/old"
$PY -c "import sqlite3; c = sqlite3.connect('$T/old/catalog.db'); c.execute(\"UPDATE meta SET value='99' WHERE key='schema_version'\"); c.commit()"
check "mount refuses another schema version" sh -c "! $MOUNT '$T/old' '$M' 2>'$T/err' && grep -q 'schema version 99' '$T/err'"
check "cubefs mount form" $CUBEFS mount "$S" "$M"
check "fuse.cubefs form (cubefs SOURCE DIR -o opts)" sh -c "fusermount3 -u '$M' && $CUBEFS '$S' '$M' -o rw,defaults,noauto,cache_size=16M && ls '$M' >/dev/null"
fusermount3 -u "$M"

echo "mount: $pass passed, $fails failed"
[ "$fails" = 0 ]
