#!/bin/sh
# SPDX-License-Identifier: MIT
# Training-loader benchmark (bench/loader.py does the work), appended to bench/RESULTS.md.
#
# usage: sh bench/loader.sh [--quick]   (from a built tree, as root for the
#        page-cache drops and the throttled loop device)
# env:   see bench/README.md (BENCH_LOADER_*, BENCH_THROTTLE_MB, ...)
set -eu
here=$(dirname "$0")
q=
case " $* " in *" --quick "*) q=" --quick"; : "${BENCH_RESULTS=}" ;; esac
export BENCH_RESULTS
out=$(mktemp /tmp/cubefs-bench-loader-XXXXXX)
trap 'rm -f "$out"' EXIT
trap 'exit 130' INT TERM
/usr/bin/python3 "$here/loader.py" $q >"$out"
cat "$out"
sh "$here/results.sh" "sh bench/loader.sh$q" "$out"
