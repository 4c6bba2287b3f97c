#!/bin/sh
# SPDX-License-Identifier: MIT
# Quality targets on the shared samples: --max-error (corrections, bits, vs whole-value corrections), --psnr and --bpv reached, and time.
# usage: sh bench/target.sh [OLD_CUBEFS]   (OLD_CUBEFS: a cubefs with whole-value corrections, for the comparison;
#        BENCH_ONLY=landsat: only the samples whose file name holds it; the table is appended to bench/RESULTS.md)
set -u
CUBEFS=${CUBEFS:-./cubefs}
OLD=${1:-}
DATA=${CUBEFS_TEST_DATA:-data}
T=$(mktemp -d /tmp/cubefs-bench-target-XXXXXX)
trap 'rm -rf "$T"' EXIT
i=0

# run BIN FILE VARS ARGS...: imports, prints one row per variable of VARS
run() {
	bin=$1 f=$2 vars=$3 label=$4; shift 4
	i=$((i + 1))
	t0=$(date +%s.%N)
	$bin import "$T/s" "$DATA/$f" --name "n$i" "$@" >"$T/out" 2>"$T/err" || {
		echo "$label: $(cat "$T/err")"; return; }
	t1=$(date +%s.%N)
	for v in $(echo "$vars" | tr , ' '); do
		[ "$v" = - ] && v=n$i   # a .npy: the variable takes the dataset's name
		awk -v v="$v" -v lab="$label" -v t="$(echo "$t1 - $t0" | bc)" '
		$1 == v && / bpv / { for (k = 1; k <= NF; k++) { if ($k == "bpv") b = $(k-1);
			if ($k == "PSNR") p = $(k+1); if ($k == "err") e = $(k+1) }
			getline; crf = "-"; n = 0; c = 0
			while ($0 ~ /^   /) { if ($1 == "crf") crf = $2
				if ($0 ~ /values corrected/) { n = $1; c = $(NF-3) }
				if ((getline) <= 0) break }
			printf "%-30s %-8s %4s %9s %8s %8s %8s %10s %6.1f\n", lab, v, crf, n, c, b, p, e, t; exit }' "$T/out"
	done
}

# every row, as the imports go
table() {
	printf "%-30s %-8s %4s %9s %8s %8s %8s %10s %6s\n" "run" "var" "crf" "ncorr" "corrbpv" "bpv" "PSNR" "maxerr" "s"
	while read -r f vars range; do
		case $f in *${BENCH_ONLY:-}*) ;; *) continue ;; esac
		for pct in 1 0.1; do
			e=$(echo "$range * $pct / 100" | bc -l | sed 's/^\./0./; s/0*$//')
			[ -n "$OLD" ] && run "$OLD" "$f" "$vars" "old whole-value crf14 E=$e" --max-error "$e"
			run "$CUBEFS" "$f" "$vars" "new crf14 E=$e" --max-error "$e" --crf 14
			run "$CUBEFS" "$f" "$vars" "new searched E=$e" --max-error "$e"
		done
		for p in 40 50 60; do run "$CUBEFS" "$f" "$vars" "--psnr $p" --psnr $p; done
		for b in 0.5 1 2; do run "$CUBEFS" "$f" "$vars" "--bpv $b" --bpv $b; done
	done <<'LIST'
era5_t2m_uk_2019-03.nc t2m 25.88
ncl_fice_monthly.nc fice 1
s2_eolearn_ndvi_clp_clm_2015-2017.nc NDVI,CLP,CLM 1
landsat8_ny2018_p013r032_11band.npy - 40533
LIST
}

table | tee "$T/table"
title="sh bench/target.sh${OLD:+ OLD_CUBEFS}"
[ -z "${BENCH_ONLY:-}" ] || title="BENCH_ONLY=$BENCH_ONLY $title"
sh "$(dirname "$0")/results.sh" --pre "$title" "$T/table"
