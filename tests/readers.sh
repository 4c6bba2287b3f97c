#!/bin/sh
# SPDX-License-Identifier: MIT
# Readers follow other writers (-o refresh) and leave leases; gc keeps what a mount of an older generation may still read.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4' 2>/dev/null || { echo "SKIP: python readers missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-rd-XXXXXX)
S=$T/store
R=$T/ro
W=$T/rw
F=$T/follow
mkdir -p "$R" "$W" "$F"
cleanup() {
	fusermount3 -u "$R" 2>/dev/null
	fusermount3 -u "$W" 2>/dev/null
	fusermount3 -u "$F" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
leases() { find "$S/readers" -type f ! -name '.*' 2>/dev/null | wc -l; }
# a daemon goes on after fusermount3 -u returns: wait (10 s at most) for
# its exit to take its lease
leases_become() {
	i=0
	while [ "$(leases)" -ne "$1" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	[ "$(leases)" -eq "$1" ]
}

$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$DATA/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:].filled(np.nan).astype('f4'))
"
check "import t2m" $CUBEFS import -q "$S" "$T/t2m.npy" --gop 16
check "export before the edit" $CUBEFS export "$S" t2m "$T/before.npy"
# R never looks for changes, F every second
check "mount ro" $MOUNT "$S" "$R" -o ro,refresh=0
check "mount rw" $MOUNT "$S" "$W"
check "mount ro, following" $MOUNT "$S" "$F" -o ro,refresh=1
check "each mount holds a lease" leases_become 3
check "the follower reads the old version" $PY -c "
import numpy as np
a = np.load('$F/t2m.npy'); b = np.load('$T/before.npy')
assert np.array_equal(a, b, equal_nan=True)
"

# an edit committed through the other mount: GOPs 0-12 replaced, so that
# their dead bytes hold whole 4 KiB blocks to punch
check "edit through the rw mount" $PY -c "
import numpy as np
a = np.load('$W/t2m.npy', mmap_mode='r+')
a[0:200] += 1.0
a.flush()
"
check "the rw mount serves the edit" $PY -c "
import numpy as np
a = np.load('$W/t2m.npy'); b = np.load('$T/before.npy')
assert abs(float(a[5].mean()) - float(b[5].mean()) - 1.0) < 0.05
"
check "the follower sees the edit" eventually $PY -c "
import numpy as np
a = np.load('$F/t2m.npy'); b = np.load('$T/before.npy')
assert abs(float(a[5].mean()) - float(b[5].mean()) - 1.0) < 0.05
assert np.array_equal(a[300], b[300], equal_nan=True)
"
# gc is a writer: it runs once the writer has gone
check "unmount rw" unmount_wait "$W" "$S"
check "its lease is gone" leases_become 2
$CUBEFS gc --dry-run "$S" >"$T/dry" 2>&1
check "gc --dry-run says what it keeps and for whom" \
	grep -q 'kept unreferenced packs and dead ranges: 1 mounted reader' "$T/dry"
$CUBEFS gc "$S" >"$T/gc1" 2>&1 || bad "gc with a reader behind"
check "gc keeps the old GOPs for the ro mount" grep -q 'punched 0 holes' "$T/gc1"
# the ro mount has read nothing yet: every byte comes from the packs now
check "the ro mount still reads its version after gc" \
	cmp -s "$R/t2m.npy" "$T/before.npy"

check "unmount ro" fusermount3 -u "$R"
check "its lease is gone too" leases_become 1
$CUBEFS gc "$S" >"$T/gc2" 2>&1 || bad "gc after the reader left"
if grep -Eq 'punched [1-9][0-9]* holes' "$T/gc2"; then ok; else
	bad "then gc frees the replaced GOPs"; cat "$T/gc2"; fi
check "check is clean" $CUBEFS check "$S"
check "the follower reads the edit after gc" $PY -c "
import numpy as np
a = np.load('$F/t2m.npy'); b = np.load('$T/before.npy')
assert a.shape == b.shape
assert abs(float(a[5].mean()) - float(b[5].mean()) - 1.0) < 0.05
assert abs(float(a[300].mean()) - float(b[300].mean())) < 0.05
"
# an import by another process shows in the follower without a remount
check "import while mounted" $CUBEFS import -q "$S" "$T/t2m.npy" --name again --gop 16
check "the follower lists the new dataset" eventually test -f "$F/again.npy"
check "and reads it" $PY -c "
import numpy as np
a = np.load('$F/again.npy'); b = np.load('$T/before.npy')
assert a.shape == b.shape
"
check "unmount the follower" fusermount3 -u "$F"
check "no lease left" leases_become 0

echo "readers: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
