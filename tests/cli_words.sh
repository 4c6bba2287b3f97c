#!/bin/sh
# SPDX-License-Identifier: MIT
# What the commands say to a new user: help that matches what works, errors that name the fix.
set -u
CUBEFS=${CUBEFS:-./cubefs}
MOUNT=${MOUNT_CUBEFS:-$(dirname "$CUBEFS")/mount.cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
MAN=$(dirname "$0")/../man
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cubefs-words-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"
# says DESC PATTERN CMD...: CMD fails, and its standard error matches PATTERN
says() { desc=$1 pat=$2; shift 2; if "$@" >"$T/out" 2>"$T/err"; then
	bad "$desc (accepted)"; elif grep -q -- "$pat" "$T/err"; then ok; else
	bad "$desc: $(head -c 300 "$T/err")"; fi; }
# refused DESC PATTERN OPTIONS: mount.cubefs -o OPTIONS refuses to mount
# (and is unmounted at once if it did mount)
refused() { says "$1" "$2" $MOUNT "$S" "$T/mnt" -o "$3"
	if grep -q " $T/mnt " /proc/mounts; then fusermount3 -u "$T/mnt"; fi; }
# npy FILE DESCR SHAPE: a .npy header of that descr (as Python writes it)
# and shape, no data
npy() { $PY -c "
import struct, sys
d = \"{'descr': %s, 'fortran_order': False, 'shape': %s, }\" % (sys.argv[2], sys.argv[3])
h = d + ' ' * (-(10 + len(d) + 1) % 64) + '\n'
open(sys.argv[1], 'wb').write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode())
" "$@"; }

S=$T/store
L=$DATA/landsat8_ny2018_p013r032_11band.npy
E=$DATA/era5_t2m_uk_2019-03.nc
$CUBEFS import -q "$S" "$E" --name era5 --crf 30 || bad "import era5"
mkdir "$T/mnt"

# a dataset of several variables named alone: its variables, and how to
# name one
says "export of a dataset of several variables" "dataset 'era5' has 4 variables; name one as era5/VARIABLE" \
	$CUBEFS export "$S" era5 "$T/o.npy"
check "  lists them" grep -q '^  era5/t2m$' "$T/err"
says "export of a variable the dataset lacks" "dataset 'era5' has no variable 'nope'" \
	$CUBEFS export "$S" era5/nope "$T/o.npy"
check "  lists the ones it has" grep -q '^  era5/latitude$' "$T/err"
# a dataset named alone: verify checks each of its variables
check "verify of a dataset of several variables checks them all" sh -c \
	"$CUBEFS verify '$S' era5 '$E' | grep -c '^[a-z0-9]*: ' | grep -qx 4"
says "export of an unknown dataset" "no dataset 'nope' in" \
	$CUBEFS export "$S" nope/x "$T/o.npy"

# --bits: each codec's depths offered, a depth the codec lacks refused
# before the store is even created
$CUBEFS import --help >"$T/help"
check "import --help gives x264's depths" grep -q 'x264 8, 10;' "$T/help"
check "import --help gives ffv1's depths" grep -q 'ffv1 8, 10, 12, 16' "$T/help"
check "import --help does not offer 16 bits to all" sh -c "! grep -q '8, 10, 12 (default) or 16' '$T/help'"
says "--bits 16 with x265" "x265 cannot encode 16 bits (it takes 8, 10, 12; 16 bits: --codec ffv1)" \
	$CUBEFS import -q "$T/new" "$L" --bits 16
check "  refused before the store is made" test ! -e "$T/new"
says "--bits 12 with x264" "x264 cannot encode 12 bits (it takes 8, 10;" \
	$CUBEFS import -q "$T/new" "$L" --bits 12 --codec x264
check "--bits 16 with ffv1" $CUBEFS import -q "$T/new" "$L" --bits 16 --codec ffv1 --name f16
check "--bits 16 with --lossless (ffv1)" $CUBEFS import -q "$T/new" "$L" --bits 16 --lossless --name l16
check "man page gives each codec's depths" grep -q 'x264 8 or 10' "$MAN/cubefs.1"
refused "mount with bits=16 for x265" "x265 cannot encode 16 bits (it takes 8, 10, 12)" \
	bits=16
refused "mount with codec=x264,bits=12" "x264 cannot encode 12 bits" \
	bits=12,codec=x264

# the commands' help names what they take
$CUBEFS --help >"$T/help"
check "verify's usage takes NetCDF too" sh -c "grep -q 'verify STORE NAME ORIGINAL .*NetCDF' '$T/help' && ! grep -q ORIG.npy '$T/help'"
$MOUNT --help >"$T/help"
for o in ro codec= bits= crf= cache_size= rgb= allow_other; do
	check "mount.cubefs --help names $o" grep -q -- "-o $o" "$T/help"
	check "mount.cubefs(8) names $o" grep -q "^\.B[I]* $o" "$MAN/mount.cubefs.8"
done
check "mount.cubefs --help gives x264's depths" grep -Eq 'x264 +8, 10$' "$T/help"

# rgb= echoes what was given
refused "rgb of two bands" "invalid rgb '1,2' (" rgb=1,2
refused "rgb of one band" "invalid rgb 'B4' (" rgb=B4

# an unsupported .npy dtype is named
npy "$T/c8.npy" "'<c8'" '(2, 3)'
says "complex .npy" "unsupported dtype '<c8' in '$T/c8.npy' (cubefs takes" \
	$CUBEFS import -q "$S" "$T/c8.npy"
npy "$T/b1.npy" "'|b1'" '(2, 3)'
says "bool .npy" "unsupported dtype '|b1'" $CUBEFS import -q "$S" "$T/b1.npy"
npy "$T/st.npy" "[('a', '<f4'), ('b', '<i8'), ('c', '<u2')]" '(2,)'
says "structured .npy" "unsupported dtype '\[('a', '<f4'), ('b',\.\.\.'" \
	$CUBEFS import -q "$S" "$T/st.npy"
npy "$T/d33.npy" "'<f4'" "($(printf '1, %.0s' $(seq 33)))"
says ".npy of 33 dims" "has more than 32 dimensions" $CUBEFS import -q "$S" "$T/d33.npy"

# ls: columns stay put with long and non-ASCII names (in any locale)
for n in a "température_été" "日本語の名前" \
	a_dataset_name_much_longer_than_the_name_column; do
	$CUBEFS import -q "$T/ls" "$L" --name "$n" --codec lz4 || bad "import '$n'"
done
for loc in C C.UTF-8; do
	LC_ALL=$loc $CUBEFS ls "$T/ls" >"$T/ls.$loc"
	check "ls columns line up ($loc)" $PY -c "
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)
rows = open(sys.argv[1], encoding='utf-8').read().splitlines()
at = {width(r[:r.index('(' if i else 'SHAPE')]) for i, r in enumerate(rows)}
ends = {width(r) - len(r.split()[-1]) for r in rows[1:]}
assert len(rows) == 5 and len(at) == 1 and len(ends) == 1, (at, ends)
" "$T/ls.$loc"
done
check "ls --json keeps the names as they are" sh -c "$CUBEFS ls --json '$T/ls' | grep -q '\"name\": \"日本語の名前\"'"

# an import of no values leaves no pack behind
npy "$T/empty.npy" "'<f4'" '(0, 3)'
check "import of an empty array" $CUBEFS import -q "$T/e" "$T/empty.npy"
check "  leaves no pack" test -z "$(ls "$T/e/packs")"
check "  check finds nothing" sh -c "$CUBEFS check '$T/e' | grep -q ': 0 problems'"
check "  exports" sh -c "$CUBEFS export '$T/e' empty - | cmp -s - '$T/empty.npy'"

echo "cli_words: $pass passed, $fails failed"
[ "$fails" = 0 ]
