#!/bin/sh
# SPDX-License-Identifier: MIT
# Load: reader processes at random offsets checked against exports (their latency printed) while a writer commits to another dataset; fio randread.
#
# CUBEFS_LOAD_SECONDS (10) bounds the readers' and the writer's run,
# CUBEFS_LOAD_READERS (4) sets how many reader processes, CUBEFS_TEST_SEED or
# CUBEFS_LOAD_SEED repeats a run (the seed is printed). Every read is compared with `cubefs export` of its view (the
# .nc view with a copy read once before the load); the writer edits a
# lossless dataset through the mount, closes (a commit) and reads its own
# data back each time, while one more reader reads that file and finds in
# it only the source's values or written ones. fio then reads a view at random with several jobs
# and must finish without an error; its IOPS and bandwidth are printed.
set -u
. "$(dirname "$0")/lib.sh"
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
SECS=${CUBEFS_LOAD_SECONDS:-10}
READERS=${CUBEFS_LOAD_READERS:-4}
test_seed CUBEFS_LOAD_SEED
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "SKIP: /dev/fuse or fusermount3 missing"; exit 77
fi
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-load-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M" "$T/ref"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
L=$DATA/landsat8_ny2018_p013r032_11band.npy

check "import era5" $CUBEFS import -q "$S" "$DATA/era5_t2m_uk_2019-03.nc"
check "import s2" $CUBEFS import -q "$S" "$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc" --name s2
check "import landsat8 lossy" $CUBEFS import -q "$S" "$L" --name lsat --gop 4
check "import landsat8 lossless" $CUBEFS import -q "$S" "$L" --name exact --lossless
$PY -c "
import numpy as np
np.save('$T/w.npy', (np.arange(24 * 40 * 48, dtype='u2') % 4099).reshape(24, 40, 48))"
check "import the writer's dataset" $CUBEFS import -q "$S" "$T/w.npy" --name w --lossless
# the views the readers check, and their references
VIEWS="era5_t2m_uk_2019-03/t2m.npy s2/NDVI.npy s2/CLM.npy lsat.npy exact.npy"
for v in $VIEWS; do
	r=$T/ref/$(echo "$v" | tr / _)
	$CUBEFS export "$S" "${v%.npy}" "$r" || bad "export $v"
done
check "mount" $MOUNT "$S" "$M" -o cache_size=64M
cp "$M/s2.nc" "$T/ref/s2.nc" || bad "copy of s2.nc"
for v in $VIEWS s2.nc; do
	check "$v: view equals its reference" cmp -s "$M/$v" "$T/ref/$(echo "$v" | tr / _)"
done
cat >"$T/load.py" <<'PY'
import errno, os, random, sys, time
import numpy as np

def reader(mnt, ref, views, secs, seed, out):
    """Reads views at random offsets and lengths until the deadline; each
    read must equal the reference bytes."""
    g = random.Random(seed)
    refs = {v: open(f"{ref}/{v.replace('/', '_')}", "rb").read() for v in views}
    fds = {v: os.open(f"{mnt}/{v}", os.O_RDONLY) for v in views}
    n = bad = err = nbytes = 0
    lat = []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        v = g.choice(views)
        size = len(refs[v])
        off = g.randrange(size + 100)
        ln = g.choice((1, 7, 4096, 65536, 1 << 20, g.randrange(1, 300000)))
        t0 = time.monotonic()
        try:
            b = os.pread(fds[v], ln, off)
        except OSError as e:
            err += 1
            print(f"reader {seed}: {v} @{off}+{ln}: {e}", file=sys.stderr)
            continue
        lat.append((time.monotonic() - t0) * 1e3)
        n += 1
        nbytes += len(b)
        if b != refs[v][off:off + ln]:
            bad += 1
            print(f"reader {seed}: {v} @{off}+{ln}: mismatch", file=sys.stderr)
        if g.random() < 0.02:        # now and then a fresh descriptor
            os.close(fds[v])
            fds[v] = os.open(f"{mnt}/{v}", os.O_RDONLY)
    open(f"{out}.lat", "w").write("".join(f"{x:.3f}\n" for x in lat))
    open(out, "w").write(f"{n} {bad} {err} {nbytes}\n")

def wreader(mnt, src, secs, seed, out):
    """Reads w.npy at random while the writer commits to it: the header
    as it was, each value the source's or one the writer wrote (5000 and
    up; the source's are below 4099), never anything else."""
    g = random.Random(seed)
    orig = np.load(src)
    p = f"{mnt}/w.npy"
    fd = os.open(p, os.O_RDONLY)
    hdr = np.load(p, mmap_mode="r").offset
    head = open(src, "rb").read(hdr)
    flat = orig.reshape(-1)
    n = bad = err = nbytes = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        i = g.randrange(flat.size)
        k = min(flat.size - i, g.choice((1, 100, 2048, 1 << 16)))
        try:
            b = os.pread(fd, 2 * k, hdr + 2 * i)
            h = os.pread(fd, hdr, 0) if g.random() < 0.1 else head
        except OSError as e:
            err += 1
            print(f"w reader: @{i}+{k}: {e}", file=sys.stderr)
            continue
        n += 1
        nbytes += len(b)
        v = np.frombuffer(b, "<u2")
        ok = (v == flat[i:i + len(v)]) | (v >= 5000)
        if len(b) != 2 * k or not ok.all() or h != head:
            bad += 1
            print(f"w reader: @{i}+{k}: {int((~ok).sum())} values neither "
                  f"the source's nor written, {len(b)} bytes", file=sys.stderr)
    open(out, "w").write(f"{n} {bad} {err} {nbytes}\n")

def writer(mnt, src, secs, seed, out):
    """Edits one frame of w.npy per round, closes (a commit), and reads the
    whole file back: it must equal the shadow copy exactly (lossless)."""
    g = random.Random(seed)
    p = f"{mnt}/w.npy"
    shadow = np.load(src)
    hdr = np.load(p, mmap_mode="r").offset
    fr = shadow[0].nbytes
    n = bad = err = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        f = g.randrange(shadow.shape[0])
        val = np.full(shadow.shape[1:], 5000 + n % 60000, "<u2")
        try:
            fd = os.open(p, os.O_RDWR)
            os.pwrite(fd, val.tobytes(), hdr + f * fr)
            os.close(fd)
            shadow[f] = val
            n += 1
            got = np.load(p)
            if not np.array_equal(got, shadow):
                bad += 1
                print(f"writer: round {n}: {int((got != shadow).sum())} values differ",
                      file=sys.stderr)
                shadow = got
        except OSError as e:
            err += 1
            print(f"writer: round {n}: {e}", file=sys.stderr)
    np.save(f"{out}.npy", shadow)
    open(out, "w").write(f"{n} {bad} {err}\n")

if __name__ == "__main__":
    if sys.argv[1] == "wreader":
        wreader(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]),
                sys.argv[6])
    elif sys.argv[1] == "reader":
        reader(sys.argv[2], sys.argv[3], sys.argv[4].split(), float(sys.argv[5]),
               int(sys.argv[6]), sys.argv[7])
    else:
        writer(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]),
               sys.argv[6])
PY
echo "load: seed $SEED (rerun with CUBEFS_TEST_SEED=$SEED), $READERS readers," \
	"a writer and a reader of its file, $SECS s"
i=0
while [ $i -lt "$READERS" ]; do
	$PY "$T/load.py" reader "$M" "$T/ref" "$VIEWS s2.nc" "$SECS" $((SEED + i)) "$T/r$i" &
	i=$((i + 1))
done
$PY "$T/load.py" writer "$M" "$T/w.npy" "$SECS" "$SEED" "$T/wr" &
$PY "$T/load.py" wreader "$M" "$T/w.npy" "$SECS" "$SEED" "$T/r$READERS" &
wait
reads=0 mism=0 errs=0 bytes=0
i=0
while [ $i -le "$READERS" ]; do	# the last one: the reader of w.npy
	if [ -s "$T/r$i" ]; then
		set -- $(cat "$T/r$i")
		reads=$((reads + $1)) mism=$((mism + $2)) errs=$((errs + $3)) bytes=$((bytes + $4))
	else
		bad "reader $i did not finish"
	fi
	i=$((i + 1))
done
wreads=$(cut -d' ' -f1 "$T/r$READERS" 2>/dev/null)
set -- $(cat "$T/wr" 2>/dev/null || echo 0 1 1)
echo "load: $reads reads checked (${wreads:-0} of them of the file being written," \
	"$((bytes / 1048576)) MiB), $mism mismatches, $errs errors;" \
	"writer: $1 commits, $2 mismatches, $3 errors"
# while the writer committed: information, not an assertion
cat "$T"/r*.lat 2>/dev/null | $PY -c "
import sys, numpy as np
v = np.array([float(x) for x in sys.stdin], dtype=float)
if v.size:
    print(f'load: read latency over {v.size} reads of other datasets: '
          f'p50 {np.percentile(v, 50):.2f} ms, p99 {np.percentile(v, 99):.2f} ms, '
          f'max {v.max():.1f} ms')
"
check "readers: reads done" test "$reads" -gt 0
check "readers: no mismatch" test "$mism" = 0
check "readers: no error" test "$errs" = 0
check "writer: commits done" test "$1" -gt 0
check "writer: no mismatch, no error" test "$2$3" = 00
check "the writer's data committed" sh -c "$CUBEFS export '$S' w - | cmp -s - '$T/wr.npy'"

# fio: random reads, several jobs, over a lossy view (decodes) and the
# lossless one
if command -v fio >/dev/null; then
	for v in lsat.npy era5_t2m_uk_2019-03/t2m.npy; do
		fio --name=randread --filename="$M/$v" --readonly --rw=randread \
			--bsrange=4k-256k --numjobs=4 --ioengine=psync \
			--runtime=3 --time_based --group_reporting --invalidate=1 \
			--size="$(stat -c %s "$M/$v")" --output-format=json \
			--output="$T/fio.json" >/dev/null 2>"$T/fio.err"
		check "fio on $v exits 0" test $? = 0
		check "fio on $v: no errors" $PY - "$T/fio.json" "$v" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
r = j["read"]
assert j["error"] == 0, j["error"]
assert r["total_ios"] > 0, r
print(f"load: fio randread {sys.argv[2]}, 4 jobs, 4k-256k, 3 s: {r['iops']:.0f} IOPS, "
      f"{r['bw'] / 1024:.1f} MiB/s, {r['total_ios']} reads, 0 errors")
PY
	done
else
	echo "note: fio missing (scripts/deps.sh installs it); fio case not run"
fi
check "unmount" unmount_wait "$M" "$S"
# gc is a writer: after the writer's mount is gone
check "store checks clean after the load" sh -c "$CUBEFS gc '$S' >/dev/null && $CUBEFS check '$S' >/dev/null"

echo "load: $pass passed, $fails failed"
[ "$fails" = 0 ]
