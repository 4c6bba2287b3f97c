#!/bin/sh
# SPDX-License-Identifier: MIT
# NetCDF views through FUSE: the .nc samples imported, mounted, read by netCDF4, xarray, ncdump and gdalinfo against their sources; bad input refused.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
if [ ! -x "$PY" ] || ! "$PY" -c 'import numpy, netCDF4, xarray, scipy' 2>/dev/null; then
	echo "SKIP: no numpy, netCDF4, xarray or scipy for $PY"; exit 77
fi
T=$(mktemp -d /tmp/cubefs-nc-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

SAMPLES="era5_t2m_uk_2019-03 ncl_fice_monthly ncl_fice_monthly_nc4 s2_eolearn_ndvi_clp_clm_2015-2017"
for n in $SAMPLES; do
	check "import $n" $CUBEFS import -q "$S" "$DATA/$n.nc"
done
$CUBEFS ls "$S" >"$T/report" || bad "cubefs ls"
check "mount" $MOUNT "$S" "$M" -o cache_size=64M
for n in $SAMPLES; do
	check "$n.nc listed" test -f "$M/$n.nc"
done

# Every view against its source, each read by the same library.
$PY - "$M" "$DATA" "$T/report" $SAMPLES >"$T/out" 2>&1 <<'PY'
import os, shutil, subprocess, sys, warnings
import numpy as np, netCDF4, xarray as xr

warnings.simplefilter("ignore")
mnt, data, report = sys.argv[1:4]
names = sys.argv[4:]
PACK = ("scale_factor", "add_offset")
VALUE_ATTRS = ("_FillValue", "missing_value", "valid_min", "valid_max",
               "valid_range")

def ok(desc): print("ok", desc)
def fail(desc): print("FAIL:", desc)
def check(cond, desc): ok(desc) if cond else fail(desc)

# what `cubefs ls` reported: None for exact, else the PSNR in dB
rep = {}
for line in open(report).read().splitlines()[1:]:
    f = line.split()
    rep[f[0]] = None if f[-1] == "exact" else float(f[-2])

def key(ds, var, nvars):
    return ds if nvars == 1 else f"{ds}/{var}"

def is_packed(v):
    return any(a in v.ncattrs() for a in PACK)

def same_attr(a, b, unsigned=False):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a = np.atleast_1d(np.asarray(a)); b = np.atleast_1d(np.asarray(b))
    if unsigned and a.dtype.kind == "u" and b.dtype.kind == "i":
        b = b.view(a.dtype)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return np.array_equal(a.astype("f8"), b.astype("f8"), equal_nan=True)
    return np.array_equal(a, b)

def psnr(src, got, valid):
    s = src[valid].astype("f8"); g = got[valid].astype("f8")
    if s.size == 0:
        return float("inf")
    rng = s.max() - s.min() if s.max() > s.min() else 1.0
    mse = ((g - s) ** 2).mean()
    return float("inf") if mse == 0 else 20 * np.log10(rng) - 10 * np.log10(mse)

def compare_values(tag, k, a, b):
    """a, b: masked arrays (or plain); exact or within the PSNR reported."""
    ma, mb = np.ma.getmaskarray(a), np.ma.getmaskarray(b)
    da, db = np.ma.getdata(a), np.ma.getdata(b)
    check(da.shape == db.shape, f"{tag}: shape {db.shape} == {da.shape}")
    if da.shape != db.shape:
        return
    check(np.array_equal(ma, mb),
          f"{tag}: same masked positions ({int(ma.sum())} in the source)")
    fa = np.isnat(da) if da.dtype.kind == "M" else \
        np.isnan(da) if da.dtype.kind == "f" else np.zeros(da.shape, bool)
    fb = np.isnat(db) if db.dtype.kind == "M" else \
        np.isnan(db) if db.dtype.kind == "f" else np.zeros(db.shape, bool)
    check(np.array_equal(fa, fb),
          f"{tag}: same NaN positions ({int(fa.sum())} in the source)")
    valid = ~ma & ~fa
    if k not in rep:
        fail(f"{tag}: '{k}' not in cubefs ls")
        return
    if rep[k] is None:
        same = np.array_equal(da[valid], db[valid])
        check(same, f"{tag}: exact, as cubefs ls reported")
    else:
        p = psnr(da, db, valid)
        check(p >= rep[k] - 0.05,
              f"{tag}: PSNR {p:.3f} dB >= reported {rep[k]:.2f} - 0.05")

def check_netcdf4(n):
    src = netCDF4.Dataset(f"{data}/{n}.nc")
    view = netCDF4.Dataset(f"{mnt}/{n}.nc")
    tag = f"netCDF4 {n}"
    check(view.data_model in ("NETCDF3_64BIT_OFFSET", "NETCDF3_64BIT_DATA"),
          f"{tag}: classic format ({view.data_model})")
    for d, dim in src.dimensions.items():
        check(d in view.dimensions and len(view.dimensions[d]) == len(dim),
              f"{tag}: dimension {d}")
    for a in src.ncattrs():
        check(a in view.ncattrs() and
              same_attr(src.getncattr(a), view.getncattr(a)),
              f"{tag}: global attribute {a}")
    nv = len(src.variables)
    for name, sv in src.variables.items():
        vtag = f"{tag}: {name}"
        if name not in view.variables:
            fail(f"{vtag} missing")
            continue
        vv = view.variables[name]
        check(vv.dimensions == sv.dimensions, f"{vtag}: dimensions")
        packed = is_packed(sv)
        uns = getattr(vv, "_Unsigned", "") == "true"
        for a in sv.ncattrs():
            if packed and a in PACK:
                check(a not in vv.ncattrs(), f"{vtag}: no {a} (unpacked)")
                continue
            if a not in vv.ncattrs():
                fail(f"{vtag}: attribute {a} missing")
                continue
            want = sv.getncattr(a)
            if packed and a in VALUE_ATTRS:
                raw = np.asarray(want, "f8")
                want = raw * getattr(sv, "scale_factor", 1.0) + \
                    getattr(sv, "add_offset", 0.0)
                got = np.asarray(vv.getncattr(a), "f8")
                check(np.allclose(got, want, rtol=1e-6),
                      f"{vtag}: {a} in physical units")
                continue
            check(same_attr(want, vv.getncattr(a), uns), f"{vtag}: attribute {a}")
        if sv.ndim < 2:
            check(rep.get(key(n, name, nv), 0) is None,
                  f"{vtag}: coordinates and scalars are stored exact")
        a, b = sv[...], vv[...]
        if not packed and sv.dtype.kind in "iuf" and not \
                (sv.dtype.itemsize == 8 and sv.dtype.kind in "iu"):
            check(a.dtype == b.dtype, f"{vtag}: dtype {b.dtype} == {a.dtype}")
        compare_values(vtag, key(n, name, nv), a, b)
    # the .npy views hold what the .nc view holds
    cubes = sorted(v for v in src.variables if src.variables[v].ndim >= 2)
    if nv == 1:
        listed = sorted(f for f in os.listdir(mnt) if f == f"{n}.npy")
    else:
        listed = sorted(os.listdir(f"{mnt}/{n}"))
    check(listed == sorted(f"{c}.npy" for c in cubes) if nv > 1 else
          listed == [f"{n}.npy"], f"{tag}: one .npy per cube variable {listed}")
    view.set_auto_maskandscale(False)
    for c in cubes:
        p = f"{mnt}/{n}.npy" if nv == 1 else f"{mnt}/{n}/{c}.npy"
        if not os.path.exists(p):
            continue
        x = np.load(p, mmap_mode="r")
        y = view.variables[c][...]
        if x.dtype.kind == "u" and y.dtype.kind == "i":
            y = y.view(x.dtype)
        check(x.shape == y.shape and np.array_equal(np.asarray(x), y,
              equal_nan=x.dtype.kind == "f"), f"{tag}: {c}.npy equals {c} in .nc")
    src.close(); view.close()

def check_xarray(n, engine):
    # scipy reads classic files only: a NetCDF-4 source is opened by netcdf4
    with netCDF4.Dataset(f"{data}/{n}.nc") as nc:
        classic = nc.data_model.startswith("NETCDF3")
        nv = len(nc.variables)
        packed = {v for v in nc.variables if is_packed(nc.variables[v])}
    src_engine = engine if classic else "netcdf4"
    tag = f"xarray {engine} {n}"
    try:
        view = xr.open_dataset(f"{mnt}/{n}.nc", engine=engine)
        src = xr.open_dataset(f"{data}/{n}.nc", engine=src_engine)
    except Exception as e:
        fail(f"{tag}: open: {e}")
        return
    check(dict(view.sizes) == dict(src.sizes), f"{tag}: dimensions")
    for a, want in src.attrs.items():
        check(a in view.attrs and same_attr(want, view.attrs[a]),
              f"{tag}: global attribute {a}")
    for name in src.variables:
        vtag = f"{tag}: {name}"
        if name not in view.variables:
            fail(f"{vtag} missing")
            continue
        sv, vv = src[name], view[name]
        check(sv.dims == vv.dims, f"{vtag}: dims")
        for a, want in sv.attrs.items():
            check(a in vv.attrs and same_attr(want, vv.attrs[a]),
                  f"{vtag}: attribute {a}")
        if name not in packed and sv.dtype != vv.dtype:
            fail(f"{vtag}: dtype {vv.dtype} != {sv.dtype}")
        compare_values(vtag, key(n, name, nv), sv.values, vv.values)
    src.close(); view.close()

def ncdump_data(path, var):
    out = subprocess.run(["ncdump", "-v", var, path], capture_output=True,
                         text=True)
    if out.returncode:
        return None
    return out.stdout.split("\ndata:\n", 1)[-1]

def header(path):
    out = subprocess.run(["ncdump", "-h", path], capture_output=True,
                         text=True)
    if out.returncode:
        return None
    dims, vars_, attrs = set(), {}, set()
    for line in out.stdout.splitlines():
        s = line.strip()
        if line.startswith("\t") and not line.startswith("\t\t") and \
                s.endswith(" ;"):
            decl = s[:-2]
            if "=" in decl:
                dims.add(decl.replace(" ", ""))
            else:
                t, rest = decl.split(" ", 1)
                vars_[rest.split("(")[0]] = rest[len(rest.split("(")[0]):]
        elif line.startswith("\t\t") and " = " in s:
            attrs.add(s.split(" = ")[0])
    return dims, vars_, attrs

def check_ncdump(n):
    tag = f"ncdump {n}"
    hs, hv = header(f"{data}/{n}.nc"), header(f"{mnt}/{n}.nc")
    if not hs or not hv:
        fail(f"{tag}: ncdump -h fails")
        return
    check(hs[0] == hv[0], f"{tag}: same dimensions")
    check(hs[1] == hv[1], f"{tag}: same variables and their dimensions")
    with netCDF4.Dataset(f"{data}/{n}.nc") as nc:
        drop = {f"{v}:{a}" for v in nc.variables for a in PACK
                if is_packed(nc.variables[v])}
        coords = [v for v in nc.variables
                  if nc.variables[v].dimensions == (v,)]
    check(hs[2] - drop <= hv[2], f"{tag}: every attribute "
          f"(missing: {sorted(hs[2] - drop - hv[2])})")
    check(not (drop & hv[2]), f"{tag}: no packing attributes")
    for c in coords:
        a, b = ncdump_data(f"{data}/{n}.nc", c), ncdump_data(f"{mnt}/{n}.nc", c)
        check(a is not None and a == b, f"{tag}: ncdump -v {c} prints the same")

def gdal(arg):
    out = subprocess.run(["gdalinfo", arg], capture_output=True, text=True)
    if out.returncode:
        return None
    keep = ("Driver:", "Size is", "Origin", "Pixel Size")
    lines = out.stdout.splitlines()
    return ([l for l in lines if l.startswith(keep)],
            [l.split("Type=")[1].split(",")[0] for l in lines
             if l.startswith("Band ")],
            [l.split(":")[-1] for l in lines if "SUBDATASET_" in l and
             "_NAME=" in l])

def check_gdal(n):
    tag = f"gdalinfo {n}"
    s, v = gdal(f"{data}/{n}.nc"), gdal(f"{mnt}/{n}.nc")
    if v is None:
        fail(f"{tag}: gdalinfo fails on the view")
        return
    check(s[0] == v[0], f"{tag}: same driver, size and geotransform")
    check(set(s[2]) <= set(v[2]), f"{tag}: subdatasets {v[2]} hold {s[2]}")
    with netCDF4.Dataset(f"{data}/{n}.nc") as nc:
        cubes = [c for c in nc.variables if nc.variables[c].ndim >= 3]
        packed = {c for c in cubes if is_packed(nc.variables[c])}
    for c in cubes:
        a = gdal(f'NETCDF:"{data}/{n}.nc":{c}')
        b = gdal(f'NETCDF:"{mnt}/{n}.nc":{c}')
        if b is None:
            fail(f"{tag}: gdalinfo fails on {c}")
            continue
        if a is None:           # GDAL does not list it in the source
            check(len(b[1]) == nc_len(n, c), f"{tag}: {c} bands")
            continue
        check(a[0] == b[0], f"{tag}: {c}: size and geotransform")
        check(len(a[1]) == len(b[1]), f"{tag}: {c}: {len(b[1])} bands")
        if c not in packed:
            check(a[1] == b[1], f"{tag}: {c}: band types")

def nc_len(n, c):
    with netCDF4.Dataset(f"{data}/{n}.nc") as nc:
        return nc.variables[c].shape[0]

for n in names:
    for f in (check_netcdf4, lambda n: check_xarray(n, "netcdf4"),
              lambda n: check_xarray(n, "scipy")):
        try:
            f(n)
        except Exception as e:
            fail(f"{n}: {type(e).__name__}: {e}")
    for tool, f in (("ncdump", check_ncdump), ("gdalinfo", check_gdal)):
        if not shutil.which(tool):
            print(f"note: {tool} missing, its checks skipped")
            continue
        try:
            f(n)
        except Exception as e:
            fail(f"{tool} {n}: {type(e).__name__}: {e}")
PY
rc=$?
tally "$T/out"
check "view checker ran to its end" test "$rc" = 0
check "clean unmount" unmount_wait "$M" "$S"

# Bad input: refused with a clear error, the store unchanged.
state() { $CUBEFS ls "$S" && ls -a "$S/packs" "$S/staging"; }
state >"$T/before" 2>&1
$PY -c "
import random, sys
random.seed(7)
sys.stdout.buffer.write(b'CDF\x02' + bytes(random.getrandbits(8) for _ in range(8192)))" >"$T/corrupt.nc"
E=$DATA/era5_t2m_uk_2019-03.nc
size=$(wc -c <"$E")
head -c $((size / 2)) "$E" >"$T/half.nc"
head -c $((size - 1)) "$E" >"$T/short.nc"
for f in corrupt half short; do
	check "$f.nc: import fails" sh -c "! $CUBEFS import -q '$S' '$T/$f.nc' 2>'$T/err'"
	check "$f.nc: error names the file" grep -q "$f.nc.*not a readable NetCDF file" "$T/err"
	test "$(wc -l <"$T/err")" -le 2 || bad "$f.nc: a short error, got $(wc -l <"$T/err") lines"
	state >"$T/after" 2>&1
	check "$f.nc: store unchanged" cmp -s "$T/before" "$T/after"
done
check "truncation is named" grep -q "truncated" "$T/err"
check "the store still mounts" $MOUNT "$S" "$M"
check "the store still lists every sample" test "$(ls "$M" | grep -c '\.nc$')" = 4
fusermount3 -u "$M"

echo "netcdf: $pass passed, $fails failed"
[ "$fails" = 0 ]
