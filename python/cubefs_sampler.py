# SPDX-License-Identifier: MIT
"""GOP-aware sampling of time steps from cubefs mounts, for training loops.

A cubefs mount decodes whole GOPs (groups of pictures), so a reader that
takes random time steps pays part of a GOP decode for nearly every sample
once the data outgrows the mount's cache. This module samples in the
decoder's units instead, as video dataloaders do: the GOPs of all files are
shuffled and packed into windows whose decoded bytes fit the mount's cache
budget, and the time steps inside each window are shuffled. Every time step
of every file comes exactly once per epoch; the order depends only on the
seed and the epoch.

- gop_starts(path): the first frame of each GOP (the view's
  ``user.cubefs.gops`` extended attribute; no decoding).
- cache_budget(path): the mount's decoded-GOP cache budget in bytes (the
  ``budget`` line of ``cubefs stats``).
- shuffled_order(paths, seed, epoch): the shuffled global indices, for
  readers that are not PyTorch.
- GopSampler: the same order as a torch Sampler (``set_epoch`` for the next).
- CropDataset: random crops of time steps of .npy files, by global index;
  works with any sampler and with ``num_workers > 0``.

per_step (all three, the same number): crops per time step and epoch. A
decoded GOP then serves per_step samples per frame: index i is crop
i % per_step of global time step i // per_step.

numpy is needed; torch only for the two classes to be torch types (without
torch they are plain Python objects with the same methods).
"""

import os
import threading

import numpy as np

try:
    import torch.utils.data as _tud
    _Sampler = _tud.Sampler
    _Dataset = _tud.Dataset
except ImportError:  # numpy alone: the same classes, not torch types
    _Sampler = object
    _Dataset = object

__all__ = ["XATTR_GOPS", "XATTR_STATS", "gop_starts", "cache_budget",
           "FileLayout", "layouts", "windows", "shuffled_order",
           "GopSampler", "CropDataset"]

XATTR_GOPS = "user.cubefs.gops"
XATTR_STATS = "user.cubefs.stats"

# Share of the cache budget a window may take: the rest is left to
# read-ahead, to the kernel's requests in flight and to the GOPs of the
# window before, which other workers may still be reading.
DEFAULT_FRACTION = 0.5


def gop_starts(path):
    """The first frame of each GOP of the mounted view at path, sorted.

    Raises OSError (ENODATA, ENOTSUP) where the file is not a cubefs view
    with a frame axis.
    """
    text = os.getxattr(path, XATTR_GOPS).decode("ascii")
    return [int(f) for f in text.split()]


def _mount_root_stats(path):
    """The stats text of the cubefs mount that holds path, or None."""
    d = os.path.abspath(path)
    if not os.path.isdir(d):
        d = os.path.dirname(d)
    while True:
        try:
            return os.getxattr(d, XATTR_STATS).decode("ascii")
        except OSError:
            pass
        if os.path.ismount(d) or d == os.path.dirname(d):
            return None
        d = os.path.dirname(d)


def cache_budget(path):
    """The decoded-GOP cache budget (bytes) of the mount holding path.

    Raises OSError where path is not on a cubefs mount.
    """
    text = _mount_root_stats(path)
    if text is None:
        raise OSError("'%s' is not on a cubefs mount" % path)
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if key == "budget":
            return int(value)
    raise OSError("the mount of '%s' reports no cache budget" % path)


def _on_mount(path):
    """Whether path is a cubefs view (it has a GOP layout)."""
    try:
        os.getxattr(path, XATTR_GOPS)
        return True
    except OSError:
        return False


class FileLayout:
    """One .npy file: its time steps, bytes per step, GOP starts."""

    def __init__(self, path, frames, step_bytes, starts):
        self.path = path
        self.frames = int(frames)
        self.step_bytes = int(step_bytes)
        starts = sorted(set(int(s) for s in starts if 0 <= s < frames))
        if not starts or starts[0] != 0:
            starts = [0] + starts
        self.starts = starts

    def gops(self):
        """(first, end) frame ranges of each GOP."""
        ends = self.starts[1:] + [self.frames]
        return list(zip(self.starts, ends))

    @classmethod
    def of(cls, path, gops=None):
        """The layout of .npy path; gops: GOP starts to use where the file
        is not on a mount (None: ask the mount; one GOP per frame if it
        cannot tell)."""
        a = np.load(path, mmap_mode="r")
        if a.ndim < 1 or a.shape[0] == 0:
            raise ValueError("'%s' has no time steps" % path)
        step = int(np.prod(a.shape[1:], dtype=np.int64)) * a.dtype.itemsize
        if gops is None:
            try:
                gops = gop_starts(path)
            except OSError:
                gops = range(a.shape[0])
        return cls(path, a.shape[0], step, gops)


def layouts(paths, gops=None):
    """FileLayout of each path; gops: a list (one per path) of GOP starts
    to use instead of the mount's, or None."""
    return [FileLayout.of(p, None if gops is None else gops[i])
            for i, p in enumerate(paths)]


def _rng(seed, epoch, salt):
    return np.random.default_rng([int(seed) & 0xFFFFFFFF,
                                  int(epoch) & 0xFFFFFFFF, salt])


def windows(files, budget, seed=0, epoch=0, fraction=DEFAULT_FRACTION):
    """The epoch's windows: lists of (file index, first, end) GOPs.

    files: FileLayout list. The GOPs of all files are shuffled, then packed
    in that order into windows whose decoded bytes stay within
    budget * fraction (a GOP larger than that is a window alone).
    """
    units = []
    for fi, f in enumerate(files):
        for first, end in f.gops():
            units.append((fi, first, end))
    perm = _rng(seed, epoch, 1).permutation(len(units))
    cap = max(1, int(budget * fraction))
    out, cur, used = [], [], 0
    for u in perm:
        fi, first, end = units[u]
        cost = (end - first) * files[fi].step_bytes
        if cur and used + cost > cap:
            out.append(cur)
            cur, used = [], 0
        cur.append(units[u])
        used += cost
    if cur:
        out.append(cur)
    return out


def window_bytes(files, window):
    """Decoded bytes of a window's GOPs."""
    return sum((end - first) * files[fi].step_bytes
               for fi, first, end in window)


def _offsets(files):
    return np.cumsum([0] + [f.frames for f in files], dtype=np.int64)


def _per_step(n):
    n = int(n)
    if n < 1:
        raise ValueError("per_step must be 1 or more, not %d" % n)
    return n


def shuffled_order(paths=None, seed=0, epoch=0, budget=None,
                   fraction=DEFAULT_FRACTION, files=None, gops=None,
                   per_step=1):
    """The epoch's order of global indices: index i is time step
    i // per_step - offset[k] of file k, where offset[k] is the number of
    time steps of the files before it (in the order given).

    Every index comes exactly once; the same seed and epoch give the same
    order. budget: bytes (None: the mount's cache budget of the first
    path). files: FileLayout list instead of paths. per_step: indices per
    time step (crops of it), all in the window of its GOP.
    """
    per_step = _per_step(per_step)
    if files is None:
        files = layouts(paths, gops)
    if budget is None:
        budget = cache_budget(files[0].path)
    offs = _offsets(files)
    rng = _rng(seed, epoch, 2)
    parts = []
    for w in windows(files, budget, seed, epoch, fraction):
        idx = np.concatenate([np.arange(first, end, dtype=np.int64) +
                              offs[fi] for fi, first, end in w])
        if per_step > 1:
            idx = (idx[:, None] * per_step +
                   np.arange(per_step, dtype=np.int64)).ravel()
        parts.append(rng.permutation(idx))
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts)


class GopSampler(_Sampler):
    """shuffled_order() as a sampler of global indices, one epoch per
    iteration. Call set_epoch(e) before each epoch for a new order (or
    leave it: each iteration then moves to the next epoch by itself).

    inflight: the samples a DataLoader holds at once (num_workers x
    prefetch_factor x batch_size); a warning says so when a window holds
    fewer, as the windows in flight then outgrow the cache.
    """

    def __init__(self, paths, seed=0, budget=None,
                 fraction=DEFAULT_FRACTION, gops=None, inflight=None,
                 per_step=1):
        self.per_step = _per_step(per_step)
        self.files = layouts(paths, gops)
        self.budget = cache_budget(self.files[0].path) if budget is None \
            else int(budget)
        self.seed = seed
        self.fraction = fraction
        self.epoch = 0
        self._explicit = False
        if inflight:
            least = min(sum(end - first for _, first, end in w)
                        for w in self.windows()) * self.per_step
            if least < inflight:
                import warnings
                warnings.warn("a window holds %d samples, fewer than the "
                              "%d in flight: raise the mount's cache_size "
                              "or lower workers or batch_size" %
                              (least, inflight))

    def set_epoch(self, epoch):
        self.epoch = int(epoch)
        self._explicit = True

    def windows(self, epoch=None):
        return windows(self.files, self.budget, self.seed,
                       self.epoch if epoch is None else epoch, self.fraction)

    def order(self, epoch=None):
        return shuffled_order(seed=self.seed,
                              epoch=self.epoch if epoch is None else epoch,
                              budget=self.budget, fraction=self.fraction,
                              files=self.files, per_step=self.per_step)

    def __iter__(self):
        order = self.order()
        if not self._explicit:
            self.epoch += 1
        self._explicit = False
        return iter(order.tolist())

    def __len__(self):
        return int(sum(f.frames for f in self.files)) * self.per_step


class CropDataset(_Dataset):
    """Random crops of the time steps of .npy files, by global index.

    Item i is a crop (crop[0] x crop[1] of the last two axes, every axis
    between kept) of time step i // per_step of the files taken one after
    another (as shuffled_order counts them), as a numpy array (DataLoader makes it a
    tensor). The crop's place depends on seed, epoch (set_epoch) and i
    alone, so any sampler, any number of workers and a copy of the files
    elsewhere give the same samples. Each process that reads opens the
    files itself and reads with the kernel's read-ahead off
    (POSIX_FADV_RANDOM): a mount then decodes the GOPs of the time steps
    asked for, not those of the bytes around them.

    whole_steps: read each sample's whole pictures, one pread per plane,
    and crop them in memory (True), or only the crop's rows (False). None,
    the default, reads whole steps from cubefs mounts alone: their decode
    costs the whole picture anyway, and the kernel's page cache then keeps
    whole pictures, which the next crops of the step, in this epoch or
    the next, read without a decode. From other files only the rows are
    read, as storage charges for every byte.
    """

    def __init__(self, paths, crop=(64, 64), seed=0, per_step=1,
                 whole_steps=None):
        self.per_step = _per_step(per_step)
        self.paths = list(paths)
        self.crop = tuple(int(c) for c in crop)
        self.seed = seed
        self.epoch = 0
        self.shapes, self.dtypes, self.starts = [], [], []
        for p in self.paths:
            a = np.load(p, mmap_mode="r")
            if not a.flags.c_contiguous:
                raise ValueError("'%s' is not in C order" % p)
            self.dtypes.append(a.dtype)
            self.starts.append(a.offset)
            if a.ndim < 3:
                raise ValueError("'%s': %d dims, a crop needs 3 or more" %
                                 (p, a.ndim))
            if a.shape[-2] < self.crop[0] or a.shape[-1] < self.crop[1]:
                raise ValueError("'%s': pictures of %dx%d, smaller than "
                                 "the crop" % (p, a.shape[-2], a.shape[-1]))
            self.shapes.append(a.shape)
        self.offsets = np.cumsum([0] + [s[0] for s in self.shapes],
                                 dtype=np.int64)
        if whole_steps is None:
            self.whole = [_on_mount(p) for p in self.paths]
        else:
            self.whole = [bool(whole_steps)] * len(self.paths)
        self._fds = None
        self._pid = None
        self._local = threading.local()

    def set_epoch(self, epoch):
        self.epoch = int(epoch)

    def __len__(self):
        return int(self.offsets[-1]) * self.per_step

    def __getstate__(self):
        # descriptors stay in the process that opened them
        d = dict(self.__dict__)
        d["_fds"] = None
        d["_pid"] = None
        d["_local"] = None
        return d

    def __del__(self):
        if getattr(self, "_fds", None) and self._pid == os.getpid():
            for fd in self._fds:
                os.close(fd)

    def _open(self):
        if self._fds is None or self._pid != os.getpid():
            fds = []
            for p in self.paths:
                fd = os.open(p, os.O_RDONLY)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
                fds.append(fd)
            self._fds, self._pid = fds, os.getpid()
        return self._fds

    def _read(self, fd, n, at, k):
        """n bytes at byte at of file k into the thread's buffer, kept
        from one sample to the next (a fresh one per picture costs page
        faults for every page of it)."""
        if self._local is None:
            self._local = threading.local()
        buf = getattr(self._local, "buf", None)
        if buf is None or len(buf) < n:
            buf = self._local.buf = bytearray(n)
        view = memoryview(buf)[:n]
        done = 0
        while done < n:
            got = os.preadv(fd, [view[done:]], at + done)
            if got <= 0:
                raise OSError("'%s': short read at byte %d" %
                              (self.paths[k], at + done))
            done += got
        return buf

    def locate(self, i):
        """(file index, time step, y, x) of item i."""
        i = int(i)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("index %d out of range" % i)
        step = i // self.per_step
        k = int(np.searchsorted(self.offsets, step, side="right")) - 1
        shape = self.shapes[k]
        r = np.random.default_rng([int(self.seed) & 0xFFFFFFFF,
                                   self.epoch & 0xFFFFFFFF, i])
        y = int(r.integers(0, shape[-2] - self.crop[0] + 1))
        x = int(r.integers(0, shape[-1] - self.crop[1] + 1))
        return k, step - int(self.offsets[k]), y, x

    def __getitem__(self, i):
        k, t, y, x = self.locate(i)
        fd = self._open()[k]
        shape, dt = self.shapes[k], self.dtypes[k]
        h, w = shape[-2], shape[-1]
        planes = int(np.prod(shape[1:-2], dtype=np.int64))
        # whole pictures one plane at a time: a step of many levels is
        # never in memory at once
        rows = (h if self.whole[k] else self.crop[0]) * w * dt.itemsize
        top = 0 if self.whole[k] else y
        out = np.empty((planes, self.crop[0], self.crop[1]), dtype=dt)
        for p in range(planes):
            at = self.starts[k] + ((t * planes + p) * h + top) * w * \
                dt.itemsize
            b = self._read(fd, rows, at, k)
            out[p] = np.frombuffer(b, dtype=dt, count=rows // dt.itemsize
                                   ).reshape(-1, w)[y - top:y - top +
                                                    self.crop[0],
                                                    x:x + self.crop[1]]
        return out.reshape(tuple(shape[1:-2]) + self.crop)
