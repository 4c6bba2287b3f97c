#!/bin/sh
# SPDX-License-Identifier: MIT
# A store on a real network file system (a two-brick GlusterFS volume on this machine): the write lock, readers that follow, gc with live readers.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
PATH=$PATH:/usr/sbin:/sbin
skip() { echo "SKIP: $*"; exit 77; }
$PY -c 'import numpy, netCDF4' 2>/dev/null || skip "python readers missing"
for p in glusterd gluster mount.glusterfs; do
	command -v $p >/dev/null || skip "$p missing (scripts/deps.sh" \
		"installs glusterfs-server and glusterfs-client)"
done
[ "$(id -u)" = 0 ] || skip "glusterd and mount -t glusterfs need root"

T=$(mktemp -d /tmp/cubefs-gluster-XXXXXX)
VOL=cubefs-test-$$
GV=$T/gv                # the volume, mounted with the gluster FUSE client
S=$GV/store
W=$T/rw R1=$T/r1 R2=$T/r2 O=$T/old M2=$T/m2
mkdir -p "$T/b1" "$T/b2" "$GV" "$W" "$R1" "$R2" "$O" "$M2"
GLUSTERD_PID=""         # set only for the glusterd this test started
VOL_MADE=0
G() { timeout 60 gluster --mode=script "$@"; }
mounted() { grep -q " $1 " /proc/mounts; }
# within SECONDS CMD...: CMD succeeds within SECONDS (polled every 0.1 s)
within() {
	n=$(($1 * 10)) i=0
	shift
	until "$@" 2>/dev/null; do
		[ $i -lt $n ] || return 1
		sleep 0.1; i=$((i + 1))
	done
}

cleanup() {
	for m in "$W" "$R1" "$R2" "$O" "$M2"; do
		mounted "$m" && fusermount3 -u -z "$m"
	done
	# the daemons hold files on the volume until they exit
	within 10 test -z "$(ls "$S/readers" 2>/dev/null)"
	if mounted "$GV"; then
		umount "$GV" 2>/dev/null || umount -l "$GV"
	fi
	if [ $VOL_MADE = 1 ]; then
		G volume stop "$VOL" force >/dev/null 2>&1
		G volume delete "$VOL" >/dev/null 2>&1
		# bricks left running when glusterd could not stop them
		for f in /var/run/gluster/vols/"$VOL"/*.pid; do
			[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
		done
	fi
	if [ -n "$GLUSTERD_PID" ]; then
		kill "$GLUSTERD_PID" 2>/dev/null
		within 10 sh -c "! kill -0 $GLUSTERD_PID"
	fi
	# never through a volume still mounted: the bricks would go with it
	mounted "$GV" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# glusterd: the one that runs, else one of our own
if pgrep -x glusterd >/dev/null; then
	echo "using the glusterd that runs already"
else
	glusterd -p "$T/glusterd.pid" >"$T/glusterd.out" 2>&1 ||
		skip "glusterd does not start here: $(cat "$T/glusterd.out")"
	within 10 test -s "$T/glusterd.pid"
	GLUSTERD_PID=$(cat "$T/glusterd.pid" 2>/dev/null)
fi
within 30 G volume list >/dev/null || skip "glusterd does not answer"
# gluster refuses loopback addresses for bricks: the host's name, else
# its first address
made=0
for h in "$(hostname)" $(hostname -I 2>/dev/null | cut -d' ' -f1); do
	[ -n "$h" ] || continue
	if G volume create "$VOL" "$h:$T/b1" "$h:$T/b2" force \
		>"$T/create.out" 2>&1; then
		made=1; break
	fi
done
[ $made = 1 ] || skip "no gluster volume here: $(cat "$T/create.out")"
VOL_MADE=1
G volume start "$VOL" >"$T/start.out" 2>&1 ||
	skip "the volume does not start: $(cat "$T/start.out")"
if ! mount -t glusterfs "127.0.0.1:/$VOL" "$GV"; then
	echo "FAIL: mount -t glusterfs 127.0.0.1:/$VOL"; exit 1
fi
# the client may still be connecting to the bricks (20 s at most)
check "the gluster volume is mounted and writable" within 20 mkdir "$GV/probe"
rmdir "$GV/probe"
echo "volume $VOL on $h: $(grep " $GV " /proc/mounts | cut -d' ' -f3)"

# a daemon goes on after fusermount3 -u returns: its exit takes its lease
leases_are() {
	[ "$(find "$S/readers" -type f ! -name '.*' | wc -l)" -eq "$1" ]
}
# refused DESC TEXT CMD...: CMD fails and says TEXT on stderr
refused() {
	d=$1 w=$2; shift 2
	if "$@" >/dev/null 2>"$T/err"; then bad "$d: not refused"
	elif grep -qF -- "$w" "$T/err"; then ok
	else bad "$d: said: $(cat "$T/err")"; fi
}
# edit MOUNT ROW0 ROW1 READER...: adds 1 to rows ROW0..ROW1-1 of t2m
# through MOUNT, fsyncs it, then reads each READER until it shows the
# edit (20 s at most); prints the time from the fsync to each sighting
edit() {
	$PY - "$@" <<EOF
import numpy as np, os, sys, time
mnt, r0, r1 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
readers = sys.argv[4:]
b = np.load('$T/before.npy')
row = (r0 + r1) // 2
a = np.load(mnt + '/t2m.npy', mmap_mode='r+')
a[r0:r1] += 1.0
a.flush()
del a
fd = os.open(mnt + '/t2m.npy', os.O_RDWR)
os.fsync(fd)
os.close(fd)
t0 = time.monotonic()
left, ok = list(readers), True
while left and time.monotonic() - t0 < 20:
    for r in list(left):
        try:
            a = np.load(r + '/t2m.npy')
        except (OSError, ValueError):
            continue
        if abs(float(a[row].mean()) - float(b[row].mean()) - 1.0) < 0.05:
            print('  edit of rows %d-%d seen in %s %.2f s after the fsync'
                  % (r0, r1 - 1, os.path.basename(r), time.monotonic() - t0))
            left.remove(r)
    time.sleep(0.1)
for r in left:
    print('  edit of rows %d-%d not seen in %s within 20 s'
          % (r0, r1 - 1, os.path.basename(r)))
sys.exit(1 if left else 0)
EOF
}
shows_rows() {
	$PY -c "
import numpy as np
a = np.load('$1/t2m.npy'); b = np.load('$T/before.npy')
r = ($2 + $3) // 2
assert abs(float(a[r].mean()) - float(b[r].mean()) - 1.0) < 0.05
"
}

$PY -c "
import numpy as np, netCDF4
with netCDF4.Dataset('$DATA/era5_t2m_uk_2019-03.nc') as d:
    np.save('$T/t2m.npy', d['t2m'][:].filled(np.nan).astype('f4'))
"
check "import onto the volume" $CUBEFS import -q "$S" "$T/t2m.npy" --gop 16
check "export before the edits" $CUBEFS export "$S" t2m "$T/before.npy"
check "mount rw" $MOUNT "$S" "$W"
check "mount ro, following (1)" $MOUNT "$S" "$R1" -o ro,refresh=1
check "mount ro, following (2)" $MOUNT "$S" "$R2" -o ro,refresh=1
# O never looks for changes: it keeps reading the first version
check "mount ro, not following" $MOUNT "$S" "$O" -o ro,refresh=0
check "each mount holds a lease on the volume" within 10 leases_are 4

# the write lock, through the gluster client
HOST=$(hostname)
# the daemon names itself in the lock file after its fork
daemon_named() {
	pid=$(cut -d' ' -f2 "$S/lock")
	[ "$(ps -o comm= -p "$pid")" = mount.cubefs ]
}
check "the lock names the rw mount's daemon" within 10 daemon_named
HOLDER="is locked for writing by $HOST:$pid since "
refused "a second read-write mount" "$HOLDER" $MOUNT "$S" "$M2"
check "the second mount is not there" sh -c "! grep -q ' $M2 ' /proc/mounts"

# readers follow an edit committed through the rw mount
echo "timings (information, not assertions):"
check "an edit through the rw mount reaches both readers" \
	edit "$W" 0 200 "$R1" "$R2"
check "the rw mount serves the edit" shows_rows "$W" 0 200
check "the reader that does not follow reads the first version" \
	cmp -s "$O/t2m.npy" "$T/before.npy"

# a refused import opens and closes the catalog: the daemon's own
# connection (opened again after its fork) keeps the WAL alive, so later
# commits still reach the readers
refused "import while the rw mount lives" "$HOLDER" \
	$CUBEFS import -q "$S" "$T/t2m.npy" --name refused
check "an edit after a refused import reaches both readers" \
	edit "$W" 400 500 "$R1" "$R2"
check "the rw mount serves the second edit" shows_rows "$W" 400 500

check "unmount rw" unmount_wait "$W" "$S"
check "its lease is gone" within 10 leases_are 3
check "the readers see the second edit once the writer has gone" \
	within 20 shows_rows "$R1" 400 500
check "both of them" within 20 shows_rows "$R2" 400 500

# gc with live readers: O serves the first generation
$CUBEFS gc "$S" >"$T/gc1" 2>&1 || bad "gc with a reader behind"
KEPT='kept unreferenced packs and dead ranges: [1-9][0-9]* mounted reader'
if grep -q "$KEPT" "$T/gc1" && grep -q 'punched 0 holes' "$T/gc1"; then ok; else
	bad "gc keeps the replaced GOPs for the reader behind"; cat "$T/gc1"; fi
check "the reader behind still reads its version after gc" \
	cmp -s "$O/t2m.npy" "$T/before.npy"
check "unmount the reader behind" fusermount3 -u "$O"
check "its lease is gone too" within 10 leases_are 2
$CUBEFS gc "$S" >"$T/gc2" 2>&1 || bad "gc after the reader left"
if grep -Eq 'punched [1-9][0-9]* holes' "$T/gc2"; then ok; else
	bad "then gc frees the replaced GOPs"; cat "$T/gc2"; fi

# a dataset imported once the writer has gone shows in both readers
check "import with the readers mounted" \
	$CUBEFS import -q "$S" "$T/t2m.npy" --name again --gop 16
t0=$(date +%s%N)
check "the first reader lists the new dataset" \
	within 20 test -f "$R1/again.npy"
check "the second reader lists it" within 20 test -f "$R2/again.npy"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "  the import seen in both readers $ms ms after it ended"
check "and reads it" $PY -c "
import numpy as np
assert np.load('$R2/again.npy').shape == np.load('$T/before.npy').shape
"
check "unmount the readers" sh -c "fusermount3 -u '$R1' && fusermount3 -u '$R2'"
check "no lease left" within 10 leases_are 0
check "check is clean" $CUBEFS check "$S"

echo "gluster: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
