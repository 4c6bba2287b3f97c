#!/bin/sh
# SPDX-License-Identifier: MIT
# Crash safety of the write path: the daemon is killed with SIGKILL at a random
# moment while a writer edits a lossless and a lossy cube and creates a new
# file; after each kill the store is remounted (journals recovered) and checked:
# catalog integrity, every view readable and equal to `cubefs export`, every
# fsynced write there exactly, each unsynced write there, absent, or there up
# to the page boundary where the kernel split it (never a third value), no
# other value moved, nothing unexplained left in staging/. With strace, more
# rounds kill it at exact points of the commit path (see INJECT below). At the
# end: a clean unmount, `cubefs gc`, and all of it again. CUBEFS_TEST_SEED or
# CUBEFS_CRASH_SEED repeats a run (the kill moments are drawn from it; the
# seed is printed); CUBEFS_CRASH_ROUNDS (20), CUBEFS_CRASH_INJECT=0 (no
# strace rounds), CUBEFS_CRASH_KEEP=1 (keep the store and the logs).
set -u
. "$(dirname "$0")/lib.sh"
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
ROUNDS=${CUBEFS_CRASH_ROUNDS:-20}
test_seed CUBEFS_CRASH_SEED
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "SKIP: /dev/fuse or fusermount3 missing"; exit 77
fi
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: /usr/bin/python3 with numpy missing"; exit 77; }
case $CUBEFS in /*) ;; *) CUBEFS=$(pwd)/$CUBEFS ;; esac
case $MOUNT in /*) ;; *) MOUNT=$(pwd)/$MOUNT ;; esac
T=$(mktemp -d /tmp/cubefs-crash-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M" "$T/state" "$T/log" "$T/bin"
# private copies: a rebuild during the run must not swap binaries under it
cp "$CUBEFS" "$T/bin/cubefs" && cp "$MOUNT" "$T/bin/mount.cubefs" ||
	{ echo "FAIL: cannot copy $CUBEFS and $MOUNT"; rm -rf "$T"; exit 1; }
CUBEFS=$T/bin/cubefs MOUNT=$T/bin/mount.cubefs
DPID= WPID=
cleanup() {
	[ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null
	if [ -n "$DPID" ]; then
		for k in $(pgrep -P "$DPID" 2>/dev/null); do kill -9 "$k"; done
		kill -9 "$DPID" 2>/dev/null
	fi
	fusermount3 -u -z "$M" 2>/dev/null
	if [ "${CUBEFS_CRASH_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
t0=$(date +%s)

# The writer and the checker (see the docstrings below).
cat >"$T/crash.py" <<'PY'
import errno, io, os, random, sqlite3, subprocess, sys
import numpy as np

L_NAME, T_NAME = "lsat.npy", "era5_t2m_uk_2019-03/t2m.npy"
GOP = 16            # the lossy cube is imported with --gop 16
PAGE = os.sysconf("SC_PAGE_SIZE")
KILLED = (errno.ECONNABORTED, errno.ENOTCONN)   # what a writer sees then
TOL = 5.0           # lossy: one re-encode moves values by up to ~1.7 here;
                    # the values written (225-245) are 20 below the data

def plan(seed, r, only=""):
    """What round r writes: the same for the writer and the checker; only:
    the one op to run."""
    g = random.Random(seed * 1000 + r)
    cells = g.sample([(f, b) for f in range(8) for b in range(11)], 2)
    frames = tframes(seed, r)
    ops = ["L1", "T1", "L2", "T2"] + (["N"] if r % 3 == 0 or only else [])
    g.shuffle(ops)
    ops = [only] if only else ops
    return {"L1": cells[0], "L2": cells[1], "T1": frames[0], "T2": frames[1],
            "order": ops, "new": "n%03d.npy" % r,
            "sync": {"L1": True, "T1": True, "L2": False, "T2": False,
                     "N": True}}

def tframes(seed, r):
    """Two frames of the lossy cube for round r, none written before: the
    values written are close to each other (within TOL)."""
    used = set()
    for q in range(r + 1):
        g = random.Random(seed * 7919 + q)
        frames = g.sample(sorted(set(range(744)) - used), 2)
        used.update(frames)
    return frames

def lpattern(r, op):
    k = 1 if op == "L1" else 2
    return ((np.arange(77 * 76, dtype=np.int64) * (2 * r + k + 1) +
             1000 * r + 17 * k + 1) % 65536).astype("<u2").reshape(77, 76)

def tconst(r, op):
    return np.float32(225 + (r * 7 + (3 if op == "T2" else 0)) % 20)   # data: 266-292

def newarray(r):
    z = np.linspace(0, 3, 6 * 2 * 24 * 32).reshape(6, 2, 24, 32)
    return (np.sin(z * (1 + r % 5)) * 10 + r).astype("<f4")

def specs(seed, n, inject):
    """The rounds: n kills at a delay in ms after the writer is ready, 0-300,
    drawn from the seed, with the kills at exact points (syscall:count) put
    between them, each followed by other rounds."""
    g = random.Random(seed)
    out = ["kill:%d" % g.randint(0, 300) for _ in range(n)]
    for i, x in enumerate(inject):
        out.insert(1 + 3 * i + i, x)
    print(" ".join(out))

def writer(mnt, seed, r, out, only):
    """Runs round r's edits, printing START/WROTE/SYNCED lines as they return."""
    p = plan(seed, r, only)
    log = open(out, "w", buffering=1)
    def say(*a):
        log.write(" ".join(map(str, a)) + "\n"); log.flush()
    hl = np.load(f"{mnt}/{L_NAME}", mmap_mode="r").offset
    ht = np.load(f"{mnt}/{T_NAME}", mmap_mode="r").offset
    fds = {}
    say("READY")
    op = "-"
    try:
        for op in p["order"]:
            say("START", op)
            if op == "N":
                with open(f"{mnt}/{p['new']}", "wb") as fh:
                    np.save(fh, newarray(r))
                    fh.flush()
                    say("WROTE", op)
                    os.fsync(fh.fileno())
                    say("SYNCED", op)
                say("CLOSED", op)
                continue
            f = L_NAME if op[0] == "L" else T_NAME
            if f not in fds:
                fds[f] = os.open(f"{mnt}/{f}", os.O_RDWR)
            if op[0] == "L":
                fr, b = p[op]
                buf, off = lpattern(r, op).tobytes(), hl + (fr * 11 + b) * 77 * 76 * 2
            else:
                buf = np.full(33 * 49, tconst(r, op), "<f4").tobytes()
                off = ht + p[op] * 33 * 49 * 4
            if os.pwrite(fds[f], buf, off) != len(buf):
                say("SHORT", op); return
            say("WROTE", op)
            if p["sync"][op]:
                os.fsync(fds[f])
                say("SYNCED", op)
        op = "close"
        for f in list(fds):
            os.close(fds.pop(f))
        say("DONE")
    except OSError as e:
        say("ERR", op, e.errno)

class Check:
    def __init__(self, store, mnt, state, cubefs):
        self.store, self.mnt, self.state, self.cubefs = store, mnt, state, cubefs
        self.fails = []
        self.full = True          # all views with their export, .nc ones too
    def fail(self, msg):
        self.fails.append(msg); print("FAIL:", msg)

    def catalog(self):
        db = sqlite3.connect(f"file:{self.store}/catalog.db?mode=ro", uri=True)
        ic = db.execute("PRAGMA integrity_check").fetchall()
        if ic != [("ok",)]:
            self.fail(f"integrity_check: {ic[:5]}")
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            self.fail(f"foreign_key_check: {fk[:5]}")
        # a new file cut short by a kill is kept as written, pending,
        # listed in the mount beside the datasets
        self.pending = {n for n, in db.execute(
            "SELECT name FROM plain_file WHERE reason IS NOT NULL")}
        db.close()

    def exports(self, names):
        """cubefs export of each dataset, run side by side."""
        runs, out = [], {}
        for i, name in enumerate(names):
            path = f"{self.state}/export{i}.npy"
            runs.append((name, path, subprocess.Popen(
                [self.cubefs, "export", self.store, name, path],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)))
        for name, path, pr in runs:
            err = pr.communicate()[1].decode(errors="replace").strip()
            if pr.returncode:
                self.fail(f"export {name}: {err}")
                continue
            with open(path, "rb") as fh:
                out[name] = fh.read()
            os.unlink(path)
        return out

    def views(self):
        """Every file of the mount reads whole and equals the export."""
        got = {}
        for dirpath, dirs, files in os.walk(self.mnt):
            for fn in sorted(files):
                p = os.path.join(dirpath, fn)
                rel = os.path.relpath(p, self.mnt)
                try:
                    with open(p, "rb") as fh:
                        b = fh.read()
                    if len(b) != os.stat(p).st_size:
                        self.fail(f"{rel}: read {len(b)} of {os.stat(p).st_size} bytes")
                except OSError as e:
                    self.fail(f"{rel}: read error {e}")
                    continue
                if rel not in self.pending:
                    got[rel] = b
        # the cubes written to, and new files, are compared with their
        # export every time; files created earlier with the copy taken
        # then (see check()), and with their export every 4th time
        npys = [rel[:-4] for rel in got if rel.endswith(".npy") and
                (self.full or rel in (L_NAME, T_NAME) or
                 not os.path.exists(f"{self.state}/{rel}"))]
        ex = self.exports(npys)
        for name in npys:
            if name in ex and ex[name] != got[name + ".npy"]:
                self.fail(f"{name}.npy: differs from cubefs export")
        if self.full:
            for rel, b in got.items():
                if rel.endswith(".nc"):
                    self.nc_view(rel, b, got)
        return got

    def nc_view(self, rel, b, got):
        try:
            import scipy.io
        except ImportError:
            return
        try:
            f = scipy.io.netcdf_file(io.BytesIO(b), mmap=False)
        except Exception as e:
            self.fail(f"{rel}: not a readable NetCDF file: {e}"); return
        ds = rel[:-3]
        for k, v in f.variables.items():
            npy = got.get(f"{ds}/{k}.npy") or (got.get(f"{ds}.npy") if k == ds else None)
            if npy is None:
                continue
            a = np.load(io.BytesIO(npy))
            d = v.data
            if v._attributes.get("_Unsigned") in (b"true", "true"):
                d = d.view(d.dtype.newbyteorder(">").str.replace("i", "u"))
            if d.shape != a.shape or not np.array_equal(d, a, equal_nan=True):
                self.fail(f"{rel}: variable {k} differs from {ds}/{k}.npy")

def npy_offset(b):
    """Where the data of a .npy file starts."""
    if b[:6] != b"\x93NUMPY":
        return 0
    return 10 + int.from_bytes(b[8:10], "little") if b[6] == 1 else \
        12 + int.from_bytes(b[8:12], "little")

def status(path):
    st = {}
    for line in open(path):
        w = line.split()
        if len(w) >= 2 and w[0] in ("START", "WROTE", "SYNCED"):
            st[w[1]] = w[0]
        if len(w) == 3 and w[0] == "ERR" and int(w[2]) not in KILLED:
            st["error"] = f"{w[1]}: {os.strerror(int(w[2]))}"
    return st

def check(store, mnt, state, cubefs, seed, r, only, wlog, errlog, counts):
    """After the remount of round r (r < 0: no writes this time)."""
    c = Check(store, mnt, state, cubefs)
    c.full = r < 0 or r % 4 == 0
    c.catalog()
    got = c.views()
    cnt = dict(l.split() for l in open(counts)) if os.path.exists(counts) else {}
    cnt = {k: int(v) for k, v in cnt.items()}
    def inc(k, n=1):
        cnt[k] = cnt.get(k, 0) + n
    st = status(wlog) if r >= 0 else {}
    if "error" in st:
        c.fail(f"round {r}: the writer got an error other than the kill's: {st['error']}")
    p = plan(seed, r, only) if r >= 0 else {"order": []}
    # A pwrite that starts inside a page the kernel has not cached goes out
    # as two FUSE writes, split at the first page boundary: an unsynced
    # write may be wholly there, wholly absent, or there up to that boundary.
    def shapes(off, n, isz):
        pre = (-off % PAGE) // isz
        yield "there", np.ones(n, bool)
        if 0 < pre < n:
            m = np.zeros(n, bool); m[:pre] = True
            yield "first page", m
        yield "absent", np.zeros(n, bool)
    def judge(op, s, what, where, is_new, is_old, off):
        """is_new, is_old: per value, flat; s: the writer's last word."""
        if s == "SYNCED":
            inc("synced")
            if is_new.all():
                inc("verified")
            else:
                c.fail(f"round {r} {op} {what}: fsynced write not there "
                       f"({int((~is_new).sum())} of {is_new.size} values {where})")
            return
        for name, m in shapes(off, is_new.size, 2 if op[0] == "L" else 4):
            if (is_new[m].all() and is_old[~m].all()) and (s or name == "absent"):
                if s:
                    inc("unsynced"); inc({"there": "unsynced_there",
                                          "first page": "unsynced_split"}.get(name, "unsynced_absent"))
                    if name == "absent" and s == "WROTE":
                        inc("acked_lost")
                        print(f"note: round {r} {op} {what}: acknowledged "
                              f"(pwrite returned), not fsynced, absent")
                return
        third = int((~is_new & ~is_old).sum())
        c.fail(f"round {r} {op} {what} ({s or 'never started'}): "
               f"{int((is_new & ~is_old).sum())} new, {int((is_old & ~is_new).sum())} old, "
               f"{int((is_new & is_old).sum())} either, {third} third values")
    hl, ht = (npy_offset(got.get(x, b"")) for x in (L_NAME, T_NAME))
    # the lossless cube: exact; each value the old one or the new one
    old = np.load(f"{state}/lsat.npy")
    now = np.load(io.BytesIO(got[L_NAME])) if L_NAME in got else None
    if now is None or now.shape != old.shape:
        c.fail(f"{L_NAME} missing or reshaped"); now = old.copy()
    rest = np.ones(old.shape, bool)
    for op in ("L1", "L2"):
        if op not in p["order"]:
            continue
        fr, b = p[op]
        rest[fr, b] = False
        new, o, n = lpattern(r, op).ravel(), old[fr, b].ravel(), now[fr, b].ravel()
        judge(op, st.get(op), f"at {fr},{b}", "differ", n == new, n == o,
              hl + (fr * 11 + b) * 77 * 76 * 2)
    if not np.array_equal(now[rest], old[rest]):
        bad = np.argwhere(now != old)
        c.fail(f"round {r}: {int((now[rest] != old[rest]).sum())} values of "
               f"{L_NAME} changed outside this round's writes "
               f"(frame,band: {sorted(set((int(x[0]), int(x[1])) for x in bad))[:8]})")
    np.save(f"{state}/lsat.npy", now)
    # the lossy cube: written frames near the value written, the rest of
    # the touched GOPs near their old values, other GOPs byte for byte
    old = np.load(f"{state}/t2m.npy")
    now = np.load(io.BytesIO(got[T_NAME])) if T_NAME in got else None
    if now is None or now.shape != old.shape:
        c.fail(f"{T_NAME} missing or reshaped"); now = old.copy()
    touched, target = set(), {}
    for op in ("T1", "T2"):
        if op in p["order"]:
            target[p[op]] = op
            if st.get(op):
                touched.add(p[op] // GOP)
    for g in range(0, (old.shape[0] + GOP - 1) // GOP):
        a, z = g * GOP, min(old.shape[0], (g + 1) * GOP)
        if g not in touched:
            if not np.array_equal(now[a:z], old[a:z], equal_nan=True):
                c.fail(f"round {r}: t2m GOP {g} changed though not written "
                       f"(frames {[j for j in range(a, z) if not np.array_equal(now[j], old[j], equal_nan=True)]})")
            continue
        for fr in range(a, z):
            is_old = (np.abs(now[fr] - old[fr]) <= TOL).ravel()
            op = target.get(fr)
            if op is None:
                if not is_old.all():
                    c.fail(f"round {r}: t2m frame {fr} moved by "
                           f"{np.nanmax(np.abs(now[fr] - old[fr])):.3f}")
                continue
            v = tconst(r, op)
            judge(op, st.get(op), f"t2m frame {fr} ({v} written)",
                  f"off; {now[fr].min():.3f}..{now[fr].max():.3f}",
                  (np.abs(now[fr] - v) <= TOL).ravel(), is_old,
                  ht + fr * 33 * 49 * 4)
    np.save(f"{state}/t2m.npy", now)
    # new files: fsynced ones there and right; older ones unchanged
    kept = set(open(f"{state}/new").read().split()) if os.path.exists(f"{state}/new") else set()
    for n in sorted(kept):
        if n not in got:
            c.fail(f"{n}, there before, is gone")
        elif open(f"{state}/{n}", "rb").read() != got[n]:
            c.fail(f"{n} changed")
    if "N" in p["order"]:
        n, s = p["new"], st.get("N")
        if n in got:
            a, want = np.load(io.BytesIO(got[n])), newarray(r)
            if a.shape != want.shape or a.dtype != want.dtype:
                c.fail(f"round {r}: {n} is {a.shape} {a.dtype}")
            else:
                mse = float(((a.astype("f8") - want) ** 2).mean())
                rng = float(want.max() - want.min())
                psnr = 99 if mse == 0 else 20 * np.log10(rng) - 10 * np.log10(mse)
                if psnr < 40:
                    c.fail(f"round {r}: {n} PSNR {psnr:.1f} dB")
            with open(f"{state}/{n}", "wb") as fh:
                fh.write(got[n])
            kept.add(n)
            inc("verified" if s == "SYNCED" else "unsynced_there")
        elif s == "SYNCED":
            c.fail(f"round {r}: {n} was fsynced and closed but is not there")
        if s == "SYNCED":
            inc("synced")
        elif s:
            inc("unsynced")
    with open(f"{state}/new", "w") as fh:
        fh.write("\n".join(sorted(kept)))
    for rel in got:
        if rel.count("/") == 0 and rel.endswith(".npy") and rel not in kept \
           and rel != L_NAME:
            c.fail(f"unexpected file {rel} in the mount")
    # staging: only journals this mount's recovery reported (or ones set
    # aside for good, *.rejected, that some daemon of this run reported)
    err = open(errlog, errors="replace").read()
    logdir = os.path.dirname(errlog)
    allerr = "".join(open(os.path.join(logdir, f), errors="replace").read()
                     for f in os.listdir(logdir) if f.endswith(".err"))
    for f in sorted(os.listdir(f"{store}/staging")):
        key = f.split(".")[0]
        if f.endswith(".log") and key.startswith("n-"):
            b = open(f"{store}/staging/{f}", "rb").read()
            name = b[19:19 + int.from_bytes(b[17:19], "little")].decode(errors="replace")
            said = f"{state}/said-{key}"
            if name in got and not os.path.exists(said):
                open(said, "w").close()     # once
                c.fail(f"staging/{f}: the journal of {name}, which is in the "
                       f"store, is kept (deleted, {name} would come back)")
        if r < 0 and key.startswith("v") and not f.endswith(".rejected"):
            c.fail(f"staging/{f}: the writes to a file of the store were "
                   f"committed by no mount, not even after a clean unmount")
        said = err if not f.endswith(".rejected") else allerr
        if f"'{key}'" not in said and f"/{key}." not in said:
            c.fail(f"staging/{f} left and not reported by the remount")
        else:
            inc("kept_reported")
    with open(counts, "w") as fh:
        fh.write("".join(f"{k} {v}\n" for k, v in sorted(cnt.items())))
    return 1 if c.fails else 0

if __name__ == "__main__":
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "specs":
        specs(int(a[0]), int(a[1]), a[2:])
    elif cmd == "writer":
        writer(a[0], int(a[1]), int(a[2]), a[3], a[4])
    elif cmd == "check":
        try:
            rc = check(a[0], a[1], a[2], a[3], int(a[4]), int(a[5]), a[6],
                       a[7], a[8], a[9])
        except Exception:
            import traceback
            traceback.print_exc()
            rc = 1
        sys.exit(rc)
    elif cmd == "init":
        np.save(f"{a[0]}/lsat.npy", np.load(a[1]))
        np.save(f"{a[0]}/t2m.npy", np.load(a[2]))
PY

start_daemon() {	# $1: its stderr; the rest: a command to run it under.
	# 0: mounted; 1: the daemon died; 2: no mount after 10 s
	err=$1; shift
	# no automatic compaction: rounds check that GOPs no write touched
	# keep their bytes, which a compaction re-encodes (tests/patch.sh)
	"$@" $MOUNT "$S" "$M" -f -o compact_after=0 2>"$err" &
	DPID=$!
	i=0
	while [ ! -e "$M/lsat.npy" ]; do
		i=$((i + 1))
		kill -0 "$DPID" 2>/dev/null || return 1
		[ $i -le 500 ] || return 2
		sleep 0.02
	done
}

verify() {	# $1: round (-1: none), $2: its only op, $3: writer log, $4: daemon stderr
	$PY "$T/crash.py" check "$S" "$M" "$T/state" "$CUBEFS" "$SEED" "$1" \
		"$2" "$3" "$4" "$T/counts"
}

echo "crash: seed $SEED, $ROUNDS rounds (rerun with CUBEFS_TEST_SEED=$SEED)"
$CUBEFS import -q "$S" "$DATA/landsat8_ny2018_p013r032_11band.npy" --lossless \
	--name lsat || { echo "FAIL: import lsat"; exit 1; }
$CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --gop 16 ||
	{ echo "FAIL: import era5"; exit 1; }
$CUBEFS export "$S" lsat "$T/e1.npy" && $CUBEFS export "$S" era5_t2m_uk_2019-03/t2m "$T/e2.npy" &&
	$PY "$T/crash.py" init "$T/state" "$T/e1.npy" "$T/e2.npy" || { echo "FAIL: export"; exit 1; }
cmp -s "$T/e1.npy" "$DATA/landsat8_ny2018_p013r032_11band.npy" || bad "lossless import is not exact"

# Rounds: ROUNDS kills at a random moment; then, with strace, a few kills at
# an exact point of the commit path: the daemon runs under strace, which
# sends it SIGKILL as one of its threads makes its n-th call of a syscall.
# write #1: a journal's range record (its bytes are written, not listed);
# fsync #1: the journal's data at an fsync; fsync #3: the new pack;
# fdatasync #3: SQLite's commit; unlink #1: after the commit, before the
# journal is removed (:N: of a new file); unlink #2: between the removal of
# its two files.
INJECT=
if command -v strace >/dev/null && command -v pgrep >/dev/null &&
   [ "${CUBEFS_CRASH_INJECT:-1}" = 1 ]; then
	INJECT="unlink:2 unlink:1:N write:1 fsync:1 fsync:3 fdatasync:3 unlink:1"
else
	echo "strace or pgrep missing (or CUBEFS_CRASH_INJECT=0): no kills at exact points"
fi
SPECS=$($PY "$T/crash.py" specs "$SEED" "$ROUNDS" $INJECT)
start_daemon "$T/log/d0.err" || { echo "FAIL: mount"; cat "$T/log/d0.err"; exit 1; }
r=0 kills=0
for spec in $SPECS; do
	w=$T/log/w$r.log
	: >"$w"
	case $spec in
	kill:*)
		delay=${spec#kill:} only=
		how="kill after $delay ms" ;;
	*)
		delay= sc=${spec%%:*} n=${spec#*:} only=
		case $n in *:*) only=${n#*:} n=${n%%:*} ;; esac
		how="SIGKILL at $sc #$n${only:+ (op $only only)}"
		fusermount3 -u "$M" || bad "round $r: unmount"
		wait "$DPID"
		start_daemon "$T/log/i$r.err" strace -f -qq -o /dev/null \
			-e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$n"
		case $? in
		1) how="$how, in the recovery at mount" ;;	# no writer then
		2) bad "round $r: no mount under strace"; cat "$T/log/i$r.err"; break ;;
		esac ;;
	esac
	if kill -0 "$DPID" 2>/dev/null; then
		touch "$T/log/m$r"	# older than the journals the writer makes
		$PY "$T/crash.py" writer "$M" "$SEED" "$r" "$w" "$only" 2>"$T/log/w$r.stderr" &
		WPID=$!
		i=0
		while ! grep -q READY "$w" && kill -0 "$WPID" 2>/dev/null && [ $i -lt 1000 ]; do
			i=$((i + 1)); sleep 0.01
		done
	fi
	if [ -n "$delay" ]; then
		sleep "$(printf '0.%03d' "$delay")"
		kill -0 "$DPID" 2>/dev/null || bad "round $r: the daemon died before the kill"
		kill -9 "$DPID"
	elif [ -n "$WPID" ]; then
		i=0
		while kill -0 "$WPID" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.02; done
		# a release commits after the writer exits: wait (10 s at most)
		# until the journals it wrote are gone, or the daemon is killed
		i=0
		while [ -n "$(pgrep -P "$DPID")" ] && [ $i -lt 500 ] && [ -n \
		    "$(find "$S/staging" -type f -newer "$T/log/m$r" \
		    ! -name '*.rejected')" ]; do
			i=$((i + 1)); sleep 0.02
		done
		kid=$(pgrep -P "$DPID")
		if [ -n "$kid" ]; then
			how="$how: not reached, killed"
			kill -9 $kid
		fi
	fi
	kills=$((kills + 1))
	wait "$DPID" 2>/dev/null
	DPID=
	if [ -n "$WPID" ]; then
		i=0
		while kill -0 "$WPID" 2>/dev/null && [ $i -lt 500 ]; do i=$((i + 1)); sleep 0.02; done
		if kill -0 "$WPID" 2>/dev/null; then
			bad "round $r: the writer hangs after the kill"; kill -9 "$WPID"
		fi
		wait "$WPID" 2>/dev/null
		WPID=
	fi
	if grep -qs " $M " /proc/mounts; then
		fusermount3 -u -z "$M" || bad "round $r: fusermount3 -u -z"
	fi
	ls -l "$S/staging" >"$T/log/s$r.txt"
	for f in "$S"/staging/*.log; do
		[ -f "$f" ] && od -A d -t x1 "$f" | tail -n 4 >>"$T/log/s$r.txt"
	done
	last=$(tail -n 1 "$w" | tr '\n' ' ')
	echo "round $r: $how; writer: ${last:-nothing}"
	e=$T/log/d$((r + 1)).err
	if ! start_daemon "$e"; then bad "round $r: remount"; cat "$e"; break; fi
	if ! verify "$r" "$only" "$w" "$e"; then
		bad "round $r"
		echo "--- writer:"; cat "$w" "$T/log/w$r.stderr" 2>/dev/null
		echo "--- remount stderr:"; cat "$e"
		echo "--- staging/ after the kill:"; cat "$T/log/s$r.txt"
	fi
	r=$((r + 1))
done

# a clean unmount, then gc, then everything still reads
if [ -n "$DPID" ]; then
	fusermount3 -u "$M" || bad "unmount"
	wait "$DPID"; DPID=
fi
echo "staging at the end: $(ls "$S/staging" | tr '\n' ' ')"
$CUBEFS gc -v "$S" >"$T/gc.out" 2>&1 || { bad "cubefs gc"; cat "$T/gc.out"; }
grep -i "error\|cannot\|refus" "$T/gc.out" && bad "gc complained"
grep -v '^cubefs:' "$T/gc.out" | sed 's/^/gc: /'
if start_daemon "$T/log/final.err"; then
	verify -1 "" /dev/null "$T/log/final.err" || bad "reads after gc"
	fusermount3 -u "$M"; wait "$DPID"; DPID=
else
	bad "mount after gc"
fi

c() { v=$(awk -v k="$1" '$1 == k { print $2 }' "$T/counts" 2>/dev/null); echo "${v:-0}"; }
echo "crash: $r rounds, $kills kills, $(c verified) of $(c synced) committed (fsynced) writes verified;" \
	"unsynced writes: $(c unsynced_there) there, $(c unsynced_split) split at a page, $(c unsynced_absent) absent" \
	"($(c acked_lost) of those acknowledged); $(c kept_reported) staged files seen, each reported;" \
	"$(( $(date +%s) - t0 )) s"
[ "$r" -eq "$(echo $SPECS | wc -w)" ] || bad "only $r rounds"
echo "crash: $fails failed"
[ "$fails" = 0 ]
