#!/bin/sh
# SPDX-License-Identifier: MIT
# Appends a benchmark's tables to bench/RESULTS.md under a line "date, machine, commit".
#
# usage: sh bench/results.sh [--pre] TITLE FILE
#   TITLE  the section's heading: the command that ran
#   FILE   the tables as the benchmark printed them ('-': standard input);
#          --pre keeps them as preformatted text (tables in columns, not
#          markdown)
# env:   BENCH_RESULTS  the file to append to (default: bench/RESULTS.md of
#        this tree; set and empty: nothing is written, as the benchmarks do
#        for their --quick smoke runs unless BENCH_RESULTS names a file)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
pre=0
[ "${1:-}" = --pre ] && { pre=1; shift; }
[ $# -eq 2 ] || { echo "usage: sh bench/results.sh [--pre] TITLE FILE" >&2; exit 2; }
title=$1 table=$2
out=${BENCH_RESULTS-$top/bench/RESULTS.md}
[ -n "$out" ] || exit 0

cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
cpu=$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo 2>/dev/null |
	head -n 1)
[ -n "$cpu" ] || cpu="CPU model not in /proc/cpuinfo ($(uname -m))"
# the tree's own commit only: a release tarball unpacked inside another
# repository must not borrow that one's
commit=unknown
if [ -e "$top/.git" ] &&
   c=$(git -C "$top" rev-parse --short HEAD 2>/dev/null); then
	commit=$c
	git -C "$top" diff --quiet HEAD -- . ':(exclude)bench/RESULTS.md' \
		2>/dev/null || commit="$commit with uncommitted changes"
fi

{
	printf '\n## %s\n\n' "$title"
	printf '%s, %s cores, %s, commit %s\n\n' \
		"$(date -u '+%Y-%m-%d %H:%M UTC')" "$cores" "$cpu" "$commit"
	[ $pre = 1 ] && printf '```\n'
	# no blank lines at either end: the section's own spacing holds
	cat -- "$table" | sed -e '/./,$!d' | sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}'
	[ $pre = 1 ] && printf '```\n'
	true
} >>"$out"
echo "results appended to $out" >&2
