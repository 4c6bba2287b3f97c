#!/bin/sh
# SPDX-License-Identifier: MIT
# Concurrency through a mount: four readers, the read-ahead thread and a writer's commit at once; under ./configure --enable-tsan, no ThreadSanitizer report.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
SRCDIR=${CUBEFS_TEST_SRCDIR:-.}
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-tsan-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
pid=
cleanup() {
	fusermount3 -u "$M" 2>/dev/null
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
if [ "${CUBEFS_TSAN:-no}" = yes ]; then
	# every process writes its reports to $T/tsan.<pid>
	TSAN_OPTIONS="log_path=$T/tsan suppressions=$SRCDIR/tests/tsan.supp second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
	export TSAN_OPTIONS
fi

L=$DATA/landsat8_ny2018_p013r032_11band.npy
# short GOPs: many decodes, and read-ahead past each
check "import lossy" $CUBEFS import -q "$S" "$L" --name a --gop 2
check "import lossless" $CUBEFS import -q "$S" "$L" --name b --gop 2 --lossless
for n in a b; do check "export $n" $CUBEFS export "$S" $n "$T/$n.exp.npy"; done
# the daemon in the foreground, so that its reports are written at exit
$MOUNT "$S" "$M" -f -o cache_size=4M &
pid=$!
n=0
while [ $n -lt 200 ] && ! grep -q " $M fuse" /proc/mounts; do sleep 0.1; n=$((n + 1)); done
check "mounted" grep -q " $M fuse" /proc/mounts

# readers: whole files twice over (one cache of 4M for both), and
# numpy's memory map at scattered frames; a writer commits meanwhile
( cmp -s "$M/a.npy" "$T/a.exp.npy" && echo ok >"$T/r1" ) &
readers=$!
( cmp -s "$M/a.npy" "$T/a.exp.npy" && echo ok >"$T/r2" ) &
readers="$readers $!"
( dd if="$M/b.npy" of="$T/b.dd" bs=1M 2>/dev/null && echo ok >"$T/r3" ) &
readers="$readers $!"
$PY - "$M" "$T" >"$T/r4.log" 2>&1 <<'PY' &
import sys, numpy as np
m, t = sys.argv[1:3]
a = np.load(f"{m}/a.npy", mmap_mode="r")
e = np.load(f"{t}/a.exp.npy")
for i in (7, 0, 5, 2, 6, 1):
    assert np.array_equal(np.asarray(a[i]), e[i]), i
open(f"{t}/r4", "w").write("ok")
PY
readers="$readers $!"
$PY - "$M" >"$T/w.log" 2>&1 <<'PY' &
import sys, os, numpy as np
m = sys.argv[1]
b = np.load(f"{m}/b.npy", mmap_mode="r")
off, frame = b.offset, b[0].size
del b
fd = os.open(f"{m}/b.npy", os.O_WRONLY)
os.pwrite(fd, np.arange(100, dtype="<u2").tobytes(), off + 2 * 3 * frame)
os.close(fd)        # the last handle: the commit runs now
PY
wpid=$!
wait "$wpid"
check "writer" test $? -eq 0
wait $readers
for r in r1 r2 r3 r4; do check "reader $r" test -f "$T/$r"; done
[ -f "$T/r4" ] || cat "$T/r4.log"
# the write landed: frame 3 of b starts with 0..99, the rest is as it was
check "the write is read back" $PY - "$M" "$T" <<'PY'
import sys, numpy as np
m, t = sys.argv[1:3]
b = np.load(f"{m}/b.npy"); e = np.load(f"{t}/b.exp.npy")
f = e.reshape(e.shape[0], -1).copy(); f[3, :100] = np.arange(100)
assert np.array_equal(b.reshape(b.shape[0], -1), f)
PY
check "unmount" fusermount3 -u "$M"
wait "$pid"
check "daemon exits 0" test $? -eq 0
pid=
if [ "${CUBEFS_TSAN:-no}" = yes ]; then
	if ls "$T"/tsan.* >/dev/null 2>&1; then
		bad "ThreadSanitizer reports:"
		cat "$T"/tsan.*
	else
		ok
		echo "ThreadSanitizer: no report from mount.cubefs or cubefs"
	fi
fi
echo "tsan: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
