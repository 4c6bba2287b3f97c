#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build, import the bundled real samples into a
# store, show what it holds, and read them back (export, verify).
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
STORE=${STORE:-demo-store}
OUT=${OUT:-demo-out}
rm -rf "$STORE" "$OUT"
mkdir -p "$OUT"
echo "== import the real samples into $STORE/"
./cubefs import "$STORE" data/landsat8_ny2018_p013r032_11band.npy --name landsat8
./cubefs import "$STORE" data/landsat8_ny2018_p013r032_11band.npy --name landsat8_exact --lossless
/usr/bin/python3 - "$OUT" <<'PY'
import sys, netCDF4, numpy as np
out = sys.argv[1]
# the NetCDF samples as plain .npy cubes (physical values, NaN where missing)
with netCDF4.Dataset("data/era5_t2m_uk_2019-03.nc") as d:
    np.save(f"{out}/t2m.npy", d["t2m"][:].filled(np.nan).astype("f4"))
with netCDF4.Dataset("data/ncl_fice_monthly.nc") as d:
    np.save(f"{out}/fice.npy", d["fice"][:].filled(np.nan).astype("f4"))
with netCDF4.Dataset("data/s2_eolearn_ndvi_clp_clm_2015-2017.nc") as d:
    np.save(f"{out}/ndvi.npy", d["NDVI"][:].filled(np.nan).astype("f4"))
PY
for n in t2m fice ndvi; do
	./cubefs import "$STORE" "$OUT/$n.npy"
done
echo
echo "== cubefs ls $STORE"
./cubefs ls "$STORE"
echo
echo "== cubefs info $STORE t2m"
./cubefs info "$STORE" t2m
echo
echo "== export and verify against the originals"
./cubefs export "$STORE" t2m "$OUT/t2m.decoded.npy"
./cubefs verify "$STORE" t2m "$OUT/t2m.npy"
./cubefs verify "$STORE" landsat8 data/landsat8_ny2018_p013r032_11band.npy
./cubefs verify "$STORE" landsat8_exact data/landsat8_ny2018_p013r032_11band.npy
./cubefs verify "$STORE" fice "$OUT/fice.npy"
./cubefs verify "$STORE" ndvi "$OUT/ndvi.npy"
echo
echo "== numpy reads the export"
/usr/bin/python3 -c "
import numpy as np
a = np.load('$OUT/t2m.decoded.npy'); b = np.load('$OUT/t2m.npy')
print('t2m', a.shape, a.dtype, 'mean %.3f K (original %.3f K)' % (np.nanmean(a), np.nanmean(b)))
"
