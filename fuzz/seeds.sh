#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the seed corpora fuzz/corpus/<target>/ from the samples: run from the source tree after `make fuzz`.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$SRC/fuzz}
C=$SRC/fuzz/corpus
mkdir -p "$C/npy" "$C/ncheader" "$C/gop" "$C/journal"
# npy and nc: the first bytes of each sample (the header and a little data)
for f in "$SRC"/data/*.npy "$SRC"/tests/data/npy/*.npy "$SRC"/tests/data/npy/*.hdr; do
	head -c 512 "$f" >"$C/npy/$(basename "$f")"
done
for f in "$SRC"/data/*.nc; do
	head -c 4096 "$f" >"$C/ncheader/$(basename "$f")"
done
# gop and journal: the targets write real GOPs and journals themselves
ASAN_OPTIONS=detect_leaks=0 CUBEFS_FUZZ_SEEDS=$C/gop \
CUBEFS_FUZZ_SAMPLE=$SRC/data/landsat8_ny2018_p013r032_11band.npy \
	"$BIN/fuzz_gop" -runs=0 >/dev/null 2>&1
CUBEFS_FUZZ_SEEDS=$C/journal "$BIN/fuzz_journal" -runs=0 >/dev/null 2>&1
ls "$C"/* | wc -l
