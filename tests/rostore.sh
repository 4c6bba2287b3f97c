#!/bin/sh
# SPDX-License-Identifier: MIT
# A store on a read-only place: every reading command and a read-only mount work, and nothing is created there.
#
# (a) a read-only bind mount of a store a writer closed (catalog.db alone):
#     ls, info, export, verify, check and a mount read through numpy work,
#     the directory lists as before (hidden files too), a read-write mount
#     falls back to read-only and says so, `check --repair` and import are
#     refused.
# (b) a copy the user cannot write (chmod -R a-w, run as nobody, where
#     setpriv can switch to it): the same commands, and the mount where
#     FUSE lets nobody mount.
# (c) a live writer elsewhere (a reader holds an old snapshot, so that the
#     WAL keeps a commit): the read-only bind reads it through the -wal and
#     -shm there; a copy of catalog.db and its -wal without the -shm is
#     refused with a message naming catalog.db-wal.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-rostore-XXXXXX)
S=$T/store
R=$T/ro
M=$T/mnt
HPID=
cleanup() {
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null
	for m in "$M" "$T/nmnt"; do
		fusermount3 -u -z "$m" 2>/dev/null
	done
	for m in "$R" "$T/ro2"; do
		umount "$m" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# a copy of the source beside the stores: nobody (below) must read it, and
# the tree the test runs from may be closed to other users
L=$T/landsat8.npy
cp "$DATA/landsat8_ny2018_p013r032_11band.npy" "$L" && chmod 644 "$L" ||
	{ echo "FAIL: copy of the sample"; exit 1; }
mkdir -p "$R" "$M"

$CUBEFS import -q "$S" "$L" --name base --lossless || { echo "FAIL: import"; exit 1; }
check "a writer's close leaves no WAL content" \
	sh -c "! test -s '$S/catalog.db-wal'"
if ! mount --bind "$S" "$R" 2>/dev/null ||
   ! mount -o remount,bind,ro "$R" 2>/dev/null; then
	umount "$R" 2>/dev/null
	echo "SKIP: bind mounts not permitted here"
	exit 77
fi

# listing $1: every entry of the store, hidden ones too, with sizes and
# times (not its parent's, where the test writes)
listing() {
	ls -laR --time-style=full-iso "$1" | grep -v '^total \| \.\.$'
}

# readers STORE MOUNTPOINT [RUN...]: the reading commands on STORE and,
# unless MOUNTPOINT is "", a read of a read-only mount, each run through
# RUN (a user switch) if given
readers() {
	st=$1 mp=$2
	shift 2
	check "ls ($st)" sh -c "$* $CUBEFS ls '$st' | grep -q '^base '"
	check "info ($st)" sh -c "$* $CUBEFS info '$st' base | grep -q 'dataset base'"
	check "export ($st)" sh -c "$* $CUBEFS export '$st' base - | cmp -s - '$L'"
	check "verify ($st)" sh -c "$* $CUBEFS verify '$st' base '$L' >/dev/null"
	check "check ($st)" sh -c "$* $CUBEFS check '$st' >/dev/null"
	check "gc --dry-run ($st)" sh -c "$* $CUBEFS gc --dry-run '$st' >/dev/null"
	[ -n "$mp" ] || return 0
	if sh -c "$* $MOUNT -o ro '$st' '$mp' 2>'$T/mount.err'"; then
		check "numpy reads the mount ($st)" sh -c "$* $PY -c \"
import numpy as np, sys
a = np.load('$mp/base.npy')
b = np.load('$L')
sys.exit(0 if a.dtype == b.dtype and (a == b).all() else 1)\""
		fusermount3 -u "$mp"
	else
		bad "mount -o ro of $st: $(cat "$T/mount.err")"
	fi
}

# (a) a read-only bind mount -------------------------------------------
before=$(listing "$R")
readers "$R" "$M"
check "a read-write mount there falls back to read-only, saying so" \
	sh -c "$MOUNT '$R' '$M' 2>'$T/rw.err' &&
	grep -q 'not writable: mounting read-only' '$T/rw.err' &&
	grep ' $M ' /proc/self/mountinfo | grep -q ' ro,'"
check "and serves the data" sh -c "cmp -s '$M/base.npy' '$L'"
fusermount3 -u "$M" 2>/dev/null
check "check --repair refused" sh -c "! $CUBEFS check --repair '$R' >/dev/null 2>&1"
check "import refused, saying why" sh -c "! $CUBEFS import -q '$R' '$L' --name z 2>'$T/imp.err' && grep -q 'cannot write store' '$T/imp.err'"
check "the read-only store lists as before" test "$(listing "$R")" = "$before"

# (b) a store this user cannot write -----------------------------------
if setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
	AS="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	N=$T/nobody
	chmod 755 "$T"
	mkdir "$N" "$T/nmnt"
	cp -a "$S" "$N/store"
	rm -f "$N/store"/catalog.db-*
	chown -R nobody:nogroup "$N" "$T/nmnt"
	chmod -R a-w "$N/store"
	before=$(listing "$N/store")
	check "nobody cannot write it" sh -c "! $AS touch '$N/store/x' 2>/dev/null"
	# FUSE may not let nobody mount (/dev/fuse root's only, no
	# fusermount3): then the commands alone
	nm="$T/nmnt"
	if $AS $MOUNT -o ro "$N/store" "$nm" 2>/dev/null; then
		fusermount3 -u "$nm"
	else
		echo "note: nobody cannot mount FUSE here; its mount not run"
		nm=
	fi
	readers "$N/store" "$nm" "$AS"
	check "nobody's read-only store lists as before" \
		test "$(listing "$N/store")" = "$before"
else
	echo "note: cannot switch to nobody here; non-root case not run"
fi

# (c) a live writer elsewhere ------------------------------------------
umount "$R"
$PY - "$S" "$T" <<'PY' &
import os, sqlite3, sys, time
s, t = sys.argv[1:3]
c = sqlite3.connect(f"{s}/catalog.db", isolation_level=None)
c.execute("BEGIN")
c.execute("SELECT count(*) FROM dataset").fetchone()
open(f"{t}/held", "w").close()       # an old snapshot, held
time.sleep(60)
PY
HPID=$!
i=0; while [ ! -e "$T/held" ] && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.02; done
check "import beside a held snapshot" $CUBEFS import -q "$S" "$L" --name second --lossless
check "the WAL keeps the commit" test -s "$S/catalog.db-wal"
mkdir "$T/copy" "$T/ro2"
cp "$S/catalog.db" "$S/catalog.db-wal" "$T/copy/"
mount --bind "$S" "$R" && mount -o remount,bind,ro "$R"
before=$(listing "$R")
check "the read-only bind reads the commit in the WAL" \
	sh -c "$CUBEFS ls '$R' | grep -q '^second '"
check "and exports it" sh -c "$CUBEFS export '$R' second - | cmp -s - '$L'"
check "the live store lists as before" test "$(listing "$R")" = "$before"
umount "$R"
mount --bind "$T/copy" "$T/ro2" && mount -o remount,bind,ro "$T/ro2"
check "a WAL without its -shm is refused, naming it" \
	sh -c "! $CUBEFS ls '$T/ro2' 2>'$T/wal.err' && grep -q 'catalog.db-wal' '$T/wal.err'"
umount "$T/ro2"
kill "$HPID" 2>/dev/null
wait "$HPID" 2>/dev/null
HPID=

echo "rostore: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
