#!/bin/sh
# SPDX-License-Identifier: MIT
# Security: bad names refused, store files private, safe mount options, pack rows that point outside the store refused.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-sec-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
refuse() { desc=$1; shift; if "$@" >"$T/out" 2>"$T/err"; then bad "$desc (accepted)"; else
	if [ "$(wc -l <"$T/err")" -ge 1 ] && ! grep -qi 'segmentation\|abort' "$T/err"; then ok; else bad "$desc (no clear error)"; fi; fi; }
L=$DATA/landsat8_ny2018_p013r032_11band.npy

# everything the store gets is made with umask 000 here: still private
umask 000
check "import" $CUBEFS import -q "$S" "$L" --name l --lossless
long=$($PY -c 'print("a" * 201)')
refuse "import --name of 201 bytes" $CUBEFS import -q "$S" "$L" --name "$long"
refuse "import --name of 300 bytes" $CUBEFS import -q "$S" "$L" --name "$($PY -c 'print("b" * 300)')"
check "over-length name error says so" grep -q 'invalid dataset name' "$T/err"
refuse "import --name with / and .." $CUBEFS import -q "$S" "$L" --name "../x"
check "only l imported" test "$($CUBEFS ls "$S" | tail -n +2 | wc -l)" = 1

cp -r "$S" "$T/clean"	# one pack: the edits below point it elsewhere
check "mount" $MOUNT "$S" "$M"
check "mount options: default_permissions, no allow_other" $PY - "$M" <<'PY'
import sys
m = sys.argv[1]
line = [l for l in open("/proc/self/mountinfo") if l.split()[4] == m][0]
opts = set(",".join(line.split(" - ")[1].split()[2:]).split(","))
assert "default_permissions" in opts, opts
assert "allow_other" not in opts, opts
PY

# names through the mount: each refused with the right errno, nothing made
check "bad names refused through the mount" $PY - "$M" <<'PY'
import errno, os, sys
m = sys.argv[1]
cases = {"..": (errno.EEXIST, errno.EISDIR, errno.EINVAL),
         "a" * 300 + ".npy": (errno.ENAMETOOLONG,),
         "a" * 251 + ".npy": (errno.ENAMETOOLONG,),
         "a" * 201 + ".npy": (errno.ENAMETOOLONG,),
         "a\tb.npy": (errno.EINVAL,), "a\nb.npy": (errno.EINVAL,),
         "c\x01.npy": (errno.EINVAL,), "d\x7f.npy": (errno.EINVAL,),
         "l/x.npy": (errno.EACCES, errno.ENOENT, errno.EPERM),
         ".npy": (errno.EINVAL,)}
for name, want in cases.items():
    try:
        os.close(os.open(f"{m}/{name}", os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o644))
        raise SystemExit(f"created {name!r}")
    except OSError as e:
        assert e.errno in want, (name[:20], len(name), errno.errorcode[e.errno])
# rename to a bad name
for name, want in (("a" * 260 + ".npy", errno.ENAMETOOLONG), ("x\ty.npy", errno.EINVAL)):
    try:
        os.rename(f"{m}/l.npy", f"{m}/{name}")
        raise SystemExit(f"renamed to {name!r}")
    except OSError as e:
        assert e.errno == want, (name[:20], errno.errorcode[e.errno])
assert sorted(os.listdir(m)) == ["l.nc", "l.npy", "l.png", "l.zarr"], \
    os.listdir(m)
PY

# a writer's journal in staging/: 0600, while open and with umask 000
check "staging files 0600 while a write is open" $PY - "$M" "$S" <<'PY'
import io, os, sys, stat, numpy as np
m, s = sys.argv[1:3]
off = np.load(f"{m}/l.npy", mmap_mode="r").offset
fd = os.open(f"{m}/l.npy", os.O_RDWR)
os.pwrite(fd, b"\1\2", off)
os.fsync(fd)
nw = os.open(f"{m}/new.npy", os.O_CREAT | os.O_WRONLY, 0o666)
buf = io.BytesIO(); np.save(buf, np.zeros((4, 8, 8), "f4"))
os.write(nw, buf.getvalue())
names = os.listdir(f"{s}/staging")
assert len(names) >= 2, names
for n in names:
    mode = stat.S_IMODE(os.stat(f"{s}/staging/{n}").st_mode)
    assert mode == 0o600, (n, oct(mode))
os.close(fd)
os.close(nw)
PY
rm -f "$M/new.npy"
check "nothing in the store world-writable" sh -c "test -z \"\$(find '$S' -perm -o+w)\""
check "packs and staging not readable by others" sh -c "test -z \"\$(find '$S/packs' '$S/staging' -perm -o+r)\""
unmount_wait "$M" "$S"
umask 022

check "mount -o allow_other" $MOUNT "$S" "$M" -o allow_other
check "allow_other when asked" sh -c "grep ' $M ' /proc/self/mountinfo | grep -q allow_other"
check "default_permissions with allow_other" sh -c "grep ' $M ' /proc/self/mountinfo | grep -q default_permissions"
fusermount3 -u "$M"

# a pack row pointing outside the store: refused by check and by the mount
reads_eio() {	# a read of l.npy's data through $M gets EIO (in 60 s)
	timeout 60 $PY -c "
import errno, os
f = os.open('$M/l.npy', os.O_RDONLY)
try:
    os.pread(f, 4096, 4096 * 4)
    raise SystemExit('read a pack that is not in the store')
except OSError as e:
    assert e.errno == errno.EIO, e
"
}
echo secret >"$T/outside.pack"
for evil in "../outside.pack" "$T/outside.pack" "../../outside.pack" "packs/../../outside.pack"; do
	rm -rf "$T/evil" && cp -r "$T/clean" "$T/evil"
	sqlite3 "$T/evil/catalog.db" "UPDATE pack SET name='$evil'" || bad "sqlite3 edit"
	check "check refuses pack name '$evil'" sh -c "! $CUBEFS check '$T/evil' >'$T/out' 2>&1"
	check "check names the bad pack row ($evil)" grep -q "pack row 1: invalid file name" "$T/out"
	if $MOUNT "$T/evil" "$M" 2>"$T/err"; then
		check "reads with pack '$evil' fail with EIO" reads_eio
		fusermount3 -u "$M"
	else
		check "mount refusal of '$evil' says why" grep -q 'pack' "$T/err"
	fi
done
# a pack file replaced by a symbolic link to a copy outside, or by a FIFO:
# refused (EIO, no hang), never followed
for kind in symlink fifo; do
	rm -rf "$T/evil" && cp -r "$T/clean" "$T/evil"
	p=$(ls "$T/evil/packs")
	cp "$T/evil/packs/$p" "$T/copy.pack"
	rm "$T/evil/packs/$p"
	if [ $kind = symlink ]; then ln -s "$T/copy.pack" "$T/evil/packs/$p"; else mkfifo "$T/evil/packs/$p"; fi
	check "check refuses a pack that is a $kind" sh -c "! timeout 60 $CUBEFS check '$T/evil' >'$T/out' 2>&1"
	check "mount with a pack that is a $kind" $MOUNT "$T/evil" "$M"
	check "reads through a $kind pack fail with EIO" reads_eio
	fusermount3 -u "$M"
done

# and under strace: no open of anything outside the store
if command -v strace >/dev/null; then
	rm -rf "$T/evil" && cp -r "$T/clean" "$T/evil"
	sqlite3 "$T/evil/catalog.db" "UPDATE pack SET name='../outside.pack'"
	strace -f -qq -e trace=open,openat -o "$T/strace" $MOUNT "$T/evil" "$M" -f 2>/dev/null &
	spid=$!
	i=0
	while ! grep -qs " $M " /proc/mounts && kill -0 $spid 2>/dev/null && [ $i -lt 500 ]; do
		i=$((i + 1)); sleep 0.02
	done
	if grep -qs " $M " /proc/mounts; then
		cat "$M/l.npy" >/dev/null 2>&1
		fusermount3 -u "$M"
	fi
	wait $spid
	strace -f -qq -e trace=open,openat -o "$T/strace2" $CUBEFS check "$T/evil" >/dev/null 2>&1
	check "mount opens nothing outside the store (strace)" sh -c "grep -q 'catalog.db' '$T/strace' && ! grep -q 'outside.pack' '$T/strace'"
	check "check opens nothing outside the store (strace)" sh -c "grep -q 'catalog.db' '$T/strace2' && ! grep -q 'outside.pack' '$T/strace2'"
fi

echo "security: $pass passed, $fails failed"
[ "$fails" = 0 ]
