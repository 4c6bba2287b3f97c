#!/bin/sh
# SPDX-License-Identifier: MIT
# Edits as patch GOPs: untouched frames stay bit for bit, 20 edits change nothing else, compaction (by hand and past the threshold) keeps the quality, check and gc with patches.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy, netCDF4' 2>/dev/null || { echo "SKIP: python numpy or netCDF4 missing"; exit 77; }
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-patch-XXXXXX)
M=$T/mnt
R=$T/ro
S=$T/store
mkdir -p "$M" "$R"
cleanup() { fusermount3 -u "$M" 2>/dev/null; fusermount3 -u "$R" 2>/dev/null
	    rm -rf "$T"; }
trap cleanup EXIT
remount() { unmount_wait "$M" "$S" && $MOUNT "$S" "$M" "$@"; }
patches() { sqlite3 "$S/catalog.db" "SELECT count(*) FROM gop g JOIN stream s ON s.id = g.stream_id WHERE s.base_id IS NOT NULL"; }

# one long GOP of 120 ERA5 frames, lossy
$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$DATA/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:120].filled(np.nan).astype('f4'))
"
check "import" $CUBEFS import -q "$S" "$T/t2m.npy" --gop 120
check "mount" $MOUNT "$S" "$M"
$PY -c "import numpy as np; np.save('$T/served0.npy', np.load('$M/t2m.npy'))"

# quality of the import, per frame against the source: the bound the
# edited frames and compaction are held to (RMS and max error, 1.5 times
# the import's worst frame)
cat > "$T/q.py" <<PY
import numpy as np
def frame_err(a, b):
    d = (a.astype("f8") - b.astype("f8")).reshape(len(a), -1)
    return np.sqrt((d ** 2).mean(1)), np.abs(d).max(1)
src = np.load("$T/t2m.npy")
rms0, max0 = frame_err(np.load("$T/served0.npy"), src)
LIM_RMS, LIM_MAX = 1.5 * rms0.max(), 1.5 * max0.max()
PY

# 1. one edit of frame 50: the other 119 frames of its GOP byte-identical,
#    the edited one within the import's quality; after remount too
cat > "$T/edit.py" <<'PY'
import os, sys, numpy as np
m, t, k, prior = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
exec(open(f"{t}/q.py").read())
p = f"{m}/t2m.npy"
before = np.load(p)
for i in range(k):
    a = np.load(p, mmap_mode="r+")
    a[50] += 1.0
    a.flush()
    del a
    fd = os.open(p, os.O_RDONLY)
    os.fsync(fd)            # waits for the commit
    os.close(fd)
    now = np.load(p)
    o = np.ones(len(now), bool)
    o[50] = False
    assert np.array_equal(now[o], before[o]), f"edit {i}: other frames moved"
# what the store serves now (the mount's page cache may hold the bytes as
# written until the commit's invalidation reaches the kernel)
import subprocess
subprocess.run([sys.argv[5], "export", f"{t}/store", "t2m", f"{t}/served1.npy"],
               check=True)
now = np.load(f"{t}/served1.npy")
assert np.array_equal(now[o], np.load(f"{t}/served0.npy")[o])
want = src.copy()
want[50] += prior + k
r, mx = frame_err(now[50:51], want[50:51])
print("edited frame: rms %.3f max %.3f, limits %.3f %.3f" % (r[0], mx[0], LIM_RMS, LIM_MAX))
assert r[0] <= LIM_RMS and mx[0] <= LIM_MAX, (r, mx, LIM_RMS, LIM_MAX)
PY
check "one edit leaves the other frames alone" \
	$PY "$T/edit.py" "$M" "$T" 1 0 "$CUBEFS"
check "one patch GOP" test "$(patches)" = 1
check "remount" remount
check "the same after remount" $PY -c "
import numpy as np
assert np.array_equal(np.load('$M/t2m.npy'), np.load('$T/served1.npy'))"

# 2. 20 more edits of the same frame: the other frames never move, and the
#    patches they replace are dropped (one left)
check "20 edits of one frame" \
	$PY "$T/edit.py" "$M" "$T" 20 1 "$CUBEFS"
check "still one patch GOP" test "$(patches)" = 1

# 3. gc with patches: a read-only mount of the old generation keeps the
#    replaced patch's bytes; once it is gone they are freed
check "ro mount of this generation" $MOUNT "$S" "$R" -o ro,refresh=0
check "edit again" $PY -c "
import os, numpy as np
a = np.load('$M/t2m.npy', mmap_mode='r+'); a[50] -= 21; a.flush(); del a
fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)"
unmount_wait "$M" "$S"
out=$($CUBEFS gc "$S" 2>&1)
check "gc keeps what the old mount reads" \
	sh -c "echo '$out' | grep -q 'removed 0 unreferenced packs'"
check "old mount reads its patch" $PY -c "
import numpy as np
a = np.load('$R/t2m.npy'); s = np.load('$T/served0.npy')
assert abs((a[50] - s[50]).mean() - 21) < 0.5
assert np.array_equal(np.delete(a, 50, 0), np.delete(s, 50, 0))"
fusermount3 -u "$R"
sleep 1
out=$($CUBEFS gc "$S" 2>&1)
check "gc frees the replaced patches" \
	sh -c "! echo '$out' | grep -q 'removed 0 unreferenced packs'"
check "check is clean with patches" $CUBEFS check "$S"

# 4. cubefs compact: patches gone, every frame within the import's quality
check "mount" $MOUNT "$S" "$M"
check "edits of 5 frames" $PY -c "
import os, numpy as np
for f in (5, 30, 31, 70, 100):
    a = np.load('$M/t2m.npy', mmap_mode='r+'); a[f] += 0.5; a.flush(); del a
    fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)
np.save('$T/served2.npy', np.load('$M/t2m.npy'))"
check "six patch GOPs" test "$(patches)" = 6
unmount_wait "$M" "$S"
check "compact" sh -c "$CUBEFS compact '$S' | grep -q '6 patch GOPs compacted'"
check "no patches left" test "$(patches)" = 0
check "compact again: nothing" sh -c "$CUBEFS compact '$S' t2m | grep -q 'no patches'"
check "compact of an unknown dataset fails" sh -c "! $CUBEFS compact '$S' nope 2>/dev/null"
check "compacted frames within the import's quality" $PY - "$T" "$CUBEFS" <<'PY'
import sys, subprocess, numpy as np
t = sys.argv[1]
exec(open(f"{t}/q.py").read())
want = src.copy()
# frame 50: + 1, + 20, - 21
for f in (5, 30, 31, 70, 100):
    want[f] += 0.5
import os
subprocess.run([sys.argv[2], "export", f"{t}/store", "t2m", f"{t}/c.npy"], check=True)
r, mx = frame_err(np.load(f"{t}/c.npy"), want)
print("compacted: worst frame rms %.3f max %.3f, limits %.3f %.3f" % (r.max(), mx.max(), LIM_RMS, LIM_MAX))
assert r.max() <= LIM_RMS and mx.max() <= LIM_MAX, (r.max(), mx.max(), LIM_RMS, LIM_MAX)
PY
check "check after compact" $CUBEFS check "$S"

# 5. past -o compact_after=3 a commit compacts by itself
check "mount compact_after=3" $MOUNT "$S" "$M" -o compact_after=3
check "edits of 4 frames" $PY -c "
import os, numpy as np
for f in (10, 40, 80):
    a = np.load('$M/t2m.npy', mmap_mode='r+'); a[f] += 0.5; a.flush(); del a
    fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)
open('$T/n3', 'w').write(str(len(__import__('glob').glob('$S/packs/*'))))
"
check "three patch GOPs" test "$(patches)" = 3
check "fourth edit" $PY -c "
import os, numpy as np
a = np.load('$M/t2m.npy', mmap_mode='r+'); a[90] += 0.5; a.flush(); del a
fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)"
check "compacted by the commit" test "$(patches)" = 0

# 6. a write of every frame of a GOP re-encodes it whole and drops its patches
check "one more patch" $PY -c "
import os, numpy as np
a = np.load('$M/t2m.npy', mmap_mode='r+'); a[7] += 0.5; a.flush(); del a
fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)"
check "one patch GOP again" test "$(patches)" = 1
check "write of every frame" $PY -c "
import os, numpy as np
b = np.load('$M/t2m.npy')
a = np.load('$M/t2m.npy', mmap_mode='r+'); a[:] += 0.25; a.flush(); del a
fd = os.open('$M/t2m.npy', os.O_RDONLY); os.fsync(fd); os.close(fd)
d = np.load('$M/t2m.npy').astype('f8') - b - 0.25
assert np.sqrt((d ** 2).mean()) < 0.2, np.sqrt((d ** 2).mean())"
check "no patch over a GOP written whole" test "$(patches)" = 0
check "invalid compact_after refused" sh -c "! $MOUNT '$S' '$R' -o compact_after=x 2>/dev/null"
unmount_wait "$M" "$S"
check "check at the end" $CUBEFS check "$S"

echo "patch: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
