#!/bin/sh
# SPDX-License-Identifier: MIT
# The Zarr view: xarray, zarr and GDAL read <dataset>.zarr/ equal to the .nc and .npy views; listings decode nothing; writes fail with EROFS.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4, xarray, zarr, dask' 2>/dev/null ||
	{ echo "SKIP: python3-zarr, xarray or dask missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-zarr-XXXXXX)
S=$T/store
M=$T/mnt
mkdir -p "$M"
cleanup() {
	fusermount3 -u "$M" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
# decodes CMD...: the mount's decode counter
decodes() { $CUBEFS stats "$M" | awk '$1 == "decodes" { print $2 }'; }

# several variables with coordinates and time (ERA5: packed at the source,
# _FillValue), planes (Landsat-8: one .npy of 4 dims), fill values and NaN
# (S2: NaN _FillValue, a uint8 mask, int64 time, a scalar), and a cube of
# 100 000 frames
for s in "era5_t2m_uk_2019-03.nc era5" \
	 "landsat8_ny2018_p013r032_11band.npy landsat8" \
	 "s2_eolearn_ndvi_clp_clm_2015-2017.nc s2"; do
	set -- $s
	check "import $2" $CUBEFS import -q "$S" "$DATA/$1" --name "$2" \
		--preset ultrafast --gop 16
done
# fill values and NaN where the source has them, a variable packed with
# scale_factor and add_offset
$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$T/holes.nc', 'w') as d:
    for k, n in (('time', 12), ('y', 16), ('x', 16)):
        d.createDimension(k, n)
    t = d.createVariable('time', 'f8', ('time',))
    t.units = 'days since 2020-01-01'
    t.calendar = 'standard'
    t[:] = np.arange(12)
    a = np.random.default_rng(1).random((12, 16, 16)).astype('f4')
    flat = a.reshape(-1)
    flat[np.arange(30) * 97] = np.nan
    ma = np.ma.masked_array(a, np.zeros(a.shape, bool))
    ma.mask.reshape(-1)[np.arange(40) * 71 + 5] = True
    d.createVariable('v', 'f4', ('time', 'y', 'x'), fill_value=-9999.0)[:] = ma
    n = d.createVariable('n', 'i2', ('time', 'y', 'x'), fill_value=-1)
    n[:] = np.ma.masked_array((np.nan_to_num(a) * 100).astype('i2'), ma.mask)
    p = d.createVariable('p', 'i2', ('time', 'y', 'x'), fill_value=-32767)
    p.scale_factor = 0.01
    p.add_offset = 10.0
    p[:] = ma * 50
"
check "import holes" $CUBEFS import -q "$S" "$T/holes.nc" --name holes \
	--preset ultrafast
$PY -c "
import numpy as np
a = (np.arange(400000) % 251).astype('u1')
np.save('$T/big.npy', a.reshape(100000, 2, 2))
"
check "import big" $CUBEFS import -q "$S" "$T/big.npy" --codec lz4
check "mount" $MOUNT "$S" "$M"

check "era5.zarr lists the group and its arrays" test "$(ls -A "$M/era5.zarr" |
	tr '\n' ' ')" = \
	".zattrs .zgroup .zmetadata latitude longitude t2m time "
check "a chunk per frame, whole pictures" test "$(ls -A "$M/era5.zarr/t2m" |
	wc -l)" = 746
check "a chunk's size is one frame's" test \
	"$(stat -c %s "$M/era5.zarr/t2m/743.0.0")" = $((33 * 49 * 4))
check "no chunk past the last frame" test ! -e "$M/era5.zarr/t2m/744.0.0"
check "one spelling per chunk" test ! -e "$M/era5.zarr/t2m/07.0.0"
check "coordinates are one chunk" test "$(ls "$M/era5.zarr/time")" = 0

# values, dims, coordinates and attributes as the .nc view gives them,
# with dask and without; raw chunks equal to the .npy view's bytes and to
# the .nc view's (big-endian) where the types agree
check "xarray and zarr read what the .nc and .npy views hold" $PY - "$M" "$T" \
	<<'EOF'
import sys, os, numpy as np, xarray as xr, zarr, netCDF4
m = sys.argv[1]

def same(x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.dtype.kind in 'fiu' and y.dtype.kind in 'fiu':
        return x.shape == y.shape and np.array_equal(
            x.astype('f8'), y.astype('f8'), equal_nan=True)
    return np.array_equal(x, y)

def same_attrs(a, b):
    return set(a) == set(b) and all(same(a[k], b[k]) for k in a)

for name in ('era5', 'landsat8', 's2', 'holes'):
    n = xr.open_dataset(f'{m}/{name}.nc')
    for chunks in ({}, None):
        z = xr.open_zarr(f'{m}/{name}.zarr', chunks=chunks)
        assert dict(z.sizes) == dict(n.sizes), (name, z.sizes, n.sizes)
        assert set(z.coords) == set(n.coords), name
        assert set(z.data_vars) == set(n.data_vars), name
        assert same_attrs(n.attrs, z.attrs), name
        for v in n.variables:
            a, b = n[v], z[v]
            assert a.dims == b.dims, (name, v)
            assert a.dtype == b.dtype, (name, v, a.dtype, b.dtype)
            assert same_attrs(a.attrs, b.attrs), (name, v, a.attrs, b.attrs)
            assert np.array_equal(a.values, b.values,
                                  equal_nan=a.dtype.kind == 'f'), (name, v)
    # the raw arrays: no CF decoding, fill values where they are
    g = zarr.open_consolidated(f'{m}/{name}.zarr', mode='r')
    with netCDF4.Dataset(f'{m}/{name}.nc') as nc:
        nc.set_auto_maskandscale(False)
        for v in nc.variables:
            r, w = g[v][...], nc[v][...]
            ints = r.dtype.kind in 'iu' and w.dtype.kind in 'iu'
            if r.dtype.itemsize == w.dtype.itemsize and \
               (ints or r.dtype.kind == w.dtype.kind):
                assert r.tobytes() == w.astype(w.dtype.newbyteorder('<'))\
                    .view(r.dtype).tobytes(), (name, v)
            else:  # 64-bit integers, served as doubles in CDF-2
                assert np.array_equal(r, w), (name, v)
            one = not os.path.isdir(f'{m}/{name}')
            npy = f'{m}/{name}.npy' if one else f'{m}/{name}/{v}.npy'
            if os.path.exists(npy) and (v == name or not one):
                assert r.tobytes() == np.load(npy).tobytes(), (name, v)
# NaN and fill positions are where the .nc view has them (checked above),
# and there are some: the holes sample has both
r = zarr.open_consolidated(f'{m}/holes.zarr', mode='r')['v'][...]
with netCDF4.Dataset(sys.argv[2] + '/holes.nc') as src:
    src.set_auto_maskandscale(False)
    sv = src['v'][...]
nan, fill = np.isnan(sv), sv == -9999
assert nan.sum() > 0 and fill.sum() > 0
assert np.array_equal(np.isnan(r), nan) and np.array_equal(r == -9999, fill)
z = xr.open_zarr(f'{m}/holes.zarr')
assert int(z.v.isnull().sum()) == (nan | fill).sum()
assert int(z.n.isnull().sum()) == fill.sum()
# packed at the source: served unpacked, so no scale_factor
for name, v in (('era5', 't2m'), ('holes', 'p')):
    assert 'scale_factor' not in zarr.open_consolidated(
        f'{m}/{name}.zarr', mode='r')[v].attrs
    assert xr.open_zarr(f'{m}/{name}.zarr')[v].dtype.kind == 'f'
# a dask mean over time on several threads equals numpy's
import dask
with dask.config.set(scheduler='threads', num_workers=3):
    got = xr.open_zarr(f'{m}/era5.zarr').t2m.mean('time').values
want = np.load(f'{m}/era5/t2m.npy').mean(axis=0, dtype='f8')
assert np.allclose(got, want, rtol=1e-6, atol=0), abs(got - want).max()
EOF

# a listing of 100 000 chunks and open_zarr decode nothing
d0=$(decodes)
check "100 000 chunks listed" test "$(ls -f "$M/big.zarr/big" | wc -l)" = 100004
check "open_zarr of the big cube" $PY -c "
import xarray as xr
z = xr.open_zarr('$M/big.zarr')
assert z.big.shape == (100000, 2, 2)
"
check "listing and opening decoded nothing" test "$(decodes)" = "$d0"
check "the last chunk reads" $PY -c "
import numpy as np
b = open('$M/big.zarr/big/99999.0.0', 'rb').read()
assert b == bytes((np.arange(399996, 400000) % 251).astype('u1'))
"

# open_zarr reads .zmetadata and the coordinates xarray indexes, nothing
# else: no other document, no chunk of the data variable
if command -v strace >/dev/null; then
	strace -f -e trace=openat -o "$T/open.trace" $PY -c "
import xarray as xr
xr.open_zarr('$M/era5.zarr')
" >/dev/null 2>&1
	check "open_zarr opens .zmetadata" grep -q 'era5.zarr/.zmetadata"' \
		"$T/open.trace"
	check "open_zarr opens no other document nor t2m chunk" test -z \
		"$(grep -E 'era5.zarr/(.*/\.za|\.zgroup|\.zattrs|t2m/)' \
		"$T/open.trace")"
else
	echo "strace missing: the files open_zarr opens are not checked"
fi

# GDAL's multidimensional driver
if command -v gdalmdiminfo >/dev/null; then
	check "gdalmdiminfo lists the arrays" $PY -c "
import json, subprocess
d = json.loads(subprocess.check_output(['gdalmdiminfo', '$M/s2.zarr']))
want = ['CLM', 'CLP', 'NDVI', 'crs', 'time', 'x', 'y']
assert sorted(d['arrays']) == want, d['arrays']
"
	check "gdal_translate of one time step" gdal_translate -q \
		"ZARR:\"$M/era5.zarr\":/t2m:5" "$T/t2m5.tif"
	check "its values are the .npy view's" $PY -c "
import numpy as np, subprocess
subprocess.check_call(['gdal_translate', '-q', '-of', 'ENVI',
                       '$T/t2m5.tif', '$T/t2m5.raw'])
a = np.fromfile('$T/t2m5.raw', 'f4').reshape(33, 49)
assert np.array_equal(a, np.load('$M/era5/t2m.npy')[5])
"
else
	echo "gdal-bin missing: GDAL checks skipped"
fi

# cubefs export writes the same tree to disk, and refuses to overwrite
for d in era5 s2; do
	check "export $d.zarr" $CUBEFS export "$S" $d "$T/$d.zarr"
	check "exported $d.zarr is the mount's" \
		diff -r "$T/$d.zarr" "$M/$d.zarr"
done
check "export refuses an existing directory" \
	test "$($CUBEFS export "$S" s2 "$T/s2.zarr" 2>&1)" = \
	"cubefs: cannot create '$T/s2.zarr': File exists"

# an edit through the .npy view shows in the chunks, read before and after
check "an edit of the .npy view shows in the Zarr view" $PY - "$M" <<'EOF'
import numpy as np, sys
m = sys.argv[1]
chunk = f'{m}/era5.zarr/t2m/3.0.0'
before = np.fromfile(chunk, '<f4').reshape(33, 49)
a = np.load(f'{m}/era5/t2m.npy', mmap_mode='r+')
assert np.array_equal(a[3], before)
a[3] = 300.0
a.flush()
del a
after = np.fromfile(chunk, '<f4').reshape(33, 49)
assert np.array_equal(after, np.load(f'{m}/era5/t2m.npy')[3])
assert abs(after - 300.0).max() < 1, abs(after - 300.0).max()
EOF

# writes into the tree fail with EROFS (the mount itself takes writes)
check "writes are refused with EROFS" $PY - "$M" <<'EOF'
import errno, os, sys
m = sys.argv[1]
def erofs(f, *a):
    try:
        f(*a)
    except OSError as e:
        assert e.errno == errno.EROFS, (f, a, e)
    else:
        raise AssertionError((f, a))
erofs(os.open, f'{m}/era5.zarr/t2m/0.0.0', os.O_WRONLY)
erofs(os.open, f'{m}/era5.zarr/.zattrs', os.O_RDWR)
erofs(os.truncate, f'{m}/era5.zarr/.zmetadata', 0)
erofs(os.open, f'{m}/era5.zarr/t2m/new', os.O_CREAT | os.O_WRONLY)
erofs(os.unlink, f'{m}/era5.zarr/t2m/.zarray')
erofs(os.rename, f'{m}/era5.zarr', f'{m}/other.zarr')
EOF
check "unmount" unmount_wait "$M" "$S"

check "mount -o zarr=off" $MOUNT "$S" "$M" -o ro,zarr=off
check "no .zarr with zarr=off" test -z "$(ls "$M" | grep zarr)"
check "no .zarr lookup with zarr=off" test ! -e "$M/era5.zarr"
check "unmount" unmount_wait "$M" "$S"

echo "zarr: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
