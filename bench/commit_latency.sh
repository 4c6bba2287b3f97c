#!/bin/sh
# SPDX-License-Identifier: MIT
# Reader latency during a commit: 64 KiB reads of another dataset while a large commit encodes, against an idle mount.
#
# usage: sh bench/commit_latency.sh [--quick]   (from a built tree)
# env:   CUBEFS, MOUNT_CUBEFS, BENCH_RESULTS (see bench/README.md)
set -eu
PY=/usr/bin/python3
here=$(dirname "$0")
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null ||
   ! $PY -c 'import numpy' 2>/dev/null; then
	echo "bench/commit_latency.sh: needs /dev/fuse, fusermount3 and" \
		"numpy for $PY" >&2
	exit 1
fi
quick=
frames=256
case " $* " in *" --quick "*) quick=" --quick" frames=32 ;; esac
# a smoke run's figures go to RESULTS.md only if BENCH_RESULTS asks
[ -z "$quick" ] || : "${BENCH_RESULTS=}"
export BENCH_RESULTS
T=$(mktemp -d /tmp/cubefs-bench-cl-XXXXXX)
M=$T/mnt
mkdir -p "$M"
trap 'fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# the committed cube: $frames frames of 256 x 256 float32, GOPs of 8, all
# of them re-encoded by the commit; the other dataset is read meanwhile
$PY - "$T" "$frames" <<'PY'
import sys, numpy as np
t, n = sys.argv[1], int(sys.argv[2])
r = np.random.default_rng(1)
y, x = np.mgrid[0:256, 0:256] / 40.0
for name, k, s in (("big", n, 1.0), ("other", 64, 2.0)):
    f = np.arange(k)[:, None, None] / 10.0
    a = s * (np.sin(x + f) + np.cos(y - f))
    a += 0.1 * r.standard_normal((k, 256, 256))
    np.save(f"{t}/{name}.npy", a.astype("f4"))
PY
$CUBEFS import -q "$T/store" "$T/big.npy" --gop 8
$CUBEFS import -q "$T/store" "$T/other.npy" --gop 8
# a cache of a few GOPs: most reads decode, idle or not
$MOUNT "$T/store" "$M" -o cache_size=8M

$PY - "$M" "$T" "$frames" >"$T/out" <<'PY'
import mmap, os, random, sys, threading, time
import numpy as np
m, t, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
fd = os.open(f"{m}/other.npy", os.O_RDONLY | os.O_DIRECT)
size = os.fstat(fd).st_size
buf = mmap.mmap(-1, 65536)
rng = random.Random(7)

def read_once():
    at = rng.randrange(0, (size - 65536) // 4096) * 4096
    t0 = time.monotonic()
    assert os.preadv(fd, [buf], at) == 65536
    return time.monotonic() - t0

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]

idle = [read_once() for _ in range(200)]

big = f"{m}/big.npy"
off = np.load(big, mmap_mode="r").offset
frame = 256 * 256 * 4
wfd = os.open(big, os.O_RDWR)
for k in range(frames):
    at = off + k * frame
    rows = np.frombuffer(os.pread(wfd, 8 * 1024, at), "f4") + 1
    os.pwrite(wfd, rows.astype("f4").tobytes(), at)
span = {}
def commit():
    span["start"] = time.monotonic()
    os.fsync(wfd)
    span["end"] = time.monotonic()
w = threading.Thread(target=commit)
w.start()
# every read that started while the commit ran, however late it ended
during = []
while "end" not in span:
    t0 = time.monotonic()
    d = read_once()
    if t0 >= span.get("start", t0 + 1) and t0 < span.get("end", t0 + 1):
        during.append(d)
w.join()
os.close(wfd)
os.close(fd)

i50, i99 = pct(idle, 0.5), pct(idle, 0.99)
d50, d99 = (pct(during, 0.5), pct(during, 0.99)) if during else (0, 0)
print("### 64 KiB O_DIRECT reads of another dataset "
      "(64 frames of 256 x 256 float32)")
print()
print(f"commit: {frames} frames of 256 x 256 float32, "
      f"{frames // 8} GOPs re-encoded, "
      f"{span['end'] - span['start']:.1f} s")
print()
print("| mount | reads | p50 ms | p99 ms |")
print("|---|---|---|---|")
print(f"| idle | {len(idle)} | {i50 * 1e3:.2f} | {i99 * 1e3:.2f} |")
print(f"| during the commit | {len(during)} | {d50 * 1e3:.2f} "
      f"| {d99 * 1e3:.2f} |")
print()
print(f"ratio during/idle: p50 {d50 / i50:.2f}, p99 {d99 / i99:.2f}")
PY
cat "$T/out"
sh "$here/results.sh" "sh bench/commit_latency.sh$quick" "$T/out"
