#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Training-loader benchmark: random crops through PyTorch DataLoaders from a mount (plain random and GOP-aware samplers) against raw .npy and NetCDF-4 copies.
"""Run by bench/loader.sh (see bench/README.md); prints markdown."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))
import mount as mb  # noqa: E402  (Mount, drop, the programs)
import cubefs_sampler as cs  # noqa: E402

ENV = os.environ
QUICK = ENV.get("CUBEFS_BENCH_QUICK", "") not in ("", "0")
SHAPE = [int(x) for x in ENV.get("BENCH_LOADER_SHAPE", "48 160 240" if QUICK
                                 else "384 320 480").split()]
CACHE_MB = int(ENV.get("BENCH_LOADER_CACHE_MB", "8" if QUICK else "96"))
WORKERS = [int(x) for x in ENV.get("BENCH_LOADER_WORKERS",
                                   "2" if QUICK else "2 4").split()]
GOP = int(ENV.get("BENCH_LOADER_GOP", "16"))
THROTTLE_MB = int(ENV.get("BENCH_THROTTLE_MB", "100"))
DIR = ENV.get("BENCH_LOADER_DIR") or "/var/tmp/cubefs-bench-%d/loader" % \
    os.getuid()
CROP = 64 if not QUICK else 32
# a DataLoader holds workers x 2 batches in flight: with 4 workers and
# batches of 8 they stay within one window of the GOP-aware sampler
BATCH = int(ENV.get("BENCH_LOADER_BATCH", "8"))
SEED = int(ENV.get("BENCH_SEED", "1"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def prepare():
    """The synthetic cube as .npy, its store and its NetCDF-4 copy, kept
    in DIR between runs (the import takes minutes)."""
    os.makedirs(DIR, exist_ok=True)
    t, h, w = SHAPE
    name = "cube%dx%dx%d" % (t, h, w)
    npy = os.path.join(DIR, name + ".npy")
    store = os.path.join(DIR, "store")
    if not os.path.exists(npy):
        mb.run(mb.BENCH, "synth", npy, str(t), str(h), str(w), "3")
    if not mb.in_store(store, name):
        log("importing %s (GOPs of %d, preset medium)" % (name, GOP))
        mb.run(mb.CUBEFS, "import", "-q", store, npy, "--name", name,
               "--gop", str(GOP), "--preset", "medium")
    nc = os.path.join(DIR, name + ".nc")
    if not os.path.exists(nc):
        import netCDF4
        a = np.load(npy, mmap_mode="r")
        with netCDF4.Dataset(nc + ".tmp", "w", format="NETCDF4") as d:
            for k, n in zip("tyx", a.shape):
                d.createDimension(k, n)
            v = d.createVariable("v", "f4", ("t", "y", "x"), zlib=True,
                                 complevel=4, chunksizes=(1, h, w))
            for i in range(0, a.shape[0], 16):
                v[i:i + 16] = a[i:i + 16]
        os.rename(nc + ".tmp", nc)
    return name, npy, store, nc


def decoder_limit(store, name):
    """Frames/s when every frame is decoded once (best of the whole-GOP
    decode on all cores and GOPs decoded in parallel, in process)."""
    o = subprocess.run([mb.BENCH, "decode", "--json", "-n", "2", store, name],
                       check=True, stdout=subprocess.PIPE, text=True).stdout
    import json
    d = json.loads(o.strip().splitlines()[-1])
    return SHAPE[0] / min(d["full_s"], d["gop_parallel_s"])


class NcCrops:
    """Random crops of a NetCDF-4 file through netCDF4-python, opened in
    each worker (the CropDataset's crop places)."""

    def __init__(self, path, like):
        self.path, self.like, self.d = path, like, None

    def __len__(self):
        return len(self.like)

    def __getstate__(self):
        return dict(self.__dict__, d=None)

    def __getitem__(self, i):
        import netCDF4
        if self.d is None:
            self.d = netCDF4.Dataset(self.path)
            self.d.set_auto_mask(False)
        _, t, y, x = self.like.locate(i)
        return np.array(self.d["v"][t, y:y + CROP, x:x + CROP])


def epoch(ds, sampler, workers):
    """One pass of a DataLoader: samples/s."""
    import torch.utils.data as tud
    dl = tud.DataLoader(ds, batch_size=BATCH, sampler=sampler,
                        num_workers=workers)
    t0 = time.perf_counter()
    n = 0
    for b in dl:
        n += len(b)
    return n / (time.perf_counter() - t0)


def sampler_of(kind, ds, paths, budget):
    import torch
    import torch.utils.data as tud
    if kind == "gop":
        return cs.GopSampler(paths, seed=SEED, budget=budget)
    g = torch.Generator()
    g.manual_seed(SEED)
    return tud.RandomSampler(ds, generator=g)


def two_epochs(ds, sampler, workers, drop_each):
    """Samples/s of a first and a second epoch; the page cache dropped
    before the first, and before the second if drop_each."""
    out = []
    for e in (0, 1):
        if e == 0 or drop_each:
            mb.drop()
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(e)
        if hasattr(ds, "set_epoch"):
            ds.set_epoch(e)
        out.append(epoch(ds, sampler, workers))
    return out


def on_mount(store, name, kind, workers, tmp):
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt, exist_ok=True)
    mb.CACHE_MB = CACHE_MB
    with mb.Mount(store, mnt) as m:
        path = os.path.join(mnt, name + ".npy")
        ds = cs.CropDataset([path], crop=(CROP, CROP), seed=SEED)
        s = sampler_of(kind, ds, [path], None)
        r = two_epochs(ds, s, workers, False)
        st = m.stats()
        hwm = m.status("VmHWM") * 1024
    return r, st, hwm


class Throttled:
    """The raw .npy on an ext4 loop device whose reads a blkio cgroup
    throttles to THROTTLE_MB MB/s, for the processes moved into it; made
    and removed here (root only)."""

    CG = "/sys/fs/cgroup/blkio"

    def __init__(self, npy, tmp):
        self.npy, self.tmp = npy, tmp
        self.loop = self.mnt = self.cg = None

    def __enter__(self):
        img = os.path.join(self.tmp, "loop.img")
        size = (os.path.getsize(self.npy) * 11 // 10 >> 20) + 64 << 20
        with open(img, "wb") as f:
            f.truncate(size)
        mb.run("mkfs.ext4", "-q", "-F", img)
        self.loop = subprocess.run(["losetup", "-f", "--show", img],
                                   check=True, stdout=subprocess.PIPE,
                                   text=True).stdout.strip()
        self.mnt = os.path.join(self.tmp, "loopmnt")
        os.makedirs(self.mnt, exist_ok=True)
        mb.run("mount", self.loop, self.mnt)
        self.path = os.path.join(self.mnt, os.path.basename(self.npy))
        shutil.copyfile(self.npy, self.path)
        os.sync()
        dev = os.stat(self.loop).st_rdev
        self.cg = os.path.join(self.CG, "cubefs-bench-%d" % os.getpid())
        os.mkdir(self.cg)
        with open(os.path.join(self.cg, "blkio.throttle.read_bps_device"),
                  "w") as f:
            f.write("%d:%d %d\n" % (os.major(dev), os.minor(dev),
                                    THROTTLE_MB * 1000000))
        with open(os.path.join(self.cg, "cgroup.procs"), "w") as f:
            f.write("%d\n" % os.getpid())      # workers fork from here
        return self

    def __exit__(self, *a):
        if self.cg:
            with open(os.path.join(self.CG, "cgroup.procs"), "w") as f:
                f.write("%d\n" % os.getpid())
            for _ in range(50):
                try:
                    os.rmdir(self.cg)
                    break
                except OSError:
                    time.sleep(0.1)
        if self.mnt:
            subprocess.run(["umount", self.mnt])
        if self.loop:
            subprocess.run(["losetup", "-d", self.loop])


def throttled_ok():
    return os.geteuid() == 0 and os.path.isdir(Throttled.CG) and \
        shutil.which("losetup") and shutil.which("mkfs.ext4")


def main():
    try:
        import torch  # noqa: F401
        import netCDF4  # noqa: F401
    except ImportError as e:
        sys.exit("bench/loader.py: needs torch and netCDF4: %s" % e)
    if not os.path.exists("/dev/fuse") or not shutil.which("fusermount3"):
        sys.exit("bench/loader.py: needs /dev/fuse and fusermount3")
    name, npy, store, nc = prepare()
    limit = decoder_limit(store, name)
    tmp = tempfile.mkdtemp(prefix="cubefs-bench-loader-")
    rows = {}
    mem = {}
    try:
        for w in WORKERS:
            for kind in ("random", "gop"):
                log("mount, %s sampler, %d workers" % (kind, w))
                r, st, hwm = on_mount(store, name, kind, w, tmp)
                rows[("mount", kind, w)] = r
                mem[(kind, w)] = (st, hwm)
            like = cs.CropDataset([npy], crop=(CROP, CROP), seed=SEED)
            log("local .npy, %d workers" % w)
            rows[("npy", "random", w)] = two_epochs(
                like, sampler_of("random", like, None, 0), w, True)
            if throttled_ok():
                log("throttled .npy, %d workers" % w)
                with Throttled(npy, tmp) as th:
                    ds = cs.CropDataset([th.path], crop=(CROP, CROP),
                                        seed=SEED)
                    rows[("slow", "random", w)] = two_epochs(
                        ds, sampler_of("random", ds, None, 0), w, True)
            log("NetCDF-4, %d workers" % w)
            ds = NcCrops(nc, like)
            rows[("nc", "random", w)] = two_epochs(
                ds, sampler_of("random", like, None, 0), w, True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(name, limit, rows, mem)


LABEL = {("mount", "random"): "1. mount, plain random sampler",
         ("mount", "gop"): "2. mount, GOP-aware sampler",
         ("npy", "random"): "3. raw .npy, local disk, page cache dropped",
         ("slow", "random"): "4. raw .npy, storage at %d MB/s" % THROTTLE_MB,
         ("nc", "random"): "5. NetCDF-4 zlib, netCDF4-python"}


def report(name, limit, rows, mem):
    t, h, w = SHAPE
    print("Cube %s: float32 %d x %d x %d (%.0f MiB), GOPs of %d, mount "
          "cache_size=%dM; %dx%d crops, one per time step and epoch, "
          "batches of %d. Decoder limit (every frame decoded once, in "
          "process, all cores): %.1f samples/s. Machine shared with other "
          "work while measuring.\n" % (name, t, h, w, t * h * w * 4 / 2**20,
                                       GOP, CACHE_MB, CROP, CROP, BATCH,
                                       limit))
    print("| reader | workers | epoch 1 samples/s | epoch 2 samples/s | "
          "epoch 1 / decoder limit | epoch 1 / (1) |")
    print("|---|---|---|---|---|---|")
    for wk in WORKERS:
        base = rows[("mount", "random", wk)][0]
        for key, label in LABEL.items():
            r = rows.get(key + (wk,))
            if not r:
                continue
            print("| %s | %d | %.1f | %.1f | %.2f | %.2f |" %
                  (label, wk, r[0], r[1], r[0] / limit, r[0] / base))
    print("\n| mount, sampler | workers | GOP decodes (2 epochs) | GOPs | "
          "cache evictions | daemon peak RSS MiB | cache budget MiB |")
    print("|---|---|---|---|---|---|---|")
    ngops = -(-t // GOP)
    for (kind, wk), (st, hwm) in sorted(mem.items()):
        print("| %s | %d | %d | %d | %d | %.0f | %d |" %
              (kind, wk, st.get("decodes", 0), ngops,
               st.get("evictions", 0), hwm / 2**20, CACHE_MB))
    g = [rows[("mount", "gop", wk)][0] for wk in WORKERS]
    r = [rows[("mount", "random", wk)][0] for wk in WORKERS]
    s = [rows[("slow", "random", wk)][0] for wk in WORKERS
         if ("slow", "random", wk) in rows]
    print("\nGoals: (2) at least 0.8 of the decoder limit: %s; at least 3x "
          "(1): %s%s." % (
              ", ".join("%.2f" % (x / limit) for x in g),
              ", ".join("%.1fx" % (a / b) for a, b in zip(g, r)),
              "; at least 1.5x (4): " + ", ".join(
                  "%.1fx" % (a / b) for a, b in zip(g, s)) if s else
              "; (4) not measured (needs root, losetup and blkio)"))


if __name__ == "__main__":
    if "--quick" in sys.argv[1:]:
        os.environ["CUBEFS_BENCH_QUICK"] = "1"
        os.execv(sys.executable, [sys.executable, __file__])
    sys.exit(main())
