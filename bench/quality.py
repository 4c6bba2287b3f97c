# SPDX-License-Identifier: MIT
"""The rate-distortion study: cubefs configurations, the xarrayvideo pipeline
(ffmpeg CLI), zfp, zstd and lz4 on every real sample; a markdown table, JSON,
and a PNG of the curves per sample. Run through bench/quality.sh."""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.environ.get("CUBEFS_BENCH", os.path.join(TOP, "bench/cubefs-bench"))
DATA = os.environ.get("CUBEFS_TEST_DATA", os.path.join(TOP, "data"))
RATES = (0.25, 0.5, 1.0, 2.0)

# (label, file, variable; "-" for the array of a .npy)
SAMPLES = [
    ("era5_t2m", "era5_t2m_uk_2019-03.nc", "t2m"),
    ("fice", "ncl_fice_monthly.nc", "fice"),
    ("s2_ndvi", "s2_eolearn_ndvi_clp_clm_2015-2017.nc", "NDVI"),
    ("s2_clp", "s2_eolearn_ndvi_clp_clm_2015-2017.nc", "CLP"),
    ("landsat8", "landsat8_ny2018_p013r032_11band.npy", "-"),
]

# SZ3 3.3, PSNR at 0.25 / 0.5 / 1 / 2 bpv, measured outside this repository
# on the same samples
SZ3 = {
    "era5_t2m": {0.25: 37.1, 0.5: 41.4, 1.0: 45.6, 2.0: 54.0},
    "fice": {0.5: 25.2, 1.0: 35.9, 2.0: 51.3},
    "s2_ndvi": {0.5: 26.4, 1.0: 32.1, 2.0: 39.2},
}

# below 0, x265's quantizers capped (codec/video.h): its finest settings
CRFS = (-6, -4, -2) + tuple(range(0, 37, 3))
# xarrayvideo's ladder (1, 7, 16, 27, and None: its QP 0 "very high") and
# points between, so that its curve is interpolated as finely as ours
XV_CRFS = (1, 4, 7, 11, 16, 21, 27, 33, None)
CRFS_SHORT = (6, 16, 26)


def curves(label, quick):
    """name -> list of run specs for cubefs-bench quality."""
    if quick:
        return {"cubefs default": ["cubefs:crf=14"],
                "zfp fixed accuracy": ["zfp:acc=0.01"],
                "lz4": ["lz4"]}
    c = {
        "cubefs default": ["cubefs:crf=%d" % q for q in CRFS],
        "x265 12b gray GOP16 slow (old default)":
            ["cubefs:codec=x265,bits=12,gop=16,group=1,preset=slow,crf=%d" % q
             for q in (0, 6, 12, 18, 24)],
        "x265 10b gray": ["cubefs:codec=x265,bits=10,crf=%d" % q
                          for q in CRFS_SHORT],
        "x265 8b gray": ["cubefs:codec=x265,bits=8,crf=%d" % q
                         for q in CRFS_SHORT],
        "x265 12b GOP 64": ["cubefs:codec=x265,bits=12,gop=64,crf=%d" % q
                             for q in CRFS_SHORT],
        "x264 10b gray": ["cubefs:codec=x264,bits=10,crf=%d" % q
                          for q in CRFS_SHORT],
        "vp9 12b": ["cubefs:codec=vp9,bits=12,crf=%d" % q
                    for q in (10, 25, 40)],
        "av1 12b": ["cubefs:codec=av1,bits=12,crf=%d" % q
                    for q in (10, 25, 40)],
        "zfp fixed accuracy": ["zfp:acc=%g" % 2.0 ** -k
                               for k in range(3, 15, 2)],
        "zfp fixed rate": ["zfp:rate=%g" % r
                           for r in (0.5, 1, 2, 3, 4, 6, 8)],
        "zstd -19": ["zstd"],
        "lz4hc": ["lz4"],
    }
    if label == "landsat8":
        c["x265 12b gray planes"] = ["cubefs:group=1,crf=%d" % q
                                     for q in CRFS_SHORT]
        c["ffv1 16b lossless"] = ["cubefs:codec=ffv1,lossless=1"]
    return c


def run_bench(path, var, specs):
    out = subprocess.run([BENCH, "quality", path, var] + specs,
                         stdout=subprocess.PIPE, check=False, text=True)
    if out.returncode:
        print("quality: some runs of %s failed" % path, file=sys.stderr)
    return [json.loads(l) for l in out.stdout.splitlines() if l.strip()]


def load(path, var):
    """The variable as float64 with NaN at missing positions."""
    if path.endswith(".npy"):
        return np.load(path).astype(np.float64)
    import netCDF4
    with netCDF4.Dataset(path) as d:
        v = d.variables[var]
        v.set_auto_maskandscale(True)
        a = np.ma.asarray(v[:])
        return np.ma.filled(a.astype(np.float64), np.nan)


def xarrayvideo(path, var, crf, tmp):
    """The xarrayvideo pipeline re-created with the ffmpeg CLI: per band
    min/max to 12 bits, bands in groups of three (the last repeated), gbrp12le
    to yuv444p12le limited range, libx265 preset medium tune psnr, ffmpeg's
    default GOP; crf None is its "very high" setting (QP 0)."""
    a = load(path, var)
    if a.ndim == 3:
        a = a[:, None]
    t, p, h, w = a.shape
    valid = ~np.isnan(a)
    lo = np.array([np.nanmin(a[:, i]) for i in range(p)])
    hi = np.array([np.nanmax(a[:, i]) for i in range(p)])
    scale = np.where(hi > lo, (hi - lo) / 4095.0, 1.0)
    q = np.round((np.where(valid, a, lo[None, :, None, None]) -
                  lo[None, :, None, None]) / scale[None, :, None, None])
    q = np.clip(q, 0, 4095).astype("<u2")
    dec = np.empty_like(a)
    nbytes = 16 * p                     # scale and offset per band
    for g in range(0, p, 3):
        bands = [min(g + k, p - 1) for k in range(3)]
        # gbrp plane order is G, B, R
        raw = np.ascontiguousarray(q[:, bands])
        src = os.path.join(tmp, "in.raw")
        enc = os.path.join(tmp, "out.hevc")
        back = os.path.join(tmp, "back.raw")
        raw.tofile(src)
        rc = (["-crf", "51", "-x265-params", "qpmin=0:qpmax=0:log-level=error"]
              if crf is None else
              ["-crf", str(crf), "-x265-params", "log-level=error"])
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                        "-f", "rawvideo", "-pix_fmt", "gbrp12le",
                        "-s", "%dx%d" % (w, h), "-r", "25", "-i", src,
                        "-pix_fmt", "yuv444p12le", "-c:v", "libx265",
                        "-preset", "medium", "-tune", "psnr"] + rc +
                       ["-f", "hevc", enc], check=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                        "-i", enc, "-pix_fmt", "gbrp12le", "-f", "rawvideo",
                        back], check=True)
        nbytes += os.path.getsize(enc)
        r = np.fromfile(back, "<u2").reshape(t, 3, h, w)
        for k, b in enumerate(bands[:min(3, p - g)]):
            dec[:, b] = r[:, k] * scale[b] + lo[b]
    err = (dec - a)[valid]
    rng = np.nanmax(a) - np.nanmin(a)
    mse = float(np.mean(err ** 2))
    return {"method": "xarrayvideo", "spec": "crf=%s" % crf,
            "values": int(a.size), "bytes": nbytes,
            "bpv": nbytes * 8.0 / a.size,
            "psnr": 20 * math.log10(rng) - 10 * math.log10(mse)
            if mse > 0 else None,
            "max_err": float(np.max(np.abs(err)))}


def default_gop(t, h, w):
    """codec_default_gop(): at most 2^20 samples and 16 to 256 frames a
    GOP, split evenly."""
    most = max(16, min(256, (1 << 20) // (h * w)))
    n = -(-t // most)
    return -(-t // n)


def scaling(path, var, crf, per_frame, tmp):
    """Per-frame against per-GOP scaling to 12 bits, outside cubefs but
    with its x265 settings (gray planes, the default GOP, preset slow with
    rd 6, 6 references, intra in B frames) through the ffmpeg CLI: each
    scale and offset costs 16 bytes, NaN positions are left out of the
    PSNR and coded as the plane's minimum."""
    a = load(path, var)
    if a.ndim == 3:
        a = a[:, None]
    t, p, h, w = a.shape
    gop = default_gop(t, h, w)
    dec = np.empty_like(a)
    nbytes = 0
    for b in range(p):
        x = a[:, b]
        lo = np.empty(t)
        hi = np.empty(t)
        for g0 in range(0, t, 1 if per_frame else gop):
            seg = x[g0:g0 + (1 if per_frame else gop)]
            ok = seg[~np.isnan(seg)]
            lo[g0:g0 + len(seg)] = ok.min() if ok.size else 0
            hi[g0:g0 + len(seg)] = ok.max() if ok.size else 0
            nbytes += 16
        sc = np.where(hi > lo, (hi - lo) / 4095.0, 1.0)[:, None, None]
        q = np.round((np.where(np.isnan(x), lo[:, None, None], x) -
                      lo[:, None, None]) / sc)
        src = os.path.join(tmp, "s.raw")
        enc = os.path.join(tmp, "s.hevc")
        back = os.path.join(tmp, "s.back")
        np.clip(q, 0, 4095).astype("<u2").tofile(src)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                        "-f", "rawvideo", "-pix_fmt", "gray12le",
                        "-s", "%dx%d" % (w, h), "-r", "25", "-i", src,
                        "-c:v", "libx265", "-preset", "slow", "-tune", "psnr",
                        "-crf", str(crf), "-x265-params",
                        "log-level=error:keyint=%d:min-keyint=%d:scenecut=0:"
                        "open-gop=0:weightb=0:rd=6:ref=6:b-intra=1"
                        % (gop, gop), "-f", "hevc", enc], check=True)
        subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                        "-i", enc, "-pix_fmt", "gray12le", "-f", "rawvideo",
                        back], check=True)
        nbytes += os.path.getsize(enc)
        r = np.fromfile(back, "<u2").reshape(t, h, w)
        dec[:, b] = r * sc + lo[:, None, None]
    ok = ~np.isnan(a)
    err = (dec - a)[ok]
    rng = np.nanmax(a) - np.nanmin(a)
    mse = float(np.mean(err ** 2))
    return {"method": "scaling", "spec": "crf=%d per_frame=%d" %
            (crf, per_frame), "values": int(a.size), "bytes": nbytes,
            "bpv": nbytes * 8.0 / a.size,
            "psnr": 20 * math.log10(rng) - 10 * math.log10(mse)
            if mse > 0 else None}


def interp(points, b):
    """PSNR at b bpv on the curve (log-linear in bpv), None outside it."""
    pts = sorted((p["bpv"], p["psnr"]) for p in points
                 if p.get("psnr") is not None)
    for (b0, p0), (b1, p1) in zip(pts, pts[1:]):
        if b0 <= b <= b1 and b1 > b0:
            return p0 + (p1 - p0) * math.log2(b / b0) / math.log2(b1 / b0)
    for b0, p0 in pts:
        if abs(b0 - b) < 1e-9:
            return p0
    return None


def fmt(x):
    return "–" if x is None else "%.1f" % x


def plot(label, res, png):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("quality: no matplotlib, no %s" % png, file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7, 5))
    for name, pts in res.items():
        pts = sorted((p["bpv"], p["psnr"]) for p in pts
                     if p.get("psnr") is not None)
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts],
                    "o-" if name.startswith("cubefs") else ".-",
                    label=name, lw=2.5 if name == "cubefs default" else 1)
    if label in SZ3:
        s = sorted(SZ3[label].items())
        ax.plot([x for x, _ in s], [y for _, y in s], "k--",
                label="SZ3 3.3")
    ax.set_xscale("log", base=2)
    ax.set_xlim(0.1, 8)
    ax.set_ylim(20, 75)
    ax.set_xlabel("bits per value (all stored bytes)")
    ax.set_ylabel("PSNR over the data range (dB)")
    ax.set_title(label)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def tables(allres):
    table = ["| sample | curve | @0.25 | @0.5 | @1 | @2 bpv | points (bpv/dB) |",
             "|---|---|---|---|---|---|---|"]
    goal = ["| sample | bpv | cubefs default | xarrayvideo | diff | SZ3 | diff |",
            "|---|---|---|---|---|---|---|"]
    for label, res in allres.items():
        for name, pts in res.items():
            at = [interp(pts, b) for b in RATES]
            shown = " ".join("%.2f/%s" % (p["bpv"], fmt(p.get("psnr"))
                                          if p.get("psnr") is not None
                                          else "exact")
                             for p in sorted(pts, key=lambda p: p["bpv"]))
            table.append("| %s | %s | %s | %s |" % (
                label, name, " | ".join(fmt(x) for x in at), shown))
        for b in RATES:
            d = interp(res["cubefs default"], b)
            x = interp(res["xarrayvideo"], b)
            s = SZ3.get(label, {}).get(b)
            goal.append("| %s | %g | %s | %s | %s | %s | %s |" % (
                label, b, fmt(d), fmt(x),
                "%+.1f" % (d - x) if d is not None and x is not None else "–",
                fmt(s),
                "%+.1f" % (d - s) if d is not None and s is not None else "–"))
    return table, goal


def main():
    quick = "--quick" in sys.argv
    outdir = os.environ.get("QUALITY_OUT", os.path.join(TOP, "bench/out"))
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    os.makedirs(outdir, exist_ok=True)
    samples = SAMPLES[-1:] if quick else SAMPLES
    allres = {}
    jpath = os.path.join(outdir, "quality.json")
    if only:
        # a partial run updates the samples it ran in an earlier full one
        samples = [s for s in samples if s[0] in only]
        if os.path.exists(jpath):
            with open(jpath) as f:
                allres = json.load(f)
    if "--plot" in sys.argv:
        # tables and plots again from quality.json, nothing run
        with open(jpath) as f:
            allres = json.load(f)
        samples = []
        for label, res in allres.items():
            plot(label, res, os.path.join(outdir, "quality_%s.png" % label))
    for label, fname, var in samples:
        path = os.path.join(DATA, fname)
        res = {}
        for name, specs in curves(label, quick).items():
            res[name] = run_bench(path, var, specs)
            print("quality: %s %s done" % (label, name), file=sys.stderr)
        if not quick:
            # corrections on top of crf 0, bounds from 1/128 to 1/2048 of
            # the range: another way past crf 0 (dearer than crf < 0)
            a = load(path, var)
            rng = float(np.nanmax(a) - np.nanmin(a))
            res["cubefs --crf 0 --max-error"] = run_bench(
                path, var, ["cubefs:crf=0,max_error=%.6g" % (rng * 2.0 ** -k)
                            for k in range(7, 12)])
        with tempfile.TemporaryDirectory() as tmp:
            res["xarrayvideo"] = [xarrayvideo(path, var, c, tmp)
                                  for c in ((7,) if quick else
                                            XV_CRFS)]
            if not quick:
                for pf, name in ((0, "x265 scale per GOP (ffmpeg CLI)"),
                                 (1, "x265 scale per frame (ffmpeg CLI)")):
                    res[name] = [scaling(path, var, c, pf, tmp)
                                 for c in (6, 14, 22, 30)]
                print("quality: %s scaling done" % label, file=sys.stderr)
        allres[label] = res
        plot(label, res, os.path.join(outdir, "quality_%s.png" % label))
    table, goal = tables(allres)
    speed = [p for r in allres.values() for p in r["cubefs default"]
             if p.get("encode_mbps")]
    with open(jpath, "w") as f:
        json.dump(allres, f, indent=1)
    print("\n".join(table))
    print()
    print("\n".join(goal))
    if speed:
        print("\ncubefs default encode: %.2f MB/s of source values "
              "(median over %d imports)" %
              (float(np.median([p["encode_mbps"] for p in speed])),
               len(speed)))


if __name__ == "__main__":
    main()
