# SPDX-License-Identifier: MIT
"""The encode-speed frontier: encode MB/s against PSNR at equal bits per value
for x265 presets, SVT-AV1, libaom, x264 and VP9, as ratios against today's
tuned x265 measured in the same run; decode speed of each. Run through
bench/frontier.sh."""
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from quality import BENCH, DATA, SAMPLES, interp  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CUBEFS = os.environ.get("CUBEFS", os.path.join(TOP, "cubefs"))
LO, HI = 0.5, 2.0               # the bits per value averaged over

X265 = (-4, 0, 4, 8, 12, 16, 20, 24, 28)
AV1 = (1, 6, 12, 18, 24, 30, 36, 44)
# (label, spec without crf, crf ladder, on the synthetic cube too)
BASE = ("x265 tuned (today's default)", "codec=x265", X265, True)
CONFIGS = [
    BASE,
    ("x265 slow", "codec=x265,preset=slow", X265, True),
    ("x265 medium", "codec=x265,preset=medium", X265, True),
    ("x265 veryfast", "codec=x265,preset=veryfast", X265, False),
    # (presets below 6 are refused: libsvtav1 1.4 hangs opening a preset 6
    # encoder after a preset 4 one; p4 measured +1 dB at 3x, RESULTS.md)
    ("svt-av1 p6", "codec=svtav1,bits=10,preset=6", AV1, True),
    ("svt-av1 p8", "codec=svtav1,bits=10,preset=8", AV1, True),
    ("svt-av1 p10", "codec=svtav1,bits=10,preset=10", AV1, True),
    ("svt-av1 p12", "codec=svtav1,bits=10,preset=12", AV1, False),
    ("libaom cpu-used 6", "codec=av1,preset=6", AV1, False),
    ("libaom cpu-used 8", "codec=av1,preset=8", AV1, False),
    ("x264 medium (10 bits)", "codec=x264,bits=10", X265[1:], False),
    ("vp9 cpu-used 4", "codec=vp9,preset=4", AV1, False),
]
# the efforts' crfs are the chosen codec's own: SVT-AV1's for gray planes
EFFORTS = [
    ("--effort best", "effort=best", X265, True),
    ("--effort default", "effort=default", AV1, True),
    ("--effort fast", "effort=fast", AV1, True),
]


def quality(path, var, specs):
    """One JSON record per spec (cubefs-bench quality)."""
    out = subprocess.run([BENCH, "quality", path, var] + specs,
                         stdout=subprocess.PIPE, check=False, text=True)
    recs = [json.loads(x) for x in out.stdout.splitlines() if x.strip()]
    if len(recs) != len(specs):
        print("frontier: some runs of %s failed" % path, file=sys.stderr)
    return recs


def delta(points, base):
    """Mean PSNR difference at equal bpv over [LO, HI] (log-spaced, where
    both curves reach), or None."""
    ds = []
    for i in range(31):
        b = LO * (HI / LO) ** (i / 30)
        p, q = interp(points, b), interp(base, b)
        if p is not None and q is not None:
            ds.append(p - q)
    return sum(ds) / len(ds) if len(ds) >= 4 else None


def speed(points, key="encode_s"):
    """MB/s of source values over the ladder's points in [LO/2, 2 HI], by
    wall time (encode_s) or the import's CPU time (import_cpu_s)."""
    sel = [p for p in points if LO / 2 <= p["bpv"] <= 2 * HI] or points
    s = sum(p[key] for p in sel)
    return sum(p["encode_mbps"] * p["encode_s"] for p in sel) / s if s \
        else None


def decode_speed(path, var, spec, crf, tmp):
    """MB/s of a whole-variable decode (cubefs-bench decode, b: full
    decode, and d: GOPs in parallel) at one crf."""
    store = os.path.join(tmp, "d")
    subprocess.run(["rm", "-rf", store], check=True)
    args = [CUBEFS, "import", store, path, "--name", "d", "-q"]
    args += ["--crf", str(crf)] if crf is not None else []
    for kv in spec.split(","):
        k, v = kv.split("=")
        args += ["--" + k, v]
    if var != "-":
        args += ["--variables", var]
    subprocess.run(args, check=True)
    out = subprocess.run([BENCH, "decode", "--json", "-n", "3", store, "d"] +
                         ([var] if var != "-" else []),
                         stdout=subprocess.PIPE, check=True, text=True)
    j = json.loads(out.stdout.strip().splitlines()[-1])
    return j["full_mbs"], j["gop_parallel_mbs"]


def ratio_of(res, labs, name, key):
    """Speed of config name over today's default, summed over labs."""
    try:
        return (sum(speed(res[lab][name], key) for lab in labs) /
                sum(speed(res[lab][BASE[0]], key) for lab in labs))
    except (TypeError, KeyError, ZeroDivisionError):
        return None


def fmt(x, f="%.2f"):
    return "-" if x is None else f % x


def run(label, path, var, configs, ladder_cut, res):
    """Every config's ladder on one variable, their points interleaved
    (the first point of each config, then the second ...), so that load
    from elsewhere falls on all of them alike."""
    ladders = [[(name, "cubefs:%s,crf=%d" % (spec, c))
                for c in crfs[::ladder_cut]] for name, spec, crfs, _ in
               configs]
    order = [x for i in range(max(map(len, ladders)))
             for x in (lad[i] for lad in ladders if i < len(lad))]
    recs = quality(path, var, [sp for _, sp in order])
    by_spec = {r["spec"]: r for r in recs}
    for name, sp in order:
        if sp[len("cubefs:"):] in by_spec:
            res.setdefault(label, {}).setdefault(name, []).append(
                by_spec[sp[len("cubefs:"):]])
    for name, *_ in configs:
        res.setdefault(label, {}).setdefault(name, [])
    print("frontier: %s done" % label, file=sys.stderr)


def key(samples, synth, slab, rounds, quick):
    """The efforts against x265 tuned, repeated; 1 against 2 cores; the
    import's peak resident memory."""
    # shorter ladders, the same span of bits per value
    configs = [(BASE[0], BASE[1], (-2, 4, 10, 16, 22, 28), True)] + [
        (n, sp, (1, 8, 16, 24, 32, 40) if c is AV1 else
         (-2, 4, 10, 16, 22, 28), y)
        for n, sp, c, y in EFFORTS]
    print("### The key comparison, repeated\n")
    print("Each round measures x265 tuned and the efforts again, their "
          "points interleaved; speed x, CPU x and dB as in the table above, "
          "on ladders of six points over the same span.\n")
    print("| round | encoder | samples: speed x (CPU x) | samples: dB | "
          "%s: x (CPU x) | dB |" % slab)
    print("|---|---|---|---|---|---|")
    for rnd in range(1, rounds + 1):
        res = {}
        for lab, path, var in samples:
            run(lab, path, var, configs, 2 if quick else 1, res)
        run(slab, synth, "-", configs, 2 if quick else 1, res)
        for name, *_ in configs[1:]:
            ds = [delta(res[lab][name], res[lab][BASE[0]])
                  for lab, _, _ in samples]
            ds = [d for d in ds if d is not None]
            r = [ratio_of(res, [s[0] for s in samples], name, k)
                 for k in ("encode_s", "import_cpu_s")]
            y = [ratio_of(res, [slab], name, k)
                 for k in ("encode_s", "import_cpu_s")]
            print("| %d | %s | %s (%s) | %s | %s (%s) | %s |" % (
                rnd, name, fmt(r[0]), fmt(r[1]),
                fmt(sum(ds) / len(ds) if ds else None), fmt(y[0]),
                fmt(y[1]), fmt(delta(res[slab][name],
                                     res[slab][BASE[0]]))))
    print("\n### One core against two, and peak memory\n")
    print("`cubefs import` of the synthetic cube at crf 14 (x265) or the "
          "effort's own, pinned to one core (`taskset -c 0`: one GOP "
          "worker) and on both; MB/s of float32 from the wall time of the "
          "whole command; peak resident memory (`/usr/bin/time` %M) of the "
          "two-core run; then `cubefs-bench decode` of what it stored, b and "
          "d as above, ratio of b against x265 tuned.\n")
    print("| encoder | 1 core MB/s | 2 cores MB/s | speed-up | peak RSS MB "
          "| decode b, d MB/s (x) |")
    print("|---|---|---|---|---|---|")
    base_dec = None
    mb = os.path.getsize(synth) / 1e6
    for name, spec, _, _ in configs:
        row = []
        for pin in (["taskset", "-c", "0"], []):
            store = os.path.join(os.path.dirname(synth), "k")
            subprocess.run(["rm", "-rf", store], check=True)
            args = pin + ["/usr/bin/time", "-f", "%e %M", CUBEFS, "import",
                          "-q", store, synth]
            k, v = spec.split("=")
            args += ["--" + k, v]
            out = subprocess.run(args, stderr=subprocess.PIPE, text=True,
                                 check=True)
            sec, rss = out.stderr.strip().splitlines()[-1].split()
            row.append((mb / float(sec), int(rss) / 1024))
        out = subprocess.run([BENCH, "decode", "--json", "-n", "3", store,
                              os.path.basename(synth)[:-4]],
                             stdout=subprocess.PIPE, check=True, text=True)
        j = json.loads(out.stdout.strip().splitlines()[-1])
        dec = (j["full_mbs"], j["gop_parallel_mbs"])
        base_dec = base_dec or dec
        print("| %s | %.2f | %.2f | %.2f | %.0f | %.0f, %.0f (%.2f) |" % (
            name, row[0][0], row[1][0], row[1][0] / row[0][0], row[1][1],
            dec[0], dec[1], dec[0] / base_dec[0]))


def main():
    quick = "--quick" in sys.argv
    efforts = "--no-effort" not in sys.argv
    t, h, w = os.environ.get("FRONTIER_SYNTH", "32 512 512").split()
    tmp = tempfile.mkdtemp(prefix="cubefs-frontier-")
    synth = os.path.join(tmp, "synth.npy")
    subprocess.run([BENCH, "synth", synth, t, h, w, "1"], check=True,
                   stdout=subprocess.DEVNULL)
    samples = [(lab, os.path.join(DATA, f), v) for lab, f, v in SAMPLES]
    configs = CONFIGS + (EFFORTS if efforts else [])
    if quick:
        samples, configs = samples[2:3], [BASE, CONFIGS[6]]
    slab = "synth %sx%sx%s" % (t, h, w)
    if "--key" in sys.argv:
        rounds = 1 if quick else int(os.environ.get("FRONTIER_ROUNDS", "2"))
        names = os.environ.get("FRONTIER_KEY_SAMPLES",
                               "era5_t2m fice s2_ndvi").split()
        key([s for s in samples if s[0] in names] if not quick else samples,
            synth, slab, rounds, quick)
        subprocess.run(["rm", "-rf", tmp], check=True)
        return
    res = {}
    for lab, path, var in samples:
        run(lab, path, var, configs, 3 if quick else 1, res)
    run(slab, synth, "-", [c for c in configs if c[3]],
        4 if quick else 2, res)
    rows, dec = [], {}
    for name, spec, _, on_synth in configs:
        ds = [delta(res[lab][name], res[lab][BASE[0]])
              for lab, _, _ in samples if name in res[lab]]
        ds = [d for d in ds if d is not None]
        ratio = (ratio_of(res, [x[0] for x in samples], name, "encode_s"),
                 ratio_of(res, [x[0] for x in samples], name,
                          "import_cpu_s"))
        sy = res[slab].get(name)
        syr = (ratio_of(res, [slab], name, "encode_s"),
               ratio_of(res, [slab], name, "import_cpu_s")) if sy else None
        syd = delta(sy, res[slab][BASE[0]]) if sy else None
        dn = dsy = None
        if on_synth:
            # the efforts at their own default crf
            crf = (None if "effort" in spec else 14 if "x26" in spec
                   else 12)
            try:
                dn = decode_speed(os.path.join(DATA, SAMPLES[2][1]), "NDVI",
                                  spec, crf, tmp)
                dsy = decode_speed(synth, "-", spec, crf, tmp)
            except (subprocess.CalledProcessError, ValueError, KeyError):
                pass
        dec[name] = (dn, dsy)
        rows.append((name, ratio, ds, sy, syr, syd, dn, dsy))
    subprocess.run(["rm", "-rf", tmp], check=True)
    print_tables(rows, res, samples, slab, dec)
    plot(res, [s[0] for s in samples] + [slab], rows)


def print_tables(rows, res, samples, slab, dec):
    b = dec[BASE[0]]
    print("### Encode speed against quality at equal bits per value\n")
    print("Speed: MB/s of float32 source values through `cubefs-bench "
          "quality` (in process, all cores, GOPs in parallel), summed over "
          "the ladder's points between %.2g and %.2g bpv, as a ratio "
          "against x265 tuned (today's default) in the same run; CPU x: "
          "the same by the import's CPU time, all threads, which load "
          "from elsewhere moves less. dB: mean "
          "PSNR difference at equal bits per value, log-spaced over "
          "%.2g-%.2g bpv where both curves reach, against the same; "
          "samples: mean (min..max) over %s. Decode: `cubefs-bench decode` "
          "b (one GOP at a time, codec threads) and d (GOPs in parallel), "
          "NDVI at crf 14 (x265, x264), 12 (AV1, VP9) or the effort's own, "
          "MB/s, "
          "ratio against x265 tuned.\n" %
          (LO / 2, 2 * HI, LO, HI, ", ".join(s[0] for s in samples)))
    print("| encoder | samples: speed x (CPU x) | samples: dB | %s: MB/s "
          "| x (CPU x) | dB "
          "| decode NDVI b, d MB/s (x) | decode synth b, d MB/s (x) |" %
          slab)
    print("|---|---|---|---|---|---|---|---|")
    for name, ratio, ds, sy, syr, syd, dn, dsy in rows:
        dd = ("%.2f (%.2f..%.2f)" % (sum(ds) / len(ds), min(ds), max(ds))
              if ds else "-")

        def dfmt(d, base):
            if not d or not base:
                return "-"
            return "%.0f, %.0f (%.2f)" % (d[0], d[1], d[0] / base[0])
        print("| %s | %s (%s) | %s | %s | %s | %s | %s | %s |" % (
            name, fmt(ratio[0]), fmt(ratio[1]), dd,
            fmt(speed(sy) if sy else None, "%.1f"),
            "%s (%s)" % (fmt(syr[0]), fmt(syr[1])) if syr else "-",
            fmt(syd), dfmt(dn, b[0]), dfmt(dsy, b[1])))
    print("\nThe curves per sample and speed against dB: "
          "[bench/frontier.png](frontier.png).")
    print("\n### dB at equal bits per value, per sample (against x265 "
          "tuned)\n")
    labs = [s[0] for s in samples] + [slab]
    print("| encoder | " + " | ".join(labs) + " |")
    print("|---" * (len(labs) + 1) + "|")
    for name, *_ in rows:
        print("| %s | %s |" % (name, " | ".join(
            fmt(delta(res[lab][name], res[lab][BASE[0]]) if name in res[lab]
                else None) for lab in labs)))


def plot(res, labs, rows):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("frontier: no matplotlib, no plot", file=sys.stderr)
        return
    png = os.environ.get("FRONTIER_PNG",
                         os.path.join(TOP, "bench", "frontier.png"))
    fig, axes = plt.subplots(1, len(labs) + 1, figsize=(4 * (len(labs) + 1),
                                                        4))
    for ax, lab in zip(axes, labs):
        for name, recs in res[lab].items():
            pts = sorted((r["bpv"], r["psnr"]) for r in recs
                         if r.get("psnr") is not None and r["bpv"] <= 3)
            if pts:
                ax.plot(*zip(*pts), marker=".", label=name)
        ax.set_title(lab)
        ax.set_xlabel("bits per value")
        ax.set_ylabel("PSNR dB")
    ax = axes[-1]
    for name, ratio, ds, *_ in rows:
        if ratio[0] and ds:
            ax.scatter(ratio[0], sum(ds) / len(ds))
            ax.annotate(name, (ratio[0], sum(ds) / len(ds)), fontsize=6)
    ax.set_xscale("log")
    ax.set_xlabel("encode speed / x265 tuned")
    ax.set_ylabel("dB at equal bpv (0.5-2)")
    ax.set_title("frontier (samples)")
    axes[0].legend(fontsize=5)
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    print("frontier: plot in %s" % png, file=sys.stderr)


if __name__ == "__main__":
    main()
