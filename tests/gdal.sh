#!/bin/sh
# SPDX-License-Identifier: MIT
# Sources GDAL reads: Zarr stores, GeoTIFF files and stacks, GRIB, made here from the samples, imported, mounted and read back against their sources; bad input refused.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
if [ ! -x "$PY" ] || ! "$PY" -c 'import numpy, netCDF4, xarray, zarr
from osgeo import gdal' 2>/dev/null; then
	echo "SKIP: no numpy, netCDF4, xarray, zarr or osgeo.gdal for $PY"
	exit 77
fi
for tool in gdalmdimtranslate gdalinfo; do
	command -v $tool >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
T=$(mktemp -d /tmp/cubefs-gdal-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
# refused NAME ARGS...: the import fails with one line on stderr, naming
# what is wrong ($WANT), and leaves the store as it was
refused() {
	desc=$1; shift
	before=$(ls "$S/packs"; $CUBEFS ls "$S")
	if $CUBEFS import -q "$S" "$@" >"$T/out" 2>"$T/err"; then
		bad "$desc: accepted"
	elif [ "$(wc -l <"$T/err")" -ne 1 ]; then
		bad "$desc: not one line: $(cat "$T/err")"
	elif ! grep -q -- "$WANT" "$T/err"; then
		bad "$desc: '$WANT' not in: $(cat "$T/err")"
	elif [ "$before" != "$(ls "$S/packs"; $CUBEFS ls "$S")" ]; then
		bad "$desc: the store changed"
	else
		ok
	fi
}

# --- Zarr: written by GDAL (ERA5 t2m, packed int16) and by xarray (S2) ---
ERA5=$DATA/era5_t2m_uk_2019-03.nc
S2=$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc
gdalmdimtranslate -q -of Zarr "$ERA5" "$T/era5.zarr" ||
	bad "gdalmdimtranslate to Zarr"
"$PY" -c "import sys, xarray as xr
xr.open_dataset(sys.argv[1]).to_zarr(sys.argv[2])" "$S2" "$T/s2.zarr" ||
	bad "xarray to_zarr"
check "import a GDAL Zarr" $CUBEFS import -q "$S" "$T/era5.zarr" --lossless
check "import an xarray Zarr" $CUBEFS import -q "$S" "$T/s2.zarr/" --name s2 \
	--lossless
check "mount" $MOUNT "$S" "$M"
"$PY" - "$M" "$ERA5" "$S2" >"$T/zarr.out" 2>&1 <<'PY'
import sys, warnings
import numpy as np, xarray as xr
warnings.simplefilter("ignore")
mnt, era5, s2 = sys.argv[1:4]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
for view, src, names in ((f"{mnt}/era5.nc", era5, ["t2m"]),
                         (f"{mnt}/s2.nc", s2, ["NDVI", "CLP", "CLM"])):
    a, b = xr.open_dataset(view), xr.open_dataset(src)
    for n in names:
        check(a[n].dims == b[n].dims, f"{view}: {n} dims {a[n].dims}")
        x, y = a[n].values, b[n].values
        check(x.shape == y.shape and np.array_equal(np.isnan(x), np.isnan(y))
              and np.allclose(x, y, rtol=0, atol=1e-4, equal_nan=True),
              f"{view}: {n} values as the source's")
        for k in ("units", "long_name"):
            if k in b[n].attrs:
                check(a[n].attrs.get(k) == b[n].attrs[k], f"{view}: {n}:{k}")
    for c in b.coords:
        check(np.array_equal(a[c].values, b[c].values), f"{view}: coord {c}")
    check(a.attrs.get("Conventions") == b.attrs.get("Conventions"),
          f"{view}: global attributes")
# the packed int16 came out in the unpacked values NetCDF import serves
t = np.load(f"{mnt}/era5/t2m.npy")
check(t.dtype == np.float32 and t.shape == (744, 33, 49), "era5/t2m.npy")
PY
tally "$T/zarr.out"
fusermount3 -u "$M"
WANT="no array of 2 or more" refused "a Zarr store of 1-d arrays" \
	"$T/era5.zarr/time"
[ -d "$T/era5.zarr/time" ] || bad "zarr layout: no era5.zarr/time"

echo "gdal: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
