#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Mount benchmark driver: cold, warm, random, parallel and dataloader reads through FUSE against in-process decodes and local copies.
"""Run by bench/mount.sh (see bench/README.md); prints markdown, writes JSON."""
import json, math, os, random, subprocess, sys, tempfile, threading, time
import multiprocessing as mp

import numpy as np

ENV = os.environ
QUICK = ENV.get("CUBEFS_BENCH_QUICK", "") not in ("", "0")
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def prog(var, default):
    p = ENV.get(var) or os.path.join(TOP, default)
    if not os.access(p, os.X_OK):
        sys.exit("bench/mount.py: '%s' is not built: run make first" % p)
    return p


CUBEFS = prog("CUBEFS", "cubefs")
MOUNT = prog("MOUNT_CUBEFS", "mount.cubefs")
BENCH = prog("CUBEFS_BENCH", "bench/cubefs-bench")
DATA = ENV.get("CUBEFS_TEST_DATA") or os.path.join(TOP, "data")
SYNTH = [int(x) for x in ENV.get("BENCH_SYNTH", "16 128 128" if QUICK
                                 else "256 1024 1024").split()]
LOADER = [int(x) for x in ENV.get("BENCH_LOADER", "8 128 128" if QUICK
                                  else "32 512 512").split()]
REPEAT = int(ENV.get("BENCH_REPEAT", "1" if QUICK else "3"))
PICKS = int(ENV.get("BENCH_PICKS", "3" if QUICK else "20"))
SEED = int(ENV.get("BENCH_SEED", "1"))
SAMPLES = int(ENV.get("BENCH_SAMPLES", "20" if QUICK else "400"))
PAR_MB = int(ENV.get("BENCH_PAR_MB", "128"))
CACHE_MB = int(ENV.get("BENCH_CACHE_MB", "256"))
XV = ENV.get("BENCH_XV", "0" if QUICK else "1") != "0" and bool(
    subprocess.run(["sh", "-c", "command -v ffmpeg"],
                   stdout=subprocess.DEVNULL).returncode == 0)
JSON = ENV.get("BENCH_JSON") or os.path.join(TOP, "bench", "results.json")
CROP = 64
NFILES = 8


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(*cmd, out=subprocess.DEVNULL):
    return subprocess.run(cmd, stdout=out, check=True)


def wall(*cmd):
    t0 = time.perf_counter()
    run(*cmd)
    return time.perf_counter() - t0


DROPPED = [ENV.get("BENCH_DROP", "0" if QUICK else "1") != "0"]


def drop():
    """Cold: the kernel's page cache dropped (if allowed and wanted)."""
    if not DROPPED[0]:
        return
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError:
        DROPPED[0] = False


class Mount:
    """mount.cubefs -f in the background; unmounted on exit."""

    def __init__(self, store, mnt):
        self.store, self.mnt, self.p = store, mnt, None

    def __enter__(self):
        self.p = subprocess.Popen(
            [MOUNT, self.store, self.mnt, "-f", "-o",
             "cache_size=%dM" % CACHE_MB], stderr=subprocess.PIPE)
        for _ in range(400):
            if os.path.ismount(self.mnt):
                return self
            if self.p.poll() is not None:
                sys.exit("bench: mount.cubefs exited: %s"
                         % self.p.stderr.read().decode())
            time.sleep(0.05)
        self.p.kill()
        sys.exit("bench: mount.cubefs did not mount in 20 s")

    def status(self, key):      # kiB from /proc/PID/status
        for line in open("/proc/%d/status" % self.p.pid):
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def stats(self):
        o = subprocess.run([CUBEFS, "stats", self.mnt], check=True,
                           stdout=subprocess.PIPE, text=True).stdout
        return {l.split()[0]: int(l.split()[1]) for l in o.splitlines()
                if len(l.split()) == 2 and l.split()[1].isdigit()}

    def __exit__(self, *a):
        subprocess.run(["fusermount3", "-u", self.mnt])
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def dd(path):
    """dd bs=1M of a file: dd's own time."""
    p = subprocess.run(["dd", "if=" + path, "of=/dev/null", "bs=1M"],
                       env=dict(ENV, LC_ALL="C"), check=True,
                       stderr=subprocess.PIPE, text=True)
    line = [l for l in p.stderr.splitlines() if " copied, " in l][0]
    return float(line.split(" copied, ")[1].split(" s")[0])


def npload(path):
    t0 = time.perf_counter()
    x = np.load(path)
    dt = time.perf_counter() - t0
    assert x.size
    return dt


def readinto(path, m):
    """The array np.load reads, read the same way (one read of the whole
    data, after the header) into an array whose pages are in memory
    already: np.load without the cost of faulting in and zeroing a fresh
    array, which its process pays while the daemon decodes."""
    x = np.empty(m["bytes"] - m["offset"], np.uint8)
    x[:] = 1
    with open(path, "rb", buffering=0) as f:
        f.seek(m["offset"])
        t0 = time.perf_counter()
        n = f.readinto(memoryview(x))
        dt = time.perf_counter() - t0
    assert n == len(x), (path, n)
    return dt


def resident(path):
    """Fraction of the file's pages in the kernel's page cache (mincore)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                          ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                             ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        p = libc.mmap(None, size, 1, 1, fd, 0)    # PROT_READ, MAP_SHARED
        if p in (None, ctypes.c_void_p(-1).value):
            return float("nan")
        n = (size + 4095) // 4096
        vec = (ctypes.c_ubyte * n)()
        rc = libc.mincore(p, size, vec)
        libc.munmap(p, size)
        return float("nan") if rc else sum(v & 1 for v in vec) / n
    finally:
        os.close(fd)


def pread_time(path, off, n):
    fd = os.open(path, os.O_RDONLY)
    try:
        t0 = time.perf_counter()
        b = os.pread(fd, n, off)
        dt = time.perf_counter() - t0
    finally:
        os.close(fd)
    assert len(b) == n, (path, off, len(b))
    return dt


def picks(t, n, seed):
    r = random.Random(seed)
    return r.sample(range(t), n) if t >= n else [r.randrange(t)
                                                  for _ in range(n)]


def pct(v, p):                  # nearest rank
    v = sorted(v)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def meta(path):
    x = np.load(path, mmap_mode="r")
    return {"steps": x.shape[0], "step_bytes": x[0].nbytes,
            "offset": x.offset, "dtype": str(x.dtype),
            "shape": list(x.shape), "bytes": os.path.getsize(path)}


def parallel(path, m, n, per):
    """n threads, each 1 MiB preads of its own per bytes starting at
    a quarter of the time steps apart (GOP-aligned for GOPs dividing
    steps/4): aggregate MB/s."""
    quarter = m["steps"] // 4 * m["step_bytes"]
    errs = []

    def reader(i):
        try:
            fd = os.open(path, os.O_RDONLY)
            off, end = m["offset"] + i * quarter, m["offset"] + i * quarter + per
            while off < end:
                k = min(1 << 20, end - off)
                assert len(os.pread(fd, k, off)) == k
                off += k
            os.close(fd)
        except Exception as e:      # reported below
            errs.append(e)

    ts = [threading.Thread(target=reader, args=(i,)) for i in range(n)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    if errs:
        raise errs[0]
    return n * per / 1e6 / dt


def crops(args):
    """One dataloader worker: `samples` random CROP x CROP crops of
    random time steps of random files (np.load mmap_mode='r')."""
    files, samples, seed = args
    r = random.Random(seed)
    arrs = [np.load(f, mmap_mode="r") for f in files]
    s = 0.0
    for _ in range(samples):
        a = arrs[r.randrange(len(arrs))]
        t = r.randrange(a.shape[0])
        y, x = r.randrange(a.shape[1] - CROP + 1), r.randrange(a.shape[2] - CROP + 1)
        s += float(np.array(a[t, y:y + CROP, x:x + CROP]).sum())
    return s


def loader(files):
    """2 worker processes, SAMPLES each: samples/s."""
    ctx = mp.get_context("fork")
    with ctx.Pool(2) as pool:
        t0 = time.perf_counter()
        pool.map(crops, [(files, SAMPLES, SEED * 1000 + w) for w in (0, 1)])
        return 2 * SAMPLES / (time.perf_counter() - t0)


def in_store(store, name):
    return subprocess.run([CUBEFS, "info", store, name],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def ensure(store, tmp, name, src):
    """Imports src (a path, or (T, H, W, seed) of a synthetic cube) as
    name unless the store has it from an earlier run."""
    if in_store(store, name):
        return 0.0
    t0 = time.perf_counter()
    if not isinstance(src, str):
        path = os.path.join(tmp, name + ".npy")
        run(BENCH, "synth", path, *map(str, src))
        src = path
    log("importing %s" % name)
    run(CUBEFS, "import", "-q", store, src, "--name", name)
    if src.startswith(tmp):
        os.unlink(src)
    return time.perf_counter() - t0


def xv_stream(store, name, tmp):
    """The cube encoded as xarrayvideo does (one band repeated into gbrp12,
    yuv444p12le limited range, x265 medium tune psnr crf 16, ffmpeg's GOP
    of 250), kept next to the store; returns (path, lo, scale, shape)."""
    out = os.path.join(os.path.dirname(os.path.abspath(store)),
                       "xv-%s.hevc" % name.replace("/", "_"))
    src = os.path.join(tmp, "xv-src.npy")
    run(CUBEFS, "export", store, name, src)
    a = np.load(src, mmap_mode="r")
    t, h, w = a.shape[0], a.shape[-2], a.shape[-1]
    lo = hi = None
    for f in range(t):
        x = np.asarray(a[f], dtype=np.float64)
        lo = x.min() if lo is None else min(lo, x.min())
        hi = x.max() if hi is None else max(hi, x.max())
    scale = (hi - lo) / 4095.0 if hi > lo else 1.0
    if not os.path.exists(out):
        log("encoding %s as xarrayvideo does (once; kept in %s)" % (name, out))
        p = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "rawvideo",
             "-pix_fmt", "gbrp12le", "-s", "%dx%d" % (w, h), "-r", "25",
             "-i", "pipe:", "-pix_fmt", "yuv444p12le", "-c:v", "libx265",
             "-preset", "medium", "-tune", "psnr", "-crf", "16",
             "-x265-params", "log-level=error", "-f", "hevc", out + ".tmp"],
            stdin=subprocess.PIPE)
        for f in range(t):
            q = np.clip(np.round((np.asarray(a[f], np.float64).reshape(h, w)
                                  - lo) / scale), 0, 4095).astype("<u2")
            p.stdin.write(q.tobytes() * 3)
        p.stdin.close()
        if p.wait():
            sys.exit("bench: ffmpeg could not encode the xarrayvideo stream")
        os.rename(out + ".tmp", out)
    os.unlink(src)
    return out, lo, scale, (t, h, w)


def xv_whole(stream):
    """Seconds to decode the whole stream as xarrayvideo does: ffmpeg to
    gbrp12le, then numpy dequantizes the band into a float32 array."""
    path, lo, scale, (t, h, w) = stream
    drop()
    t0 = time.perf_counter()
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel", "error",
                          "-i", path, "-f", "rawvideo", "-pix_fmt",
                          "gbrp12le", "pipe:"], stdout=subprocess.PIPE)
    out = np.empty((t, h, w), np.float32)
    frame = 3 * h * w * 2
    for f in range(t):
        b = p.stdout.read(frame)
        if len(b) != frame:
            sys.exit("bench: the xarrayvideo stream decoded short")
        g = np.frombuffer(b, "<u2", h * w)     # plane 0 of gbrp: G, the band
        out[f] = g.reshape(h, w) * np.float32(scale) + np.float32(lo)
    p.wait()
    return time.perf_counter() - t0


def measure(store, mnt, tmp, ds, name, view):
    """Every per-dataset figure; returns the dataset's dict."""
    path = os.path.join(mnt, view)
    with Mount(store, mnt):
        m = meta(path)
    d = dict(m, name=name, view=view, export_s=[], cold_dd_s=[],
             warm_dd_s=[], warm_decodes=[], warm_resident=[],
             cold_npload_s=[], cold_readinto_s=[],
             local_dd_s=[], pick_cold_s=[], pick_warm_s=[])
    for _ in range(REPEAT):
        drop()
        d["export_s"].append(wall(CUBEFS, "export", store, name, "-"))
        drop()
        with Mount(store, mnt) as mo:
            d["cold_dd_s"].append(dd(path))
            d["warm_resident"].append(resident(path))
            d0 = mo.stats().get("decodes", 0)
            d["warm_dd_s"].append(dd(path))
            d["warm_decodes"].append(mo.stats().get("decodes", 0) - d0)
        drop()
        with Mount(store, mnt):
            d["cold_npload_s"].append(npload(path))
        drop()
        with Mount(store, mnt):
            d["cold_readinto_s"].append(readinto(path, m))
    local = os.path.join(tmp, "local.npy")
    run(CUBEFS, "export", store, name, local)
    dd(local)                   # now in the page cache
    for _ in range(REPEAT):
        d["local_dd_s"].append(dd(local))
    os.unlink(local)
    ps = picks(m["steps"], PICKS, SEED)
    at = lambda f: m["offset"] + f * m["step_bytes"]
    for f in ps:
        drop()
        with Mount(store, mnt):
            d["pick_cold_s"].append(pread_time(path, at(f), m["step_bytes"]))
    with Mount(store, mnt):     # warm: the same steps read a second time
        for f in ps:
            pread_time(path, at(f), m["step_bytes"])
        for f in ps:
            d["pick_warm_s"].append(pread_time(path, at(f), m["step_bytes"]))
    d["decode"] = json.loads(subprocess.run(
        [BENCH, "decode", "--json", "-n", str(REPEAT), store, name],
        check=True, stdout=subprocess.PIPE, text=True).stdout)
    if ds == "synth" and XV:
        xs = xv_stream(store, name, tmp)
        d["xv_whole_s"] = [xv_whole(xs) for _ in range(REPEAT)]
    if ds == "synth":
        per = min(PAR_MB << 20, m["steps"] // 4 * m["step_bytes"])
        d["parallel_bytes_per_reader"] = per
        d["parallel_mbs"] = {}
        for n in (1, 2, 4):
            drop()
            with Mount(store, mnt):
                d["parallel_mbs"][n] = parallel(path, m, n, per)
    return d


def derive(d):
    nb = d["bytes"] / 1e6
    best = lambda k: min(d[k])
    dec = d["decode"]
    limit = max(dec["plain_mbs"], dec["gop_parallel_mbs"])
    d.update({
        "decoder_limit_mbs": limit,
        "cold_dd_mbs": nb / best("cold_dd_s"),
        "cold_npload_mbs": nb / best("cold_npload_s"),
        "cold_readinto_mbs": (nb - d["offset"] / 1e6) / best("cold_readinto_s"),
        "warm_dd_mbs": nb / best("warm_dd_s"),
        "local_warm_dd_mbs": nb / best("local_dd_s"),
        "export_mbs": nb / best("export_s"),
        "pick_cold_p50_s": pct(d["pick_cold_s"], 50),
        "pick_cold_p99_s": pct(d["pick_cold_s"], 99),
        "pick_warm_p50_s": pct(d["pick_warm_s"], 50),
        "pick_warm_p99_s": pct(d["pick_warm_s"], 99),
    })
    d["ratio_cold_dd_vs_decoder"] = d["cold_dd_mbs"] / limit
    d["ratio_cold_npload_vs_decoder"] = d["cold_npload_mbs"] / limit
    d["ratio_cold_readinto_vs_decoder"] = d["cold_readinto_mbs"] / limit
    d["ratio_warm_vs_local"] = d["warm_dd_mbs"] / d["local_warm_dd_mbs"]
    ex = best("export_s")
    for k in ("cold_p50", "cold_p99", "warm_p50", "warm_p99"):
        d["ratio_whole_vs_pick_" + k] = ex / d["pick_%s_s" % k]
        if d.get("xv_whole_s"):
            d["ratio_xv_whole_vs_pick_" + k] = (min(d["xv_whole_s"]) /
                                                d["pick_%s_s" % k])
    if "parallel_mbs" in d:
        p = d["parallel_mbs"]
        d["ratio_parallel_2_vs_1"] = p[2] / p[1]
        d["ratio_parallel_4_vs_1"] = p[4] / p[1]
        # what the cores can give at all: one reader near the limit
        # leaves a second little to add
        d["ratio_parallel_2_vs_limit"] = p[2] / d["decoder_limit_mbs"]
    return d


def goal(v, target, synth):
    if not synth:
        return "%.2f" % v
    return "%.2f (goal %s: %s)" % (v, target,
                                 "met" if v >= float(target.lstrip(">= "))
                                 else "NOT met")


def table(ds, d):
    synth = ds == "synth"
    dec = d["decode"]
    print("\n### %s: MOUNT/%s, %s %s, %.1f MB%s\n" % (
        ds, d["view"], d["dtype"], tuple(d["shape"]), d["bytes"] / 1e6,
        ", synthetic" if synth else ", real sample"))
    print("| figure | cubefs | baseline | ratio |\n|---|---|---|---|")
    row = lambda *c: print("| %s | %s | %s | %s |" % c)
    mb = lambda v: "%.0f MB/s" % v
    ms = lambda v: "%.1f ms" % (v * 1e3)
    row("decoder limit, in process: a codec threads, d %d GOPs in "
        "parallel, e 1 thread (limit: best of a, d)" % dec["workers"],
        "a %.0f, d %.0f, e %.0f MB/s" % (dec["plain_mbs"],
                                         dec["gop_parallel_mbs"],
                                         dec["single_mbs"]),
        "limit " + mb(d["decoder_limit_mbs"]),
        "d/a %.2f" % dec["gop_parallel_vs_plain"])
    row("in process: b decode + dequantize, c read path without FUSE",
        "b %.0f, c %.0f MB/s" % (dec["full_mbs"], dec["read_mbs"]),
        "a " + mb(dec["plain_mbs"]),
        "%.2f, %.2f" % (dec["full_vs_plain"], dec["read_vs_plain"]))
    if dec.get("step_max_s", 0) > 0 and dec.get("full_gop_s", 0) > 0:
        row("in process: f one time step decoded alone, median / slowest "
            "of every step of the first GOPs",
            "%s / %s" % (ms(dec["step_p50_s"]), ms(dec["step_max_s"])),
            "a whole GOP (b) " + ms(dec["full_gop_s"]),
            "%.2f / %.2f" % (dec["step_p50_s"] / dec["full_gop_s"],
                             dec["step_max_s"] / dec["full_gop_s"]))
    row("cold sequential `dd bs=1M`, fresh mount", mb(d["cold_dd_mbs"]),
        "limit " + mb(d["decoder_limit_mbs"]),
        goal(d["ratio_cold_dd_vs_decoder"], ">= 0.8", synth))
    row("cold `np.load`, fresh mount", mb(d["cold_npload_mbs"]),
        "limit " + mb(d["decoder_limit_mbs"]),
        goal(d["ratio_cold_npload_vs_decoder"], ">= 0.8", synth))
    row("cold read of the same bytes as np.load into an array already in "
        "memory (`readinto`), fresh mount", mb(d["cold_readinto_mbs"]),
        "limit " + mb(d["decoder_limit_mbs"]),
        "%.2f" % d["ratio_cold_readinto_vs_decoder"])
    row("cold `dd` vs `cubefs export - >/dev/null` (a whole process)",
        mb(d["cold_dd_mbs"]), mb(d["export_mbs"]),
        "%.2f" % (d["cold_dd_mbs"] / d["export_mbs"]))
    row("warm re-read: 2nd `dd`, same mount (pages the kernel kept from "
        "the 1st: %s; GOPs decoded again: %s) vs local .npy in the page "
        "cache" % ("/".join("%.1f%%" % (100 * r) for r in d["warm_resident"]),
                   "/".join(map(str, d["warm_decodes"]))),
        mb(d["warm_dd_mbs"]), mb(d["local_warm_dd_mbs"]),
        goal(d["ratio_warm_vs_local"], ">= 0.5", synth))
    for k, what in (("cold", "fresh mount each"),
                    ("warm", "2nd read, same mount")):
        row("one random time step (%d B), %s, p50 / p99 of %d vs the "
            "whole stream (`cubefs export`)" % (
                d["step_bytes"], what, len(d["pick_%s_s" % k])),
            "%s / %s" % (ms(d["pick_%s_p50_s" % k]),
                         ms(d["pick_%s_p99_s" % k])),
            "%.3f s" % min(d["export_s"]),
            "%s / %s" % (goal(d["ratio_whole_vs_pick_%s_p50" % k], ">= 20",
                              synth and k == "cold"),
                         goal(d["ratio_whole_vs_pick_%s_p99" % k], ">= 20",
                              synth and k == "cold")))
    if d.get("xv_whole_s"):
        row("one random time step, fresh mount each, p50 / p99 vs the whole "
            "stream decoded as xarrayvideo does (x265 medium, GOP 250, the "
            "band as gbrp; `ffmpeg` to gbrp12le, numpy dequantizes)",
            "%s / %s" % (ms(d["pick_cold_p50_s"]), ms(d["pick_cold_p99_s"])),
            "%.3f s" % min(d["xv_whole_s"]),
            "%s / %s" % (goal(d["ratio_xv_whole_vs_pick_cold_p50"], ">= 20",
                              synth),
                         goal(d["ratio_xv_whole_vs_pick_cold_p99"], ">= 20",
                              synth)))
    if "parallel_mbs" in d:
        p = d["parallel_mbs"]
        row("parallel: 1 / 2 / 4 readers of %g MiB each on different GOPs, "
            "cold, aggregate" % (d["parallel_bytes_per_reader"] / 2**20),
            "%.0f / %.0f / %.0f MB/s" % (p[1], p[2], p[4]), "1 reader",
            "2: %s, 4: %.2f; 2 readers / decoder limit %.2f" % (
                goal(d["ratio_parallel_2_vs_1"], ">= 1.7", True),
                d["ratio_parallel_4_vs_1"],
                d["ratio_parallel_2_vs_limit"]))


def main():
    t0 = time.time()
    uid = os.getuid()
    tmp = tempfile.mkdtemp(prefix="cubefs-bench-")
    store = ENV.get("BENCH_STORE") or (
        os.path.join(tmp, "store") if QUICK else
        "/var/tmp/cubefs-bench-%d/store" % uid)
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt)
    os.makedirs(os.path.dirname(store), exist_ok=True)
    try:
        return bench(t0, tmp, store, mnt)
    finally:
        subprocess.run(["fusermount3", "-u", mnt], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", tmp])


def bench(t0, tmp, store, mnt):
    sname = (ENV.get("BENCH_SYNTH_NAME") or
             "synth%dx%dx%ds%d" % (*SYNTH, SEED))
    lnames = ["loader%d_%dx%dx%d" % (i, *LOADER) for i in range(NFILES)]
    sets = [("era5", "era5/t2m", "era5/t2m.npy",
             os.path.join(DATA, "era5_t2m_uk_2019-03.nc")),
            ("landsat8", "landsat8", "landsat8.npy",
             os.path.join(DATA, "landsat8_ny2018_p013r032_11band.npy")),
            ("synth", sname, sname + ".npy", (*SYNTH, SEED))]
    setup = 0.0
    for ds, name, view, src in sets:
        setup += ensure(store, tmp, name.split("/")[0], src)
    for i, n in enumerate(lnames):
        setup += ensure(store, tmp, n, (*LOADER, 101 + i))
    log("store %s ready (imports this run: %.0f s)" % (store, setup))
    out = {"run": {"quick": QUICK, "repeat": REPEAT, "picks": PICKS,
                   "seed": SEED, "samples_per_worker": SAMPLES,
                   "cpus": os.cpu_count(), "cache_size_mb": CACHE_MB,
                   "store": store, "load_before": os.getloadavg(),
                   "mb": "10^6 bytes",
                   "note": "ratios within this run; sequential times are "
                           "the best of 'repeat' runs; synth and loader "
                           "cubes are synthetic"},
           "datasets": {}}
    for ds, name, view, src in sets:
        log("measuring %s" % ds)
        out["datasets"][ds] = derive(measure(store, mnt, tmp, ds, name,
                                             view))
    # dataloader and the daemon's peak RSS: one mount, cold
    log("measuring the dataloader and the daemon's memory")
    mfiles = [os.path.join(mnt, n + ".npy") for n in lnames]
    drop()
    with Mount(store, mnt) as mo:
        idle = mo.status("VmRSS")
        mount_sps = loader(mfiles)
        for ds, name, view, src in sets:
            path = os.path.join(mnt, view)
            m = meta(path)
            fd = os.open(path, os.O_RDONLY)
            for f in picks(m["steps"], PICKS, SEED + 1):
                os.pread(fd, m["step_bytes"], m["offset"] + f * m["step_bytes"])
            os.close(fd)
        hwm, rss, st = mo.status("VmHWM"), mo.status("VmRSS"), mo.stats()
    local = []
    for n in lnames:
        local.append(os.path.join(tmp, n + ".npy"))
        run(CUBEFS, "export", store, n, local[-1])
    drop()
    local_sps = loader(local)
    cache = CACHE_MB << 20
    out["dataloader"] = {"files": NFILES, "shape": LOADER, "crop": CROP,
                         "workers": 2, "samples_per_worker": SAMPLES,
                         "mount_samples_per_s": mount_sps,
                         "local_samples_per_s": local_sps,
                         "ratio": mount_sps / local_sps}
    out["daemon"] = {"vmhwm_bytes": hwm * 1024, "cache_size_bytes": cache,
                     "over_cache_bytes": hwm * 1024 - cache,
                     "idle_vmrss_bytes": idle * 1024,
                     "vmrss_after_bytes": rss * 1024, "stats": st}
    out["run"]["page_cache_dropped"] = DROPPED[0]
    out["run"]["load_after"] = os.getloadavg()
    out["run"]["seconds"] = round(time.time() - t0, 1)
    out["run"]["setup_seconds"] = round(setup, 1)
    report(out)
    os.makedirs(os.path.dirname(os.path.abspath(JSON)), exist_ok=True)
    with open(JSON, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print("\nFigures also in %s." % JSON)
    return 0


def report(out):
    r = out["run"]
    for ds, d in out["datasets"].items():
        table(ds, d)
    dl = out["dataloader"]
    print("\n### dataloader: random %dx%d crops of %d mounted files %s "
          "(synthetic), 2 worker processes, %d samples each\n" % (
              dl["crop"], dl["crop"], dl["files"], tuple(dl["shape"]),
              dl["samples_per_worker"]))
    print("| cubefs, cold mount | local .npy, cold page cache | ratio |")
    print("|---:|---:|---:|")
    print("| %.0f samples/s | %.0f samples/s | %.2f |" % (
        dl["mount_samples_per_s"], dl["local_samples_per_s"], dl["ratio"]))
    dm = out["daemon"]
    mib = lambda b: "%.1f MiB" % (b / 2**20)
    print("\n### mount.cubefs after the dataloader and %d random time steps "
          "of each view (one mount)\n" % r["picks"])
    print("| VmHWM | -o cache_size | VmHWM - cache_size | VmRSS idle | "
          "VmRSS after | decodes | evictions |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    over = dm["over_cache_bytes"]
    print("| %s | %s | %s (goal <= 64 MiB: %s) | %s | %s | %s | %s |" % (
        mib(dm["vmhwm_bytes"]), mib(dm["cache_size_bytes"]), mib(over),
        "met" if over <= 64 << 20 else "NOT met", mib(dm["idle_vmrss_bytes"]),
        mib(dm["vmrss_after_bytes"]), dm["stats"].get("decodes", "?"),
        dm["stats"].get("evictions", "?")))
    print("\nSequential figures: best of %d runs. MB = 10^6 bytes. Cold: "
          "page cache %s, fresh mount. Goals are judged on the synthetic "
          "cube; the real samples are small (process start and mount "
          "dominate). Load average before/after: %.1f / %.1f on %d cpus: "
          "compare ratios within a run, not MB/s across runs.%s" % (
              r["repeat"], "dropped" if r["page_cache_dropped"] else
              "NOT dropped (not root, or BENCH_DROP=0)", r["load_before"][0],
              r["load_after"][0], r["cpus"],
              " QUICK MODE: smoke run, figures mean nothing." if r["quick"]
              else ""))
    print("Whole run: %.0f s (imports this run: %.0f s)." % (
        r["seconds"], r["setup_seconds"]))


if __name__ == "__main__":
    if "--quick" in sys.argv[1:]:
        QUICK = True
        os.environ["CUBEFS_BENCH_QUICK"] = "1"
        os.execv(sys.executable, [sys.executable, __file__])
    sys.exit(main())
