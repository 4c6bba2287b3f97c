#!/bin/sh
# SPDX-License-Identifier: MIT
# Readers never wait for a commit: lookups, stats, readdir and reads go on while a large commit encodes.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: numpy missing"; exit 77; }
T=$(mktemp -d /tmp/cubefs-cl-XXXXXX)
M=$T/mnt
S=$T/store
mkdir -p "$M"
cleanup() { fusermount3 -u "$M" 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT

# a cube whose commit (every GOP re-encoded) takes seconds, and another
$PY - "$T" <<'PY'
import sys, numpy as np
t = sys.argv[1]
r = np.random.default_rng(1)
y, x = np.mgrid[0:256, 0:256] / 40.0
f = np.arange(128)[:, None, None] / 10.0
a = np.sin(x + f) + np.cos(y - f) + 0.1 * r.standard_normal((128, 256, 256))
np.save(f"{t}/big.npy", a.astype("f4"))
np.save(f"{t}/other.npy", (2 * a[:32]).astype("f4"))
PY
check "import big" $CUBEFS import -q "$S" "$T/big.npy" --gop 8 --preset medium
check "import other" $CUBEFS import -q "$S" "$T/other.npy" --gop 8
check "mount rw" $MOUNT "$S" "$M"

# The processes note CLOCK_MONOTONIC (one clock for the machine) when
# they finish each step: the order of the notes is what is checked.
cat >"$T/roles.py" <<'PY'
import mmap, os, sys, time
import numpy as np

def now():
    return time.monotonic_ns()

def note(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.rename(path + ".tmp", path)

def wait_for(path):
    while not os.path.exists(path):
        time.sleep(0.002)

def direct(path):
    """An O_DIRECT reader: every read goes to the daemon."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    buf = mmap.mmap(-1, 1 << 21)
    def read(off, n):
        got = os.preadv(fd, [memoryview(buf)[:n]], off)
        return bytes(buf[:got])
    return fd, read

role, m, t = sys.argv[1:4]
big, other = f"{m}/big.npy", f"{m}/other.npy"
off = np.load(big, mmap_mode="r").offset
frame = 256 * 256 * 4

if role == "write":
    # rows 0-7 of every frame + 1: every GOP is re-encoded at fsync
    fd = os.open(big, os.O_RDWR)
    for k in range(128):
        at = off + k * frame
        rows = np.frombuffer(os.pread(fd, 8 * 1024, at), "f4") + 1
        os.pwrite(fd, rows.astype("f4").tobytes(), at)
    note(f"{t}/start", str(now()))
    os.fsync(fd)                       # the commit
    note(f"{t}/end", str(now()))
    os.close(fd)
elif role == "other":
    # 64 KiB reads of another dataset, lookups, stats, readdir
    fd, read = direct(other)
    size = os.fstat(fd).st_size
    wait_for(f"{t}/start")
    done = []
    for i in range(12):
        assert len(read((i * 1237 * 4096) % (size - 65536) // 4096 * 4096,
                        65536)) == 65536
        try:
            os.stat(f"{m}/missing-{i}.npy")   # a lookup the kernel asks
            sys.exit("a missing name was found")
        except FileNotFoundError:
            pass
        os.stat(other)
        assert "other.npy" in os.listdir(m)
        done.append(now())
    os.close(fd)
    note(f"{t}/other", " ".join(map(str, done)))
elif role == "committed":
    # reads of the file being committed, across GOP boundaries: each
    # must be the old bytes, the written ones or the committed ones
    fd, read = direct(big)
    note(f"{t}/ready", "")
    wait_for(f"{t}/start")
    reads = []
    i = 0
    while True:
        end = os.path.exists(f"{t}/end")
        g = 1 + i % 15
        at = (off + (8 * g - 1) * frame) // 4096 * 4096
        reads.append((at, now(), read(at, 1 << 20)))
        i += 1
        if end:
            break
    os.close(fd)
    with open(f"{t}/reads", "wb") as f:
        for at, ns, b in reads:
            f.write(b"%d %d %d\n" % (at, ns, len(b)) + b)
PY

$PY - "$M" "$T" <<'PY'
import sys
m, t = sys.argv[1:3]
open(f"{t}/old", "wb").write(open(f"{m}/big.npy", "rb").read())
PY
$PY "$T/roles.py" committed "$M" "$T" &
cpid=$!
while [ ! -e "$T/ready" ]; do sleep 0.01; done
$PY "$T/roles.py" other "$M" "$T" &
opid=$!
check "the commit" $PY "$T/roles.py" write "$M" "$T"
check "the reader of another dataset" wait $opid
check "the reader of the committed file" wait $cpid

check "reads, lookups, stats and readdir finish while the commit runs" \
	$PY - "$T" <<'PY'
import sys
t = sys.argv[1]
start = int(open(f"{t}/start").read())
end = int(open(f"{t}/end").read())
done = [int(x) for x in open(f"{t}/other").read().split()]
late = [x for x in done if x >= end]
assert len(done) == 12 and not late and done[0] > start, \
    (len(late), "of", len(done), "finished after the commit returned")
PY

check "reads of the committed file: old or new bytes, never a mix" \
	$PY - "$M" "$T" <<'PY'
import mmap, os, sys
import numpy as np
m, t = sys.argv[1:3]
old = open(f"{t}/old", "rb").read()
off = np.load(f"{m}/big.npy", mmap_mode="r").offset
frame = 256 * 256 * 4
written = bytearray(old)
for k in range(128):
    at = off + k * frame
    rows = np.frombuffer(old[at:at + 8 * 1024], "f4") + 1
    written[at:at + 8 * 1024] = rows.astype("f4").tobytes()
# past the page cache: the kernel may still hold the pages written
new = bytearray()
buf = mmap.mmap(-1, 1 << 22)
fd = os.open(f"{m}/big.npy", os.O_RDONLY | os.O_DIRECT)
while n := os.preadv(fd, [buf], len(new)):
    new += buf[:n]
os.close(fd)
new = bytes(new)
assert len(new) == len(old) and new != old
raw = open(f"{t}/reads", "rb").read()
seen = {"old": 0, "written": 0, "new": 0}
p = 0
while p < len(raw):
    e = raw.index(b"\n", p)
    at, ns, n = map(int, raw[p:e].split())
    b = raw[e + 1:e + 1 + n]
    p = e + 1 + n
    for name, v in (("written", written), ("new", new), ("old", old)):
        if b == v[at:at + n]:
            seen[name] += 1
            break
    else:
        sys.exit(f"a read at {at} is none of the versions: a mix")
# the reader went on through the commit: it saw the journal, then the rows
assert seen["written"] + seen["old"] > 0 and seen["new"] > 0, seen
PY

echo "commitlock: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
