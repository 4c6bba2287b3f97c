#!/bin/sh
# SPDX-License-Identifier: MIT
# The tools users already have, on a mount of the shared samples: a PyTorch DataLoader over
# mmapped .npy views, xarray.open_mfdataset over .nc views, gdalinfo and gdal_translate,
# ncdump, and `cp -r` of the whole mount; each against `cubefs export` or the sources.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
if [ ! -x "$PY" ] || ! "$PY" -c 'import numpy, netCDF4, xarray' 2>/dev/null; then
	echo "SKIP: no numpy, netCDF4 or xarray for $PY"; exit 77
fi
T=$(mktemp -d /tmp/cubefs-tools-XXXXXX)
M=$T/mnt
M2=$T/mnt2
S=$T/store
X=$T/export
mkdir -p "$M" "$M2" "$X" "$T/src"
cleanup() { fusermount3 -u "$M" 2>/dev/null; fusermount3 -u "$M2" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
note() { echo "note: $*"; }
# runs a Python checker (stdin) with arguments, tallies its output, fails if it died
pycheck() {
	desc=$1; shift
	$PY - "$@" >"$T/out" 2>&1
	rc=$?
	tally "$T/out"
	check "$desc: checker ran to its end" test "$rc" = 0
}

# The shared Python helpers every checker imports.
cat >"$T/common.py" <<'PY'
import sys, warnings
import numpy as np
warnings.simplefilter("ignore")

def ok(desc): print("ok", desc, flush=True)
def fail(desc): print("FAIL:", desc, flush=True)
def check(cond, desc):
    ok(desc) if cond else fail(desc)
    return bool(cond)

def report(path):
    """What `cubefs ls` reported: name -> PSNR in dB, None for exact."""
    rep = {}
    for line in open(path).read().splitlines()[1:]:
        f = line.split()
        rep[f[0]] = None if f[-1] == "exact" else float(f[-2])
    return rep

def psnr(src, got, valid):
    s = src[valid].astype("f8"); g = got[valid].astype("f8")
    if s.size == 0:
        return float("inf")
    rng = s.max() - s.min() if s.max() > s.min() else 1.0
    mse = ((g - s) ** 2).mean()
    return float("inf") if mse == 0 else 20 * np.log10(rng) - 10 * np.log10(mse)

def within(tag, src, got, want):
    """src, got: float arrays with NaN where missing; exact if want is None."""
    src = np.asarray(src); got = np.asarray(got)
    if not check(src.shape == got.shape, f"{tag}: shape {got.shape} == {src.shape}"):
        return
    ns, ng = np.isnan(src), np.isnan(got)
    check(np.array_equal(ns, ng), f"{tag}: same missing positions ({int(ns.sum())})")
    valid = ~ns & ~ng
    if want is None:
        check(np.array_equal(src[valid], got[valid]), f"{tag}: exact")
    else:
        p = psnr(src, got, valid)
        check(p >= want - 0.05, f"{tag}: PSNR {p:.3f} dB >= reported {want:.2f} - 0.05")
PY

# ---------------------------------------------------------------- the store
# 8 smooth float32 cubes for the dataloader, and fice cut in two halves along time (the
# first with time unlimited: its view has record variables)
$PY - "$T/src" "$DATA/ncl_fice_monthly.nc" <<'PY' || { echo "FAIL: cannot prepare samples"; exit 1; }
import sys, numpy as np, netCDF4
out, fice = sys.argv[1:3]
yy, xx = np.mgrid[0:96, 0:96] / 96.0
for k in range(8):
    rng = np.random.default_rng(k)
    a = np.empty((16, 3, 96, 96), "f4")
    fx, fy, ph = rng.uniform(0.5, 2.5, 3), rng.uniform(0.5, 2.5, 3), rng.uniform(0, 6.3, 3)
    for t in range(16):
        for c in range(3):
            a[t, c] = (10 * np.sin(2 * np.pi * (fx[c] * xx + 0.04 * t) + ph[c]) *
                       np.cos(2 * np.pi * (fy[c] * yy - 0.03 * t)) + 5 * c + k)
    np.save(f"{out}/dl{k}.npy", a)
with netCDF4.Dataset(fice) as src:
    src.set_auto_maskandscale(False)
    n = len(src.dimensions["time"])
    for part, sl in (("a", slice(0, n // 2)), ("b", slice(n // 2, n))):
        with netCDF4.Dataset(f"{out}/fice_{part}.nc", "w", format="NETCDF3_64BIT_OFFSET") as dst:
            dst.setncatts({a: src.getncattr(a) for a in src.ncattrs()})
            for d, dim in src.dimensions.items():
                size = len(range(n)[sl]) if d == "time" else len(dim)
                # the first half keeps time as the record dimension
                dst.createDimension(d, None if d == "time" and part == "a" else size)
            for name, v in src.variables.items():
                fill = v.getncattr("_FillValue") if "_FillValue" in v.ncattrs() else None
                w = dst.createVariable(name, v.dtype, v.dimensions, fill_value=fill)
                w.setncatts({a: v.getncattr(a) for a in v.ncattrs() if a != "_FillValue"})
                x = v[sl] if v.dimensions[:1] == ("time",) else v[...]
                w[tuple(slice(0, k) for k in x.shape)] = x
PY
check "import era5" $CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name era5
check "import fice" $CUBEFS import -q "$S" "$DATA/ncl_fice_monthly.nc" --name fice
check "import fice4 (NetCDF-4)" $CUBEFS import -q "$S" "$DATA/ncl_fice_monthly_nc4.nc" --name fice4
check "import s2" $CUBEFS import -q "$S" "$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2
check "import landsat8" $CUBEFS import -q "$S" "$DATA/landsat8_ny2018_p013r032_11band.npy" --name landsat8
for h in a b; do check "import fice_$h" $CUBEFS import -q "$S" "$T/src/fice_$h.nc"; done
for k in 0 1 2 3 4 5 6 7; do check "import dl$k" $CUBEFS import -q "$S" "$T/src/dl$k.npy"; done
$CUBEFS ls "$S" >"$T/report" || bad "cubefs ls"
check "mount" $MOUNT "$S" "$M" -o cache_size=64M
NPYS="era5/t2m fice/fice fice4/fice s2/NDVI s2/CLP s2/CLM landsat8 fice_a/fice fice_b/fice
dl0 dl1 dl2 dl3 dl4 dl5 dl6 dl7"
for n in $NPYS; do
	mkdir -p "$X/$(dirname "$n")"
	check "export $n" $CUBEFS export "$S" "$n" "$X/$n.npy"
done

# ---------------------------------------------------------------- 1. PyTorch DataLoader
if ! $PY -c 'import torch' 2>/dev/null; then
	note "torch is not importable for $PY: the DataLoader part is skipped"
else
	pycheck "torch" "$T" "$M" "$X" <<'PY'
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[1])
from common import ok, fail, check
t, mnt, exp = sys.argv[1:4]

class Crops(torch.utils.data.Dataset):
    """Random 64 x 64 crops of random time steps of mmapped .npy files, seeded per index."""
    def __init__(self, paths, n, seed):
        self.paths, self.n, self.seed, self.mm = paths, n, seed, {}
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, i])
        f = int(rng.integers(len(self.paths)))
        if f not in self.mm:            # opened in the worker that needs it
            self.mm[f] = np.load(self.paths[f], mmap_mode="r")
        a = self.mm[f]
        s = int(rng.integers(a.shape[0]))
        y = int(rng.integers(a.shape[-2] - 63)); x = int(rng.integers(a.shape[-1] - 63))
        crop = np.array(a[s, ..., y:y + 64, x:x + 64], dtype="f4")
        return torch.from_numpy(crop), torch.tensor([i, f, s, y, x])

def run(tag, names, n, batch):
    ds = Crops([f"{mnt}/{k}.npy" for k in names], n, seed=2024)
    want = [np.load(f"{exp}/{k}.npy") for k in names]
    dl = torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=True, num_workers=2,
                                     generator=torch.Generator().manual_seed(7))
    seen, bad, shapes = [], [], set()
    for crops, where in dl:
        shapes.add(tuple(crops.shape[1:]))
        for c, (i, f, s, y, x) in zip(crops.numpy(), where.tolist()):
            seen.append(i)
            e = want[f][s, ..., y:y + 64, x:x + 64].astype("f4")
            if not np.array_equal(c, e, equal_nan=True):
                bad.append((i, names[f], s, y, x))
    check(sorted(seen) == list(range(n)), f"{tag}: every one of {n} crops delivered once")
    check(len(shapes) == 1 and list(shapes)[0][-2:] == (64, 64), f"{tag}: crop shapes {shapes}")
    check(not bad, f"{tag}: crops equal the same crops of cubefs export (differ: {bad[:4]})")
    if len(names) > 1:
        check(len({int(ds[i][1][1]) for i in range(n)}) > 1, f"{tag}: crops come from several files")

run("DataLoader dl0..dl7", [f"dl{k}" for k in range(8)], 96, 8)
# real samples: NaN-holding NDVI and CLP, and Landsat-8 uint16 (as float32)
run("DataLoader s2", ["s2/NDVI", "s2/CLP"], 24, 4)
run("DataLoader landsat8", ["landsat8"], 12, 4)
PY
fi

# ---------------------------------------------------------------- 2. xarray.open_mfdataset
if ! $PY -c 'import dask' 2>/dev/null; then
	note "dask is not importable for $PY: the open_mfdataset part is skipped"
else
	pycheck "open_mfdataset" "$T" "$M" "$DATA" <<'PY'
import sys, numpy as np, xarray as xr
sys.path.insert(0, sys.argv[1])
from common import ok, fail, check, report, within
t, mnt, data = sys.argv[1:4]
rep = report(f"{t}/report")
FICE = f"{data}/ncl_fice_monthly.nc"

# the same data twice (fice, and fice4 from the NetCDF-4 copy), along a new dim
src = xr.open_dataset(FICE)
with xr.open_mfdataset([f"{mnt}/fice.nc", f"{mnt}/fice4.nc"], combine="nested",
                       concat_dim="copy", chunks={"time": 16}) as d:
    check(dict(d.sizes) == {"copy": 2, **dict(src.sizes)}, f"nested: sizes {dict(d.sizes)}")
    check(d.fice.attrs.get("long_name") == src.fice.attrs.get("long_name"), "nested: attributes")
    for c in ("time", "hlat", "hlon"):
        check(np.array_equal(d[c].values, src[c].values), f"nested: coordinate {c} exact")
    for i, k in enumerate(("fice/fice", "fice4/fice")):
        within(f"nested: copy {i} ({k})", src.fice.values, d.fice.isel(copy=i).values, rep[k])

# two halves along time, given in reverse order, put back together by their coordinates
with xr.open_mfdataset([f"{mnt}/fice_b.nc", f"{mnt}/fice_a.nc"], combine="by_coords") as d:
    check(dict(d.sizes) == dict(src.sizes), f"by_coords: sizes {dict(d.sizes)}")
    check(np.array_equal(d.time.values, src.time.values), "by_coords: time in order, exact")
    h = src.sizes["time"] // 2
    within("by_coords: first half", src.fice.values[:h], d.fice.values[:h], rep["fice_a/fice"])
    within("by_coords: second half", src.fice.values[h:], d.fice.values[h:], rep["fice_b/fice"])
src.close()

# era5 in chunks read by dask's threads in parallel; reductions against the source's
src = xr.open_dataset(f"{data}/era5_t2m_uk_2019-03.nc")
with xr.open_mfdataset([f"{mnt}/era5.nc"], chunks={"time": 48}, parallel=True) as d:
    check(d.t2m.attrs.get("units") == "K", "era5 chunked: units K")
    check(np.array_equal(d.time.values, src.time.values), "era5 chunked: time exact")
    a, b = src.t2m.values, d.t2m.values
    within("era5 chunked", a, b, rep["era5/t2m"])
    m1 = d.t2m.mean("time").compute().values; m0 = src.t2m.mean("time").values
    check(np.nanmax(np.abs(m1 - m0)) < 0.5, f"era5 chunked: time mean within 0.5 K "
          f"(max {np.nanmax(np.abs(m1 - m0)):.4f})")
src.close()

# s2: every variable by coords, NaN where the source has none
src = xr.open_dataset(f"{data}/s2_eolearn_ndvi_clp_clm_2015-2017.nc")
with xr.open_mfdataset([f"{mnt}/s2.nc"], chunks={"time": 16}) as d:
    check(np.array_equal(d.time.values, src.time.values), "s2: time exact")
    for v in ("NDVI", "CLP", "CLM"):
        within(f"s2 {v}", src[v].values.astype("f8"), d[v].values.astype("f8"), rep[f"s2/{v}"])
src.close()
PY
fi

# ---------------------------------------------------------------- 3. GDAL
if ! command -v gdalinfo >/dev/null || ! command -v gdal_translate >/dev/null; then
	note "gdalinfo or gdal_translate missing: the GDAL part is skipped"
else
	gdalinfo "$M/era5.nc" >"$T/gi_era5" 2>"$T/gi_err"
	check "gdalinfo era5.nc" test $? = 0
	check "gdalinfo era5.nc: size 49 x 33" grep -q '^Size is 49, 33$' "$T/gi_era5"
	check "gdalinfo era5.nc: 744 bands, one per time step" test "$(grep -c '^Band ' "$T/gi_era5")" = 744
	check "gdalinfo era5.nc: t2m#units=K" grep -q '^  t2m#units=K$' "$T/gi_era5"
	check "gdalinfo era5.nc: band unit K" grep -q '^  Unit Type: K$' "$T/gi_era5"
	check "gdalinfo era5.nc: north-up 0.25 degree grid" grep -q '^Pixel Size = (0.250000000000000,-0.250000000000000)$' "$T/gi_era5"
	gdalinfo "NETCDF:\"$M/s2.nc\":NDVI" >"$T/gi_s2" 2>>"$T/gi_err"
	check "gdalinfo s2.nc NDVI" test $? = 0
	check "gdalinfo s2.nc NDVI: size 100 x 101" grep -q '^Size is 100, 101$' "$T/gi_s2"
	check "gdalinfo s2.nc NDVI: 68 bands" test "$(grep -c '^Band ' "$T/gi_s2")" = 68
	check "gdalinfo s2.nc NDVI: NDVI#units=1" grep -q '^  NDVI#units=1$' "$T/gi_s2"
	gdalinfo "$M/fice.nc" >"$T/gi_fice" 2>>"$T/gi_err"
	check "gdalinfo fice.nc: size 100 x 49, 120 bands" sh -c "grep -q '^Size is 100, 49\$' '$T/gi_fice' && test \$(grep -c '^Band ' '$T/gi_fice') = 120"
	for n in era5 fice; do
		v=$n; [ $n = era5 ] && v=t2m
		gdal_translate -q -of GTiff "NETCDF:\"$M/$n.nc\":$v" "$T/$n.tif" 2>>"$T/gi_err"
		check "gdal_translate $n.nc:$v to GeoTIFF" test -s "$T/$n.tif"
	done
	if $PY -c 'from osgeo import gdal' 2>/dev/null; then
		pycheck "gdal" "$T" "$M" <<'PY'
import sys, numpy as np, xarray as xr
from osgeo import gdal
sys.path.insert(0, sys.argv[1])
from common import ok, fail, check
t, mnt = sys.argv[1:3]
gdal.UseExceptions()
for n, v, lat, steps in (("era5", "t2m", "latitude", (0, 100, 743)), ("fice", "fice", "hlat", (0, 6, 119))):
    g = gdal.Open(f"{t}/{n}.tif")
    with xr.open_dataset(f"{mnt}/{n}.nc", mask_and_scale=False) as d:
        check(g.RasterCount == d.sizes["time"], f"{n}.tif: {g.RasterCount} bands")
        check((g.RasterXSize, g.RasterYSize) == d[v].shape[:0:-1], f"{n}.tif: size")
        la = d[lat].values
        if n == "era5":                 # fice's latitudes are irregular: no geotransform
            gt = g.GetGeoTransform()
            check(np.allclose(gt, (-10.125, 0.25, 0, 58.125, 0, -0.25)), f"{n}.tif: geotransform {gt}")
        for s in steps:
            b = g.GetRasterBand(s + 1).ReadAsArray()
            x = d[v].isel(time=s).values
            if la[0] < la[-1]:          # GDAL turns south-up grids north-up
                x = x[::-1]
            check(b.dtype == x.dtype and np.array_equal(b, x),
                  f"{n}.tif band {s + 1} equals {v} at time {s} from xarray")
# a 4-d view without coordinates (read bottom-up by GDAL): one band per (time, band)
gdal.PushErrorHandler("CPLQuietErrorHandler")    # "No 1D variable is indexed by dim_0"
g = gdal.Open(f"{mnt}/landsat8.nc")
gdal.PopErrorHandler()
a = np.load(f"{mnt}/landsat8.npy", mmap_mode="r")
check(g.RasterCount == a.shape[0] * a.shape[1], f"landsat8.nc: {g.RasterCount} bands")
b = g.ReadAsArray()
check(b.dtype == a.dtype and np.array_equal(b.reshape(a.shape)[..., ::-1, :], a),
      "landsat8.nc read by GDAL (UInt16 from _Unsigned) equals landsat8.npy")
PY
	else
		note "no osgeo for $PY: GeoTIFF bands checked with gdallocationinfo"
		for xy in "0 0" "48 32" "17 9"; do
			set -- $xy
			a=$(gdallocationinfo -valonly -b 101 "$T/era5.tif" $1 $2)
			b=$($PY -c "import xarray as xr; print(repr(float(xr.open_dataset('$M/era5.nc', mask_and_scale=False).t2m[100, $2, $1])))")
			check "era5.tif band 101 at ($1, $2): $a == $b" $PY -c "assert abs($a - $b) <= 1e-5 * abs($b)"
		done
	fi
fi

# ---------------------------------------------------------------- 4. ncdump
if ! command -v ncdump >/dev/null; then
	note "ncdump missing: the ncdump part is skipped"
else
	pycheck "ncdump" "$T" "$M" "$DATA" <<'PY'
import os, re, subprocess, sys, numpy as np, netCDF4
sys.path.insert(0, sys.argv[1])
from common import ok, fail, check
t, mnt, data = sys.argv[1:4]
SRC = {"era5": f"{data}/era5_t2m_uk_2019-03.nc", "fice": f"{data}/ncl_fice_monthly.nc",
       "fice4": f"{data}/ncl_fice_monthly_nc4.nc",
       "s2": f"{data}/s2_eolearn_ndvi_clp_clm_2015-2017.nc",
       "fice_a": f"{t}/src/fice_a.nc", "fice_b": f"{t}/src/fice_b.nc"}

def ncdump(*args):
    r = subprocess.run(["ncdump", *args], capture_output=True, text=True)
    return r.stdout if r.returncode == 0 else None

def numbers(text, var):
    m = re.search(rf"\n {re.escape(var)} = (.*?) ;", text, re.S)
    return None if m is None else np.array([float(x) for x in m.group(1).replace("\n", " ").split(",")])

views = sorted(f[:-3] for f in os.listdir(mnt) if f.endswith(".nc"))
check(len(views) == 15, f"{len(views)} .nc views: {views}")
for n in views:
    p = f"{mnt}/{n}.nc"
    h = ncdump("-h", p)
    if not check(h is not None, f"ncdump -h {n}.nc"):
        continue
    check(h.startswith(f"netcdf {n} {{\ndimensions:\n") and h.rstrip().endswith("}"),
          f"ncdump -h {n}.nc: well formed")
    check(ncdump("-k", p) in ("64-bit offset\n", "cdf5\n"), f"ncdump -k {n}.nc: classic")
    with netCDF4.Dataset(p) as v:
        dims = {d: len(x) for d, x in v.dimensions.items()}
        has_time = "time" in v.variables
    for d, size in dims.items():
        check(re.search(rf"\n\t{d} = (UNLIMITED ; // \({size} currently\)|{size} ;)\n", h),
              f"ncdump -h {n}.nc: dimension {d} = {size}")
    if n in SRC:
        with netCDF4.Dataset(SRC[n]) as s:
            check(dims == {d: len(x) for d, x in s.dimensions.items()},
                  f"ncdump -h {n}.nc: the source's dimensions")
            for name, var in s.variables.items():
                check(re.search(rf"\n\t\w+ {name}\(({', '.join(var.dimensions)})?\) ;\n|\n\t\w+ {name} ;\n", h),
                      f"ncdump -h {n}.nc: variable {name}{var.dimensions}")
    if has_time and n in SRC:
        out = ncdump("-v", "time", p)
        if not check(out is not None and "\ndata:\n" in out, f"ncdump -v time {n}.nc"):
            continue
        got = numbers(out, "time")
        with netCDF4.Dataset(SRC[n]) as s:
            want = np.asarray(s["time"][:], "f8")
        check(got is not None and np.array_equal(got, want),
              f"ncdump -v time {n}.nc: {len(want)} values equal the source's")
        src_out = ncdump("-v", "time", SRC[n])
        check(numbers(src_out, "time") is not None and
              np.array_equal(numbers(src_out, "time"), got),
              f"ncdump -v time {n}.nc prints the source's values")
PY
fi

# ---------------------------------------------------------------- 5. cp -r of the whole mount
LOCAL=$T/local
mkdir -p "$LOCAL"
check "cp -r MOUNT/. LOCAL/" cp -r "$M/." "$LOCAL/"
(cd "$M" && find . | sort) >"$T/find_m"
(cd "$LOCAL" && find . | sort) >"$T/find_l"
check "cp -r: the same tree" cmp -s "$T/find_m" "$T/find_l"
check "cp -r: 15 .nc, 15 .png, 9 root .npy, 6 dataset dirs" test "$(grep -c '^\./[^/]*\.nc$' "$T/find_l")" = 15 -a \
	"$(grep -c '^\./[^/]*\.png$' "$T/find_l")" = 15 -a \
	"$(grep -c '^\./[^/]*\.npy$' "$T/find_l")" = 9 -a "$(grep -c '^\./[^/.]*$' "$T/find_l")" = 6
check "second mount (ro, small cache)" $MOUNT "$S" "$M2" -o ro,cache_size=8M
nfiles=0
for f in $(cd "$LOCAL" && find . -type f ! -path './*.zarr/*' |
	sed 's|^\./||' | sort); do
	nfiles=$((nfiles + 1))
	check "$f: size as the mount says" test "$(stat -c %s "$LOCAL/$f")" = "$(stat -c %s "$M/$f")"
	case $f in
	*.npy)
		n=${f%.npy}
		test -f "$X/$n.npy" || $CUBEFS export "$S" "$n" "$X/$n.npy" || bad "export $n"
		check "$f: copy equals cubefs export $n" cmp -s "$LOCAL/$f" "$X/$n.npy" ;;
	*.nc|*.png)
		check "$f: copy equals a second read of the mount" cmp -s "$LOCAL/$f" "$M/$f"
		check "$f: copy equals a read of a fresh mount" cmp -s "$LOCAL/$f" "$M2/$f" ;;
	*) bad "$f: unexpected file in the mount" ;;
	esac
done
check "cp -r: 47 files compared (15 quick-looks)" test "$nfiles" = 47
check "cp -r: 15 .zarr trees" test "$(ls -d "$LOCAL"/*.zarr | wc -l)" = 15
for z in "$LOCAL"/*.zarr; do
	check "${z##*/}: the copy equals a fresh mount's tree" \
		diff -r "$z" "$M2/${z##*/}"
done
# the copied .nc holds what the copied .npy holds
pycheck "cp -r" "$T" "$LOCAL" <<'PY'
import os, sys, numpy as np, netCDF4
sys.path.insert(0, sys.argv[1])
from common import ok, fail, check
t, local = sys.argv[1:3]
for f in sorted(os.listdir(local)):
    if not f.endswith(".nc"):
        continue
    n = f[:-3]
    with netCDF4.Dataset(f"{local}/{f}") as d:
        d.set_auto_maskandscale(False)
        for v, var in d.variables.items():
            if var.ndim < 2:
                continue
            p = f"{local}/{n}.npy" if os.path.exists(f"{local}/{n}.npy") else f"{local}/{n}/{v}.npy"
            a, b = np.load(p), var[...]
            if a.dtype.kind == "u" and b.dtype.kind == "i":
                b = b.view(a.dtype)
            check(a.shape == b.shape and np.array_equal(a, b, equal_nan=True),
                  f"copied {f}: {v} equals the copied {os.path.relpath(p, local)}")
PY
check "clean unmount of the second mount" fusermount3 -u "$M2"
check "clean unmount" fusermount3 -u "$M"

echo "tools: $pass passed, $fails failed"
[ "$fails" = 0 ]
