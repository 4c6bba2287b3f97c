#!/bin/sh
# SPDX-License-Identifier: MIT
# cubefs plot: the PNG, the CSV against info's PSNR, a commit's frames, version-1 stores, errors.
set -u
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: python3-numpy missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-plot-XXXXXX)
S=$T/store
M=$T/mnt
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"
fails_with() { want=$1; shift; "$@" >/dev/null 2>"$T/err"; [ $? -eq "$want" ]; }
says() { grep -q "$1" "$T/err"; }

check "import" $CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name era5

# 1. a PNG of the chart's size: PIL when it is there, the IHDR chunk if not
check "plot writes a png" $CUBEFS plot "$S" era5 -o "$T/q.png"
check "png header and size" $PY - "$T/q.png" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n" and b[12:16] == b"IHDR", b[:16]
assert struct.unpack(">II", b[16:24]) == (1000, 700)
try:
    from PIL import Image
except ImportError:
    sys.exit(0)
im = Image.open(sys.argv[1]).convert("RGB")
assert im.size == (1000, 700)
# a chart, not a blank page: lines in the PSNR (blue) and error (red) colours
cols = {c for n, c in im.getcolors(1 << 20)}
assert any(b > 150 and r < 80 for r, g, b in cols), "no PSNR line"
assert any(r > 150 and b < 60 and g < 90 for r, g, b in cols), "no error line"
PY

# 2. the numbers: one row a frame, combining to what info says of t2m
check "plot --csv" sh -c "$CUBEFS plot '$S' era5 -v t2m --csv > '$T/q.csv'"
$CUBEFS info "$S" era5 --json > "$T/info.json"
check "per-frame MSEs give info's PSNR" $PY - "$T/q.csv" "$T/info.json" <<'PY'
import csv, json, math, sys
rows = list(csv.DictReader(open(sys.argv[1])))
v = [x for x in json.load(open(sys.argv[2]))["variables"] if x["name"] == "t2m"][0]
assert len(rows) == 744 and [int(r["frame"]) for r in rows] == list(range(744))
assert all(int(r["values"]) == 33 * 49 for r in rows)
n = sum(int(r["values"]) for r in rows)
mse = sum(float(r["mse"]) * int(r["values"]) for r in rows) / n
rng = v["valid_max"] - v["valid_min"]
psnr = 20 * math.log10(rng) - 10 * math.log10(mse)
assert abs(psnr - v["psnr"]) < 0.01, (psnr, v["psnr"])
assert abs(max(float(r["max_abs_error"]) for r in rows) / v["max_error"] - 1) < 1e-8
for r in rows:      # each row's PSNR is over the variable's range too
    f = 20 * math.log10(rng) - 10 * math.log10(float(r["mse"]))
    assert abs(f - float(r["psnr_db"])) < 1e-4, r
PY
check "-o -.csv prints the same" sh -c "$CUBEFS plot '$S' era5 -o -.csv | cmp -s - '$T/q.csv'"
check "-o FILE.csv writes the same" sh -c "$CUBEFS plot '$S' era5/t2m -o '$T/o.csv' && cmp -s '$T/o.csv' '$T/q.csv'"
check "exact variable: inf, no error" sh -c "$CUBEFS plot '$S' era5/time --csv | tail -1 | grep -qx '0,744,0,inf,0'"
check "exact variable: a png" $CUBEFS plot "$S" era5 -v time -o "$T/t.png"

# 3. errors: clear, non-zero, no file left behind
check "missing -o" fails_with 2 $CUBEFS plot "$S" era5
check "missing -o: said" says "missing -o"
check "no such dataset" fails_with 1 $CUBEFS plot "$S" nope -o "$T/n.png"
check "no such dataset: said" says "no dataset 'nope'"
check "no such variable" fails_with 1 $CUBEFS plot "$S" era5 -v nope -o "$T/n.png"
check "no such variable: said" says "no variable 'nope'"
check "unwritable file" fails_with 1 $CUBEFS plot "$S" era5 -o "$T/no/dir/q.png"
check "unwritable file: said" says "cannot write"
check "not a store" fails_with 1 $CUBEFS plot "$T/nostore" era5 -o "$T/n.png"
check "import two cube variables" $CUBEFS import -q "$S" \
	"$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2 --variables NDVI,CLP
check "several variables, none chosen" fails_with 1 $CUBEFS plot "$S" s2 -o "$T/n.png"
check "several variables: said" says "choose one with -v"
check "no file from failures" test ! -e "$T/n.png"
check "one of them chosen" $CUBEFS plot "$S" s2 -v CLP -o "$T/clp.png"

# 4. a store of schema version 1: read as it is, upgraded by a read-write open
cp -r "$S" "$T/v1"
$PY - "$T/v1/catalog.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TABLE frame_quality; UPDATE meta SET value='1' "
                 "WHERE key='schema_version'; PRAGMA user_version=1;")
db.close()
PY
check "v1 store: refused" fails_with 1 $CUBEFS plot "$T/v1" era5 -o "$T/n.png"
check "v1 store: says why" says "no per-frame figures"
check "v1 store: still listed" sh -c "$CUBEFS ls '$T/v1' | grep -q era5/t2m"
check "read-write open upgrades" sh -c "$CUBEFS gc '$T/v1' >/dev/null"
check "upgraded: import before figures said" fails_with 1 $CUBEFS plot "$T/v1" era5 -o "$T/n.png"
check "upgraded: says re-import" says "re-import"

# 5. a write through the mount re-encodes frame 100's GOP: its row follows
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	check "mount" $MOUNT "$S" "$M"
	check "rewrite frame 100, fsync commits" $PY - "$M/era5/t2m.npy" <<'PY'
import os, sys, numpy as np
p = sys.argv[1]
a = np.load(p, mmap_mode="r")
lo, hi, off, fb = float(a.min()), float(a.max()), a.offset, a[0].nbytes
del a
noise = np.random.default_rng(1).uniform(lo, hi, (33, 49)).astype("<f4")
fd = os.open(p, os.O_RDWR)
os.pwrite(fd, noise.tobytes(), off + 100 * fb)
os.fsync(fd)
os.close(fd)
PY
	fusermount3 -u "$M"
	$CUBEFS plot "$S" era5 --csv > "$T/after.csv"
	$CUBEFS info "$S" era5 --json > "$T/info2.json"
	check "frame 100's figure is new, GOPs untouched are not" $PY - "$T/q.csv" "$T/after.csv" "$T/info2.json" <<'PY'
import csv, json, math, sys
b = list(csv.DictReader(open(sys.argv[1])))
a = list(csv.DictReader(open(sys.argv[2])))
v = [x for x in json.load(open(sys.argv[3]))["variables"] if x["name"] == "t2m"][0]
# noise costs the encoder: frame 100 loses PSNR (x265 lost 5 dB and more,
# SVT-AV1 about 3)
assert float(a[100]["psnr_db"]) < float(b[100]["psnr_db"]) - 2, (a[100], b[100])
# (its max error is recomputed too, but noise need not raise it)
assert a[100]["max_abs_error"] != b[100]["max_abs_error"], (a[100], b[100])
gop = v["streams"][0]["gop_len"]
assert gop < 744, gop
for f in list(range(0, 100 // gop * gop)) + list(range(100 // gop * gop + gop, 744)):
    assert a[f]["mse"] == b[f]["mse"] and a[f]["max_abs_error"] == b[f]["max_abs_error"], f
# and info's whole-variable PSNR follows the new rows
n = sum(int(r["values"]) for r in a)
mse = sum(float(r["mse"]) * int(r["values"]) for r in a) / n
psnr = 20 * math.log10(v["valid_max"] - v["valid_min"]) - 10 * math.log10(mse)
assert abs(psnr - v["psnr"]) < 0.01, (psnr, v["psnr"])
assert abs(max(float(r["max_abs_error"]) for r in a) / v["max_error"] - 1) < 1e-8
PY
fi

echo "plot: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
