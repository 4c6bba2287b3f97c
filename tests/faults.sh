#!/bin/sh
# SPDX-License-Identifier: MIT
# Faults: kill -9 of `cubefs import`, a full disk during a commit, a read-only store, SIGTERM with files open.
#
# (a) `cubefs import` killed with SIGKILL at CUBEFS_FAULT_ROUNDS (8) moments
#     drawn from CUBEFS_FAULT_SEED or CUBEFS_TEST_SEED (printed), and, with
#     strace (unless CUBEFS_FAULT_INJECT=0), at 7 exact points (the pack's
#     fsync, SQLite's syncs, the WAL's removal): after each kill `cubefs
#     check` exits 0 (it lists the dead import's pack file without a row as
#     a leftover, which `check --repair` removes once old enough), the
#     dataset imported before exports byte for byte, the killed one is
#     listed whole (verified) or not at all, and importing it again works.
# (b) a commit through the mount onto a full tmpfs: fsync says ENOSPC (and a
#     cp of a new file fails with it, nothing listed), the daemon stays up,
#     the store checks clean, nothing else moved, the file reads as written
#     before and after the kernel's cache is dropped, and once space is freed
#     the same journal commits.
# (c) a store on a read-only bind mount, or with an immutable catalog.db:
#     mounts read-only with a message, writes get EROFS, import says why.
# (d) SIGTERM to the daemon with a reader and an unsynced writer: it exits 0
#     (lazy unmount), no core, the store checks clean, both writes committed.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
ROUNDS=${CUBEFS_FAULT_ROUNDS:-8}
test_seed CUBEFS_FAULT_SEED
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-faults-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
DPID=
cleanup() {
	[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
	fusermount3 -u -z "$M" 2>/dev/null
	chattr -i "$S/catalog.db" 2>/dev/null
	umount "$T/ro" 2>/dev/null
	umount "$T/small" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
L=$DATA/landsat8_ny2018_p013r032_11band.npy
t0=$(date +%s)

# $1: store; prints what `cubefs check` reports when it exits non-zero
# (damage: leftovers such as a killed import's pack file do not count)
damage() {
	$CUBEFS check "$1" >"$T/check.out" 2>&1 || {
		echo "exit $?:"
		grep -v "^pack file '[0-9a-f-]*\.pack': no catalog row\|^pack '[0-9a-f-]*\.pack': no GOP or mask uses it" "$T/check.out"
	}
}
# $1: mount point; waits for the foreground daemon $DPID to serve it
wait_mount() {
	i=0
	while ! grep -qs " $1 " /proc/mounts; do
		i=$((i + 1))
		kill -0 "$DPID" 2>/dev/null && [ $i -le 500 ] || return 1
		sleep 0.02
	done
}

# (a) kill -9 during import ---------------------------------------------
$PY -c "
import numpy as np
z = np.linspace(0, 6, 32 * 48 * 48).reshape(32, 48, 48)
np.save('$T/cube.npy', (np.sin(z * 3) * 50 + np.cos(z * 7) * 20).astype('f4'))"
check "import base" $CUBEFS import -q "$S" "$L" --name base --lossless
$CUBEFS export "$S" base "$T/base.npy" || bad "export base"
check "lossless base equals its source" cmp -s "$T/base.npy" "$L"
ms() { $PY -c 'import time; print(int(time.time() * 1000))'; }
a=$(ms)
check "import of the cube" $CUBEFS import -q "$S" "$T/cube.npy" --name full --gop 8
dur=$(($(ms) - a))
INJECT=
if command -v strace >/dev/null && [ "${CUBEFS_FAULT_INJECT:-1}" = 1 ]; then
	# the pack's fsync, its directory's, the WAL's first sync, the commit's
	# two, the checkpoint's, the WAL's removal
	INJECT="fsync:1 fsync:2 fdatasync:1 fdatasync:3 fdatasync:4 fdatasync:5 unlink:1"
fi
SPECS=$($PY -c "
import random
g = random.Random($SEED)
print(' '.join(['kill:%d' % g.randint(0, $dur) for _ in range($ROUNDS)] + '$INJECT'.split()))")
echo "faults: seed $SEED (rerun with CUBEFS_TEST_SEED=$SEED), import takes $dur ms"
r=0 kills=0 whole=0 absent=0 gone= listed=
for spec in $SPECS; do
	name=k$r
	case $spec in
	kill:*)
		$CUBEFS import -q "$S" "$T/cube.npy" --name $name --gop 8 2>/dev/null &
		pid=$!
		sleep "$(printf '%d.%03d' $((${spec#kill:} / 1000)) $((${spec#kill:} % 1000)))"
		kill -9 $pid 2>/dev/null && kills=$((kills + 1))
		wait $pid 2>/dev/null ;;
	*)
		sc=${spec%%:*} n=${spec#*:}
		strace -f -qq -o /dev/null -e trace="$sc" \
			-e inject="$sc:signal=SIGKILL:when=$n" \
			$CUBEFS import -q "$S" "$T/cube.npy" --name $name --gop 8 2>/dev/null
		[ $? -ge 128 ] && kills=$((kills + 1)) ;;
	esac
	# side by side: the export of base and the listing, while check runs
	rm -f "$T/same"
	( $CUBEFS export "$S" base - 2>/dev/null | cmp -s - "$T/base.npy" &&
	  echo same >"$T/same" ) &
	$CUBEFS ls "$S" >"$T/ls" &
	d=$(damage "$S")
	wait
	check "round $r ($spec): no damage${d:+: $d}" test -z "$d"
	check "round $r: base exports the same" test -e "$T/same"
	# listed: whole (check loaded its rows and read its GOPs), verified
	# at the end; else nothing of it is seen
	if grep -q "^$name " "$T/ls"; then
		whole=$((whole + 1)) listed="$listed $name"
	else
		absent=$((absent + 1)) gone=${gone:-$name}
	fi
	r=$((r + 1))
done
echo "faults: (a) $r imports, $kills of them killed (the others had finished);" \
	"afterwards $whole listed whole, $absent absent"
for name in $listed; do
	check "$name, listed after its kill, verifies" sh -c "$CUBEFS verify '$S' $name '$T/cube.npy' | grep -q PSNR"
done
if [ -n "$gone" ]; then
	check "re-import of $gone after its kill" $CUBEFS import -q "$S" "$T/cube.npy" --name $gone --gop 8
	check "re-imported $gone verifies" sh -c "$CUBEFS verify '$S' $gone '$T/cube.npy' | grep -q PSNR"
fi
norph=$(ls "$S/packs" | wc -l)
find "$S/packs" -type f -exec touch -d '-2 hours' {} +
check "check --repair removes the dead imports' packs: exit 0" sh -c "$CUBEFS check --repair '$S' >'$T/repair.out'"
check "then check exits 0" sh -c "$CUBEFS check '$S' >/dev/null"
echo "faults: pack files $norph before repair, $(ls "$S/packs" | wc -l) after"
check "base still exports the same" sh -c "$CUBEFS export '$S' base - | cmp -s - '$T/base.npy'"

echo "faults: (a) done, $(( $(date +%s) - t0 )) s"

# (b) a full disk during a commit through the mount -----------------------
if mkdir "$T/small" && mount -t tmpfs -o size=2m tmpfs "$T/small" 2>/dev/null; then
	SS=$T/small/s
	check "import into a small store" $CUBEFS import -q "$SS" "$L" --name l --lossless
	$MOUNT "$SS" "$M" -f 2>"$T/enospc.err" &
	DPID=$!
	wait_mount "$M" || bad "mount of the small store"
	avail=$(df -k --output=avail "$T/small" | tail -n 1)
	fallocate -l $(( (avail - 24) * 1024 )) "$T/small/filler" || bad "fill the tmpfs"
	check "commit onto a full disk: ENOSPC, nothing lost" $PY - "$M" "$L" <<'PY'
import errno, os, sys, numpy as np
m, l = sys.argv[1:3]
src = np.load(l)
p = f"{m}/l.npy"
off = np.load(p, mmap_mode="r").offset
fd = os.open(p, os.O_RDWR)
os.pwrite(fd, np.full(77 * 76, 7, "<u2").tobytes(), off + 77 * 76 * 2 * 3)
try:
    os.fsync(fd)
    raise SystemExit("fsync succeeded on a full disk")
except OSError as e:
    assert e.errno == errno.ENOSPC, e
os.close(fd)
want = src.copy(); want[0, 3] = 7
for when in ("after the failed commit", "after dropping the kernel's cache"):
    a = np.load(p)
    assert np.array_equal(a, want), (when, int((a != want).sum()))
    open("/proc/sys/vm/drop_caches", "w").write("3")
PY
	check "cp of a new file onto the full disk fails" sh -c "! cp '$T/cube.npy' '$M/n.npy' 2>'$T/cp.err'"
	check "cp says ENOSPC" grep -q 'No space left on device' "$T/cp.err"
	# as on any full disk, cp leaves what it wrote: kept, pending
	check "the partial new file is kept, not imported" sh -c \
		"ls '$M' | grep -qx 'n\.npy' && ! ls '$M' | grep -qx 'n\.nc'"
	check "the daemon stays up" kill -0 "$DPID"
	check "the daemon said ENOSPC" grep -q 'No space left on device' "$T/enospc.err"
	d=$(damage "$SS")
	check "small store: no damage${d:+: $d}" test -z "$d"
	check "old data exports unchanged" sh -c "$CUBEFS export '$SS' l - | cmp -s - '$L'"
	rm -f "$T/small/filler"
	check "space freed: the kept journal commits" $PY - "$M" "$L" <<'PY'
import os, sys, numpy as np
m, l = sys.argv[1:3]
p = f"{m}/l.npy"
off = np.load(p, mmap_mode="r").offset
fd = os.open(p, os.O_RDWR)
os.pwrite(fd, np.full(77 * 76, 9, "<u2").tobytes(), off + 77 * 76 * 2 * (11 * 2 + 5))
os.fsync(fd)
os.close(fd)
want = np.load(l); want[0, 3] = 7; want[2, 5] = 9
assert np.array_equal(np.load(p), want)
PY
	check "rm of the partial file" rm "$M/n.npy"
	fusermount3 -u "$M"; wait "$DPID"; DPID=
	check "staging empty after the retry" test -z "$(ls "$SS/staging")"
	$CUBEFS export "$SS" l "$T/l2.npy"
	check "both writes committed" $PY -c "
import numpy as np
want = np.load('$L'); want[0, 3] = 7; want[2, 5] = 9
assert np.array_equal(np.load('$T/l2.npy'), want)"
	check "small store: gc, then check exits 0" sh -c "$CUBEFS gc '$SS' >/dev/null && $CUBEFS check '$SS' >/dev/null"
	echo "faults: (b) done, $(( $(date +%s) - t0 )) s"
	umount "$T/small"
else
	echo "note: cannot mount a tmpfs here; full-disk case not run"
fi

# (c) a read-only store ----------------------------------------------------
if mkdir "$T/ro" && mount --bind "$S" "$T/ro" 2>/dev/null &&
   mount -o remount,bind,ro "$T/ro" 2>/dev/null; then
	check "mount of a read-only store" sh -c "$MOUNT '$T/ro' '$M' 2>'$T/ro.err'"
	check "it says read-only" grep -q "not writable: mounting read-only" "$T/ro.err"
	check "mounted ro" sh -c "grep ' $M ' /proc/self/mountinfo | grep -q ' ro,'"
	check "writes refused with EROFS" $PY - "$M" <<'PY'
import errno, os, sys
m = sys.argv[1]
for how in (lambda: os.open(f"{m}/base.npy", os.O_RDWR),
            lambda: os.open(f"{m}/new.npy", os.O_CREAT | os.O_WRONLY, 0o644),
            lambda: os.unlink(f"{m}/base.npy")):
    try:
        how()
        raise SystemExit("a write went through")
    except OSError as e:
        assert e.errno == errno.EROFS, e
PY
	check "reads from a read-only store" sh -c "cmp -s '$M/base.npy' '$T/base.npy'"
	fusermount3 -u "$M"
	umount "$T/ro"
else
	echo "note: cannot bind-mount read-only here; read-only case not run"
fi
# an immutable catalog.db in a writable directory: SQLite opens it
# read-only without a word; the mount must say so and be read-only
if chattr +i "$S/catalog.db" 2>/dev/null; then
	check "mount with an immutable catalog" sh -c "$MOUNT '$S' '$M' 2>'$T/ro.err'"
	check "it says read-only" grep -q "not writable.*mounting read-only" "$T/ro.err"
	check "mounted ro" sh -c "grep ' $M ' /proc/self/mountinfo | grep -q ' ro,'"
	fusermount3 -u "$M"
	check "import into it refused, saying why" sh -c "! $CUBEFS import -q '$S' '$L' --name z 2>'$T/imp.err' && grep -q 'cannot write store' '$T/imp.err'"
	chattr -i "$S/catalog.db"
else
	echo "note: no chattr +i here; immutable catalog case not run"
fi

# (d) SIGTERM with files open --------------------------------------------
$MOUNT "$S" "$M" -f 2>"$T/term.err" &
DPID=$!
wait_mount "$M" || bad "mount for SIGTERM"
$PY - "$M" "$T" <<'PY' &
import os, sys, time, numpy as np
m, t = sys.argv[1:3]
p = f"{m}/base.npy"
off = np.load(p, mmap_mode="r").offset
r = os.open(p, os.O_RDONLY)
os.pread(r, 4096, 0)
w = os.open(p, os.O_RDWR)
os.pwrite(w, np.full(77 * 76, 11, "<u2").tobytes(), off + 77 * 76 * 2 * 1)
os.fsync(w)                          # committed
os.pwrite(w, np.full(77 * 76, 12, "<u2").tobytes(), off + 77 * 76 * 2 * 2)
open(f"{t}/held", "w").close()       # unsynced, both handles open
time.sleep(30)
PY
HPID=$!
i=0; while [ ! -e "$T/held" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.02; done
check "files held open" test -e "$T/held"
kill -TERM "$DPID"
wait "$DPID"; rc=$?
DPID=
check "SIGTERM: the daemon exits 0 (exit $rc)" test "$rc" = 0
check "SIGTERM: unmounted" sh -c "! grep -qs ' $M ' /proc/mounts"
check "SIGTERM: no crash in the log" sh -c "! grep -qi 'segmentation\|abort\|assert' '$T/term.err'"
kill "$HPID" 2>/dev/null; wait "$HPID" 2>/dev/null
d=$(damage "$S")
check "after SIGTERM: no damage${d:+: $d}" test -z "$d"
$CUBEFS export "$S" base "$T/after.npy"
check "after SIGTERM: both writes committed, nothing else moved" $PY -c "
import numpy as np
a = np.load('$T/after.npy'); b = np.load('$T/base.npy')
assert (a[0, 1] == 11).all()
assert (a[0, 2] == 12).all()        # committed at the unmount
a[0, 1] = b[0, 1]; a[0, 2] = b[0, 2]
assert np.array_equal(a, b)"
check "remount after SIGTERM" $MOUNT "$S" "$M"
check "the unsynced write is there after the remount" $PY -c "
import numpy as np
a = np.load('$M/base.npy')
assert (a[0, 1] == 11).all() and (a[0, 2] == 12).all()"
fusermount3 -u "$M"

echo "faults: $pass passed, $fails failed, $(( $(date +%s) - t0 )) s"
[ "$fails" = 0 ]
