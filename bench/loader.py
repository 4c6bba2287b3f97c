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
                                 else "1536 320 480").split()]
CACHE_MB = int(ENV.get("BENCH_LOADER_CACHE_MB", "8" if QUICK else "256"))
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
# crops per time step and epoch of the second table (cubefs_sampler's
# per_step): one decode serves that many samples
PER_STEP = int(ENV.get("BENCH_LOADER_PER_STEP", "4" if QUICK else "8"))
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
        log("importing %s (GOPs of %d, the default codec)" % (name, GOP))
        mb.run(mb.CUBEFS, "import", "-q", store, npy, "--name", name,
               "--gop", str(GOP))
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


def sampler_of(kind, ds, paths, budget, per_step=1):
    import torch
    import torch.utils.data as tud
    if kind == "gop":
        return cs.GopSampler(paths, seed=SEED, budget=budget,
                             per_step=per_step)
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


def on_mount(store, name, kind, workers, tmp, per_step=1):
    mnt = os.path.join(tmp, "mnt")
    os.makedirs(mnt, exist_ok=True)
    mb.CACHE_MB = CACHE_MB
    with mb.Mount(store, mnt) as m:
        path = os.path.join(mnt, name + ".npy")
        ds = cs.CropDataset([path], crop=(CROP, CROP), seed=SEED,
                            per_step=per_step)
        s = sampler_of(kind, ds, [path], None, per_step)
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
        if PER_STEP > 1:
            per_step_rows(store, name, npy, tmp, rows, mem)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(name, limit, rows, mem)


def per_step_rows(store, name, npy, tmp, rows, mem):
    """The GOP sampler, the local and the throttled .npy again, PER_STEP
    crops per time step and epoch (rows keyed with "k")."""
    k = PER_STEP
    for w in WORKERS:
        log("%d crops per step: mount, gop sampler, %d workers" % (k, w))
        r, st, hwm = on_mount(store, name, "gop", w, tmp, k)
        rows[("mount", "gop", w, "k")] = r
        mem[("gop x%d" % k, w)] = (st, hwm)
        like = cs.CropDataset([npy], crop=(CROP, CROP), seed=SEED,
                              per_step=k)
        log("%d crops per step: local .npy, %d workers" % (k, w))
        rows[("npy", "random", w, "k")] = two_epochs(
            like, sampler_of("random", like, None, 0), w, True)
        if throttled_ok():
            log("%d crops per step: throttled .npy, %d workers" % (k, w))
            with Throttled(npy, tmp) as th:
                ds = cs.CropDataset([th.path], crop=(CROP, CROP),
                                    seed=SEED, per_step=k)
                rows[("slow", "random", w, "k")] = two_epochs(
                    ds, sampler_of("random", ds, None, 0), w, True)


LABEL = {("mount", "random"): "1. mount, plain random sampler",
         ("mount", "gop"): "2. mount, GOP-aware sampler",
         ("npy", "random"): "3. raw .npy, local disk, page cache dropped",
         ("slow", "random"): "4. raw .npy, storage at %d MB/s" % THROTTLE_MB,
         ("nc", "random"): "5. NetCDF-4 zlib, netCDF4-python"}


def table(rows, limit, k):
    """The samples/s table of the rows of k crops per step (key suffix
    "k" when k > 1), against the decoder limit k x frames/s."""
    print("| reader | workers | epoch 1 samples/s | epoch 2 samples/s | "
          "epoch 1 / decoder limit | epoch 1 / (1) | epoch 1 / (4) |")
    print("|---|---|---|---|---|---|---|")
    sfx = ("k",) if k > 1 else ()
    for wk in WORKERS:
        base = rows.get(("mount", "random", wk) + sfx)
        slow = rows.get(("slow", "random", wk) + sfx)
        for key, label in LABEL.items():
            r = rows.get(key + (wk,) + sfx)
            if not r:
                continue
            print("| %s | %d | %.1f | %.1f | %.2f | %s | %s |" %
                  (label, wk, r[0], r[1], r[0] / (limit * k),
                   "%.2f" % (r[0] / base[0]) if base else "-",
                   "%.2f" % (r[0] / slow[0]) if slow else "-"))


def report(name, limit, rows, mem):
    t, h, w = SHAPE
    print("Cube %s: float32 %d x %d x %d (%.0f MiB), GOPs of %d, the "
          "default codec, mount cache_size=%dM; %dx%d crops, batches of %d. "
          "Decoder limit (every frame decoded once, in process, all cores): "
          "%.1f frames/s, the samples/s it allows at one crop per time step "
          "and epoch (k times that at k crops).\n" %
          (name, t, h, w, t * h * w * 4 / 2**20, GOP, CACHE_MB, CROP, CROP,
           BATCH, limit))
    print("One crop per time step and epoch:\n")
    table(rows, limit, 1)
    if PER_STEP > 1:
        print("\n%d crops per time step and epoch (`per_step=%d`; rows 1 and "
              "5 not run):\n" % (PER_STEP, PER_STEP))
        table(rows, limit, PER_STEP)
    print("\n| mount, sampler | workers | GOP decodes (2 epochs) | GOPs | "
          "cache evictions | daemon peak RSS MiB | cache budget MiB | "
          "RSS - budget MiB |")
    print("|---|---|---|---|---|---|---|---|")
    ngops = -(-t // GOP)
    for (kind, wk), (st, hwm) in sorted(mem.items()):
        print("| %s | %d | %d | %d | %d | %.0f | %d | %.0f |" %
              (kind, wk, st.get("decodes", 0), ngops,
               st.get("evictions", 0), hwm / 2**20, CACHE_MB,
               hwm / 2**20 - CACHE_MB))

    def ratios(key, base, scale=1.0, sfx=()):
        out = []
        for wk in WORKERS:
            a = rows.get(key + (wk,) + sfx)
            b = rows.get(base + (wk,) + sfx) if base else None
            if a and b:
                out.append("%.2fx" % (a[0] / b[0]))
            elif a and base is None:
                out.append("%.2f" % (a[0] / scale))
        return ", ".join(out) or "not measured"

    k = PER_STEP
    print("\nGoals, epoch 1, %s workers: (2) at least 0.8 of the decoder "
          "limit: %s; at least 3x (1): %s; at least 1.5x (4): %s%s; the "
          "daemon's peak RSS over its cache budget at most 64 MiB (the "
          "mount benchmark's bound): %s MiB." % (
              " and ".join(map(str, WORKERS)),
              ratios(("mount", "gop"), None, limit),
              ratios(("mount", "gop"), ("mount", "random")),
              ratios(("mount", "gop"), ("slow", "random")),
              "; at %d crops per step: %s of the limit, %s (4)" % (
                  k, ratios(("mount", "gop"), None, limit * k, ("k",)),
                  ratios(("mount", "gop"), ("slow", "random"), 1, ("k",)))
              if k > 1 else "",
              ", ".join("%.0f" % (hwm / 2**20 - CACHE_MB)
                        for _, (_, hwm) in sorted(mem.items()))))


if __name__ == "__main__":
    if "--quick" in sys.argv[1:]:
        os.environ["CUBEFS_BENCH_QUICK"] = "1"
        os.execv(sys.executable, [sys.executable, __file__])
    sys.exit(main())
