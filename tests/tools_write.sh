#!/bin/sh
# SPDX-License-Identifier: MIT
# Ordinary tools writing into a mount (cp, rsync, install, tar, shutil, numpy, xarray, netCDF4): data, modes and times kept, plain files, after a remount.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, xarray, netCDF4, scipy' 2>/dev/null ||
	{ echo "SKIP: numpy, xarray, netCDF4 or scipy missing for $PY"; exit 77; }
for t in rsync tar install setpriv; do
	command -v $t >/dev/null || { echo "SKIP: $t missing (scripts/deps.sh)"; exit 77; }
done
T=$(mktemp -d /tmp/cubefs-tw-XXXXXX)
M=$T/mnt S=$T/store D=$T/src
mkdir -p "$M" "$D/tree" "$D/rs"
chmod 755 "$T"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
# lz4: new files are imported exactly, so that arrays compare equal
OPTS="-o codec=lz4,allow_other,plain_max=40M"
mnt() { $MOUNT "$S" "$M" $OPTS; }
remount() { unmount_wait "$M" "$S" && mnt; }

$PY - "$D" <<'PY' || { echo "FAIL: sources"; exit 1; }
import sys, numpy as np
d = sys.argv[1]
g = np.random.default_rng(7)
np.save(f"{d}/small.npy", g.random((3, 4, 5)).astype("f4"))
np.save(f"{d}/big.npy", g.random((80, 256, 256)).astype("f4"))  # 21 MB
for i in range(3):
    np.save(f"{d}/tree/c{i}.npy", g.integers(0, 200, (6, 16, 16), "u1"))
    np.save(f"{d}/rs/r{i}.npy", g.random((5, 8, 8)).astype("f8"))
PY
check "import a dataset" $CUBEFS import -q "$S" "$D/small.npy" --name base
check "mount" mnt
chmod 640 "$D/small.npy"
touch -d "2020-02-03 04:05:06" "$D/small.npy"

# cp, cp -p, cp -r, install, tar x
check "cp" cp "$D/big.npy" "$M/big.npy"
check "cp -p" cp -p "$D/small.npy" "$M/p.npy"
check "cp -r of a directory's contents" cp -r "$D/tree/." "$M/"
check "mkdir: EPERM (no folders)" sh -c "mkdir '$M/dir' 2>&1 | grep -q 'not permitted'"
check "install -m 600" install -m 600 "$D/small.npy" "$M/inst.npy"
tar cf "$T/t.tar" -C "$D" small.npy
check "tar x" tar xf "$T/t.tar" -C "$M" --transform s/small/tarred/

# rsync: a file, a directory, and a second rsync that updates one file
check "rsync -a file" rsync -a "$D/small.npy" "$M/rsynced.npy"
check "rsync -a dir/" rsync -a "$D/rs/" "$M/"
sleep 1
$PY -c "import numpy as np; np.save('$D/rs/r1.npy', np.full((5, 8, 8), 7.0))"
check "second rsync -a updates one file" rsync -a "$D/rs/" "$M/"

# Python writers
check "shutil, numpy, xarray, netCDF4 write" $PY - "$M" "$D" <<'PY'
import os, shutil, sys, numpy as np, xarray as xr, netCDF4
m, d = sys.argv[1:3]
shutil.copy(f"{d}/small.npy", f"{m}/sc.npy")
shutil.copy2(f"{d}/small.npy", f"{m}/sc2.npy")
os.mkdir(f"{d}/ct")
shutil.copy(f"{d}/tree/c0.npy", f"{d}/ct/ct0.npy")
shutil.copytree(f"{d}/ct", m, dirs_exist_ok=True)
np.save(f"{m}/saved.npy", np.arange(24, dtype="i2").reshape(2, 3, 4))
a = np.lib.format.open_memmap(f"{m}/mm.npy", mode="w+", dtype="f4",
                              shape=(40, 32, 32))
a[:] = np.arange(a.size, dtype="f4").reshape(a.shape)
a.flush()
del a
v = np.arange(6 * 10 * 12, dtype="f4").reshape(6, 10, 12) / 7
ds = xr.Dataset({"v": (("time", "y", "x"), v)},
                coords={"time": np.arange(6), "y": np.arange(10.0)})
ds.to_netcdf(f"{m}/x4.nc", engine="netcdf4")
ds.to_netcdf(f"{m}/x3.nc", engine="scipy")
with netCDF4.Dataset(f"{m}/n4.nc", "w") as f:
    f.createDimension("time", None)
    f.createDimension("y", 10)
    f.createDimension("x", 12)
    t = f.createVariable("t", "f4", ("time", "y", "x"))
    for i in range(6):
        t[i] = v[i]
    u = f.createVariable("u", "f8", ("time", "y", "x"))
    u[:] = v * 2
    f.title = "by variable"
PY

# plain files: any name, read back, renamed onto a dataset name, deleted
printf 'abc' >"$M/notes"
check "a few bytes as a plain file" test "$(cat "$M/notes")" = abc
check "a plain file of 21 MB" cp "$D/big.npy" "$M/big.tmp"
check "plain files past plain_max: ENOSPC" sh -c \
	"cp '$D/big.npy' '$M/big2.tmp' 2>&1 | grep -q 'No space'"
rm -f "$M/big2.tmp"
check "a plain file renamed onto .npy is imported" mv "$M/big.tmp" "$M/moved.npy"
cp "$D/small.npy" "$M/gone.tmp"
check "rm of a plain file" rm "$M/gone.tmp"
check "deleted plain file is gone" test ! -e "$M/gone.tmp"
# a file that is not a cube yet: kept, pending, with the reason
$PY -c "
import numpy as np
with open('$M/half.npy', 'wb') as f:
    np.lib.format.write_array_header_1_0(f, {'descr': '<f4', 'fortran_order': False, 'shape': (9, 9, 9)})"
check "ls: pending with the reason" sh -c \
	"$CUBEFS ls '$S' | grep -q '^half.npy .*pending: incomplete'"
check "ls: plain files apart from datasets" sh -c \
	"$CUBEFS ls '$S' | grep -q '^notes .*plain'"

# metadata: datasets, views, a dataset's directory; quick-looks read-only
check "chmod a view" chmod 600 "$M/base.npy"
check "touch -d a view" touch -d @1546300800 "$M/base.nc"
check "chown a view" chown 12:34 "$M/base.npy"
check "chmod a dataset directory" chmod 700 "$M/x4"
check "chmod a quick-look: EPERM" sh -c "! chmod 644 '$M/base.png' 2>/dev/null"
AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
chmod 644 "$M/p.npy"
check "default_permissions: nobody reads a 0644 file" $AS cat "$M/p.npy" >/dev/null
chmod 600 "$M/p.npy"
check "default_permissions: nobody cannot read a 0600 file" \
	sh -c "! $AS cat '$M/p.npy' >/dev/null 2>&1"
chmod 640 "$M/p.npy"

# a temporary-name writer killed between its write and its rename
$PY - "$M" "$D" <<'PY' &
import os, shutil, sys, time
m, d = sys.argv[1:3]
shutil.copy(f"{d}/small.npy", f"{m}/.killed.npy.XyZ12")
open(f"{d}/written", "w").close()
time.sleep(60)
os.rename(f"{m}/.killed.npy.XyZ12", f"{m}/killed.npy")
PY
WPID=$!
i=0; while [ ! -e "$D/written" ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
kill -9 $WPID; wait $WPID 2>/dev/null

# everything as written, before and after a remount
verify() {
	$PY - "$M" "$D" "$1" <<'PY'
import os, sys, numpy as np, xarray as xr
m, d, when = sys.argv[1:4]
bad = []
def same(a, b, what):
    if not np.array_equal(np.load(a), np.load(b)):
        bad.append(what)
for n in ("big", "moved"):
    same(f"{m}/{n}.npy", f"{d}/big.npy", n)
for n in ("p", "inst", "tarred", "rsynced", "sc", "sc2"):
    same(f"{m}/{n}.npy", f"{d}/small.npy", n)
for i in range(3):
    same(f"{m}/c{i}.npy", f"{d}/tree/c{i}.npy", f"c{i}")
    same(f"{m}/r{i}.npy", f"{d}/rs/r{i}.npy", f"r{i}")
same(f"{m}/ct0.npy", f"{d}/tree/c0.npy", "copytree")
if not np.array_equal(np.load(f"{m}/saved.npy"), np.arange(24).reshape(2, 3, 4)):
    bad.append("np.save")
mm = np.load(f"{m}/mm.npy")
if not np.array_equal(mm, np.arange(mm.size, dtype="f4").reshape(40, 32, 32)):
    bad.append("open_memmap")
v = np.arange(6 * 10 * 12, dtype="f4").reshape(6, 10, 12) / 7
for n in ("x4", "x3"):
    if not np.array_equal(xr.open_dataset(f"{m}/{n}.nc").v.values, v):
        bad.append(n)
n4 = xr.open_dataset(f"{m}/n4.nc")
if not (np.array_equal(n4.t.values, v) and np.allclose(n4.u.values, v * 2)
        and n4.attrs.get("title") == "by variable"):
    bad.append("netCDF4 by variable")
if open(f"{m}/notes").read() != "abc":
    bad.append("plain file")
if open(f"{m}/.killed.npy.XyZ12", "rb").read() != open(f"{d}/small.npy", "rb").read():
    bad.append("killed writer's file")
st = os.stat(f"{m}/p.npy")
src = os.stat(f"{d}/small.npy")
if st.st_mode & 0o777 != 0o640 or st.st_mtime_ns != src.st_mtime_ns:
    bad.append(f"cp -p: {oct(st.st_mode)} {st.st_mtime_ns} {src.st_mtime_ns}")
if os.stat(f"{m}/inst.npy").st_mode & 0o777 != 0o600:
    bad.append("install -m 600")
if os.stat(f"{m}/sc2.npy").st_mtime_ns != src.st_mtime_ns:
    bad.append("copy2 times")
st = os.stat(f"{m}/base.npy")
if (st.st_mode & 0o777, st.st_uid, st.st_gid) != (0o600, 12, 34):
    bad.append(f"chmod/chown: {oct(st.st_mode)} {st.st_uid} {st.st_gid}")
if os.stat(f"{m}/base.nc").st_mtime != 1546300800:
    bad.append("touch -d")
if os.stat(f"{m}/x4").st_mode & 0o777 != 0o700:
    bad.append("chmod of a directory")
if os.stat(f"{m}/base.png").st_mode & 0o777 != 0o444:
    bad.append("quick-look mode")
for n in ("gone.tmp", "big.tmp", "big2.tmp", "dir"):
    if os.path.exists(f"{m}/{n}"):
        bad.append(f"{n} exists")
for n in ("r0", "r2"):
    if os.stat(f"{m}/{n}.npy").st_mtime_ns != os.stat(f"{d}/rs/{n}.npy").st_mtime_ns:
        bad.append(f"rsync times of {n}")
for b in bad:
    print(f"FAIL: {when}: {b}")
sys.exit(1 if bad else 0)
PY
}
check "everything as written" verify "before the remount"
check "remount" remount
check "everything as written after the remount" verify "after the remount"

# a server killed while a plain file is open: its bytes come back
$PY - "$M" "$D" <<'PY' &
import sys, time
m, d = sys.argv[1:3]
f = open(f"{m}/open.tmp", "wb")
f.write(b"x" * 100000)
f.flush()
open(f"{d}/open-written", "w").close()
time.sleep(60)
PY
WPID=$!
i=0; while [ ! -e "$D/open-written" ] && [ $i -lt 300 ]; do i=$((i + 1)); sleep 0.1; done
kill -9 "$(cut -d' ' -f2 "$S/lock")"
kill -9 $WPID; wait $WPID 2>/dev/null
fusermount3 -u -z "$M"
check "mount after the server was killed" mnt
check "the plain file open then is back" test "$(wc -c <"$M/open.tmp")" = 100000
check "everything as written after the kill" verify "after the kill"
check "replacing a dataset by an invalid file: EINVAL, nothing lost" sh -c \
	"! mv '$M/notes' '$M/saved.npy' 2>/dev/null && test -e '$M/notes' &&
	 $PY -c \"import numpy as np; assert np.load('$M/saved.npy').sum() == 276\""
check "info of a plain file" sh -c "$CUBEFS info '$S' notes | grep -q 'kept in'"
check "check reports the killed writer's file" sh -c \
	"$CUBEFS check '$S' | grep -q '^.killed.npy.XyZ12 .*plain'"
check "open_memmap at a later close: half.npy imported once complete" $PY - "$M" <<'PY'
import sys, numpy as np
m = sys.argv[1]
a = np.lib.format.open_memmap(f"{m}/half.npy", mode="r+")
a[:] = 3
a.flush()
del a
assert np.load(f"{m}/half.npy").sum() == 3 * 729
PY
sleep 0.5
check "half.npy no longer pending" sh -c "! $CUBEFS ls '$S' | grep -q '^half.npy'"

echo "tools_write: $pass passed, $fails failed"
[ "$fails" = 0 ]
