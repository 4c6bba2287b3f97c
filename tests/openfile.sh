#!/bin/sh
# SPDX-License-Identifier: MIT
# A file open across a change reads the version it opened; gc keeps that version; writes in the same mount show at once.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4' 2>/dev/null || { echo "SKIP: python readers missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-of-XXXXXX)
S=$T/store
W=$T/rw
F=$T/follow
mkdir -p "$W" "$F"
cleanup() {
	for p in $(jobs -p); do kill "$p" 2>/dev/null; done
	fusermount3 -u "$W" 2>/dev/null
	fusermount3 -u "$F" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# holder NAME FILE: a process that opens FILE for reading (np.load with
# mmap_mode='r', and a plain descriptor), reads its first frame, says
# so in $T/NAME.ready and waits for $T/NAME.go; then it writes the whole
# file as its memmap and its descriptor read it, and its fstat, to
# $T/NAME.mm, $T/NAME.fd and $T/NAME.stat.
holder() {
	$PY -c "
import numpy as np, os, time
m = np.load('$2', mmap_mode='r')
fd = os.open('$2', os.O_RDONLY)
float(m[0].sum())
open('$T/$1.ready', 'w').close()
while not os.path.exists('$T/$1.go'):
    time.sleep(0.05)
st = os.fstat(fd)
with open('$T/$1.fd', 'wb') as f:
    f.write(os.pread(fd, st.st_size + 4096, 0))
np.save('$T/$1.mm', np.array(m))
open('$T/$1.stat', 'w').write('%d %d' % (st.st_ino, st.st_size))
" &
}
npy_equal() {
	$PY -c "
import numpy as np, sys
a, b = np.load('$1'), np.load('$2')
sys.exit(0 if a.shape == b.shape and np.array_equal(a, b, equal_nan=True) else 1)
"
}

$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$DATA/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:].filled(np.nan).astype('f4'))
    np.save('$T/short.npy', d['t2m'][:100].filled(np.nan).astype('f4'))
"
check "import t2m" $CUBEFS import -q "$S" "$T/t2m.npy" --gop 16
check "export before the edit" $CUBEFS export "$S" t2m "$T/before.npy"
check "mount rw" $MOUNT "$S" "$W"
check "mount ro, following" $MOUNT "$S" "$F" -o ro,refresh=1

# 1. an edit: a handle opened before it in another mount keeps reading
# the version it opened, one in the writer's own mount reads the edit
holder far "$F/t2m.npy"
holder near "$W/t2m.npy"
check "both holders opened" eventually test -f "$T/far.ready" -a -f "$T/near.ready"
check "edit through the rw mount" $PY -c "
import numpy as np
a = np.load('$W/t2m.npy', mmap_mode='r+')
a[0:200] += 1.0
a.flush()
"
check "a new open in the follower sees the edit" eventually $PY -c "
import numpy as np
a = np.load('$F/t2m.npy'); b = np.load('$T/before.npy')
assert abs(float(a[5].mean()) - float(b[5].mean()) - 1.0) < 0.05
"
check "export after the edit" $CUBEFS export "$S" t2m "$T/edited.npy"
touch "$T/near.go"
check "the writer's mount holder finished" eventually test -f "$T/near.stat"
check "a handle in the writer's mount reads the edit (memmap)" \
	npy_equal "$T/near.mm.npy" "$T/edited.npy"
check "and through its descriptor" cmp -s "$T/near.fd" "$T/edited.npy"

# gc is a writer: it runs once the writer has gone; the follower has
# reloaded, but a handle still reads the old version
check "unmount rw" unmount_wait "$W" "$S"
$CUBEFS gc "$S" >"$T/gc1" 2>&1 || bad "gc with an old handle open"
check "gc keeps the GOPs the old handle reads" grep -q 'punched 0 holes' "$T/gc1"
touch "$T/far.go"
check "the follower's holder finished" eventually test -f "$T/far.stat"
check "a handle opened before the edit reads the old version (memmap)" \
	npy_equal "$T/far.mm.npy" "$T/before.npy"
check "and through its descriptor, byte for byte" cmp -s "$T/far.fd" "$T/before.npy"
check "a new open reads the edit" cmp -s "$F/t2m.npy" "$T/edited.npy"
old_ino=$(cut -d' ' -f1 "$T/far.stat")
check "the edited file has another inode number" \
	test "$(stat -c %i "$F/t2m.npy")" != "$old_ino"
wait

# 2. a replacement of another size, while a handle holds the version
# before it: the handle reads its version whole, its size included
check "mount rw again" $MOUNT "$S" "$W"
holder big "$F/t2m.npy"
check "the holder opened" eventually test -f "$T/big.ready"
check "replace t2m with 100 frames" cp "$T/short.npy" "$W/t2m.npy"
check "the follower sees the short file" eventually $PY -c "
import numpy as np
assert np.load('$F/t2m.npy', mmap_mode='r').shape[0] == 100
"
touch "$T/big.go"
check "the holder finished" eventually test -f "$T/big.stat"
check "the handle reads its version whole (memmap)" \
	npy_equal "$T/big.mm.npy" "$T/edited.npy"
check "and through its descriptor" cmp -s "$T/big.fd" "$T/edited.npy"
check "its fstat shows the size it opened" \
	test "$(cut -d' ' -f2 "$T/big.stat")" -eq "$(stat -c %s "$T/edited.npy")"
check "a new open reads the replacement" $PY -c "
import numpy as np
a = np.load('$F/t2m.npy'); b = np.load('$T/short.npy')
assert a.shape == b.shape
"
wait
check "unmount rw" unmount_wait "$W" "$S"
check "unmount the follower" fusermount3 -u "$F"
check "check is clean" $CUBEFS check "$S"

echo "openfile: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
