#!/bin/sh
# SPDX-License-Identifier: MIT
# Mount benchmark: cold, warm and random reads through FUSE against export and local copies, the daemon's RSS, in one run.
#
# usage: sh bench/mount.sh      (from the top of a built tree; builds nothing)
# env:   BENCH_JSON    where the figures go (default bench/results.json)
#        BENCH_SYNTH   "T H W" of the synthetic cube (default "256 512 512")
#        BENCH_REPEAT  runs of each sequential measurement, best kept (3)
#        BENCH_PICKS   random time steps per dataset (20)
#        BENCH_SEED    seed of the picks (1)
#        CUBEFS, MOUNT_CUBEFS, CUBEFS_BENCH   the programs (./cubefs, ...)
#        CUBEFS_TEST_DATA   the samples (data)
set -eu
# paths given in the environment are relative to where we were started
abs() { case $1 in "" | /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
JSON=$(abs "${BENCH_JSON:-}")
CUBEFS=$(abs "${CUBEFS:-}")
MOUNT=$(abs "${MOUNT_CUBEFS:-}")
BENCH=$(abs "${CUBEFS_BENCH:-}")
DATA=$(abs "${CUBEFS_TEST_DATA:-}")
cd "$(dirname "$0")/.."
JSON=${JSON:-bench/results.json}
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT:-./mount.cubefs}
BENCH=${BENCH:-./bench/cubefs-bench}
DATA=${DATA:-data}
SYNTH=${BENCH_SYNTH:-256 512 512}
REPEAT=${BENCH_REPEAT:-3}
PICKS=${BENCH_PICKS:-20}
SEED=${BENCH_SEED:-1}
CACHE=64M
PY=/usr/bin/python3

die() { echo "bench/mount.sh: $*" >&2; exit 1; }
for p in "$CUBEFS" "$MOUNT" "$BENCH"; do
	[ -x "$p" ] || die "'$p' is not built: run make first"
done
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	die "needs /dev/fuse and fusermount3"
fi
$PY -c 'import numpy' 2>/dev/null || die "needs numpy for $PY"

T=$(mktemp -d /tmp/cubefs-bench-XXXXXX)
S=$T/store
M=$T/mnt
R=$T/results        # lines: DATASET KEY VALUE
MPID=
cleanup() {
	fusermount3 -u "$M" 2>/dev/null || true
	if [ -n "$MPID" ]; then kill "$MPID" 2>/dev/null || true; fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$M"
: >"$R"

cat >"$T/h.py" <<'PY'
import json, math, os, random, subprocess, sys, time

def picks(t, n, seed):
    r = random.Random(seed)
    return r.sample(range(t), n) if t >= n else [r.randrange(t) for _ in range(n)]

def main(cmd, a):
    if cmd == "now":
        print("%.6f" % time.time())
    elif cmd == "run":          # wall time of a command, stdout to /dev/null
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            subprocess.run(a, stdout=null, check=True)
            print("%.6f" % (time.perf_counter() - t0))
    elif cmd == "dd":           # dd bs=1M of a file: dd's own time
        p = subprocess.run(["dd", "if=" + a[0], "of=/dev/null", "bs=1M"],
                           env=dict(os.environ, LC_ALL="C"), check=True,
                           stderr=subprocess.PIPE, text=True)
        line = [l for l in p.stderr.splitlines() if " copied, " in l][0]
        print(line.split(" copied, ")[1].split(" s")[0])
    elif cmd == "npload":
        import numpy as np
        t0 = time.perf_counter()
        x = np.load(a[0])
        dt = time.perf_counter() - t0
        assert x.size, a[0]
        print("%.6f" % dt)
    elif cmd == "meta":         # time steps, bytes per step, data offset
        import numpy as np
        x = np.load(a[0], mmap_mode="r")
        print(x.shape[0], x[0].nbytes, x.offset, x.dtype, "x".join(map(str, x.shape)))
    elif cmd == "picks":
        print(" ".join(map(str, picks(int(a[0]), int(a[1]), int(a[2])))))
    elif cmd == "pread":        # one time step, cold: time of the pread only
        fd = os.open(a[0], os.O_RDONLY)
        n = int(a[2])
        t0 = time.perf_counter()
        b = os.pread(fd, n, int(a[1]))
        dt = time.perf_counter() - t0
        os.close(fd)
        assert len(b) == n, (a, len(b))
        print("%.6f" % dt)
    elif cmd == "randread":     # FILE OFFSET STEP_BYTES T N SEED
        fd = os.open(a[0], os.O_RDONLY)
        off, fb = int(a[1]), int(a[2])
        for f in picks(int(a[3]), int(a[4]), int(a[5])):
            assert len(os.pread(fd, fb, off + f * fb)) == fb
        os.close(fd)
    elif cmd == "report":
        report(*a)

def pct(v, p):                  # nearest rank
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]

def cell(s, nbytes):
    return "%.3f s, %.0f MB/s" % (s, nbytes / 1e6 / s)

def dataset(name, r, start):
    nb = int(r["bytes"][0])
    best = lambda k: min(map(float, r[k]))
    mbs = lambda s: nb / 1e6 / s
    ex, dd, npl = best("export_s"), best("cold_dd_s"), best("cold_npload_s")
    wm, wl = best("warm_dd_s"), best("local_dd_s")
    wd = list(map(int, r["warm_decodes"]))
    pk = list(map(float, r["pick_s"]))
    p50, p99 = pct(pk, 50), pct(pk, 99)
    dec = json.loads(r["decode"][0])
    d = {"view": r["view"][0], "name": r["name"][0], "dtype": r["dtype"][0],
         "shape": r["shape"][0], "bytes": nb, "synthetic": name == "synth",
         "step_bytes": int(r["step_bytes"][0]),
         "export_s": ex, "cold_dd_s": dd, "cold_npload_s": npl,
         "warm_dd_s": wm, "local_warm_dd_s": wl, "warm_decodes": wd,
         "pick_s": pk, "pick_p50_s": p50, "pick_p99_s": p99,
         "export_mbs": mbs(ex), "cold_dd_mbs": mbs(dd),
         "cold_npload_mbs": mbs(npl), "warm_dd_mbs": mbs(wm),
         "local_warm_dd_mbs": mbs(wl),
         "ratio_cold_dd_vs_export": ex / dd,
         "ratio_cold_npload_vs_export": ex / npl,
         "ratio_warm_vs_local": wl / wm,
         "ratio_whole_vs_pick_p50": ex / p50,
         "ratio_whole_vs_pick_p99": ex / p99,
         "ratio_cold_dd_vs_decoder": mbs(dd) / dec["plain_mbs"],
         "decode": dec}
    print("\n### %s: MOUNT/%s, %s %s, %.1f MB%s\n" % (
        name, d["view"], d["dtype"], d["shape"], nb / 1e6,
        ", synthetic" if d["synthetic"] else ""))
    print("| figure | cubefs | baseline | ratio |")
    print("|---|---|---|---:|")
    row = lambda *c: print("| %s | %s | %s | %s |" % c)
    row("cold sequential read: `dd bs=1M` on a fresh mount vs `cubefs "
        "export - >/dev/null` (incl. %.2f s process start)" % start,
        cell(dd, nb), cell(ex, nb), "%.2f" % d["ratio_cold_dd_vs_export"])
    row("cold `np.load` on a fresh mount vs `cubefs export`",
        cell(npl, nb), cell(ex, nb), "%.2f" % d["ratio_cold_npload_vs_export"])
    row("warm re-read: 2nd `dd`, same mount vs local .npy in the page cache "
        "(GOPs decoded again during it: %s)" % "/".join(map(str, wd)),
        cell(wm, nb), cell(wl, nb), "%.2f" % d["ratio_warm_vs_local"])
    row("one random time step (%d B), cold, p50 of %d vs the whole stream "
        "(`cubefs export`)" % (d["step_bytes"], len(pk)),
        "%.1f ms" % (p50 * 1e3), "%.3f s" % ex,
        "%.1f" % d["ratio_whole_vs_pick_p50"])
    row("one random time step, cold, p99 (of %d: the slowest) vs the whole "
        "stream" % len(pk), "%.1f ms" % (p99 * 1e3), "%.3f s" % ex,
        "%.1f" % d["ratio_whole_vs_pick_p99"])
    row("cold `dd` on the mount: share of the decoder limit (a)",
        "%.0f MB/s" % mbs(dd), "a: %.0f MB/s" % dec["plain_mbs"],
        "%.2f" % d["ratio_cold_dd_vs_decoder"])
    row("in process (`cubefs-bench decode`): b full decode, c read path "
        "without FUSE, vs a",
        "b %.0f, c %.0f MB/s" % (dec["full_mbs"], dec["read_mbs"]),
        "a: %.0f MB/s" % dec["plain_mbs"],
        "%.2f, %.2f" % (dec["full_vs_plain"], dec["read_vs_plain"]))
    return d

def report(rfile, jfile, t0, setup_s, names):
    rows = {}
    for line in open(rfile):
        ds, k, v = line.rstrip("\n").split(" ", 2)
        rows.setdefault(ds, {}).setdefault(k, []).append(v)
    g = rows.pop("run", {})
    start = min(map(float, g["start_s"]))
    out = {"run": {"repeat": int(g["repeat"][0]), "picks": int(g["picks"][0]),
                   "seed": int(g["seed"][0]), "cpus": os.cpu_count(),
                   "page_cache_dropped": g["dropped"][0] == "1",
                   "cubefs": g["version"][0], "process_start_s": start,
                   "mb": "10^6 bytes",
                   "note": "ratios within this run; sequential times are the "
                           "best of 'repeat' runs; synth is synthetic"},
           "datasets": {}}
    for name in names.split():
        out["datasets"][name] = dataset(name, rows[name], start)
    dm = rows.get("daemon")
    if dm:
        kib = lambda k: int(dm[k][0]) * 1024
        hwm, cs = kib("vmhwm_kib"), int(dm["cache_bytes"][0])
        st = dict(l.split() for l in dm["stats"][0].split(";") if l.strip())
        out["daemon"] = {"vmhwm_bytes": hwm, "cache_size_bytes": cs,
                         "over_cache_bytes": hwm - cs,
                         "idle_vmrss_bytes": kib("idle_vmrss_kib"),
                         "vmrss_after_bytes": kib("vmrss_kib"),
                         "random_reads_per_view": int(dm["reads"][0]),
                         "stats": {k: int(v) for k, v in st.items()}}
        mib = lambda b: "%.1f MiB" % (b / 2**20)
        print("\n### mount.cubefs after %s random time steps of each view "
              "(one mount)\n" % dm["reads"][0])
        print("| VmHWM | -o cache_size | VmHWM - cache_size | VmRSS idle "
              "| VmRSS after | decodes | evictions |")
        print("|---:|---:|---:|---:|---:|---:|---:|")
        print("| %s | %s | %s | %s | %s | %s | %s |" % (
            mib(hwm), mib(cs), mib(hwm - cs), mib(kib("idle_vmrss_kib")),
            mib(kib("vmrss_kib")), st.get("decodes", "?"),
            st.get("evictions", "?")))
    elapsed = time.time() - float(t0)
    out["run"]["seconds"] = round(elapsed, 1)
    out["run"]["setup_seconds"] = float(setup_s)
    with open(jfile, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("\nSequential figures: best of %d runs. MB = 10^6 bytes. ratio: "
          "baseline time / cubefs time (above 1: cubefs is faster), except "
          "the decoder rows (a share of a). Cold: page cache %s, fresh mount."
          % (out["run"]["repeat"], "dropped" if
             out["run"]["page_cache_dropped"] else "NOT dropped (not root?)"))
    print("Figures also in %s." % jfile)
    print("Whole run: %.0f s (of which synthetic cube and imports: %.0f s)."
          % (elapsed, float(setup_s)))

main(sys.argv[1], sys.argv[2:])
PY
h() { $PY "$T/h.py" "$@"; }
rec() { echo "$*" >>"$R"; }
# runs a measurement (h's arguments) and records its figure under key
meas() {
	key=$1
	shift
	v=$(h "$@") || die "$key of $ds failed"
	rec "$ds" "$key" "$v"
}
T0=$(h now)

# Cold means: the kernel's page cache dropped (if allowed) and a fresh mount.
DROPPED=0
drop() {
	sync
	if echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then DROPPED=1; fi
}
mount_fs() {
	"$MOUNT" "$S" "$M" -f -o cache_size=$CACHE 2>>"$T/mount.log" &
	MPID=$!
	n=0
	until mountpoint -q "$M"; do
		kill -0 "$MPID" 2>/dev/null || die "mount.cubefs exited: $(cat "$T/mount.log")"
		n=$((n + 1))
		[ $n -lt 400 ] || die "mount.cubefs did not mount in 20 s"
		sleep 0.05
	done
}
decodes() { "$CUBEFS" stats "$M" | awk '$1 == "decodes" { print $2 }'; }
umount_fs() {
	fusermount3 -u "$M" || die "cannot unmount '$M'"
	wait "$MPID" 2>/dev/null || true
	MPID=
}

# name in the store | path under the mount
SETS="era5 era5/t2m era5/t2m.npy
landsat8 landsat8 landsat8.npy
synth synth synth.npy"

echo "setup: synthetic cube ($SYNTH) and imports into $S"
# shellcheck disable=SC2086
"$BENCH" synth "$T/synth.npy" $SYNTH 2>/dev/null || die "cannot write the synthetic cube"
"$CUBEFS" import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc" --name era5 || die "import era5"
"$CUBEFS" import -q "$S" "$DATA/landsat8_ny2018_p013r032_11band.npy" --name landsat8 ||
	die "import landsat8"
"$CUBEFS" import -q "$S" "$T/synth.npy" --name synth || die "import synth"
rm -f "$T/synth.npy"
SETUP=$($PY -c "import time; print('%.1f' % (time.time() - $T0))")
echo "setup took $SETUP s"

rec run repeat "$REPEAT"
rec run picks "$PICKS"
rec run seed "$SEED"
rec run version "$(git describe --always --dirty 2>/dev/null || echo unknown)"
# what starting a cubefs process costs (shared libraries), part of export's time
ds=run
i=0
while [ $i -lt "$REPEAT" ]; do
	meas start_s run "$CUBEFS" --version
	i=$((i + 1))
done

while read -r ds name view <&3; do
	echo "measuring $ds ($view)"
	"$CUBEFS" export "$S" "$name" "$T/local.npy" || die "export $name"
	# shellcheck disable=SC2046
	set -- $(h meta "$T/local.npy")
	steps=$1 sb=$2 off=$3
	rec "$ds" name "$name"
	rec "$ds" view "$view"
	rec "$ds" dtype "$4"
	rec "$ds" shape "($(echo "$5" | sed 's/x/, /g'))"
	rec "$ds" bytes "$(stat -c %s "$T/local.npy")"
	rec "$ds" step_bytes "$sb"
	i=0
	while [ $i -lt "$REPEAT" ]; do
		drop
		meas export_s run "$CUBEFS" export "$S" "$name" -
		drop
		mount_fs
		meas cold_dd_s dd "$M/$view"
		d0=$(decodes)
		meas warm_dd_s dd "$M/$view"
		rec "$ds" warm_decodes $(($(decodes) - d0))
		umount_fs
		drop
		mount_fs
		meas cold_npload_s npload "$M/$view"
		umount_fs
		i=$((i + 1))
	done
	# the local copy, read once so that it is in the page cache
	dd if="$T/local.npy" of=/dev/null bs=1M status=none
	i=0
	while [ $i -lt "$REPEAT" ]; do
		meas local_dd_s dd "$T/local.npy"
		i=$((i + 1))
	done
	rm -f "$T/local.npy"
	for f in $(h picks "$steps" "$PICKS" "$SEED"); do
		drop
		mount_fs
		meas pick_s pread "$M/$view" $((off + f * sb)) "$sb"
		umount_fs
	done
	v=$("$BENCH" decode --json -n "$REPEAT" "$S" "$name") ||
		die "cubefs-bench decode $name"
	rec "$ds" decode "$v"
	echo "$ds $steps $sb $off $view" >>"$T/layout"
done 3<<EOF
$SETS
EOF
[ "$(grep -c ' pick_s ' "$R")" -gt 0 ] || die "no measurement recorded"
rec run dropped "$DROPPED"

# The daemon's peak RSS after random reads over every view.
echo "measuring the daemon's peak RSS (cache_size=$CACHE)"
mount_fs
pid=$(pgrep -f -- "mount\.cubefs .*$M" | head -n 1)
[ -n "$pid" ] || pid=$MPID
rec daemon idle_vmrss_kib "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
while read -r ds steps sb off view; do
	h randread "$M/$view" "$off" "$sb" "$steps" "$PICKS" $((SEED + 1))
done <"$T/layout"
rec daemon vmhwm_kib "$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")"
rec daemon vmrss_kib "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")"
rec daemon cache_bytes $((64 << 20))
rec daemon reads "$PICKS"
rec daemon stats "$("$CUBEFS" stats "$M" | tr '\n' ';')"
umount_fs

mkdir -p "$(dirname "$JSON")"
h report "$R" "$JSON" "$T0" "$SETUP" "$(echo "$SETS" | awk '{ print $1 }')"
