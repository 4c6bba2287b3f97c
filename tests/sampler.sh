#!/bin/sh
# SPDX-License-Identifier: MIT
# python/cubefs_sampler.py: its order alone, then over a mount against exported copies (SAMPLER_MODE=torch: through DataLoaders with workers).
set -u
. "$(dirname "$0")/lib.sh"
MODE=${SAMPLER_MODE:-mount}
SRC=${CUBEFS_TEST_SRCDIR:-$(dirname "$0")/..}
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || { echo "SKIP: numpy missing"; exit 77; }
if [ "$MODE" = torch ] && ! $PY -c 'import torch' 2>/dev/null; then
	echo "SKIP: torch missing (apt-get install python3-torch)"; exit 77
fi
if [ "$MODE" = mount ]; then
	check "sampler alone" $PY "$SRC/tests/sampler.py" unit
fi
mount_test_init
gop_store smp
E=$T/exp
mkdir -p "$E"
NAMES="era5/t2m.npy s2/NDVI.npy s2/CLP.npy"
for n in $NAMES; do
	v=${n%.npy}
	check "export $v" $CUBEFS export "$S" "$v" "$E/$(echo "$n" | tr / _)"
done
check "mount" $MOUNT "$S" "$M" -o ro,cache_size=1M
# shellcheck disable=SC2086
check "sampler over the mount ($MODE)" $PY "$SRC/tests/sampler.py" "$MODE" \
	"$M" "$E" $NAMES
fusermount3 -u "$M"

echo "sampler ($MODE): $pass passed, $fails failed"
[ "$fails" -eq 0 ]
