#!/bin/sh
# SPDX-License-Identifier: MIT
# The libFuzzer targets (npy, ncheader, gop, journal, corr): every regression input replayed, then a few seconds of fuzzing each from the seed corpus.
set -u
CUBEFS=${CUBEFS:-./cubefs}
BIN=$(dirname "$CUBEFS")/fuzz
SRC=${CUBEFS_TEST_SRCDIR:-.}/fuzz
SECS=${CUBEFS_FUZZ_SECONDS:-5}
TARGETS="npy ncheader gop journal corr"
for t in $TARGETS; do
	if [ ! -x "$BIN/fuzz_$t" ]; then
		echo "SKIP: $BIN/fuzz_$t not built (needs clang with libFuzzer: ./configure FUZZ_CC=clang, make fuzz)"
		exit 77
	fi
done
T=$(mktemp -d /tmp/cubefs-fuzz-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
for t in $TARGETS; do
	# regressions: inputs that once crashed, run once each
	if [ -d "$SRC/regress/$t" ]; then
		if "$BIN/fuzz_$t" -runs=1 "$SRC"/regress/$t/* \
			>"$T/$t.regress" 2>&1; then
			ok
		else
			bad "$t: a regression input crashes again"
			grep -v '^ *#[0-9]* *0x' "$T/$t.regress" | tail -40
		fi
	fi
	# new inputs go to $T, the seeds stay as they are
	mkdir -p "$T/$t"
	if "$BIN/fuzz_$t" -max_total_time="$SECS" -timeout=20 \
		-print_final_stats=1 -artifact_prefix="$T/" "$T/$t" \
		"$SRC/corpus/$t" >"$T/$t.log" 2>&1; then
		ok
		echo "$t: $(grep -o 'stat::number_of_executed_units: *[0-9]*' \
			"$T/$t.log" | grep -o '[0-9]*$') runs in ${SECS}s, no crash"
	else
		bad "$t: fuzzing found a crash (input below, kept as $BIN/crash-$t)"
		cp "$T"/crash-* "$BIN/crash-$t" 2>/dev/null
		grep -v '^ *#[0-9]* *0x' "$T/$t.log" | tail -40
	fi
done
echo "fuzz: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
