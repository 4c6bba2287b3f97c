#!/bin/sh
# SPDX-License-Identifier: MIT
# Quality targets at import: --max-error holds for every value of every sample (export and mount), --psnr reaches P, --bpv lands near B.
set -u
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-target-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

# within DIR/A.npy DIR/B.npy E: B is A within E at every value, NaN exact
within() {
	$PY - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
a, b, e = np.load(sys.argv[1]), np.load(sys.argv[2]), float(sys.argv[3])
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
a, b = a.astype("f8"), b.astype("f8")
nan = np.isnan(a)
assert np.array_equal(nan, np.isnan(b)), "NaN positions differ"
d = np.abs(a[~nan] - b[~nan])
assert d.size == 0 or d.max() <= e, (sys.argv[2], d.max(), e)
PY
}
# psnr A.npy B.npy P: PSNR of B against A over A's range is at least P
psnr() {
	$PY - "$1" "$2" "$3" <<'PY'
import sys, numpy as np
a, b = np.load(sys.argv[1]).astype("f8"), np.load(sys.argv[2]).astype("f8")
ok = ~np.isnan(a)
mse = ((a[ok] - b[ok]) ** 2).mean()
p = 20 * np.log10(a[ok].max() - a[ok].min()) - 10 * np.log10(mse)
assert p >= float(sys.argv[3]), (sys.argv[2], p)
PY
}

# every sample: a lossless reference, and --max-error at about 1% of the
# range (crf searched for two, forced high for the others: many corrections)
for spec in "era5 era5_t2m_uk_2019-03.nc t2m 0.25 -" \
	    "fice ncl_fice_monthly.nc fice 0.01 -" \
	    "s2 s2_eolearn_ndvi_clp_clm_2015-2017.nc NDVI,CLP,CLM 0.01 28" \
	    "landsat landsat8_ny2018_p013r032_11band.npy - 400 30"; do
	set -- $spec
	n=$1 f=$DATA/$2 vars=$3 e=$4 crf=$5
	[ "$crf" = - ] && copt= || copt="--crf $crf"
	check "$n: lossless import" $CUBEFS import -q "$S" "$f" --name "ref_$n" --lossless
	check "$n: import --max-error $e" $CUBEFS import -q "$S" "$f" --name "b_$n" --max-error "$e" $copt
	for v in $(echo "$vars" | tr , ' '); do
		[ "$v" = - ] && p= || p=/$v
		$CUBEFS export "$S" "ref_$n$p" "$T/ref_$n.$v.npy" || bad "export ref_$n$p"
		$CUBEFS export "$S" "b_$n$p" "$T/b_$n.$v.npy" || bad "export b_$n$p"
		check "$n$p: every value within $e" within "$T/ref_$n.$v.npy" "$T/b_$n.$v.npy" "$e"
	done
done

# a float cube with NaN holes, and a tight bound: NaN exact, every value within
$PY -c "
import numpy as np
r = np.random.default_rng(7)
a = (np.cumsum(r.normal(size=(20, 30, 40)), axis=0) * 0.3).astype('f4')
a[:, 3:9, 5:20] = np.nan
np.save('$T/holes.npy', a)"
check "import holes --max-error 0.05" $CUBEFS import -q "$S" "$T/holes.npy" --max-error 0.05 --crf 30
$CUBEFS export "$S" holes "$T/holes.out.npy"
check "holes: NaN exact, every value within 0.05" within "$T/holes.npy" "$T/holes.out.npy" 0.05

# the mount applies the corrections on read
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null; then
	check "mount" $MOUNT "$S" "$M"
	check "era5 through the mount" within "$T/ref_era5.t2m.npy" "$M/b_era5/t2m.npy" 0.25
	check "fice through the mount" within "$T/ref_fice.fice.npy" "$M/b_fice/fice.npy" 0.01
	for v in NDVI CLP CLM; do
		check "s2/$v through the mount" within "$T/ref_s2.$v.npy" "$M/b_s2/$v.npy" 0.01
	done
	check "landsat through the mount" within "$T/ref_landsat.-.npy" "$M/b_landsat.npy" 400
	check "holes through the mount" within "$T/holes.npy" "$M/holes.npy" 0.05
	fusermount3 -u "$M"
else
	echo "no /dev/fuse: mount reads not checked"
fi

# corrections are cheap: ERA5 t2m at crf 24 needed 5.9 bits per value of
# whole-value corrections for 0.25 K
$CUBEFS import "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name cheap --variables t2m --max-error 0.25 --crf 24 >"$T/cheap" || bad "import cheap"
check "corrections under 2 bits per value" $PY -c "
import re, sys
m = re.search(r'corrected to hold max error 0.25: ([0-9.]+) bits', open('$T/cheap').read())
assert m and float(m.group(1)) < 2, m and m.group(1)"

# --psnr P: the whole reaches P
check "import --psnr 45" $CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name p_era5 --psnr 45
$CUBEFS export "$S" p_era5/t2m "$T/p_era5.npy"
check "era5 --psnr 45 reached" psnr "$T/ref_era5.t2m.npy" "$T/p_era5.npy" 45
check "import --psnr 40" $CUBEFS import -q "$S" "$DATA/ncl_fice_monthly.nc" --name p_fice --psnr 40
$CUBEFS export "$S" p_fice/fice "$T/p_fice.npy"
check "fice --psnr 40 reached" psnr "$T/ref_fice.fice.npy" "$T/p_fice.npy" 40

# --bpv B: within 15% of B (the report's bits per value, all overhead in)
for spec in "era5 era5_t2m_uk_2019-03.nc t2m 0.5" "fice ncl_fice_monthly.nc fice 1"; do
	set -- $spec
	$CUBEFS import "$S" "$DATA/$2" --name "r_$1" --bpv "$4" >"$T/r_$1" || bad "import $1 --bpv $4"
	check "$1 --bpv $4 within 15%" $PY -c "
import re
m = re.search(r'^  $3 .* ([0-9.]+) bpv', open('$T/r_$1').read(), re.M)
assert m and abs(float(m.group(1)) / $4 - 1) <= 0.15, m and m.group(1)"
done

# check reads the corrections too: clean here; a block whose head is
# overwritten is damage, named as corrections (in a copy of the store)
check "check: the store with corrections is clean" sh -c "$CUBEFS check '$S' >'$T/check.out'"
if command -v sqlite3 >/dev/null; then
	cp -a "$S" "$T/bad"
	set -- $(sqlite3 -separator ' ' "$T/bad/catalog.db" "SELECT p.name, g.corr_offset FROM gop g JOIN pack p ON p.id = g.pack_id WHERE g.corr_length > 8 LIMIT 1")
	printf '\377\377\377\377\377\377\377\377' | dd of="$T/bad/packs/$1" bs=1 seek="$2" conv=notrunc status=none
	check "check: a corrupt correction block is damage" sh -c "! $CUBEFS check '$T/bad' >'$T/check.out' 2>&1 && grep -q 'corrections of the GOP at frame [0-9]*.*do not parse' '$T/check.out'"
fi

echo "target: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
