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
FICE=$DATA/ncl_fice_monthly.nc
gdalmdimtranslate -q -of Zarr -co FORMAT=ZARR_V3 "$FICE" "$T/fice.zarr" ||
	bad "gdalmdimtranslate to Zarr v3"
check "import a GDAL Zarr" $CUBEFS import -q "$S" "$T/era5.zarr" --lossless
check "import a Zarr v3" $CUBEFS import -q "$S" "$T/fice.zarr" --lossless
check "import an xarray Zarr" $CUBEFS import -q "$S" "$T/s2.zarr/" --name s2 \
	--lossless
check "mount" $MOUNT "$S" "$M"
"$PY" - "$M" "$ERA5" "$S2" "$FICE" >"$T/zarr.out" 2>&1 <<'PY'
import sys, warnings
import numpy as np, xarray as xr
warnings.simplefilter("ignore")
mnt, era5, s2, fice = sys.argv[1:5]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
for view, src, names in ((f"{mnt}/era5.nc", era5, ["t2m"]),
                         (f"{mnt}/s2.nc", s2, ["NDVI", "CLP", "CLM"]),
                         (f"{mnt}/fice.nc", fice, ["fice"])):
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
[ $? -eq 0 ] || bad "checker died"
tally "$T/zarr.out"
fusermount3 -u "$M"
WANT="no array of 2 or more" refused "a Zarr store of 1-d arrays" \
	"$T/era5.zarr/time"
[ -d "$T/era5.zarr/time" ] || bad "zarr layout: no era5.zarr/time"

# --- GeoTIFF: the Landsat-8 sample as one file per date (band 4, UTM 18N,
# nodata 0) and as one file of 11 bands; other namings; their checks ---
L8=$DATA/landsat8_ny2018_p013r032_11band.npy
G=$T/tif
mkdir -p "$G/s2" "$G/pat" "$G/tag" "$G/bad"
"$PY" - "$L8" "$G" >"$T/mk.out" 2>&1 <<'PY'  # writes the GeoTIFFs
import sys
import numpy as np
from osgeo import gdal, osr
a = np.load(sys.argv[1])
g = sys.argv[2]
srs = osr.SpatialReference()
srs.ImportFromEPSG(32618)
GT = (580000.0, 3000.0, 0.0, 4550000.0, 0.0, -3000.0)
DATES = ["20180110", "20180227", "20180416", "20180502", "20180720",
         "20180805", "20180922", "20181024"]
def tif(path, planes, gt=GT, nodata=0, tag=None, epsg=None):
    ds = gdal.GetDriverByName("GTiff").Create(
        path, planes.shape[-1], planes.shape[-2], len(planes),
        gdal.GDT_UInt16)
    ds.SetGeoTransform(gt)
    if epsg:
        s = osr.SpatialReference()
        s.ImportFromEPSG(epsg)
        ds.SetProjection(s.ExportToWkt())
    else:
        ds.SetProjection(srs.ExportToWkt())
    if tag:
        ds.SetMetadataItem("TIFFTAG_DATETIME", tag)
    for k, p in enumerate(planes):
        ds.GetRasterBand(k + 1).WriteArray(p)
        if nodata is not None:
            ds.GetRasterBand(k + 1).SetNoDataValue(nodata)
for i, d in enumerate(DATES):
    tif(f"{g}/LC08_L1TP_013032_{d}_20200901_02_T1_B4.TIF", a[i, 3:4])
    tif(f"{g}/s2/T18TWL_{d}T153000_B04.tif", a[i, 3:4])
    tif(f"{g}/pat/scene-{d[:4]}-{d[4:6]}-{d[6:]}.tif", a[i, 3:4])
    tif(f"{g}/tag/scene{i}.tif", a[i, 3:4],
        tag=f"{d[:4]}:{d[4:6]}:{d[6:]} 10:30:00")
tif(f"{g}/multi.tif", a[0])
# off the grid: shifted, another CRS, another size; no date; not a raster
tif(f"{g}/bad/LC08_L1TP_013032_20181109_20200901_02_T1_B4.TIF", a[0, 3:4],
    gt=(580030.0,) + GT[1:])
tif(f"{g}/bad/LC08_L1TP_013032_20181125_20200901_02_T1_B4.TIF", a[0, 3:4],
    epsg=32617)
tif(f"{g}/bad/LC08_L1TP_013032_20181211_20200901_02_T1_B4.TIF",
    a[0, 3:4, 1:])
tif(f"{g}/bad/scene.tif", a[0, 3:4])
tif(f"{g}/bad/LC08_L1TP_013032_20180110_20210101_02_T1_B4.TIF", a[0, 3:4])
open(f"{g}/bad/LC08_L1TP_013032_20181227_20200901_02_T1_B4.TIF",
     "w").write("not a TIFF\n")
PY
[ $? -eq 0 ] || bad "GeoTIFFs written: $(cat "$T/mk.out")"
# given out of date order: the dates order the frames
check "import a Landsat stack" $CUBEFS import -q "$S" \
	$(ls "$G"/LC08_*_B4.TIF | sort -r) --name l8_red --lossless
check "import a Sentinel-2 stack" $CUBEFS import -q "$S" "$G"/s2/*.tif \
	--name s2_red --lossless
check "import by --date-pattern" $CUBEFS import -q "$S" "$G"/pat/*.tif \
	--name pat --date-pattern -%Y-%m-%d --lossless
check "import by TIFF date tag" $CUBEFS import -q "$S" "$G"/tag/*.tif \
	--name tag --lossless
check "import one GeoTIFF of 11 bands" $CUBEFS import -q "$S" \
	"$G/multi.tif" --lossless
check "mount" $MOUNT "$S" "$M"
"$PY" - "$M" "$L8" "$G" >"$T/tif.out" 2>&1 <<'PY'
import json, subprocess, sys, warnings
import numpy as np, xarray as xr
from osgeo import gdal, osr
warnings.simplefilter("ignore")
mnt, l8, g = sys.argv[1:4]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
a = np.load(l8)
dates = np.array(["2018-01-10", "2018-02-27", "2018-04-16", "2018-05-02",
                  "2018-07-20", "2018-08-05", "2018-09-22", "2018-10-24"],
                 dtype="datetime64[ns]")
src = gdal.Open(f"{g}/LC08_L1TP_013032_20180110_20200901_02_T1_B4.TIF")
for name in ("l8_red", "s2_red", "pat", "tag"):
    ds = xr.open_dataset(f"{mnt}/{name}.nc", mask_and_scale=False)
    v = ds[name]
    check(v.dims == ("time", "y", "x"), f"{name}: dims {v.dims}")
    # uint16 goes into the CDF-2 view as short with _Unsigned
    check(np.array_equal(v.values.view(np.uint16), a[:, 3]),
          f"{name}: frames in date order")
    days = ds["time"].values.astype("datetime64[D]")
    check(np.array_equal(days, dates.astype("datetime64[D]")),
          f"{name}: time coordinate {list(days)}")
    check(v.attrs.get("_FillValue") == 0, f"{name}: nodata as _FillValue")
    npy = np.load(f"{mnt}/{name}/{name}.npy")
    check(npy.dtype == np.uint16 and np.array_equal(npy, a[:, 3]),
          f"{name}: .npy view")
    # GDAL reads the view back with the scenes' CRS and geotransform
    nc = gdal.Open(f"NETCDF:{mnt}/{name}.nc:{name}")
    check(nc is not None and nc.GetSpatialRef() is not None and
          nc.GetSpatialRef().IsSame(src.GetSpatialRef()), f"{name}: CRS")
    gt, want = nc.GetGeoTransform(), src.GetGeoTransform()
    check(np.allclose(gt, want, rtol=0, atol=1e-6), f"{name}: geotransform "
          f"{gt}, not {want}")
    check(np.allclose(ds["x"].values, 580000 + 1500 + 3000 * np.arange(76))
          and np.allclose(ds["y"].values, 4550000 - 1500 -
                          3000 * np.arange(77)), f"{name}: x, y")
# gdalinfo itself, as a user would look
info = json.loads(subprocess.run(["gdalinfo", "-json",
                                  f"NETCDF:{mnt}/l8_red.nc:l8_red"],
                                 capture_output=True).stdout.decode(
                                     errors="replace"))
check(info["geoTransform"] == list(src.GetGeoTransform()),
      f"gdalinfo geotransform {info['geoTransform']}")
crs = osr.SpatialReference(info["coordinateSystem"]["wkt"])
check(crs.GetAuthorityCode(None) == "32618", "gdalinfo CRS EPSG:32618")
m = xr.open_dataset(f"{mnt}/multi.nc", mask_and_scale=False)
check(m["multi"].dims == ("time", "band", "y", "x") and
      np.array_equal(m["multi"].values[0], a[0]), "multi: 11 bands as planes")
check(list(m["band"].values) == list(range(1, 12)), "multi: band coordinate")
check("time" not in m.variables, "multi: no date, no time coordinate")
PY
[ $? -eq 0 ] || bad "checker died"
tally "$T/tif.out"
fusermount3 -u "$M"
B=$G/bad/LC08_L1TP_013032
# each: the file added to the stack above, and what the error says
while IFS='|' read -r desc file want; do
	WANT=$want refused "$desc" "$G"/LC08_*_B4.TIF "$file"
done <<EOF
shifted grid|${B}_20181109_20200901_02_T1_B4.TIF|${B}_20181109_.*not on the grid.*geotransform
another CRS|${B}_20181125_20200901_02_T1_B4.TIF|${B}_20181125_.*another CRS
another size|${B}_20181211_20200901_02_T1_B4.TIF|${B}_20181211_.*76x76 pixels, not 76x77
a file without a date|$G/bad/scene.tif|bad/scene.tif': no date
not a raster|${B}_20181227_20200901_02_T1_B4.TIF|${B}_20181227_.*not a file cubefs reads
two files of one date|${B}_20180110_20210101_02_T1_B4.TIF|have the same date
EOF
WANT="no date in its name by --date-pattern" refused "--date-pattern missed" \
	"$G"/pat/*.tif --date-pattern %Y%m%d

# --- per-date folders of band files (--bands): 3 Landsat scenes of bands
# B2, B3, B4, B8 (a side file beside one), and folders that are refused ---
"$PY" - "$L8" "$G" >"$T/mk.out" 2>&1 <<'PY'  # writes the scene folders
import os, sys
import numpy as np
from osgeo import gdal, osr
a = np.load(sys.argv[1])
g = sys.argv[2]
srs = osr.SpatialReference()
srs.ImportFromEPSG(32618)
GT = (580000.0, 3000.0, 0.0, 4550000.0, 0.0, -3000.0)
BANDS = {"B2": 1, "B3": 2, "B4": 3, "B8": 7}
def tif(path, plane, gt=GT):
    ds = gdal.GetDriverByName("GTiff").Create(
        path, plane.shape[-1], plane.shape[-2], 1, gdal.GDT_UInt16)
    ds.SetGeoTransform(gt)
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(plane)
    ds.GetRasterBand(1).SetNoDataValue(0)
def scene(top, i, d, bands=BANDS, extra=()):
    n = f"LC08_L1TP_013032_{d}_20200901_02_T1"
    os.makedirs(f"{top}/{n}")
    for b, k in bands.items():
        tif(f"{top}/{n}/{n}_{b}.TIF", a[i, k])
    for name, plane, gt in extra:
        tif(f"{top}/{n}/{n}_{name}", plane, gt)
    return f"{top}/{n}"
for i, d in ((0, "20180110"), (3, "20180502"), (5, "20180805")):
    s = scene(f"{g}/sc", i, d)
open(f"{s}/{os.path.basename(s)}_B2.TIF.aux.xml", "w").write("<PAMDataset/>\n")
scene(f"{g}/sc_bad/nob8", 6, "20180922", {"B2": 1, "B3": 2, "B4": 3})
scene(f"{g}/sc_bad/two", 6, "20180922",
      extra=[("B4_copy.TIF", a[6, 3], GT)])
scene(f"{g}/sc_bad/res", 6, "20180922", {"B2": 1, "B3": 2, "B4": 3},
      extra=[("B8.TIF", a[6, 7, ::2, ::2],
              GT[:1] + (6000.0,) + GT[2:5] + (-6000.0,))])
PY
[ $? -eq 0 ] || bad "scene folders written: $(cat "$T/mk.out")"
check "import per-date folders with --bands" $CUBEFS import -q "$S" \
	$(ls -d "$G"/sc/*/ | sort -r) --name scenes --bands B2,B3,B4,B8 \
	--lossless
check "mount" $MOUNT "$S" "$M"
"$PY" - "$M" "$L8" "$G" >"$T/sc.out" 2>&1 <<'PY'
import json, subprocess, sys, warnings
import numpy as np, xarray as xr
from osgeo import gdal, osr
warnings.simplefilter("ignore")
mnt, l8, g = sys.argv[1:4]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
want = np.load(l8)[[0, 3, 5]][:, [1, 2, 3, 7]]
ds = xr.open_dataset(f"{mnt}/scenes.nc", mask_and_scale=False)
v = ds["scenes"]
check(v.dims == ("time", "band", "y", "x"), f"scenes: dims {v.dims}")
check(np.array_equal(v.values.view(np.uint16), want),
      "scenes: bands as planes in --bands order, frames in date order")
check(np.array_equal(np.load(f"{mnt}/scenes/scenes.npy"), want),
      "scenes: .npy view")
check(v.attrs.get("bands") == "B2,B3,B4,B8", "scenes: band names kept")
days = ds["time"].values.astype("datetime64[D]")
check(list(days.astype(str)) == ["2018-01-10", "2018-05-02", "2018-08-05"],
      f"scenes: time coordinate {list(days)}")
info = json.loads(subprocess.run(["gdalinfo", "-json",
                                  f"NETCDF:{mnt}/scenes.nc:scenes"],
                                 capture_output=True).stdout.decode(
                                     errors="replace"))
src = gdal.Open(g + "/sc/LC08_L1TP_013032_20180110_20200901_02_T1/"
                "LC08_L1TP_013032_20180110_20200901_02_T1_B8.TIF")
check(info["geoTransform"] == list(src.GetGeoTransform()),
      f"scenes: gdalinfo geotransform {info['geoTransform']}")
crs = osr.SpatialReference(info["coordinateSystem"]["wkt"])
check(crs.IsSame(src.GetSpatialRef()) and
      crs.GetAuthorityCode(None) == "32618", "scenes: gdalinfo CRS")
PY
[ $? -eq 0 ] || bad "checker died"
tally "$T/sc.out"
fusermount3 -u "$M"
SC=$(ls -d "$G"/sc/*/)
N=LC08_L1TP_013032_20180922_20200901_02_T1
while IFS='|' read -r desc dir want; do
	WANT=$want refused "$desc" $SC "$G/sc_bad/$dir/$N" --bands B2,B3,B4,B8
done <<EOF
a folder without a band|nob8|nob8/$N' has no file of band 'B8'
a band of two files|two|band 'B4' matches both
a band of another resolution|res|res/$N/${N}_B8.TIF' is not on the grid.*38x39 pixels, not 76x77 (a band of another resolution: cubefs does not resample
EOF
WANT="--bands takes folders of band files: '.*_B4.TIF' is not a folder" \
	refused "--bands with files" "$G"/LC08_*_B4.TIF --bands B4
WANT="is a folder but no Zarr store: give --bands" \
	refused "folders without --bands" $SC
WANT="--bands and --concat cannot go together" \
	refused "--bands with --concat" $SC --bands B2 --concat time

# --- Sentinel-2 SAFE-like folders: band files in subfolders by resolution
# (GRANULE/*/IMG_DATA/R10m, R20m), found below each scene folder ---
"$PY" - "$L8" "$G" >"$T/mk.out" 2>&1 <<'PY'  # writes the SAFE folders
import os, sys
import numpy as np
from osgeo import gdal, osr
a = np.load(sys.argv[1])
g = sys.argv[2]
srs = osr.SpatialReference()
srs.ImportFromEPSG(32618)
def tif(path, plane, step):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    ds = gdal.GetDriverByName("GTiff").Create(
        path, plane.shape[-1], plane.shape[-2], 1, gdal.GDT_UInt16)
    ds.SetGeoTransform((580000.0, step, 0.0, 4550000.0, 0.0, -step))
    ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(plane)
for i, d in ((5, "20180805"), (2, "20180416")):
    top = (f"{g}/safe/S2A_MSIL2A_{d}T153911_N0206_R011_T18TWL_"
           f"{d}T195025.SAFE")
    img = f"{top}/GRANULE/L2A_T18TWL_A016355_{d}T153911/IMG_DATA"
    for b, k in (("B02", 1), ("B03", 2), ("B04", 3), ("B08", 7)):
        tif(f"{img}/R10m/T18TWL_{d}T153911_{b}_10m.tif", a[i, k], 3000.0)
    for b, k in (("B02", 1), ("B05", 4)):
        tif(f"{img}/R20m/T18TWL_{d}T153911_{b}_20m.tif", a[i, k, ::2, ::2],
            6000.0)
    os.makedirs(f"{top}/GRANULE/L2A_T18TWL_A016355_{d}T153911/QI_DATA")
    open(f"{top}/manifest.safe", "w").write("<xfdu/>\n")
PY
[ $? -eq 0 ] || bad "SAFE folders written: $(cat "$T/mk.out")"
check "import SAFE folders, band files below them" $CUBEFS import -q "$S" \
	"$G"/safe/*.SAFE --name safe --bands B02_10m,B03_10m,B04_10m,B08_10m \
	--lossless
$CUBEFS export "$S" safe/safe "$T/safe.npy" 2>/dev/null
$CUBEFS export "$S" safe/time "$T/safe_t.npy" 2>/dev/null
check "SAFE: bands as planes, scenes in date order" "$PY" -c "
import numpy as np, sys
a = np.load('$L8')[[2, 5]][:, [1, 2, 3, 7]]
t = np.load('$T/safe_t.npy').astype('datetime64[s]').astype(str)
sys.exit(not (np.array_equal(np.load('$T/safe.npy'), a) and
	      list(t) == ['2018-04-16T15:39:11', '2018-08-05T15:39:11']))"
WANT="band 'B02' matches both .*R[12]0m/T18TWL_.*(give a longer word" \
	refused "a band in two resolution folders" "$G"/safe/*.SAFE \
	--bands B02,B03
WANT="B05_20m.tif' is not on the grid.*a band of another resolution" \
	refused "SAFE bands of two resolutions" "$G"/safe/*.SAFE \
	--bands B04_10m,B05_20m

# --- GRIB: ERA5 t2m written by cdo as GRIB2 on 2 m and on two pressure
# levels (one scaled by 0.9), and as GRIB1 ---
if command -v cdo >/dev/null; then
	R=$T/grib
	mkdir -p "$R"
	cdo="cdo -s -f grb2 -setparam,0.0.0"
	# (cdo warns that the parameter is not named t2m in GRIB)
	{ $cdo -setltype,103 -setlevel,2 -seltimestep,1/48 "$ERA5" \
		"$R/2m.grb2" &&
	$cdo -setltype,100 -setlevel,85000 -seltimestep,1/48 "$ERA5" \
		"$R/850.grb2" &&
	$cdo -setltype,100 -setlevel,50000 -mulc,0.9 -seltimestep,1/48 \
		"$ERA5" "$R/500.grb2" &&
	cdo -s -f grb -setparam,167.128 -seltimestep,1/48 "$ERA5" \
		"$R/t2m.grb"; } >/dev/null 2>&1 || bad "cdo writes GRIB"
	cat "$R/850.grb2" "$R/500.grb2" "$R/2m.grb2" >"$R/era5.grib"
	check "import GRIB2" $CUBEFS import -q "$S" "$R/era5.grib" --name grib \
		--lossless
	check "import GRIB1" $CUBEFS import -q "$S" "$R/t2m.grb" --lossless
	check "mount" $MOUNT "$S" "$M"
	"$PY" - "$M" "$ERA5" "$R" >"$T/grib.out" 2>&1 <<'PY'
import sys, warnings
import numpy as np, xarray as xr
from osgeo import gdal
warnings.simplefilter("ignore")
gdal.SetConfigOption("GRIB_NORMALIZE_UNITS", "NO")
mnt, era5, r = sys.argv[1:4]
def check(cond, desc): print("ok" if cond else "FAIL:", desc)
src = xr.open_dataset(era5).isel(time=slice(0, 48))
t2m = src["t2m"].values
ds = xr.open_dataset(f"{mnt}/grib.nc")
check(sorted(ds.data_vars) == ["TMP_2-HTGL", "TMP_ISBL", "spatial_ref"],
      f"variables {sorted(ds.data_vars)}")
v = ds["TMP_ISBL"]
check(v.dims == ("TIME", "ISBL", "Y", "X"), f"levels as planes: {v.dims}")
check(list(ds["ISBL"].values) == [50000, 85000], "level coordinate")
check(v.attrs.get("units") == "K" and v.attrs.get("name") == "TMP",
      "parameter name and units")
check(np.array_equal(ds["TIME"].values, src["time"].values),
      "valid time as the frame axis")
# exactly what GDAL reads of the GRIB; the NetCDF within GRIB's packing
g = gdal.OpenEx(f"{r}/era5.grib", gdal.OF_MULTIDIM_RASTER).GetRootGroup()
for name, plane in (("TMP_50000-ISBL", 0), ("TMP_85000-ISBL", 1)):
    want = g.OpenMDArray(name).ReadAsArray()
    check(np.array_equal(v.values[:, plane], want), f"{name} exact")
flip = ds["Y"].values[0] < ds["Y"].values[-1]
got = ds["TMP_2-HTGL"].values[:, ::-1] if flip else ds["TMP_2-HTGL"].values
check(np.allclose(got, t2m, atol=0.01), "2 m temperature as the NetCDF's")
check(np.allclose(v.values[:, 0, ::-1] if flip else v.values[:, 0],
                  0.9 * t2m, atol=0.01), "500 hPa plane")
one = xr.open_dataset(f"{mnt}/t2m.nc")
name = [n for n in one.data_vars if n != "spatial_ref"][0]
got = one[name].values[:, ::-1] if flip else one[name].values
check(np.allclose(got, t2m, atol=0.01), f"GRIB1 {name}")
PY
	[ $? -eq 0 ] || bad "checker died"
	tally "$T/grib.out"
	fusermount3 -u "$M"
	# GRIB files of consecutive times join as NetCDF files do (not as a
	# raster stack)
	$cdo -setltype,103 -setlevel,2 -seltimestep,49/96 "$ERA5" \
		"$R/2m_b.grb2" >/dev/null 2>&1
	check "several GRIB files joined along time" $CUBEFS import -q "$S" \
		"$R/2m_b.grb2" "$R/2m.grb2" --name grib_days --lossless
	$CUBEFS export "$S" grib_days/TIME "$T/gt.npy" 2>/dev/null
	check "GRIB files in time order" "$PY" -c "
import sys, numpy as np, xarray as xr
t = np.load('$T/gt.npy').astype('datetime64[s]')
w = xr.open_dataset('$ERA5')['time'].values[:96].astype('datetime64[s]')
sys.exit(not np.array_equal(t, w))"
	head -c 100000 "$R/era5.grib" >"$R/cut.grib"
	WANT="cut.grib' is not a file cubefs reads.*is a grib file" \
		refused "a cut GRIB" \
		"$R/cut.grib"
	# content that is not one regular grid: spectral coefficients (of
	# ERA5 t2m on a global T63 grid), a Gaussian grid (GDAL would space
	# its latitudes evenly), messages on two grids (one parameter, or
	# two)
	g="-seltimestep,1/4 -setmisstoc,280 -remapbil,t63grid $ERA5"
	{ $cdo -setltype,100 -setlevel,85000 -gp2sp $g "$R/sp.grb2" &&
	cdo -s -f grb -setparam,130.128 -gp2sp $g "$R/sp.grb" &&
	$cdo -setltype,103 -setlevel,2 $g "$R/gauss.grb2" &&
	$cdo -setltype,103 -setlevel,2 -remapbil,r36x18 -seltimestep,1/4 \
		"$ERA5" "$R/coarse.grb2" &&
	cdo -s -f grb2 -setparam,0.1.0 -setltype,103 -setlevel,2 \
		-seltimestep,1/4 "$ERA5" "$R/q.grb2"; } >/dev/null 2>&1 ||
		bad "cdo writes GRIB of other grids"
	cat "$R/2m.grb2" "$R/sp.grb2" >"$R/grid_sp.grb2"
	cat "$R/2m.grb2" "$R/coarse.grb2" >"$R/two.grb2"
	cat "$R/q.grb2" "$R/coarse.grb2" >"$R/two_params.grb2"
	while IFS='|' read -r desc file want; do
		WANT=$want refused "$desc" "$R/$file"
	done <<EOF
spectral GRIB2|sp.grb2|sp.grb2': GRIB message 1 holds spectral coefficients
spectral GRIB1|sp.grb|sp.grb': GRIB message 1 holds spectral coefficients.*cdo sp2gp
a spectral message after gridded ones|grid_sp.grb2|grid_sp.grb2': GRIB message 49 holds spectral
a Gaussian grid|gauss.grb2|gauss.grb2': GRIB message 1 is on a Gaussian grid
one parameter on two grids|two.grb2|two.grb2': GRIB messages on more than one grid (33x49 and 18x36
two parameters on two grids|two_params.grb2|GRIB messages on more than one grid.*cdo splitgrid
EOF
else
	echo "note: no cdo, GRIB not tested"
fi

# a VRT names other files (any the daemon, as root, could read): refused
printf '<VRTDataset rasterXSize="8" rasterYSize="8"><VRTRasterBand dataType="Byte" band="1"><SimpleSource><SourceFilename>%s</SourceFilename></SimpleSource></VRTRasterBand></VRTDataset>\n' \
	"$G/multi.tif" >"$T/other.vrt"
WANT="other.vrt' is not a file cubefs reads" refused "a VRT" "$T/other.vrt"

echo "gdal: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
