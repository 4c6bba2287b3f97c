#!/bin/sh
# SPDX-License-Identifier: MIT
# Many files, one dataset: pieces against the whole file, appends in steps, kill -9 and resume, each bad input.
set -u
. "$(dirname "$0")/lib.sh"
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
$PY -c 'import numpy, netCDF4' 2>/dev/null ||
	{ echo "SKIP: numpy or netCDF4 missing for $PY"; exit 77; }
SPLIT="$PY $(dirname "$0")/ncsplit.py"
T=$(mktemp -d /tmp/cubefs-many-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M" "$T/bad"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
ERA5=$DATA/era5_t2m_uk_2019-03.nc
ICE=$DATA/ncl_fice_monthly.nc
ICE4=$DATA/ncl_fice_monthly_nc4.nc

# state STORE: what a failed command must leave alone (generation, packs)
state() {
	$PY -c "import sqlite3; print(sqlite3.connect('file:$1/catalog.db?mode=ro', uri=True).execute(\"SELECT value FROM meta WHERE key='generation'\").fetchone())"
	ls "$1/packs" | sort
}

# refused DESC STORE PATTERN CMD...: CMD fails with one line on stderr
# matching PATTERN, and STORE is as it was
refused() {
	_d=$1 _s=$2 _p=$3
	shift 3
	state "$_s" >"$T/before"
	if "$@" >"$T/out" 2>"$T/err"; then
		bad "$_d: succeeded"
	elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -q "$_p" "$T/err"; then
		bad "$_d: stderr is not one line matching '$_p':"; cat "$T/err"
	else
		ok
	fi
	state "$_s" >"$T/after"
	check "$_d: store unchanged" cmp -s "$T/before" "$T/after"
}

# psnr A.npy REF.nc VAR: PSNR of A against VAR of REF over its range
psnr() {
	$PY - "$@" <<'PY'
import sys, numpy as np, netCDF4
a = np.load(sys.argv[1]).astype('f8')
r = netCDF4.Dataset(sys.argv[2])[sys.argv[3]][:].astype('f8')
r = np.ma.filled(r, np.nan)
ok = ~np.isnan(r)
rng = r[ok].max() - r[ok].min()
print(10 * np.log10(rng * rng / np.mean((a[ok] - r[ok]) ** 2)))
PY
}

# same_values A.npy REF.nc VAR: equal exactly
same_values() {
	$PY -c "
import sys, numpy as np, netCDF4
a = np.load('$1'); r = netCDF4.Dataset('$2')['$3'][:]
sys.exit(0 if a.shape == r.shape and (a == r).all() else 1)"
}

# --- pieces of ERA5 (its first 10 days in 3: 3, 4 and 3 days) against
# the whole of them ---
$SPLIT "$ERA5" time "$T/whole_%d.nc" 240
$SPLIT "$T/whole_0.nc" time "$T/era_%d.nc" 72 168
ERA5=$T/whole_0.nc
# With GOPs of 24 frames the pieces (72, 96, 72 frames) end where the
# whole's GOPs end: the same GOPs, so the same bytes.
check "whole" $CUBEFS import -q "$S" "$T/whole_0.nc" --name whole --gop 24
# out of order on the command line: joined in the order of time
check "pieces" $CUBEFS import -q "$S" "$T/era_2.nc" "$T/era_0.nc" \
	"$T/era_1.nc" --name era5 --gop 24
$CUBEFS export "$S" era5/time "$T/t.npy" 2>/dev/null
check "time joined in order, exact" same_values "$T/t.npy" "$ERA5" time
$CUBEFS export "$S" era5/t2m "$T/p.npy" 2>/dev/null
$CUBEFS export "$S" whole/t2m "$T/w.npy" 2>/dev/null
check "pieces = whole, value for value" \
	$PY -c "import numpy as np, sys; sys.exit(not np.array_equal(np.load('$T/p.npy'), np.load('$T/w.npy')))"
$CUBEFS info "$S" era5 >"$T/info"
check "info lists the 3 files" grep -q "3 files:" "$T/info"
check "info lists a file's own history" grep -q "history=piece 2" "$T/info"
check "info --json lists the files, frames and own attributes" $PY -c "
import json, subprocess
d = json.loads(subprocess.run(['$CUBEFS', 'info', '$S', 'era5', '--json'],
               check=True, stdout=subprocess.PIPE).stdout)
f = d['files']
assert [x['path'].rsplit('/', 1)[1] for x in f] == \
    ['era_0.nc', 'era_1.nc', 'era_2.nc'], f
assert f[0]['first_frame'] == 0 and all(
    a['first_frame'] + a['nframes'] == b['first_frame']
    for a, b in zip(f, f[1:])), f
tl = [x['len'] for x in d['dims'] if x['name'] == 'time']
assert [sum(x['nframes'] for x in f)] == tl, (f, tl)
assert f[2]['attributes']['history'] == 'piece 2', f[2]
"

# --- appends in steps (default GOPs: each piece's last one short) give
# what a many-file import gives ---
check "at once" $CUBEFS import -q "$S" "$T/era_*.nc" --name once
check "first piece" $CUBEFS import -q "$S" "$T/era_0.nc" --name steps
check "append 1" $CUBEFS append -q "$S" steps "$T/era_1.nc"
check "append 2" $CUBEFS append -q "$S" steps "$T/era_2.nc"
$CUBEFS export "$S" steps/t2m "$T/s.npy" 2>/dev/null
$CUBEFS export "$S" once/t2m "$T/o.npy" 2>/dev/null
check "appended in steps = imported at once" \
	$PY -c "import numpy as np, sys; sys.exit(not np.array_equal(np.load('$T/s.npy'), np.load('$T/o.npy')))"
ps=$(psnr "$T/s.npy" "$ERA5" t2m)
pw=$(psnr "$T/w.npy" "$ERA5" t2m)
echo "t2m PSNR: appended in steps $ps dB, whole (GOPs of 24) $pw dB"
check "appended quality" $PY -c "import sys; sys.exit(not $ps > 40)"
check "check after appends" $CUBEFS check "$S"
refused "append of frames already there" "$S" "overlaps dataset" \
	$CUBEFS append -q "$S" steps "$T/era_1.nc"
refused "append to no dataset" "$S" "no dataset 'nope'" \
	$CUBEFS append -q "$S" nope "$T/era_1.nc"
refused "glob that matches nothing" "$S" "no file matches" \
	$CUBEFS import -q "$S" "$T/nothing_*.nc" --name g

# the views of the pieces are the whole's, byte for byte (mount)
check "to grow" $CUBEFS import -q "$S" "$T/era_0.nc" --name grow
if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null &&
   $MOUNT "$S" "$M" -o ro,refresh=1 2>/dev/null; then
	check ".nc view of the pieces = the whole's" \
		cmp "$M/era5.nc" "$M/whole.nc"
	check ".npy view of the pieces = the whole's" \
		cmp "$M/era5/t2m.npy" "$M/whole/t2m.npy"
	check "appended .nc view: same size" test \
		"$(stat -c %s "$M/steps.nc")" -eq "$(stat -c %s "$M/whole.nc")"
	check "appended .nc: dims, attributes, coordinates exact" $PY -c "
import sys, netCDF4, numpy as np
a, b = netCDF4.Dataset('$M/steps.nc'), netCDF4.Dataset('$M/whole.nc')
assert {k: len(v) for k, v in a.dimensions.items()} == \\
	{k: len(v) for k, v in b.dimensions.items()}
assert a.__dict__ == b.__dict__
for v in ('time', 'latitude', 'longitude'):
	assert (a[v][:] == b[v][:]).all(), v
for v in a.variables:
	assert a[v].__dict__ == b[v].__dict__, v
"
	# a mount follows an append: the views grow
	small=$(stat -c %s "$M/grow.nc")
	ino=$(stat -c %i "$M/grow.nc")
	full=$(stat -c %s "$M/whole.nc")
	check "append under a read-only mount" $CUBEFS append -q "$S" grow \
		"$T/era_1.nc" "$T/era_2.nc"
	i=0     # each file's commit is a generation the mount follows
	while [ "$(stat -c %s "$M/grow.nc")" -ne "$full" ] && [ $i -lt 300 ]
	do
		i=$((i + 1)); sleep 0.1
	done
	echo "grow.nc: $small -> $(stat -c %s "$M/grow.nc") bytes after $i waits"
	check "the mount shows the grown view" $PY -c "
import netCDF4
a, b = netCDF4.Dataset('$M/grow.nc'), netCDF4.Dataset('$M/whole.nc')
assert len(a.dimensions['time']) == 240
assert (a['time'][:] == b['time'][:]).all()
assert a['t2m'][-1].shape == (33, 49)
"
	check "grown to the whole's size" test "$(stat -c %s "$M/grow.nc")" \
		-eq "$(stat -c %s "$M/whole.nc")"
	# a grown file is a new version: a new inode number, so that a
	# handle open before keeps the version it opened (tests/openfile.sh)
	check "the grown view has a new inode" test "$(stat -c %i \
		"$M/grow.nc")" -ne "$ino"
	# a read-write mount holds the store: an append is refused
	fusermount3 -u "$M"
	if $MOUNT "$S" "$M" 2>/dev/null; then
		refused "append while mounted for writing" "$S" \
			"locked for writing by" \
			$CUBEFS append -q "$S" steps "$T/era_2.nc"
		unmount_wait "$M" "$S" || bad "unmount"
	else
		bad "mount rw"
	fi
else
	echo "(mount checks skipped: no FUSE)"
fi

# .npy files join along their first axis in the command line's order;
# a rerun knows them by path
$PY -c "
import numpy as np
a = np.load('$DATA/landsat8_ny2018_p013r032_11band.npy')
np.save('$T/ls_a.npy', a[:5]); np.save('$T/ls_b.npy', a[5:])"
check "npy pieces" $CUBEFS import -q "$S" "$T/ls_a.npy" "$T/ls_b.npy" \
	--name ls --lossless
$CUBEFS import "$S" "$T/ls_a.npy" "$T/ls_b.npy" --name ls >"$T/out" 2>&1
check "npy rerun: nothing to do" grep -q "2 files were already there" \
	"$T/out"
$CUBEFS export "$S" ls "$T/ls.npy" 2>/dev/null
check "npy pieces exact" $PY -c "import numpy as np, sys; sys.exit(not np.array_equal(np.load('$T/ls.npy'), np.load('$DATA/landsat8_ny2018_p013r032_11band.npy')))"

# --- bad inputs: each refused before anything is written ---
$SPLIT "$T/era_1.nc" time "$T/bad/grid%d.nc" --grid
$SPLIT "$T/era_1.nc" time "$T/bad/type%d.nc" --double
$SPLIT "$T/era_1.nc" time "$T/bad/name%d.nc" --rename=t2m=t2
$SPLIT "$T/era_1.nc" time "$T/bad/units%d.nc" --units=t2m=degC
$SPLIT "$T/era_1.nc" time "$T/bad/repeat%d.nc" --repeat
$SPLIT "$T/era_1.nc" time "$T/bad/overlap%d.nc" --shift=-5
refused "another grid" "$S" "dimension 'longitude' is 48 long" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/grid0.nc" --name b
refused "another type" "$S" "variable 't2m' is float64" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/type0.nc" --name b
refused "another variable" "$S" "has no variable 't2m'" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/name0.nc" --name b
refused "other units" "$S" "units 'degC'" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/units0.nc" --name b
refused "repeated times" "$S" "values of 'time' repeat" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/repeat0.nc" --name b
refused "overlapping files" "$S" "overlap" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/bad/overlap0.nc" --name b
refused "--concat of no such dimension" "$S" "no dimension 'depth'" \
	$CUBEFS import -q "$S" "$T/era_0.nc" "$T/era_1.nc" --name b \
	--concat depth
$PY -c "
import netCDF4, numpy as np
for k in range(2):
    d = netCDF4.Dataset('$T/st%d.nc' % k, 'w')
    d.createDimension('time', None); d.createDimension('station', 5)
    d.createVariable('time', 'f8', ('time',))[:] = np.arange(4 * k, 4 * k + 4)
    d.createVariable('s', 'f4', ('time', 'station'))[:] = np.ones((4, 5)) * k
    d.close()"
refused "a 2-d variable along time, lossy" "$S" "can be joined only stored" \
	$CUBEFS import -q "$S" "$T/st0.nc" "$T/st1.nc" --name st
check "a 2-d variable along time, exact" $CUBEFS import -q "$S" \
	"$T/st0.nc" "$T/st1.nc" --name st --codec lz4
refused "append of another grid" "$S" "'longitude' has 48" \
	$CUBEFS append -q "$S" steps "$T/bad/grid0.nc"

# a file that cannot be read in the middle: the files before it stay,
# the error names it, a rerun once it is mended goes on from there
I4=$T/ice4
mkdir -p "$I4"
$SPLIT "$ICE4" time "$I4/y%d.nc" 12 24 36
cp "$I4/y2.nc" "$T/y2.good"
$PY -c "
b = bytearray(open('$I4/y2.nc', 'rb').read())
for i in range(len(b) // 2, len(b) // 2 + 2000): b[i] = 0x55
open('$I4/y2.nc', 'wb').write(b)"
if $CUBEFS import -q "$S" "$I4/*.nc" --name ice4 2>"$T/err"; then
	bad "import of a damaged file succeeded"
else
	check "error names the file" grep -q "y2.nc" "$T/err"
	check "one line" test "$(wc -l <"$T/err")" -eq 1
	check "files before it committed" test "$($CUBEFS info "$S" ice4 |
		grep -c '    frames ')" -eq 2
fi
cp "$T/y2.good" "$I4/y2.nc"
check "rerun after mending" $CUBEFS import -q "$S" "$I4/*.nc" --name ice4
$CUBEFS export "$S" ice4/time "$T/t.npy" 2>/dev/null
check "all frames once" same_values "$T/t.npy" "$ICE4" time

# --- kill -9 in the middle of a many-file import, then resume ---
$SPLIT "$ICE" time "$T/ice_%d.nc" 12 24 36 48 60 72 84 96 108
$CUBEFS import -q "$S" "$T/ice_*.nc" --name ice &
pid=$!
wait_parts "$S" ice 2 $pid     # until 2 files are committed
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
n=$($CUBEFS info "$S" ice | grep -c '    frames ')
echo "killed after $n of 10 files"
check "consistent after kill -9" $CUBEFS check "$S"
$CUBEFS import "$S" "$T/ice_*.nc" --name ice >"$T/out" 2>&1
check "resumed" grep -q "already there" "$T/out"
[ "$n" -lt 10 ] || echo "(the import ended before the kill)"
$CUBEFS export "$S" ice/time "$T/t.npy" 2>/dev/null
check "no frame twice, none missing" same_values "$T/t.npy" "$ICE" time
$CUBEFS export "$S" ice/fice "$T/f.npy" 2>/dev/null
pi=$(psnr "$T/f.npy" "$ICE" fice)
echo "fice PSNR from 10 pieces: $pi dB"
check "fice quality" $PY -c "import sys; sys.exit(not $pi > 35)"
check "every piece keeps the exact zeros (tests/fidelity.sh)" $PY -c "
import numpy as np, netCDF4
s = np.ma.filled(netCDF4.Dataset('$ICE')['fice'][:].astype('f4'), np.nan)
o = np.load('$T/f.npy')
for lo in range(0, s.shape[0], 12):
    z = s[lo:lo + 12] == 0
    assert z.any() and (o[lo:lo + 12][z] == 0).all(), lo
    assert not ((o[lo:lo + 12] == 0) & ~z).any(), lo
"
check "check at the end" $CUBEFS check "$S"

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
