/* SPDX-License-Identifier: MIT */
/* cubefs-bench: the subcommands of the benchmark program and its clock. */
#ifndef CUBEFS_BENCH_BENCH_H
#define CUBEFS_BENCH_BENCH_H

/*
 * cubefs-bench decode [--json] STORE NAME [VAR]: times plain decode,
 * full decode and the read path of one variable in process; prints a
 * table (or one JSON object). Returns the exit status.
 */
int bench_decode(int argc, char **argv);

/*
 * cubefs-bench synth OUT.npy T H W [SEED]: writes a deterministic
 * synthetic float32 cube. Returns the exit status.
 */
int bench_synth(int argc, char **argv);

/*
 * cubefs-bench quality FILE VAR SPEC...: PSNR and bits per value of one
 * variable under cubefs imports (a temporary store each) and the zfp,
 * zstd and lz4 baselines, one JSON line per SPEC. Returns the exit status.
 */
int bench_quality(int argc, char **argv);

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

#endif
