# SPDX-License-Identifier: MIT
# What the shell tests share: pass/fail counters and the check helpers (sourced, not run).
fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
check() { desc=$1; shift; if "$@"; then ok; else bad "$desc"; fi; }
