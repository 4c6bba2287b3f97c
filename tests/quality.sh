#!/bin/sh
# SPDX-License-Identifier: MIT
# bench/quality.sh --quick runs and writes sane figures (no figure is asserted).
set -u
CUBEFS=${CUBEFS:-./cubefs}
SRC=${CUBEFS_TEST_SRCDIR:-.}
PY=/usr/bin/python3
CUBEFS_BENCH=$(dirname "$CUBEFS")/bench/cubefs-bench
export CUBEFS_BENCH
command -v ffmpeg >/dev/null || { echo "SKIP: no ffmpeg"; exit 77; }
$PY -c 'import numpy, netCDF4' 2>/dev/null || { echo "SKIP: no numpy"; exit 77; }
T=$(mktemp -d /tmp/cubefs-quality-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

QUALITY_OUT=$T sh "$SRC/bench/quality.sh" --quick >"$T/table" 2>"$T/err"
rc=$?
check "quality --quick runs" test "$rc" = 0
check "prints the table" grep -q '^| landsat8 | cubefs default |' "$T/table"
check "figures are sane" $PY - "$T/quality.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["landsat8"]
need = {"cubefs default", "zfp fixed accuracy", "lz4", "xarrayvideo"}
assert need <= set(r), sorted(r)
for name, pts in r.items():
    assert pts, name
    for p in pts:
        assert 0.01 < p["bpv"] < 64, (name, p)
        assert p["psnr"] is None or 20 < p["psnr"] < 140, (name, p)
        assert p["values"] == 8 * 11 * 77 * 76, (name, p)
assert r["lz4"][0]["psnr"] is None and r["lz4"][0]["exact"]
c = r["cubefs default"][0]
assert c["meta_bytes"] > 0 and c["bytes"] > c["meta_bytes"], c
PY
if $PY -c 'import matplotlib' 2>/dev/null; then
	check "writes the plot" $PY -c "
import sys; d = open('$T/quality_landsat8.png', 'rb').read(8)
sys.exit(d != b'\x89PNG\r\n\x1a\n')"
fi
echo "quality: $pass passed, $fails failed"
[ "$fails" = 0 ]
