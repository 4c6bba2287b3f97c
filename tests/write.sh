#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes through the mount: edit in place, create by cp / np.save / xarray, rename, delete, remount.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, xarray, netCDF4, scipy' 2>/dev/null || { echo "SKIP: python readers missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-wr-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
remount() { unmount_wait "$M" "$S" && $MOUNT "$S" "$M"; }

L=$DATA/landsat8_ny2018_p013r032_11band.npy
$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$DATA/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:].filled(np.nan).astype('f4'))
"
# GOPs of 16 frames: the edit of frames 10-19 leaves frames 32+ alone
check "import t2m" $CUBEFS import -q "$S" "$T/t2m.npy" --gop 16
check "import exact" $CUBEFS import -q "$S" "$L" --name exact --lossless
check "mount rw" $MOUNT "$S" "$M"

# 1. edit in place through mmap r+: touched frames move by 1, others stay
mtime0=$(stat -c %Y "$M/t2m.npy")
sleep 1
check "mmap r+ edit" $PY - "$M" "$T" <<'PY'
import os, sys, numpy as np
m, t = sys.argv[1:3]
before = np.load(f"{m}/t2m.npy")
a = np.load(f"{m}/t2m.npy", mmap_mode="r+")
a[10:20] += 1.0
a.flush()
del a
# the commit runs at the release, which close(2) does not wait for: an
# fsync waits for it, so that `after` is the committed version
fd = os.open(f"{m}/t2m.npy", os.O_RDONLY)
os.fsync(fd)
os.close(fd)
after = np.load(f"{m}/t2m.npy")
d = after[10:20].astype("f8") - before[10:20]
assert abs(d.mean() - 1.0) < 0.02, d.mean()
assert np.sqrt(((d - 1.0) ** 2).mean()) < 0.15, d.std()
# frames in GOPs the write did not touch are byte for byte the same
assert np.array_equal(after[32:], before[32:])
np.save(f"{t}/t2m.after.npy", after)
PY
$CUBEFS export "$S" t2m "$T/e1.npy" 2>/dev/null
check "edit committed to the store" cmp -s "$T/e1.npy" "$M/t2m.npy"

# 2. lossless datasets take writes exactly
check "lossless edit is exact" $PY - "$M" "$L" <<'PY'
import sys, numpy as np
m, l = sys.argv[1:3]
a = np.load(f"{m}/exact.npy", mmap_mode="r+")
a[3, 4, 10:20, 5:9] = 1234
a.flush(); del a
b = np.load(l); b[3, 4, 10:20, 5:9] = 1234
assert np.array_equal(np.load(f"{m}/exact.npy"), b)
PY

# a reader that closes while a writer still writes does not commit for it
npacks=$(ls "$S/packs" | wc -l)
check "a reader's close leaves the writer's journal open" $PY - "$M" "$L" <<'PY'
import sys, os, numpy as np
m, l = sys.argv[1:3]
p = f"{m}/exact.npy"
off = np.load(p, mmap_mode="r").offset
fr = os.open(p, os.O_RDONLY)            # before the writer: not counted
fw = os.open(p, os.O_RDWR)
os.pwrite(fw, np.uint16(4321).tobytes(), off + 2 * 5000)
os.close(fr)
os.pwrite(fw, np.uint16(4322).tobytes(), off + 2 * 5001)
os.close(fw)
a = np.load(p).reshape(-1)
assert a[5000] == 4321 and a[5001] == 4322, (a[5000], a[5001])
PY
check "one commit for one writer" test "$(ls "$S/packs" | wc -l)" -eq $((npacks + 1))

# 3. create: cp, np.save, xarray to_netcdf (NetCDF-4 and classic)
$PY -c "import numpy as np; np.save('$T/new_cube.npy', (np.arange(20*2*30*40, dtype='f4').reshape(20,2,30,40) % 97) / 7)"
check "cp a new cube in" cp "$T/new_cube.npy" "$M/"
check "np.save into the mount" $PY -c "import numpy as np; np.save('$M/x.npy', np.zeros((50, 3, 64, 64), 'f4'))"
check "xarray NetCDF-4 into the mount" $PY -c "
import xarray as xr, numpy as np
ds = xr.Dataset({'v': (('time', 'y', 'x'), np.random.default_rng(1).random((12, 20, 30), dtype='f4'))},
                coords={'time': np.arange(12), 'y': np.arange(20.), 'x': np.arange(30.)}, attrs={'title': 'written by xarray'})
ds.to_netcdf('$M/y.nc')
ds.to_netcdf('$M/yc.nc', format='NETCDF3_64BIT')
"
ls "$M" >"$T/ls"
for f in new_cube.npy x.npy y.nc yc.nc; do check "$f listed" grep -qx "$f" "$T/ls"; done
check "new files read back" $PY - "$M" "$T" <<'PY'
import sys, numpy as np, xarray as xr
m, t = sys.argv[1:3]
a = np.load(f"{m}/new_cube.npy"); b = np.load(f"{t}/new_cube.npy")
assert a.shape == b.shape and a.dtype == b.dtype
rng = b.max() - b.min()
psnr = 20*np.log10(rng) - 10*np.log10(((a.astype('f8') - b)**2).mean())
assert psnr > 40, psnr
assert np.array_equal(np.load(f"{m}/x.npy"), np.zeros((50, 3, 64, 64), 'f4'))
for n in ("y", "yc"):
    d = xr.open_dataset(f"{m}/{n}.nc")
    assert d.attrs["title"] == "written by xarray", d.attrs
    assert np.array_equal(d.x.values, np.arange(30.))
    assert d.v.shape == (12, 20, 30)
PY

# out-of-order writes, fallocate, ftruncate, read-modify-write, O_TRUNC
check "out-of-order writes, fallocate, ftruncate, O_TRUNC" $PY - "$M" <<'PY'
import sys, os, io, numpy as np
m = sys.argv[1]
a = (np.arange(6 * 40 * 50, dtype="u2").reshape(6, 40, 50) % 1000)
buf = io.BytesIO(); np.save(buf, a); raw = buf.getvalue()
fd = os.open(f"{m}/ooo.npy", os.O_CREAT | os.O_RDWR, 0o644)
os.posix_fallocate(fd, 0, len(raw))
assert os.fstat(fd).st_size == len(raw)
chunks = [(o, raw[o:o + 4096]) for o in range(0, len(raw), 4096)]
for o, c in reversed(chunks):
    os.pwrite(fd, c, o)
os.ftruncate(fd, len(raw) + 100)
os.ftruncate(fd, len(raw))
assert os.pread(fd, 128, 0) == raw[:128]   # reads see what was written
os.close(fd)
b = np.load(f"{m}/ooo.npy")
assert b.shape == a.shape and np.abs(b.astype(int) - a).max() <= 8, np.abs(b.astype(int) - a).max()
# O_TRUNC rewrite of the same shape: np.save over an existing file
np.save(f"{m}/ooo.npy", a[::-1].copy())
c = np.load(f"{m}/ooo.npy")
assert np.abs(c.astype(int) - a[::-1]).max() <= 8
PY

# 4. rename and delete
check "mv renames" mv "$M/x.npy" "$M/z.npy"
check "renamed file reads" $PY -c "import numpy as np; assert np.load('$M/z.npy').shape == (50, 3, 64, 64)"
check "old name gone" test ! -e "$M/x.npy"
check "rm deletes" rm "$M/z.npy"
check "deleted file gone" test ! -e "$M/z.npy" -a ! -e "$M/z.nc"
check "other names are plain files" cp "$T/new_cube.npy" "$M/notes.txt"
check "a plain file reads back as written" cmp -s "$T/new_cube.npy" "$M/notes.txt"
check "rm deletes a plain file" rm "$M/notes.txt"
check "writing into a dataset directory refused" sh -c "! cp '$T/new_cube.npy' '$M/y/new.npy' 2>/dev/null"

# 5. an invalid file: kept as written, pending, its bytes in staging
echo "not an array" >"$T/bad.npy"
check "invalid .npy kept at close" cp "$T/bad.npy" "$M/bad.npy"
check "it reads back as written" cmp -s "$T/bad.npy" "$M/bad.npy"
check "its bytes kept in staging" sh -c "grep -rqs 'not an array' '$S/staging'"
check "ls shows it pending" sh -c "$CUBEFS ls '$S' | grep -q '^bad.npy .*pending: not a valid'"

# 6. everything is still there after a remount
check "remount" remount
check "after remount" $PY - "$M" "$T" <<'PY'
import sys, os, numpy as np
m, t = sys.argv[1:3]
names = set(os.listdir(m))
assert {"t2m.npy", "exact.npy", "new_cube.npy", "y.nc", "yc.nc"} <= names, names
assert "z.npy" not in names and "x.npy" not in names
assert np.array_equal(np.load(f"{m}/t2m.npy"), np.load(f"{t}/t2m.after.npy"))
PY
check "mtime moved for the edited dataset" test "$(stat -c %Y "$M/t2m.npy")" -gt "$mtime0"
# gc is a writer: it runs beside a read-only mount, not the writer's
check "unmount the writer" unmount_wait "$M" "$S"
check "mount read-only" $MOUNT "$S" "$M" -o ro
check "gc after writes" $CUBEFS gc "$S"
check "reads after gc" cmp -s "$M/t2m.npy" "$T/e1.npy"
fusermount3 -u "$M"
check "read-only mount refuses writes" sh -c "$MOUNT '$S' '$M' -o ro && ! cp '$T/new_cube.npy' '$M/w.npy' 2>/dev/null; fusermount3 -u '$M'"

echo "write: $pass passed, $fails failed"
[ "$fails" = 0 ]
