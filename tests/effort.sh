#!/bin/sh
# SPDX-License-Identifier: MIT
# --effort: values accepted and refused, the encoder each chooses, its streams decoding to what the import measured, and GOPs encoded in parallel giving the bytes a serial encode gives.
set -u
CUBEFS=${CUBEFS:-./cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-effort-XXXXXX)
S=$T/store
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
NC=$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc
ERA5=$DATA/era5_t2m_uk_2019-03.nc
# without libsvtav1 in libavcodec every effort keeps to x265
if ffmpeg -hide_banner -encoders 2>/dev/null | grep -q libsvtav1; then
	SVT=svtav1
else
	SVT=x265
	echo "note: no libsvtav1: the efforts choose x265"
fi

# stream FIELD NAME [VAR]: FIELD of the first stream of NAME's variable
stream() {
	$CUBEFS info "$S" "$2" --json | $PY -c '
import json, sys
d = json.load(sys.stdin)
v = [v for v in d["variables"] if v["name"] == sys.argv[2] or
     (sys.argv[2] == "-" and v["shape"] and len(v["shape"]) >= 3)][0]
print(v["streams"][0][sys.argv[1]] if sys.argv[1] != "psnr" else v["psnr"])
' "$1" "${3:--}"
}

# refused before anything is written
check "unknown effort refused" sh -c "! $CUBEFS import -q '$S' '$NC' --effort quick 2>'$T/err' && grep -q \"invalid effort 'quick' (fast, default or best)\" '$T/err'"
check "a number is not an effort" sh -c "! $CUBEFS import -q '$S' '$NC' --effort 3 2>/dev/null"
check "no store made for a refused effort" test ! -e "$S/catalog.db"
check "an SVT-AV1 preset below 6 refused" sh -c "! $CUBEFS import -q '$S' '$NC' --codec svtav1 --bits 10 --preset 4 2>'$T/err' && grep -q 'want 6..13' '$T/err'"
check "--effort without a value refused" sh -c "! $CUBEFS import -q '$S' '$NC' --effort 2>/dev/null"

# a lossless reference of NDVI (float32: lz4, exact)
check "reference import" $CUBEFS import -q "$S" "$NC" --name ref --variables NDVI --lossless
$CUBEFS export "$S" ref/NDVI "$T/ref.npy" || bad "export ref"

for e in fast default best; do
	check "--effort $e accepted" $CUBEFS import -q "$S" "$NC" --name "$e" --variables NDVI --effort "$e"
	$CUBEFS export "$S" "$e/NDVI" "$T/$e.npy" || bad "export $e"
	$CUBEFS export "$S" "$e/NDVI" "$T/$e.again.npy" || bad "export $e again"
	check "$e: two decodes, the same bytes" cmp -s "$T/$e.npy" "$T/$e.again.npy"
	# the values read back are the ones the import measured its PSNR on
	p=$(stream psnr "$e" NDVI)
	check "$e: PSNR of the values read = the import's ($p dB)" $PY - "$T/ref.npy" "$T/$e.npy" "$p" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype("f8"), np.load(sys.argv[2]).astype("f8")
ok = ~np.isnan(a)
mse = ((a[ok] - b[ok]) ** 2).mean()
p = 20 * np.log10(a[ok].max() - a[ok].min()) - 10 * np.log10(mse)
assert abs(p - float(sys.argv[3])) < 0.01, (p, sys.argv[3])
assert p > 35, p
PY
done
for e in fast default; do
	check "$e: $SVT" test "$(stream codec "$e" NDVI)" = "$SVT"
done
check "best: x265, cubefs's tuned settings (no preset)" test "$(stream codec best NDVI) $(stream params best NDVI)" = "x265 None"
if [ "$SVT" = svtav1 ]; then
	check "efforts: SVT-AV1 presets 8, 6" test "$(stream params fast NDVI) $(stream params default NDVI)" = "8 6"
	check "default: 10 bits" test "$(stream bits default NDVI)" = 10
	# bands: gray SVT-AV1 streams, or x265 gbrp groups with --rgb
	L=$DATA/landsat8_ny2018_p013r032_11band.npy
	check "landsat: default import" $CUBEFS import -q "$S" "$L" --name ls
	check "landsat: one gray svtav1 stream a band" test "$(stream codec ls) $(stream planes ls)" = "svtav1 1"
	check "landsat: --rgb import" $CUBEFS import -q "$S" "$L" --name lsrgb --rgb
	check "landsat --rgb: x265 gbrp" test "$(stream codec lsrgb) $(stream planes lsrgb)" = "x265 3"
fi

# what the user names stays: a depth SVT-AV1 lacks, a crf below 0, x265
check "--bits 12: x265" $CUBEFS import -q "$S" "$NC" --name b12 --variables NDVI --bits 12
check "--bits 12: x265 at 12 bits" test "$(stream codec b12 NDVI) $(stream bits b12 NDVI)" = "x265 12"
check "--crf -2: x265" $CUBEFS import -q "$S" "$NC" --name neg --variables NDVI --crf -2
check "--crf -2: x265 stream" test "$(stream codec neg NDVI)" = x265
check "--codec x265: tuned" $CUBEFS import -q "$S" "$NC" --name x --variables NDVI --codec x265
check "--codec x265: no preset (cubefs's tuned x265)" test "$(stream codec x NDVI) $(stream params x NDVI)" = "x265 None"
check "--codec x265 --effort fast" $CUBEFS import -q "$S" "$NC" --name xf --variables NDVI --codec x265 --effort fast
check "--codec x265 --effort fast: a preset" test "$(stream params xf NDVI)" != None
check "--preset medium: x265 medium" $CUBEFS import -q "$S" "$NC" --name pm --variables NDVI --preset medium --effort fast
check "--preset medium: as named" test "$(stream codec pm NDVI) $(stream params pm NDVI)" = "x265 medium"

# GOPs in parallel against one worker (taskset: one core). ERA5's 744
# frames of 33 x 49 are 3 GOPs; each GOP has an encoder of its own with
# the same settings either way, so the bytes must be the same.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	for spec in "d --effort default" "x --codec x265"; do
		set -- $spec
		n=$1
		shift
		check "$*: parallel import" $CUBEFS import -q "$S" "$ERA5" --name "par_$n" "$@"
		check "$*: serial import" taskset -c 0 $CUBEFS import -q "$S" "$ERA5" --name "ser_$n" "$@"
		check "$*: 3 GOPs" test "$(stream ngops "par_$n" t2m)" = 3
		$CUBEFS export "$S" "par_$n/t2m" "$T/par.npy" || bad "export par_$n"
		$CUBEFS export "$S" "ser_$n/t2m" "$T/ser.npy" || bad "export ser_$n"
		check "$*: parallel and serial decode to the same bytes" cmp -s "$T/par.npy" "$T/ser.npy"
		check "$*: parallel and serial store the same size" test "$(stream bytes "par_$n" t2m)" = "$(stream bytes "ser_$n" t2m)"
	done
else
	echo "note: one core or no taskset: parallel against serial not run"
fi

echo "effort: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
