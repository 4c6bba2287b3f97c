#!/bin/sh
# SPDX-License-Identifier: MIT
# Fails on an include against the layering: upward, private, or misplaced.
#
# Layers, bottom to top:
#   base/                     includes base/
#   codec/, catalog/          base/ and themselves (siblings: neither
#                             includes the other)
#   ingest/                   base/ codec/ catalog/ ingest/
#   store/                    base/ codec/ catalog/ store/ (check, repair
#                             and gc need no encoder or source reader)
#   fs/                       everything above plus fs/
#   cli/                      everything
# tests/, fuzz/ and bench/ sit on top and may include any layer.
#
# Library headers: <fuse*.h> only in fs/ll*.c (the FUSE adapter);
# <sqlite3.h> only in catalog/ (the SQL layer: store/ uses its typed rows)
# and tests/ (they damage catalogs on purpose); <libav*> only in codec/
# and tests/ (test_quicklook checks pictures with the decoder itself);
# GDAL (<gdal*.h>, <ogr*.h>, <cpl*.h>) only in ingest/source_gdal*.
#
# Private headers (*_int.h, *_priv.h) are included only from their own
# directory. tests/ and fuzz/ may include them: white-box tests of the
# decoder pool (codec/video_priv.h) and fuzz targets built from library
# sources exercise internals no public header shows.
#
# Usage: tests/layers.sh [SRCDIR]; prints file:line of every include not
# allowed and fails if there is one.
set -u
SRC=${1:-${CUBEFS_TEST_SRCDIR:-$(dirname "$0")/..}}
cd "$SRC" || exit 99

files=$(find base codec catalog ingest store fs cli tests fuzz bench \
	-name '*.[ch]' -type f 2>/dev/null | LC_ALL=C sort)
if [ -z "$files" ]; then
	echo "FAIL: no C files under '$SRC'"; exit 1
fi

awk '
BEGIN {
	allow["base"] = " base "
	allow["codec"] = " base codec "
	allow["catalog"] = " base catalog "
	allow["ingest"] = " base codec catalog ingest "
	allow["store"] = " base codec catalog store "
	allow["fs"] = " base codec catalog ingest store fs "
	allow["cli"] = " base codec catalog ingest store fs cli "
	top = " base codec catalog ingest store fs cli tests fuzz bench "
	allow["tests"] = top
	allow["fuzz"] = top
	allow["bench"] = top
	bad = 0
}
function fail(why) {
	printf "%s:%d: %s: %s\n", FILENAME, FNR, $0, why
	bad++
}
/^[ \t]*#[ \t]*include/ {
	dir = FILENAME
	sub(/\/.*/, "", dir)
	base = FILENAME
	sub(/.*\//, "", base)
	if (match($0, /"[^"]*"/)) {
		inc = substr($0, RSTART + 1, RLENGTH - 2)
		if (inc == "config.h")
			next
		to = inc ~ /\// ? inc : dir "/" inc
		todir = to
		sub(/\/.*/, "", todir)
		if (index(top, " " todir " ") == 0) {
			fail("no such layer \"" todir "/\"")
			next
		}
		if (index(allow[dir], " " todir " ") == 0) {
			ok = allow[dir]
			gsub(/^ | $/, "", ok)
			fail(dir "/ may not include " todir "/ (only " ok ")")
		}
		else if (to ~ /_(int|priv)\.h$/ && todir != dir &&
			 dir != "tests" && dir != "fuzz")
			fail("private header of " todir "/")
	} else if (match($0, /<[^>]*>/)) {
		inc = substr($0, RSTART + 1, RLENGTH - 2)
		if (inc ~ /^fuse/ && !(dir == "fs" && base ~ /^ll.*\.c$/))
			fail("FUSE only in fs/ll*.c")
		else if (inc ~ /^sqlite3/ && dir != "catalog" && dir != "tests")
			fail("SQLite only in catalog/")
		else if (inc ~ /^libav/ && dir != "codec" && dir != "tests")
			fail("libav only in codec/")
		else if (inc ~ /^(gdal|ogr|cpl)/ && !(dir == "ingest" &&
			 base ~ /^source_gdal.*\.[ch]$/))
			fail("GDAL only in ingest/source_gdal*")
	}
}
END {
	if (bad) {
		printf "FAIL: %d include(s) against the layering\n", bad
		exit 1
	}
}
' $files || exit 1
echo "layers: $(echo "$files" | wc -l) files, every include allowed"
