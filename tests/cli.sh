#!/bin/sh
# SPDX-License-Identifier: MIT
# The cubefs command as a user runs it: import, ls, info, export, verify, and bad input.
set -u
CUBEFS=${CUBEFS:-./cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cubefs-cli-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
refuse() { desc=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then bad "$desc (accepted)"; else
	if [ "$(wc -l <"$T/err")" -ge 1 ] && ! grep -qi 'segmentation\|abort' "$T/err"; then ok; else bad "$desc (no clear error)"; fi; fi; }

S=$T/store
L=$DATA/landsat8_ny2018_p013r032_11band.npy

# x265, whose bands go in gbrp groups of three (the default effort's
# SVT-AV1 keeps each band gray)
check "import creates the store" $CUBEFS import -q "$S" "$L" --name landsat8 --codec x265
check "store layout" test -f "$S/catalog.db" -a -d "$S/packs" -a -d "$S/staging"
check "import with options" $CUBEFS import -q "$S" "$L" --name l264 --codec x264 --bits 10 --crf 12 --gop 4
check "import lossless" $CUBEFS import -q "$S" "$L" --name exact --lossless
$CUBEFS ls "$S" >"$T/ls" || bad "ls"
check "ls lists datasets" grep -q '^landsat8 .*(8, 11, 77, 76).*uint16.*x265' "$T/ls"
check "ls lists lossless" grep -q '^exact .*ffv1.*exact' "$T/ls"
$CUBEFS info "$S" landsat8 --gops >"$T/info" || bad "info"
# 11 bands: three gbrp groups, then two gray planes
check "info shows streams" grep -q 'stream 4: planes 10-10, x265, 12 bits, gray' "$T/info"
check "info shows quantization" grep -q 'scale .* offset ' "$T/info"
check "export" $CUBEFS export "$S" exact "$T/exact.npy"
check "lossless export equals source" cmp -s "$T/exact.npy" "$L"
$CUBEFS export "$S" landsat8 - >"$T/stdout.npy" || bad "export to stdout"
$CUBEFS export "$S" landsat8 "$T/l.npy" || bad "export lossy"
check "export to stdout equals export to file" cmp -s "$T/stdout.npy" "$T/l.npy"
check "verify lossless" sh -c "$CUBEFS verify '$S' exact '$L' | grep -q ': exact, max abs error 0'"
$CUBEFS verify "$S" landsat8 "$L" >"$T/verify" || bad "verify lossy"
check "verify reports PSNR" grep -q 'PSNR [0-9.]* dB, max abs error' "$T/verify"
if [ -x "$PY" ] && $PY -c 'import numpy' 2>/dev/null; then
	check "numpy loads the export" $PY -c "
import numpy as np, sys
a = np.load('$T/l.npy'); b = np.load('$L')
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, a.dtype)
d = np.abs(a.astype(float) - b.astype(float))
rng = float(b.max()) - float(b.min())
psnr = 20*np.log10(rng) - 10*np.log10((d**2).mean())
assert psnr > 40, psnr
"
	check "header is v1.0 and 64-byte aligned" $PY -c "
import numpy as np
f = open('$T/l.npy', 'rb'); assert np.lib.format.read_magic(f) == (1, 0)
np.lib.format.read_array_header_1_0(f); assert f.tell() % 64 == 0, f.tell()
"
fi

# --max-error is a guarantee: every value within E, NaN positions exact
check "import --max-error" $CUBEFS import -q "$S" "$L" --name bounded --crf 30 --max-error 40
check "max error holds for every value" sh -c "$CUBEFS verify '$S' bounded '$L' | grep -Eq 'max abs error (40|[0-3]?[0-9](\\.[0-9]+)?),'"
if [ -x "$PY" ] && $PY -c 'import numpy' 2>/dev/null; then
	$CUBEFS export "$S" bounded "$T/bounded.npy"
	check "max error checked by numpy" $PY -c "
import numpy as np
a = np.load('$T/bounded.npy').astype(float); b = np.load('$L').astype(float)
assert np.abs(a - b).max() <= 40, np.abs(a - b).max()
"
fi
# gc frees what no row uses: the corrections after each GOP are used
check "gc with --max-error corrections" $CUBEFS gc "$S"
check "max error holds after gc" sh -c "$CUBEFS verify '$S' bounded '$L' | grep -Eq 'max abs error (40|[0-3]?[0-9](\\.[0-9]+)?),'"
check "check is clean after gc" $CUBEFS check "$S"
# (NaN holes, the samples and the mount: tests/target.sh)

# NetCDF: --variables picks variables and keeps their coordinates
check "import --variables" $CUBEFS import -q "$S" "$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2 --variables NDVI
$CUBEFS ls "$S" >"$T/ls2"
check "--variables kept NDVI and its coordinates" sh -c "grep -q '^s2/NDVI ' '$T/ls2' && grep -q '^s2/time ' '$T/ls2' && grep -q '^s2/x ' '$T/ls2'"
check "export of a coordinate variable" sh -c "$CUBEFS export '$S' s2/x - | /usr/bin/python3 -c 'import sys, io, numpy as np; a = np.load(io.BytesIO(sys.stdin.buffer.read())); assert a.shape == (100,), a.shape'"
check "--variables dropped the others" sh -c "! grep -q '^s2/CLP ' '$T/ls2'"
refuse "--variables with an unknown name" $CUBEFS import -q "$S" "$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s3 --variables NOPE

# lz4 GOPs check their own data, and the catalog's checksum of the whole
# GOP is not computed again: 8 bytes overwritten anywhere in one (magic,
# raw length, checksum, data) still fail the read
check "import lz4" $CUBEFS import -q "$S" "$L" --name raw --codec lz4
check "lz4 export equals source" sh -c "$CUBEFS export '$S' raw - | cmp -s - '$L'"
for at in 0 4 12 40; do
	rm -rf "$T/bad" && cp -r "$S" "$T/bad"
	check "corrupt lz4 GOP at byte $at" corrupt_gop "$T/bad" "d.name = 'raw' AND g.first_frame = 0" $at
	refuse "export of an lz4 GOP corrupt at byte $at" $CUBEFS export "$T/bad" raw "$T/raw.npy"
done
rm -rf "$T/bad"

# bad input: a clear one-line error, a non-zero exit, the store unchanged
sum_before=$(ls "$S/packs" | wc -l; $CUBEFS ls "$S" | md5sum)
refuse "taken name" $CUBEFS import -q "$S" "$L" --name landsat8
refuse "name with /" $CUBEFS import -q "$S" "$L" --name a/b
refuse "name .." $CUBEFS import -q "$S" "$L" --name ..
refuse "name with control character" $CUBEFS import -q "$S" "$L" --name "$(printf 'a\tb')"
head -c 2000 "$L" >"$T/trunc.npy"
refuse "truncated npy" $CUBEFS import -q "$S" "$T/trunc.npy"
printf 'not an array' >"$T/junk.npy"
refuse "not an npy" $CUBEFS import -q "$S" "$T/junk.npy"
refuse "missing file" $CUBEFS import -q "$S" "$T/nope.npy"
refuse "unknown codec" $CUBEFS import -q "$S" "$L" --codec mpeg2 --name z
refuse "bad bits" $CUBEFS import -q "$S" "$L" --bits 9 --name z
refuse "16 bits in x265" $CUBEFS import -q "$S" "$L" --bits 16 --codec x265 --name z
refuse "negative --psnr" $CUBEFS import -q "$S" "$L" --psnr -3 --name z
refuse "NaN --psnr" $CUBEFS import -q "$S" "$L" --psnr nan --name z
refuse "zero --bpv" $CUBEFS import -q "$S" "$L" --bpv 0 --name z
refuse "infinite --max-error" $CUBEFS import -q "$S" "$L" --max-error inf --name z
refuse "--psnr with --crf" $CUBEFS import -q "$S" "$L" --psnr 40 --crf 20 --name z
refuse "--bpv with --crf" $CUBEFS import -q "$S" "$L" --bpv 1 --crf 20 --name z
refuse "--psnr with --bpv" $CUBEFS import -q "$S" "$L" --psnr 40 --bpv 1 --name z
refuse "--psnr on --lossless" $CUBEFS import -q "$S" "$L" --psnr 40 --lossless --name z
refuse "--max-error on --lossless" $CUBEFS import -q "$S" "$L" --max-error 1 --lossless --name z
refuse "--bpv with an exact codec" $CUBEFS import -q "$S" "$L" --bpv 1 --codec lz4 --name z
refuse "--crf below 0 with vp9" $CUBEFS import -q "$S" "$L" --crf -2 --codec vp9 --name z
refuse "--crf below -6" $CUBEFS import -q "$S" "$L" --crf -7 --name z
# past crf 0, x265's finest, cubefs caps the quantizers: bigger and better
check "--crf 0 and --crf -6" sh -c "$CUBEFS import -q '$T/neg' '$L' --name c0 --codec x265 --crf 0 &&
	$CUBEFS import -q '$T/neg' '$L' --name c6 --codec x265 --crf -6 && $CUBEFS ls '$T/neg' > '$T/neg.ls' &&
	$CUBEFS info '$T/neg' c6 | grep -q 'crf -6'"
check "--crf -6 stores more, at a higher PSNR" awk '
	$1 == "c0" { s0 = $(NF-4); p0 = $(NF-1) } $1 == "c6" { s6 = $(NF-4); p6 = $(NF-1) }
	END { exit !(s6 + 0 > s0 + 0 && p6 > p0 + 3) }' "$T/neg.ls"
if [ -x "$PY" ] && $PY -c 'import numpy' 2>/dev/null; then
	$PY -c "import numpy as np; np.save('$T/c.npy', np.zeros((2,3,4), 'c8')); np.save('$T/f.npy', np.asfortranarray(np.zeros((2,3,4), 'f4'))); np.save('$T/b.npy', np.zeros((2,3,4), bool))"
	refuse "complex dtype" $CUBEFS import -q "$S" "$T/c.npy"
	refuse "fortran order" $CUBEFS import -q "$S" "$T/f.npy"
	refuse "bool dtype" $CUBEFS import -q "$S" "$T/b.npy"
fi
mkdir "$T/photos" && echo x >"$T/photos/cat.jpg"
refuse "directory that is not a store" $CUBEFS import -q "$T/photos" "$L"
check "foreign directory untouched" test ! -e "$T/photos/catalog.db"
refuse "ls of a non-store" $CUBEFS ls "$T/photos"
refuse "info of unknown dataset" $CUBEFS info "$S" nope
refuse "export of unknown dataset" $CUBEFS export "$S" nope "$T/x.npy"
sum_after=$(ls "$S/packs" | wc -l; $CUBEFS ls "$S" | md5sum)
check "store unchanged by bad input" test "$sum_before" = "$sum_after"

# a full disk: the import fails cleanly and the store keeps what it had
if mkdir "$T/small" && mount -t tmpfs -o size=352k tmpfs "$T/small" 2>/dev/null; then
	# (no exact values: the mask of its zeros would not fit beside the WAL)
	check "import into a small store" $CUBEFS import -q "$T/small/st" "$L" --name a --codec x265 --crf 30 --no-exact-values
	before=$(ls "$T/small/st/packs"; $CUBEFS ls "$T/small/st")
	refuse "import onto a full disk" $CUBEFS import -q "$T/small/st" "$DATA/era5_t2m_uk_2019-03.nc"
	check "full disk error says so" grep -q 'No space left on device' "$T/err"
	after=$(ls "$T/small/st/packs"; $CUBEFS ls "$T/small/st")
	check "full disk leaves the store unchanged" test "$before" = "$after"
	check "store still reads after a full disk" sh -c "$CUBEFS export '$T/small/st' a - >/dev/null"
	umount "$T/small"
else
	echo "note: cannot mount a tmpfs here; full-disk case not run"
fi

# defaults that follow the data: --gray keeps each band alone; GOP length
# grows as pictures shrink (ERA5's 744 frames of 33 x 49: 3 GOPs of 248)
check "--gray: one stream per band" sh -c "$CUBEFS import -q '$T/g' '$L' --gray &&
	$CUBEFS info '$T/g' landsat8_ny2018_p013r032_11band | grep -q 'stream 10: planes 10-10, svtav1, 10 bits, gray'"
check "small pictures get long GOPs" sh -c "$CUBEFS import -q '$T/g' '$DATA/era5_t2m_uk_2019-03.nc' --name era5 --variables t2m &&
	$CUBEFS info '$T/g' era5 | grep -q 'svtav1, 10 bits, gray, crf 12, 3 GOPs of 248 frames'"

echo "cli: $pass passed, $fails failed"
[ "$fails" = 0 ]
