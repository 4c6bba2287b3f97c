#!/bin/sh
# SPDX-License-Identifier: MIT
# Smoke run of the benchmark (quick mode): it runs and writes every figure; no figure is judged.
set -u
PY=/usr/bin/python3
SRC=${CUBEFS_TEST_SRCDIR:-.}
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "SKIP: /dev/fuse or fusermount3 missing"; exit 77
fi
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: no numpy for $PY"; exit 77; }
T=$(mktemp -d /tmp/cubefs-bench-test-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
: "${CUBEFS_BENCH:=$(dirname "${CUBEFS:-./cubefs}")/bench/cubefs-bench}"
export CUBEFS_BENCH

# the results file is a temporary one: make check leaves bench/RESULTS.md alone
check "bench/mount.sh --quick runs" \
	env BENCH_JSON="$T/r.json" BENCH_RESULTS="$T/RESULTS.md" \
	sh "$SRC/bench/mount.sh" --quick >"$T/out" 2>"$T/err"
check "the table has every section" grep -q "### dataloader" "$T/out"
check "the results section is appended with date, machine and commit" \
	sh -c "grep -q '^## sh bench/mount.sh --quick\$' '$T/RESULTS.md' &&
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{5} UTC, [0-9]+ cores, .+, commit .+' '$T/RESULTS.md' &&
	grep -q '### dataloader' '$T/RESULTS.md'"
check "the JSON has every figure" $PY - "$T/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["datasets"]["synth"]
for k in ("decoder_limit_mbs", "ratio_cold_dd_vs_decoder",
          "ratio_cold_npload_vs_decoder", "ratio_cold_readinto_vs_decoder",
          "ratio_warm_vs_local",
          "ratio_whole_vs_pick_cold_p99", "ratio_whole_vs_pick_warm_p50",
          "ratio_parallel_2_vs_1", "ratio_parallel_2_vs_limit"):
    assert s[k] > 0, k
assert 0 < s["decode"]["step_p50_s"] <= s["decode"]["step_max_s"]
assert set(r["datasets"]) == {"era5", "landsat8", "synth"}
assert r["dataloader"]["ratio"] > 0 and r["daemon"]["vmhwm_bytes"] > 0
assert r["run"]["quick"] is True
PY
check "cubefs-bench decode times GOP-parallel and 1-thread decodes" \
	grep -q '"gop_parallel_mbs"' "$T/r.json"
[ $fails -eq 0 ] || { cat "$T/err"; echo "$fails failed, $pass passed"; exit 1; }
echo "bench: $pass checks passed"
