#!/bin/sh
# SPDX-License-Identifier: MIT
# The whole test suite: installs what is missing, builds, runs `make check`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/deps.sh
sh scripts/build.sh
if ! make -j"$(nproc)" check --no-print-directory; then
	for f in tests/*.log; do
		case "$f" in *test-suite.log) continue ;; esac
		grep -q '^# \?FAIL\|^FAIL' "$f" 2>/dev/null && { echo "== $f"; tail -n 40 "$f"; }
	done
	exit 1
fi
