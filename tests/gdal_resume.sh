#!/bin/sh
# SPDX-License-Identifier: MIT
# Raster stacks commit a GOP of files at a time: kill -9 and rerun ends as an uninterrupted import, byte for byte; reruns append later dates and refuse earlier ones.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
if [ ! -x "$PY" ] || ! "$PY" -c 'import numpy
from osgeo import gdal' 2>/dev/null; then
	echo "SKIP: no numpy or osgeo.gdal for $PY"
	exit 77
fi
T=$(mktemp -d /tmp/cubefs-gdalres-XXXXXX)
M=$T/mnt
N=$T/mnt2
R=$T/ref
S=$T/store
mkdir -p "$M" "$N"
cleanup() {
	fusermount3 -u "$M" 2>/dev/null; fusermount3 -u "$N" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# state STORE: what a refused command must leave alone
state() {
	"$PY" -c "import sqlite3; print(sqlite3.connect('file:$1/catalog.db?mode=ro', uri=True).execute(\"SELECT value FROM meta WHERE key='generation'\").fetchone())"
	ls "$1/packs" | sort
}

# refused DESC PATTERN CMD...: CMD fails with one line matching PATTERN on
# stderr, and $S is as it was
refused() {
	_d=$1 _p=$2
	shift 2
	state "$S" >"$T/before"
	if "$@" >"$T/out" 2>"$T/err"; then
		bad "$_d: succeeded"
	elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q -- "$_p" "$T/err"; then
		bad "$_d: stderr is not one line matching '$_p': $(cat "$T/err")"
	else
		ok
	fi
	state "$S" >"$T/after"
	check "$_d: store unchanged" cmp -s "$T/before" "$T/after"
}

# same A.npy B.npy: the same bytes
same() { cmp -s "$1" "$2"; }

# --- a Landsat-like archive: 12 dates every 8 days from 2019-01-05 (band
# 4 of the sample, upscaled 3 times), 2 later dates, 1 earlier; and 6
# scene folders of bands B3 and B4 ---
L8=$DATA/landsat8_ny2018_p013r032_11band.npy
G=$T/tif
mkdir -p "$G/new" "$G/old" "$G/sc"
"$PY" - "$L8" "$G" >"$T/mk.out" 2>&1 <<'PY'
import datetime, os, sys
import numpy as np
from osgeo import gdal, osr
a = np.load(sys.argv[1])
g = sys.argv[2]
srs = osr.SpatialReference()
srs.ImportFromEPSG(32618)
def tif(path, plane, step):
    ds = gdal.GetDriverByName("GTiff").Create(
        path, plane.shape[1], plane.shape[0], 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((580000.0, step, 0.0, 4550000.0, 0.0, -step))
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(plane)
    ds.GetRasterBand(1).SetNoDataValue(0)
def day(i):
    return (datetime.date(2019, 1, 5) +
            datetime.timedelta(days=8 * i)).strftime("%Y%m%d")
for i in range(-1, 14):
    sub = "old" if i < 0 else "new" if i >= 12 else "."
    p = np.kron(a[i % 8, 3 + i % 3], np.ones((3, 3), np.uint16))
    tif(f"{g}/{sub}/LC08_L1TP_013032_{day(i)}_20200901_02_T1_B4.TIF", p,
        1000.0)
    np.save(f"{g}/{sub}/{day(i)}.npy", p)
# the date after the last, off the grid: shifted, another CRS
p = np.kron(a[0, 3], np.ones((3, 3), np.uint16))
for off, gt, epsg in (("shift", 581000.0, 32618), ("crs", 580000.0, 32617)):
    os.makedirs(f"{g}/off/{off}")
    f = f"{g}/off/{off}/LC08_L1TP_013032_20190601_20200901_02_T1_B4.TIF"
    tif(f, p, 1000.0)
    ds = gdal.Open(f, gdal.GA_Update)
    ds.SetGeoTransform((gt, 1000.0, 0.0, 4550000.0, 0.0, -1000.0))
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    ds.SetProjection(s.ExportToWkt())
    ds = None
for i in range(6):
    n = f"{g}/sc/LC08_L1TP_013032_{day(i)}_20200901_02_T1"
    os.makedirs(n)
    for b in (3, 4):
        tif(f"{n}/{os.path.basename(n)}_B{b}.TIF", a[i, b - 1], 3000.0)
PY
[ $? -eq 0 ] || bad "GeoTIFFs written: $(cat "$T/mk.out")"
FILES=$(ls "$G"/*.TIF)

# --- uninterrupted, GOPs of 3: a commit per 3 files ---
check "uninterrupted import" $CUBEFS import -q "$R" $FILES --name l8 --gop 3
$CUBEFS info "$R" l8 >"$T/info"
check "info lists each file" grep -q "12 files:" "$T/info"
check "GOPs of 3 files" grep -q "4 GOPs of 3 frames" "$T/info"

# --- kill -9 once a commit is in, then the same command again ---
$CUBEFS import -q "$S" $FILES --name l8 --gop 3 &
pid=$!
wait_parts "$S" l8 3 $pid      # a commit of 3 files is in
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$($CUBEFS info "$S" l8 2>/dev/null | grep -c '    frames ')
echo "killed after $n of 12 files"
check "files committed before the kill" test "$n" -gt 0
[ "$n" -lt 12 ] || echo "(the import ended before the kill)"
check "consistent after kill -9" $CUBEFS check "$S"
$CUBEFS import "$S" $FILES --name l8 --gop 3 >"$T/out" 2>&1
check "resumed where it stopped" grep -q \
	"imported $((12 - n)) files.*12 in all ($n files were already there)" \
	"$T/out"
for v in l8 time x y; do
	$CUBEFS export "$R" l8/$v "$T/r_$v.npy" 2>/dev/null
	$CUBEFS export "$S" l8/$v "$T/s_$v.npy" 2>/dev/null
	check "resumed = uninterrupted: $v, byte for byte" \
		same "$T/r_$v.npy" "$T/s_$v.npy"
done
if $MOUNT "$R" "$M" -o ro && $MOUNT "$S" "$N" -o ro; then
	check ".nc view byte for byte" cmp "$M/l8.nc" "$N/l8.nc"
	check ".npy view byte for byte" cmp "$M/l8/l8.npy" "$N/l8/l8.npy"
else
	bad "mount"
fi
fusermount3 -u "$M" 2>/dev/null
fusermount3 -u "$N" 2>/dev/null

# --- a rerun of a finished import changes nothing ---
state "$S" >"$T/before"
$CUBEFS import "$S" $FILES --name l8 --gop 3 >"$T/out" 2>&1
check "rerun: nothing to do" \
	grep -q "imported 0 files.*12 files were already there" "$T/out"
state "$S" >"$T/after"
check "rerun: store unchanged" cmp -s "$T/before" "$T/after"

# --- the archive grew: the same command with the new dates appends them
check "rerun with 2 new dates" $CUBEFS import -q "$S" $FILES \
	"$G"/new/*.TIF --name l8
$CUBEFS export "$S" l8/l8 "$T/s.npy" 2>/dev/null
$CUBEFS export "$S" l8/time "$T/t.npy" 2>/dev/null
"$PY" - "$T" "$G" >"$T/py.out" 2>&1 <<'PY'
import glob, os, sys
import numpy as np
t, g = sys.argv[1:3]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
s, r = np.load(f"{t}/s.npy"), np.load(f"{t}/r_l8.npy")
days = np.load(f"{t}/t.npy").astype("datetime64[s]").astype("datetime64[D]")
want = np.datetime64("2019-01-05") + 8 * np.arange(14)
check(np.array_equal(days, want), "time after the append")
check(s.shape == (14,) + r.shape[1:] and np.array_equal(s[:12], r),
      "the frames before the append unchanged")
for k, f in enumerate(sorted(glob.glob(f"{g}/new/*.npy"))):
    src = np.load(f).astype("f8")
    ok = src > 0
    rng = src[ok].max() - src[ok].min()
    mse = np.mean((s[12 + k][ok] - src[ok]) ** 2)
    psnr = 10 * np.log10(rng * rng / mse) if mse else np.inf
    check(psnr > 40, f"new frame {k}: PSNR {psnr:.1f} dB")
PY
[ $? -eq 0 ] || bad "checker died"
tally "$T/py.out"
check "check after the append" $CUBEFS check "$S"

# --- an archive started with one file: the next run's files make one GOP
# (of the longest length), not GOPs of the first run's one frame ---
check "one file" $CUBEFS import -q "$S" "$G"/LC08_L1TP_013032_20190105_*.TIF \
	--name day
check "then all 12" $CUBEFS import -q "$S" $FILES --name day
check "11 files in one GOP" test "$($CUBEFS info "$S" day |
	grep -c ', 2 GOPs of ')" -eq 1

# --- earlier dates and dates already there: one line, nothing written ---
refused "an earlier date" \
	"dated 2018-12-28 00:00:00, not after the last date of dataset 'l8' (2019-04-19" \
	$CUBEFS import -q "$S" $FILES "$G"/old/*.TIF --name l8
refused "append of a date already there" \
	"dataset 'l8' has its date (2019-01-05" \
	$CUBEFS append -q "$S" l8 "$G"/LC08_L1TP_013032_20190105_*.TIF
refused "append of an earlier date" "not after the last date" \
	$CUBEFS append -q "$S" l8 "$G"/old/*.TIF
# a later date off the dataset's grid, without the files before it
refused "a later date on a shifted grid" \
	"shift/LC08_.*the values of 'x' differ from those of dataset 'l8'" \
	$CUBEFS append -q "$S" l8 "$G"/off/shift/*.TIF
refused "a later date in another CRS" \
	"crs/LC08_.*its CRS (crs_wkt of 'spatial_ref') is not that of dataset" \
	$CUBEFS import -q "$S" "$G/off/crs/*.TIF" --name l8

# --- scene folders (--bands): 4 of them, then all 6, as all 6 at once ---
SC=$(ls -d "$G"/sc/*)
check "4 scene folders" $CUBEFS import -q "$S" $(echo "$SC" | head -4) \
	--name sc --bands B3,B4 --gop 2
check "all 6 again" $CUBEFS import -q "$S" $SC --name sc --bands B3,B4 \
	--gop 2
check "all 6 at once" $CUBEFS import -q "$R" $SC --name sc --bands B3,B4 \
	--gop 2
$CUBEFS export "$R" sc/sc "$T/r.npy" 2>/dev/null
$CUBEFS export "$S" sc/sc "$T/s.npy" 2>/dev/null
check "scenes in two runs = at once, byte for byte" same "$T/r.npy" \
	"$T/s.npy"
check "a part per scene folder" test "$($CUBEFS info "$S" sc |
	grep -c '    frames .*/sc/LC08_')" -eq 6

echo "gdal_resume: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
