# SPDX-License-Identifier: MIT
# Tests of python/cubefs_sampler.py: "unit" (no mount), "mount MNT EXP
# NAME..." and "torch MNT EXP NAME..." (views NAME under MNT, exported
# copies under EXP with / as _).
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "python"))
import cubefs_sampler as cs  # noqa: E402

fails = 0


def check(desc, cond):
    global fails
    if not cond:
        print("FAIL:", desc)
        fails += 1


def synthetic():
    # three files of uneven GOPs and sizes; one frame of 1000 bytes
    return [cs.FileLayout("a", 100, 1000, range(0, 100, 16)),
            cs.FileLayout("b", 37, 3000, [0, 8, 9, 30]),
            cs.FileLayout("c", 5, 1000, [0])]


def windows_of(order, files, budget, seed, epoch):
    """The order cut where each window ends, as sets of (file, frame)."""
    offs = np.cumsum([0] + [f.frames for f in files])
    out, at = [], 0
    for w in cs.windows(files, budget, seed, epoch):
        n = sum(end - first for _, first, end in w)
        got = set()
        for i in order[at:at + n]:
            k = int(np.searchsorted(offs, i, side="right")) - 1
            got.add((k, int(i - offs[k])))
        want = {(fi, t) for fi, first, end in w for t in range(first, end)}
        out.append(got == want)
        at += n
    return out


def unit():
    files = synthetic()
    total = sum(f.frames for f in files)
    budget = 40000
    for seed in (0, 1, 12345):
        for epoch in (0, 1, 2):
            o = cs.shuffled_order(files=files, seed=seed, epoch=epoch,
                                  budget=budget)
            check("each index once (seed %d epoch %d)" % (seed, epoch),
                  len(o) == total and
                  np.array_equal(np.sort(o), np.arange(total)))
            check("deterministic (seed %d epoch %d)" % (seed, epoch),
                  np.array_equal(o, cs.shuffled_order(
                      files=files, seed=seed, epoch=epoch, budget=budget)))
            ws = cs.windows(files, budget, seed, epoch)
            check("windows fit the budget",
                  all(cs.window_bytes(files, w) <= budget * 0.5 or
                      len(w) == 1 for w in ws))
            check("windows hold whole GOPs, each GOP once",
                  sorted(g for w in ws for g in w) ==
                  sorted((fi, a, b) for fi, f in enumerate(files)
                         for a, b in f.gops()))
            check("the order goes window by window",
                  all(windows_of(o, files, budget, seed, epoch)))
    a = cs.shuffled_order(files=files, seed=1, epoch=0, budget=budget)
    b = cs.shuffled_order(files=files, seed=2, epoch=0, budget=budget)
    c = cs.shuffled_order(files=files, seed=1, epoch=1, budget=budget)
    check("seeds and epochs change the order",
          not np.array_equal(a, b) and not np.array_equal(a, c))
    # shuffled within windows: not the GOPs' frames in order
    check("shuffled inside windows", not all(
        np.all(np.diff(a[i:i + 8]) == 1) for i in range(0, len(a) - 8, 8)))
    big = cs.windows(files, 1000, 0, 0)
    check("a GOP larger than the budget is a window alone",
          all(len(w) == 1 for w in big) and len(big) == 7 + 4 + 1)
    s = cs.GopSampler.__new__(cs.GopSampler)
    s.files, s.budget, s.seed, s.fraction = files, budget, 7, 0.5
    s.epoch, s._explicit, s.per_step = 0, False, 1
    e0, e1 = list(s), list(s)
    check("each iteration is the next epoch",
          e0 == cs.shuffled_order(files=files, seed=7, epoch=0,
                                  budget=budget).tolist() and
          e1 == cs.shuffled_order(files=files, seed=7, epoch=1,
                                  budget=budget).tolist())
    s.set_epoch(0)
    check("set_epoch repeats an epoch", list(s) == e0 and len(s) == total)
    per_step(files, total, budget)
    planes()


def planes():
    """Crops of a 4-D file (planes between time and the picture) equal
    numpy's slices, reading whole steps or rows."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "c.npy")
        a = np.random.default_rng(3).random((5, 3, 40, 50), dtype=np.float32)
        np.save(path, a)
        ds = [cs.CropDataset([path], crop=(8, 12), seed=2, per_step=2,
                             whole_steps=w) for w in (None, True, False)]
        check("a file off a mount reads rows", not any(ds[0].whole))
        ok = True
        for i in range(len(ds[0])):
            _, t, y, x = ds[0].locate(i)
            want = a[t, :, y:y + 8, x:x + 12]
            ok &= all(np.array_equal(d[i], want) for d in ds)
        check("crops of planes equal numpy's slices", ok)
        # one dataset read from threads: each has its own buffer
        from concurrent.futures import ThreadPoolExecutor
        d = cs.CropDataset([path], crop=(8, 12), seed=2, per_step=2,
                           whole_steps=True)
        with ThreadPoolExecutor(4) as ex:
            got = list(ex.map(d.__getitem__, list(range(len(d))) * 4))
        check("crops read from threads equal numpy's slices", all(
            np.array_equal(g, a[d.locate(i % len(d))[1], :,
                                d.locate(i % len(d))[2]:
                                d.locate(i % len(d))[2] + 8,
                                d.locate(i % len(d))[3]:
                                d.locate(i % len(d))[3] + 12])
            for i, g in enumerate(got)))


def per_step(files, total, budget):
    """Several crops per time step: each index once, each in the window
    of its time step's GOP."""
    k = 5
    o = cs.shuffled_order(files=files, seed=4, epoch=2, budget=budget,
                          per_step=k)
    check("per_step: each index once", len(o) == total * k and
          np.array_equal(np.sort(o), np.arange(total * k)))
    check("per_step: deterministic", np.array_equal(o, cs.shuffled_order(
        files=files, seed=4, epoch=2, budget=budget, per_step=k)))
    # the k indices of a time step sit in one window: the window's time
    # steps, taken from the order, are exactly those of one crop per step
    one = cs.shuffled_order(files=files, seed=4, epoch=2, budget=budget)
    at = 0
    same = True
    for w in cs.windows(files, budget, 4, 2):
        n = sum(end - first for _, first, end in w)
        same &= set((o[at * k:(at + n) * k] // k).tolist()) == \
            set(one[at:at + n].tolist())
        at += n
    check("per_step: a time step's crops all in its window", same)
    check("per_step: shuffled, not a step's crops in a row",
          not all(o[i] // k == o[i + 1] // k for i in range(0, len(o), k)))
    for bad in (0, -1):
        try:
            cs.shuffled_order(files=files, budget=budget, per_step=bad)
            check("per_step %d refused" % bad, False)
        except ValueError:
            pass


def views(mnt, exp, names):
    return ([os.path.join(mnt, n) for n in names],
            [os.path.join(exp, n.replace("/", "_")) for n in names])


def mount(mnt, exp, names):
    m, e = views(mnt, exp, names)
    budget = cs.cache_budget(m[0])
    check("budget is the mount's cache_size", budget == 1 << 20)
    try:
        cs.cache_budget(e[0])
        check("no budget off a mount", False)
    except OSError:
        pass
    s = cs.GopSampler(m, seed=3)
    check("the sampler takes the mount's budget", s.budget == budget)
    import warnings
    with warnings.catch_warnings(record=True) as warned:
        warnings.simplefilter("always")
        cs.GopSampler(m, seed=3, inflight=10 ** 6)
        quiet = len(warned)
        cs.GopSampler(m, seed=3, inflight=1)
    check("a warning when windows are smaller than the loader's flight",
          quiet == 1 and len(warned) == 1)
    check("the sampler uses the mount's GOPs",
          [f.starts for f in s.files] == [cs.gop_starts(p) for p in m])
    check("windows fit the mount's budget",
          all(cs.window_bytes(s.files, w) <= budget // 2 or len(w) == 1
              for w in s.windows()) and len(s.windows()) > 1)
    o = s.order()
    check("each time step once", np.array_equal(np.sort(o),
                                                 np.arange(len(s))))
    gops = [cs.gop_starts(p) for p in m]
    check("the same order from exported copies with the mount's GOPs",
          np.array_equal(o, cs.shuffled_order(e, seed=3, budget=budget,
                                              gops=gops)))
    check("the order function is the sampler's",
          np.array_equal(o, cs.shuffled_order(m, seed=3)))
    dm = cs.CropDataset(m, crop=(24, 24), seed=5)
    de = cs.CropDataset(e, crop=(24, 24), seed=5)
    same = all(np.array_equal(dm[i], de[i], equal_nan=True)
               for i in o[:200])
    check("crops from the mount equal the exported ones", same)
    check("crops have the crop's shape", dm[int(o[0])].shape[-2:] == (24, 24))
    check("whole time steps read from the mount, rows from copies",
          all(dm.whole) and not any(de.whole))
    dw = cs.CropDataset(e, crop=(24, 24), seed=5, whole_steps=True)
    dr = cs.CropDataset(m, crop=(24, 24), seed=5, whole_steps=False)
    check("whole steps and rows give the same crops",
          all(np.array_equal(dw[i], dr[i], equal_nan=True) and
              np.array_equal(dw[i], de[i], equal_nan=True)
              for i in o[:100]))
    s3 = cs.GopSampler(m, seed=3, per_step=3)
    o3 = s3.order()
    dm = cs.CropDataset(m, crop=(24, 24), seed=5, per_step=3)
    de = cs.CropDataset(e, crop=(24, 24), seed=5, per_step=3)
    check("per_step: sampler and dataset lengths",
          len(s3) == len(dm) == 3 * len(s) and
          np.array_equal(np.sort(o3), np.arange(len(dm))))
    check("per_step: crop j of step t is item 3t + j",
          all(dm.locate(3 * t + j)[:2] == dm.locate(3 * t)[:2]
              for t in range(0, len(s), 7) for j in range(3)))
    check("per_step: a step's crops lie in different places",
          len({dm.locate(3 * 5 + j)[2:] for j in range(3)}) > 1)
    check("per_step: crops from the mount equal the exported ones",
          all(np.array_equal(dm[i], de[i], equal_nan=True)
              for i in o3[:150]))


def run_torch(mnt, exp, names):
    import torch
    from torch.utils.data import DataLoader, RandomSampler

    m, e = views(mnt, exp, names)
    s = cs.GopSampler(m, seed=11)
    for workers in (2,):
        got = []
        for paths in (m, e):
            ds = cs.CropDataset(paths, crop=(24, 24), seed=9)
            s.set_epoch(1)
            dl = DataLoader(ds, batch_size=16, sampler=s,
                            num_workers=workers)
            got.append(torch.cat([b.reshape(len(b), -1) for b in dl]))
        check("DataLoader, %d workers, GOP sampler: mount == export" %
              workers, got[0].shape[0] == len(s) and
              torch.equal(got[0].nan_to_num(), got[1].nan_to_num()))
    got = []
    s2 = cs.GopSampler(m, seed=11, per_step=2)
    for paths in (m, e):
        ds = cs.CropDataset(paths, crop=(24, 24), seed=9, per_step=2)
        dl = DataLoader(ds, batch_size=16, sampler=s2, num_workers=2)
        s2.set_epoch(0)
        got.append(torch.cat([b.reshape(len(b), -1) for b in dl]))
    check("DataLoader, 2 crops per step: mount == export",
          got[0].shape[0] == 2 * len(s) and
          torch.equal(got[0].nan_to_num(), got[1].nan_to_num()))
    got = []
    for paths in (m, e):
        ds = cs.CropDataset(paths, crop=(24, 24), seed=9)
        g = torch.Generator()
        g.manual_seed(4)
        dl = DataLoader(ds, batch_size=16, num_workers=2,
                        sampler=RandomSampler(ds, generator=g))
        got.append(torch.cat([b.reshape(len(b), -1) for b in dl]))
    check("DataLoader, plain random sampler: mount == export",
          torch.equal(got[0].nan_to_num(), got[1].nan_to_num()))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "unit":
        unit()
    elif mode == "mount":
        mount(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif mode == "torch":
        run_torch(sys.argv[2], sys.argv[3], sys.argv[4:])
    print("sampler %s: %s" % (mode, "FAILED" if fails else "ok"))
    sys.exit(1 if fails else 0)
