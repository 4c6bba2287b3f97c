#!/bin/sh
# SPDX-License-Identifier: MIT
# The main job: install what is missing, build, import the bundled real samples into a
# store, show what it holds, mount it and read the mounted files with numpy.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
STORE=${STORE:-demo-store}
MNT=${MNT:-demo-mnt}
fusermount3 -u "$MNT" 2>/dev/null || true
rm -rf "$STORE" demo-out
mkdir -p "$MNT" demo-out
echo "== import the real samples into $STORE/"
./cubefs import "$STORE" data/landsat8_ny2018_p013r032_11band.npy --name landsat8
./cubefs import "$STORE" data/landsat8_ny2018_p013r032_11band.npy --name landsat8_exact --lossless
./cubefs import "$STORE" data/era5_t2m_uk_2019-03.nc --name era5
./cubefs import "$STORE" data/ncl_fice_monthly.nc --name fice
./cubefs import "$STORE" data/s2_eolearn_ndvi_clp_clm_2015-2017.nc --name s2
echo
echo "== cubefs ls $STORE"
./cubefs ls "$STORE"
echo
echo "== cubefs info $STORE era5"
./cubefs info "$STORE" era5
echo
echo "== export and verify"
./cubefs export "$STORE" landsat8 demo-out/landsat8.npy
./cubefs verify "$STORE" landsat8 data/landsat8_ny2018_p013r032_11band.npy
./cubefs verify "$STORE" landsat8_exact data/landsat8_ny2018_p013r032_11band.npy
./cubefs verify "$STORE" era5/t2m data/era5_t2m_uk_2019-03.nc
./cubefs verify "$STORE" s2/NDVI data/s2_eolearn_ndvi_clp_clm_2015-2017.nc
echo
echo "== mount $STORE on $MNT and read it with numpy"
./mount.cubefs "$STORE" "$MNT" -o cache_size=256M
ls -lR "$MNT"
/usr/bin/python3 - "$MNT" <<'PY'
import sys, numpy as np, netCDF4
m = sys.argv[1]
t2m = np.load(f"{m}/era5/t2m.npy", mmap_mode="r")
with netCDF4.Dataset("data/era5_t2m_uk_2019-03.nc") as d:
    src = d["t2m"][:]
print("era5 t2m", t2m.shape, t2m.dtype, "hour 100: mean %.3f K (source %.3f K)"
      % (t2m[100].mean(), src[100].mean()))
l = np.load(f"{m}/landsat8_exact.npy")
print("landsat8_exact equals the source:",
      np.array_equal(l, np.load("data/landsat8_ny2018_p013r032_11band.npy")))
ndvi = np.load(f"{m}/s2/NDVI.npy", mmap_mode="r")
print("s2 NDVI", ndvi.shape, "date 30: mean %.4f" % np.nanmean(ndvi[30]))
import xarray as xr
d = xr.open_dataset(f"{m}/era5.nc")
print("xarray on era5.nc: t2m at hour 100 mean %.3f K, %s" %
      (d.t2m.isel(time=100).mean().item(), str(d.time.values[100])[:16]))
PY
ncdump -h "$MNT/era5.nc" | head -20
./cubefs stats "$MNT"
fusermount3 -u "$MNT"
echo "unmounted $MNT"
