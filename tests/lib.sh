# SPDX-License-Identifier: MIT
# What the shell tests share: pass/fail counters and the check helpers (sourced, not run).
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { desc=$1; shift; if "$@"; then ok; else bad "$desc"; fi; }

# tally FILE: counts the "ok ..." and "FAIL: ..." lines a checker printed
# into FILE, printing the failures and anything else
tally() {
	while IFS= read -r line; do
		case $line in
		"ok "*) ok ;;
		FAIL:*) echo "$line"; fails=$((fails + 1)) ;;
		*) echo "$line" ;;
		esac
	done <"$1"
}

# test_seed VAR: sets SEED, the seed of a randomised test: $VAR (the
# test's own variable) if set, else CUBEFS_TEST_SEED, else the time. The
# test prints it; either variable set to it repeats the run.
test_seed() {
	eval "SEED=\${$1:-\${CUBEFS_TEST_SEED:-\$(date +%s)}}"
}

# A mount test's programs and samples (the Makefile exports them); exits
# 77 (skip) where FUSE is missing.
mount_test_init() {
	CUBEFS=${CUBEFS:-./cubefs}
	MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
	DATA=${CUBEFS_TEST_DATA:-data}
	PY=/usr/bin/python3
	if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
		echo "SKIP: /dev/fuse or fusermount3 missing"; exit 77
	fi
}

# corrupt_gop STORE CONDITION [AT]: overwrites 8 bytes at byte AT
# (default 40) of the first GOP that the SQL condition picks (on gop g,
# stream s, variable v, dataset d) in STORE's packs; fails if no GOP
# matches.
corrupt_gop() {
	at=${3:-40}
	set -- "$1" $(/usr/bin/python3 -c "
import sqlite3
c = sqlite3.connect('$1/catalog.db')
print(*c.execute(\"SELECT p.name, g.offset FROM gop g JOIN pack p ON p.id = g.pack_id JOIN stream s ON s.id = g.stream_id JOIN variable v ON v.id = s.variable_id JOIN dataset d ON d.id = v.dataset_id WHERE $2\").fetchone() or ())")
	[ -n "${3:-}" ] || return 1
	printf '\377\377\377\377\377\377\377\377' |
		dd of="$1/packs/$2" bs=1 seek=$(($3 + at)) conv=notrunc 2>/dev/null
}

# eventually CMD...: CMD succeeds within 10 s (a mount with -o refresh=1
# reloads within a second of a change)
eventually() {
	_i=0
	until "$@" 2>/dev/null; do
		[ $_i -lt 100 ] || return 1
		sleep 0.1; _i=$((_i + 1))
	done
}

# unmount_wait MNT STORE: unmounts MNT, then waits (up to 30 s) until the
# daemon named in STORE's lock file has let go of the write lock: a
# daemon still commits after fusermount3 returns, and a writer started
# meanwhile would find the store locked. Fails if the daemon stays.
unmount_wait() {
	fusermount3 -u "$1" || return 1
	_pid=$(cut -d' ' -f2 "$2/lock" 2>/dev/null) _i=0
	while [ -n "$_pid" ] && [ -s "$2/lock" ] && kill -0 "$_pid" 2>/dev/null
	do
		[ $_i -lt 600 ] || return 1
		_i=$((_i + 1)); sleep 0.05
	done
}

# gop_store NAME: a scratch directory $T (removed at exit) holding store
# $S with era5 (GOPs of 16) and s2 (GOPs of 8, three variables) imported,
# and $M, a mount point unmounted at exit. Counts the imports as checks.
gop_store() {
	T=$(mktemp -d "/tmp/cubefs-$1-XXXXXX")
	S=$T/store
	M=$T/mnt
	mkdir -p "$M"
	trap 'fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"' EXIT
	check "import era5" $CUBEFS import -q "$S" \
		"$DATA/era5_t2m_uk_2019-03.nc" --name era5 --gop 16
	check "import s2" $CUBEFS import -q "$S" \
		"$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2 --gop 8
}

# wait_parts STORE NAME COUNT PID: waits (up to 60 s) until dataset NAME
# of STORE has COUNT part rows (files committed by a many-file import),
# or process PID has ended
wait_parts() {
	/usr/bin/python3 - "$@" <<'PY'
import os, sqlite3, sys, time
db, name, count, pid = sys.argv[1] + "/catalog.db", sys.argv[2], \
    int(sys.argv[3]), int(sys.argv[4])
for _ in range(6000):
    try:
        c = sqlite3.connect('file:%s?mode=ro' % db, uri=True)
        n = c.execute("SELECT count(*) FROM part p JOIN dataset d ON"
                      " d.id = p.dataset_id WHERE d.name = ?",
                      (name,)).fetchone()[0]
        c.close()
        if n >= count:
            break
    except sqlite3.Error:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        break
    time.sleep(0.01)
PY
}
