#!/bin/sh
# SPDX-License-Identifier: MIT
# Quick-look <dataset>.png files in a mount: PNGs of the right size and content, rgb=, refusals, damage.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4, PIL' 2>/dev/null ||
	{ echo "SKIP: numpy, netCDF4 or PIL missing for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-ql-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

check "import landsat8" $CUBEFS import -q "$S" "$DATA/landsat8_ny2018_p013r032_11band.npy" --name landsat8
check "import s2" $CUBEFS import -q "$S" "$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2
check "import era5" $CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name era5
check "import fice" $CUBEFS import -q "$S" "$DATA/ncl_fice_monthly.nc" --name fice
NAMES="landsat8 s2 era5 fice"

# Checks that each named PNG is what the mount's own data gives: for some
# frame, each colour channel (green for the colour map, whose green rises
# monotonically) a non-decreasing function of its band, with spread, and
# black wherever a band has no value. Args: mount, then name:spec with
# spec "var/band" (colour map) or "var/band+var/band+var/band" (RGB), and
# "!" after the name to ask for the rows as stored (no north-up flip).
cat >"$T/look.py" <<'PY'
import sys, numpy as np, netCDF4
from PIL import Image

def cube(m, name, var):
    if name == "landsat8":
        return np.load(f"{m}/landsat8.npy").astype("f8")
    with netCDF4.Dataset(f"{m}/{name}.nc") as nc:
        a = nc[var][:]
        return np.ma.filled(a.astype("f8"), np.nan)

def monotone(d, c):
    o = np.lexsort((c, d))
    return bool(np.all(np.diff(c[o].astype(int)) >= 0)) and c.max() - c.min() > 60

def matches(pic, bands):
    valid = np.all([np.isfinite(b) for b in bands], axis=0)
    black = np.all(pic == 0, axis=2)
    if not black[~valid].all():
        return False
    if len(bands) == 1 and black[valid].any():
        return False
    chans = [1] if len(bands) == 1 else [0, 1, 2]
    return all(monotone(b[valid], pic[..., k][valid]) for b, k in zip(bands, chans))

m = sys.argv[1]
for arg in sys.argv[2:]:
    name, spec = arg.split(":")
    flip = not name.endswith("!")
    name = name.rstrip("!")
    pic = np.asarray(Image.open(f"{m}/{name}.png"))
    assert pic.dtype == np.uint8 and pic.ndim == 3 and pic.shape[2] == 3, (name, pic.shape)
    sel = [(v, int(b)) for v, b in (x.split("/") for x in spec.split("+"))]
    data = {v: cube(m, name, v) for v, _ in sel}
    nt = data[sel[0][0]].shape[0]
    found = []
    for t in range(nt):
        bands = []
        for v, b in sel:
            a = data[v][t, b] if data[v].ndim == 4 else data[v][t]
            bands.append(a[::-1] if flip else a)
        assert bands[0].shape == pic.shape[:2], (name, bands[0].shape, pic.shape)
        if matches(pic, bands):
            found.append(t)
    assert found, f"{name}.png: no time step of {spec} gives this picture"
    print(f"{name}.png {pic.shape[1]}x{pic.shape[0]}: {spec}, time step {found}")
PY

check "mount" $MOUNT "$S" "$M" -o cache_size=32M
ls "$M" >"$T/ls"
for n in $NAMES; do
	check "$n.png listed" grep -qx "$n.png" "$T/ls"
	file "$M/$n.png" >"$T/file" 2>&1
	check "file says $n.png is a PNG" grep -q "PNG image data" "$T/file"
	check "$n.png is read-only" test "$(stat -c %a "$M/$n.png")" = 444
done
file "$M/landsat8.png" >"$T/file"
check "file gives the picture size" grep -q "76 x 77, 8-bit/color RGB" "$T/file"
# the first variable's first band; fice's latitudes rise: north is put up
check "landsat8, s2, era5, fice.png: pictures of band 0, NDVI, t2m, fice" \
	$PY "$T/look.py" "$M" "landsat8!:x/0" "s2!:NDVI/0" "era5!:t2m/0" "fice:fice/0"
check "fice.png rows are not as stored" sh -c "! $PY '$T/look.py' '$M' 'fice!:fice/0' 2>/dev/null"
for n in $NAMES; do
	cp "$M/$n.png" "$T/$n.0.png" || bad "cp $n.png"
	check "$n.png: st_size is the bytes read" test "$(stat -c %s "$M/$n.png")" = "$(stat -c %s "$T/$n.0.png")"
done
check "$PY reads the copy" $PY -c "from PIL import Image; Image.open('$T/s2.0.png').load()"
# refusals: the picture cannot be written, truncated or removed
check "write to a png refused" sh -c "! sh -c 'echo x >>\"$M/s2.png\"' 2>/dev/null"
check "truncate of a png refused" sh -c "! truncate -s 0 '$M/s2.png' 2>/dev/null"
check "rm of a png refused" sh -c "! rm -f '$M/s2.png' 2>/dev/null"
check "mv of a png refused" sh -c "! mv '$M/s2.png' '$M/s3.png' 2>/dev/null"
check "mv over a png refused" sh -c "! mv '$M/landsat8.npy' '$M/s2.png' 2>/dev/null"
check "png intact after refusals" cmp -s "$M/s2.png" "$T/s2.0.png"
unmount_wait "$M" "$S"

# the same bytes at every mount, to readers that come at once
check "remount" $MOUNT "$S" "$M"
for i in 1 2 3 4 5 6; do
	for n in s2 landsat8; do cat "$M/$n.png" >"$T/$n.c$i.png" & done
done
wait
for i in 1 2 3 4 5 6; do
	for n in s2 landsat8; do
		check "$n.png: reader $i of 6 at once" cmp -s "$T/$n.c$i.png" "$T/$n.0.png"
	done
done
for n in $NAMES; do
	check "$n.png: same bytes after remount" cmp -s "$M/$n.png" "$T/$n.0.png"
done
unmount_wait "$M" "$S"

# rgb= by band index: Landsat true colour; s2 has no band 3: its map stays
check "mount rgb=3,2,1" $MOUNT "$S" "$M" -o rgb=3,2,1
check "rgb=3,2,1 changes landsat8.png" sh -c "! cmp -s '$M/landsat8.png' '$T/landsat8.0.png'"
check "landsat8.png: bands 3, 2, 1 as RGB" $PY "$T/look.py" "$M" "landsat8!:x/3+x/2+x/1"
check "rgb=3,2,1 leaves s2.png a colour map" cmp -s "$M/s2.png" "$T/s2.0.png"
fusermount3 -u "$M"
# rgb= by variable name, among other options
check "mount rgb=CLP,NDVI,CLM" $MOUNT "$S" "$M" -o cache_size=16M,rgb=CLP,NDVI,CLM,ro
check "rgb= by name changes s2.png" sh -c "! cmp -s '$M/s2.png' '$T/s2.0.png'"
check "s2.png: CLP, NDVI, CLM as RGB" $PY "$T/look.py" "$M" "s2!:CLP/0+NDVI/0+CLM/0"
check "rgb= by name leaves landsat8.png a colour map" cmp -s "$M/landsat8.png" "$T/landsat8.0.png"
fusermount3 -u "$M"
# names or bands not all there: the first variable's colour map
check "mount rgb=CLP,nope,10" $MOUNT "$S" "$M" -o rgb=CLP,nope,10
check "rgb= with a missing name: s2.png the map of NDVI" cmp -s "$M/s2.png" "$T/s2.0.png"
check "rgb= with a missing band: landsat8.png the map of band 0" cmp -s "$M/landsat8.png" "$T/landsat8.0.png"
unmount_wait "$M" "$S"

# a bad rgb=: one clear line, no mount
for bad in "rgb=B4,B3" "rgb=" "rgb=a/b,c,d" "rgb=B4,B3,cache_size=8M"; do
	if $MOUNT "$S" "$M" -o "$bad" 2>"$T/err"; then
		bad "mount took -o $bad"; fusermount3 -u "$M"
	else
		check "-o $bad: one clear line" sh -c "test \$(wc -l <'$T/err') -eq 1 && grep -q 'invalid rgb' '$T/err'"
	fi
done
check "no mount left by a bad rgb=" sh -c "! mountpoint -q '$M'"

# a corrupt GOP under the picture: EIO, the daemon serves the rest
cp -r "$S" "$T/bad"
check "corrupt the GOP of s2's middle frame" corrupt_gop "$T/bad" "d.name = 's2' AND v.name = 'NDVI' AND g.first_frame <= 34 AND g.first_frame + g.nframes > 34"
check "mount the damaged store" $MOUNT "$T/bad" "$M"
check "s2.png of a corrupt GOP: EIO" $PY - "$M/s2.png" <<'PY'
import sys, os, errno
for _ in range(2):
    try:
        with open(sys.argv[1], "rb") as f:
            f.read()
        raise SystemExit("read without error")
    except OSError as e:
        assert e.errno == errno.EIO, e
PY
check "the others still read" cmp -s "$M/landsat8.png" "$T/landsat8.0.png"
check "the daemon still lists" sh -c "ls '$M/s2' >/dev/null"
fusermount3 -u "$M"

# an edit through the mount draws the picture again, at its new size
check "mount for an edit" $MOUNT "$S" "$M"
check "landsat8.png before the edit" cmp -s "$M/landsat8.png" "$T/landsat8.0.png"
check "edit landsat8: top half of band 0 set to 0" $PY -c "
import numpy as np
m = np.load('$M/landsat8.npy', mmap_mode='r+'); m[:, 0, :38] = 0; m.flush(); del m"
check "the edit changes landsat8.png" sh -c "! cmp -s '$M/landsat8.png' '$T/landsat8.0.png'"
cp "$M/landsat8.png" "$T/landsat8.1.png"
check "landsat8.png: st_size is the bytes read after the edit" test "$(stat -c %s "$M/landsat8.png")" = "$(stat -c %s "$T/landsat8.1.png")"
check "landsat8.png: the picture of the edited data" $PY "$T/look.py" "$M" "landsat8!:x/0"
fusermount3 -u "$M"

echo "quicklook: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
