#!/bin/sh
# SPDX-License-Identifier: MIT
# The rate-distortion study (bench/README.md): sh bench/quality.sh [--quick] [SAMPLE...]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${CUBEFS_BENCH:=$top/bench/cubefs-bench}"
export CUBEFS_BENCH
[ -x "$CUBEFS_BENCH" ] || { echo "quality: no '$CUBEFS_BENCH': run make" >&2; exit 1; }
command -v ffmpeg >/dev/null || { echo "quality: ffmpeg needed" >&2; exit 1; }
exec nice /usr/bin/python3 "$top/bench/quality.py" "$@"
