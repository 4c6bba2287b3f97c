#!/bin/sh
# SPDX-License-Identifier: MIT
# One writer at a time: the store's write lock between real mounts and commands, and the mount points refused.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
T=$(mktemp -d /tmp/cubefs-writer-XXXXXX)
S=$T/store M=$T/m1 M2=$T/m2
mkdir -p "$M" "$M2"
cleanup() {
	for m in "$M" "$M2" "$S/sub" "$S"; do
		grep -q " $m " /proc/mounts && fusermount3 -u -z "$m"
	done
	rm -rf "$T"
}
trap cleanup EXIT
E=$DATA/era5_t2m_uk_2019-03.nc
L=$DATA/landsat8_ny2018_p013r032_11band.npy
HOST=$(hostname)

# refused DESC TEXT CMD...: CMD fails and says TEXT on stderr
refused() {
	d=$1 w=$2; shift 2
	if "$@" >/dev/null 2>"$T/err"; then bad "$d: not refused"
	elif grep -qF -- "$w" "$T/err"; then ok
	else bad "$d: said: $(cat "$T/err")"; fi
}
mounted() { grep -q " $1 " /proc/mounts; }
quiet() { "$@" >/dev/null; }
# what a writer would change: the datasets and the pack files
state() { $CUBEFS ls "$S" && ls -l "$S/packs"; }

check "import" $CUBEFS import -q "$S" "$E" --name era5 --crf 30

# a read-write mount holds the lock, named after its daemon
check "read-write mount" $MOUNT "$S" "$M"
# the daemon names itself after its fork, which mount.cubefs's parent does
# not wait for: wait (10 s at most) for its name
daemon_named() {
	pid=$(cut -d' ' -f2 "$S/lock" 2>/dev/null)
	[ -n "$pid" ] && [ "$(ps -o comm= -p "$pid")" = mount.cubefs ]
}
i=0
until daemon_named || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the lock names the mount's daemon" daemon_named
HOLDER="is locked for writing by $HOST:$pid since "
refused "a second read-write mount" "$HOLDER" $MOUNT "$S" "$M2"
check "the second mount is not there" sh -c "! grep -q ' $M2 ' /proc/mounts"
state >"$T/before"
refused "import while a mount writes" "$HOLDER" \
	$CUBEFS import -q "$S" "$L" --name l --lossless
refused "gc while a mount writes" "$HOLDER" $CUBEFS gc "$S"
refused "check --repair while a mount writes" "$HOLDER" \
	$CUBEFS check --repair "$S"
state >"$T/after"
check "the refused writers changed nothing" cmp -s "$T/before" "$T/after"
check "readers go on: ls" quiet $CUBEFS ls "$S"
check "readers go on: check" quiet $CUBEFS check "$S"
check "readers go on: gc --dry-run" quiet $CUBEFS gc --dry-run "$S"
check "a read-only mount beside the writer" $MOUNT "$S" "$M2" -o ro
check "it reads" cmp -s "$M/era5.nc" "$M2/era5.nc"
fusermount3 -u "$M2"
# the refused writers closed their catalog connections: the daemon's own
# (opened again after its fork) still keeps the WAL alive, so what it
# commits now reaches other processes before it unmounts
check "the daemon's WAL survives the refused writers" sh -c \
	"! ls -l /proc/$pid/fd 2>/dev/null | grep -q 'catalog.db-wal (deleted)'"
check "an edit after them" $PY -c "
import os, numpy as np
a = np.load('$M/era5/t2m.npy', mmap_mode='r+')
a[0:4] += 1.0
a.flush()
del a
fd = os.open('$M/era5/t2m.npy', os.O_RDONLY)
os.fsync(fd)
os.close(fd)
"
$CUBEFS export "$S" era5/t2m "$T/t2m.npy" 2>/dev/null
check "reaches a reader while the writer lives" cmp -s "$T/t2m.npy" "$M/era5/t2m.npy"

# mount points that loop or stack (read-only: the lock is not the reason)
mkdir "$S/sub"
refused "the store on itself" "on itself" $MOUNT "$S" "$S/" -o ro
refused "the store inside itself" "inside itself" \
	$MOUNT "$S" "$S/sub" -o ro
refused "a mount point that holds a cubefs mount" \
	"already holds a cubefs mount" $MOUNT "$S" "$M" -o ro
check "nothing mounted on the store" sh -c "! grep -q ' $S ' /proc/mounts &&
	! grep -q ' $S/sub ' /proc/mounts"
rmdir "$S/sub"
check "the first mount still serves" test -s "$M/era5.nc"

# a read-only mount takes no lock: the writers work beside it
check "unmount the writer" unmount_wait "$M" "$S"
check "read-only mount" $MOUNT "$S" "$M" -o ro
check "import beside a read-only mount" \
	$CUBEFS import -q "$S" "$L" --name l --lossless
check "gc beside a read-only mount" quiet $CUBEFS gc "$S"
check "check --repair beside a read-only mount" \
	quiet $CUBEFS check --repair "$S"
check "a second read-only mount" $MOUNT "$S" "$M2" -o ro
fusermount3 -u "$M2"
fusermount3 -u "$M"

# a writer that dies leaves the store unlocked: its text names a dead pid
$MOUNT "$S" "$M" -f 2>/dev/null &
dpid=$!
i=0
while ! mounted "$M" && kill -0 "$dpid" 2>/dev/null && [ $i -lt 500 ]; do
	i=$((i + 1)); sleep 0.02
done
check "a foreground writer mounts" mounted "$M"
kill -9 "$dpid"; wait "$dpid" 2>/dev/null
fusermount3 -u -z "$M"
check "import after the writer was killed" \
	$CUBEFS import -q "$S" "$E" --name era5b --crf 30

# after unmounting, everything works again
check "read-write mount again" $MOUNT "$S" "$M"
check "both datasets served" test -s "$M/l.npy" -a -s "$M/era5b.nc"
check "unmount" unmount_wait "$M" "$S"
check "import after unmount" $CUBEFS import -q "$S" "$E" --name era5c --crf 30
check "gc after unmount" quiet $CUBEFS gc "$S"
check "check --repair after unmount" quiet $CUBEFS check --repair "$S"
check "the lock file names nobody" test ! -s "$S/lock"

echo "writer: $pass passed, $fails failed"
[ "$fails" = 0 ]
