#!/bin/sh
# SPDX-License-Identifier: MIT
# Coordinates, categories, exact values and valid ranges of the real samples, through export and the .nc and .npy views of a mount.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4' 2>/dev/null || { echo "SKIP: python readers missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-fid-XXXXXX)
S=$T/store
M=$T/mnt
mkdir -p "$M"
cleanup() {
	fusermount3 -u "$M" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
PRE=$DATA/regcm2_precip_monthly_1989-1992.nc
MM5=$DATA/mm5_terrain_lambert.nc
FICE=$DATA/ncl_fice_monthly.nc
S2=$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc

# categories written here: a land-sea mask stored as float, a class map
# with flag_values, a 3-d auxiliary coordinate, bounds and a grid mapping
$PY - "$T/cats.nc" <<'PYEOF'
import sys, numpy as np, netCDF4
r = np.random.default_rng(7)
d = netCDF4.Dataset(sys.argv[1], 'w', format='NETCDF3_64BIT_OFFSET')
for n, l in (('time', 4), ('y', 20), ('x', 30), ('nv', 2)):
    d.createDimension(n, l)
y = d.createVariable('y', 'f8', ('y',)); y[:] = np.arange(20) * 1000.0
y.bounds = 'y_bnds'
b = d.createVariable('y_bnds', 'f8', ('y', 'nv'))
b[:] = np.stack([np.arange(20) * 1000.0 - 500, np.arange(20) * 1000.0 + 500], 1) + r.random((20, 2)) * 1e-3
crs = d.createVariable('crs', 'i4', ()); crs.grid_mapping_name = 'lambert_conformal_conic'
h = d.createVariable('height', 'f4', ('time', 'y', 'x'))
h[:] = 100 + r.random((4, 20, 30)) * 7.3
m = d.createVariable('landsea', 'f4', ('time', 'y', 'x'))
m[:] = (r.random((4, 20, 30)) > 0.4).astype('f4')
c = d.createVariable('lc', 'i2', ('time', 'y', 'x'))
c[:] = r.integers(0, 300, (4, 20, 30)).astype('i2') * 3
c.flag_values = np.arange(0, 900, 3, dtype='i2')
t = d.createVariable('t', 'f4', ('time', 'y', 'x'))
t[:] = 280 + 10 * np.sin(np.arange(4 * 20 * 30) / 37.0).reshape(4, 20, 30)
t.coordinates = 'height'
t.grid_mapping = 'crs'
d.close()
PYEOF

check "import regcm2 precipitation" $CUBEFS import -q "$S" "$PRE" --name pre
check "import mm5 terrain" $CUBEFS import -q "$S" "$MM5" --name mm5
check "import sea ice" $CUBEFS import -q "$S" "$FICE" --name fice
check "import the cloud mask" $CUBEFS import -q "$S" "$S2" --name clm --variables CLM
check "import the categories" $CUBEFS import -q "$S" "$T/cats.nc" --name cats
check "import, 0 and 1 named" $CUBEFS import -q "$S" "$T/cats.nc" --name cats01 --exact-values 0,1
check "import, no exact values" $CUBEFS import -q "$S" "$T/cats.nc" --name cats0 --no-exact-values
check "a malformed --exact-values is refused" sh -c "! $CUBEFS import -q '$S' '$T/cats.nc' --name bad --exact-values 0,x 2>/dev/null"

# verify: every promise per variable, exit 0
for d in pre:$PRE mm5:$MM5 fice:$FICE cats:$T/cats.nc; do
	check "verify ${d%%:*}" sh -c "$CUBEFS verify '$S' '${d%%:*}' '${d#*:}' >/dev/null"
done
check "verify the cloud mask" sh -c "$CUBEFS verify '$S' clm/CLM '$S2' >/dev/null"
$CUBEFS verify "$S" pre "$PRE" > "$T/verify.txt"
check "verify says lat is exact" grep -q "^  coordinate exact: yes" "$T/verify.txt"
check "verify counts zeros kept" grep -q "exact value 0: 31181 positions, all kept" "$T/verify.txt"
check "verify counts values outside the valid range" grep -q "valid range 0 to 500: 0 values outside (53 in the source)" "$T/verify.txt"
$CUBEFS info "$S" pre > "$T/info.txt"
check "info shows the exact values and their rule" grep -q "exact values: 0 (rule: 0, and values of 1% or more)" "$T/info.txt"
check "info shows the valid range" grep -q "valid range: 0 to 500" "$T/info.txt"
check "info says lat is a coordinate" grep -q "fidelity: coordinate, stored exactly" "$T/info.txt"
check "--exact-values is shown" sh -c "$CUBEFS info '$S' cats01 | grep -q 'exact values: 0, 1 (as given at import)'"
check "--no-exact-values is shown" sh -c "$CUBEFS info '$S' cats0 | grep -q 'exact values: none'"

for v in pre/lat pre/lon pre/pre mm5/lat mm5/TERRAIN fice/fice cats/landsea cats/lc cats/y_bnds cats/height cats/t clm/CLM; do
	$CUBEFS export "$S" $v "$T/$(echo $v | tr / _).npy" || bad "export $v"
done
check "mount" $MOUNT "$S" "$M" -o ro

# SRC VAR DECODED: the promises on one array read back
cat > "$T/check.py" <<'PYEOF'
import sys, numpy as np, netCDF4
src, var, how, where = sys.argv[1:5]
with netCDF4.Dataset(src) as d:
    v = d[var]
    v.set_auto_maskandscale(False)
    a = v[:]
    attrs = {k: v.getncattr(k) for k in v.ncattrs()}
if how == 'npy':
    b = np.load(where)
else:
    with netCDF4.Dataset(where) as d:
        w = d[var]
        w.set_auto_maskandscale(False)
        b = w[:]
# CDF-2 has no unsigned bytes: the .nc view serves uint8 as its bits
if b.dtype != a.dtype and b.dtype.itemsize == a.dtype.itemsize:
    b = np.asarray(b).view(a.dtype)
assert a.shape == b.shape and a.dtype == b.dtype, (a.shape, b.shape, a.dtype, b.dtype)
kind = sys.argv[5]
if kind == 'exact':
    assert a.tobytes() == b.tobytes(), f'{var}: not byte-equal'
else:
    af, bf = a.astype('f8'), b.astype('f8')
    for e in [float(x) for x in kind.split(',')]:
        assert np.array_equal(af == e, bf == e), f'{var}: positions of {e} differ'
    if 'valid_range' in attrs:
        lo, hi = attrs['valid_range']
        inside = (af >= lo) & (af <= hi)
        assert np.all((bf >= lo) & (bf <= hi) | ~inside), f'{var}: outside the valid range'
        assert np.array_equal(af[~inside], bf[~inside]), f'{var}: values outside the range moved'
PYEOF
# DATASET VAR SRC KIND: through export, the .npy view and the .nc view
three_ways() {
	check "$1/$2 exported ($4)" $PY "$T/check.py" "$3" "$2" npy "$T/$1_$2.npy" "$4"
	if [ -f "$M/$1/$2.npy" ]; then
		check "$1/$2 in the .npy view ($4)" $PY "$T/check.py" "$3" "$2" npy "$M/$1/$2.npy" "$4"
	fi
	check "$1/$2 in the .nc view ($4)" $PY "$T/check.py" "$3" "$2" nc "$M/$1.nc" "$4"
}
three_ways pre lat "$PRE" exact
three_ways pre lon "$PRE" exact
three_ways pre pre "$PRE" 0
three_ways mm5 lat "$MM5" exact
three_ways mm5 TERRAIN "$MM5" -0.0010000000474974513
three_ways fice fice "$FICE" 0
three_ways clm CLM "$S2" exact
three_ways cats landsea "$T/cats.nc" exact
three_ways cats lc "$T/cats.nc" exact
three_ways cats y_bnds "$T/cats.nc" exact
three_ways cats height "$T/cats.nc" exact
check "cats/crs in the .nc view" $PY "$T/check.py" "$T/cats.nc" crs nc "$M/cats.nc" exact

# cdo sees the same grids in the views as in the sources: the same lines
# but "File format" (a view is CDF-2) and the order of the variables (a
# view puts the largest last)
cdo_lines() {
	cdo -s "$1" "$2" 2>/dev/null | grep -v "File format" |
		sed 's/^ *[0-9-]* : //' | sort
}
if command -v cdo >/dev/null; then
	for d in pre:$PRE mm5:$MM5; do
		for op in sinfon griddes; do
			cdo_lines $op "${d#*:}" > "$T/a.txt"
			cdo_lines $op "$M/${d%%:*}.nc" > "$T/b.txt"
			check "cdo $op: ${d%%:*}.nc as its source" cmp -s "$T/a.txt" "$T/b.txt"
			[ -s "$T/a.txt" ] || bad "cdo $op printed nothing for ${d%%:*}"
		done
	done
else
	echo "cdo missing (scripts/deps.sh installs it): its checks skipped"
fi
# gdalinfo: the same geolocation arrays and grid, the path aside
if command -v gdalinfo >/dev/null; then
	for d in pre:pre:$PRE mm5:TERRAIN:$MM5; do
		f=${d#*:*:} n=${d%%:*} v=${d#*:}; v=${v%%:*}
		gdalinfo "NETCDF:$f:$v" 2>/dev/null | sed "s|$f|FILE|" |
			grep -v "^Files:" > "$T/a.txt"
		gdalinfo "NETCDF:$M/$n.nc:$v" 2>/dev/null | sed "s|$M/$n.nc|FILE|" |
			grep -v "^Files:" > "$T/b.txt"
		check "gdalinfo: $n/$v as its source" cmp -s "$T/a.txt" "$T/b.txt"
	done
	check "gdalinfo: pre/pre has its 2-d geolocation" sh -c \
		"gdalinfo 'NETCDF:$M/pre.nc:pre' | grep -q 'X_DATASET=.*:lon'"
fi
check "unmount" fusermount3 -u "$M"

# an edit re-encodes the GOP: zeros stay exact, and values brought inside
# the valid range lose the corrections that kept them outside
check "mount read-write" $MOUNT "$S" "$M"
check "edit pre through its view" $PY -c "
import numpy as np
a = np.load('$M/pre/pre.npy', mmap_mode='r+')
a[:] = np.clip(a, 0, 500)
a.flush()
"
check "unmount after the edit" unmount_wait "$M" "$S"
check "the edit holds its zeros and the valid range" $PY -c "
import numpy as np, netCDF4, subprocess
subprocess.run(['$CUBEFS', 'export', '$S', 'pre/pre', '$T/edited.npy'], check=True)
b = np.load('$T/edited.npy')
with netCDF4.Dataset('$PRE') as d:
    v = d['pre']; v.set_auto_maskandscale(False); a = v[:]
assert np.array_equal(a == 0, b == 0), 'zero positions moved'
assert b.min() >= 0 and b.max() <= 500, (b.min(), b.max())
"

echo "fidelity: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
