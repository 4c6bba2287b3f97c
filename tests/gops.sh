#!/bin/sh
# SPDX-License-Identifier: MIT
# The GOP layout of each view: user.cubefs.gops on the mount equals `cubefs info --json`'s gop_starts.
set -u
. "$(dirname "$0")/lib.sh"
mount_test_init
gop_store gops
check "mount" $MOUNT "$S" "$M" -o ro
$CUBEFS info "$S" era5 --json >"$T/era5.json"
$CUBEFS info "$S" s2 --json >"$T/s2.json"

# every view's xattr, byte for byte, against info's list; each .npy and
# .nc lists the name
check "each view's xattr equals info --json" $PY -c "
import json, os, sys
M = '$M'
n = 0
for name in ('era5', 's2'):
    d = json.load(open('$T/%s.json' % name))
    for v in d['views']:
        path = os.path.join(M, name, v['name']) if v['in_dir'] \
            else os.path.join(M, v['name'])
        want = ' '.join(map(str, v['gop_starts'])).encode()
        got = os.getxattr(path, 'user.cubefs.gops')
        assert got == want, (path, got[:60], want[:60])
        assert 'user.cubefs.gops' in os.listxattr(path), path
        n += 1
assert n == 6, n
"
# the list itself: 744 hours in GOPs of 16, no decode needed
check "era5.nc starts every 16 frames" $PY -c "
import os
got = os.getxattr('$M/era5.nc', 'user.cubefs.gops').decode()
assert got == ' '.join(str(f) for f in range(0, 744, 16)), got[:80]
"
# a Zarr array's chunks are its time steps: the same list as its .npy
# view; the group and the metadata files have none
check "each Zarr array's xattr equals its .npy view's" $PY -c "
import errno, json, os
M = '$M'
n = 0
for name in ('era5', 's2'):
    d = json.load(open('$T/%s.json' % name))
    for v in d['views']:
        if not v['name'].endswith('.npy') or not v['in_dir']:
            continue
        var = v['name'][:-4]
        arr = os.path.join(M, name + '.zarr', var)
        want = os.getxattr(os.path.join(M, name, v['name']),
                           'user.cubefs.gops')
        assert os.getxattr(arr, 'user.cubefs.gops') == want, arr
        assert 'user.cubefs.gops' in os.listxattr(arr), arr
        for p in (os.path.join(M, name + '.zarr'),
                  os.path.join(arr, '.zarray')):
            try:
                os.getxattr(p, 'user.cubefs.gops')
                raise SystemExit('%s: no error' % p)
            except OSError as e:
                assert e.errno == errno.ENODATA, (p, e)
        n += 1
assert n >= 3, n
"
if command -v getfattr >/dev/null; then
	check "getfattr prints it" sh -c "getfattr --absolute-names --only-values \
		-n user.cubefs.gops '$M/s2/NDVI.npy' | grep -qx '0 8 16 24 32 40 48 56 64'"
fi
# (before the quick-look's lookup, which draws it)
check "no decode for any of it" sh -c \
	"$CUBEFS stats '$M' | grep -qx 'decodes 0'"
check "other names, directories, quick-looks: ENODATA" $PY -c "
import errno, os
for path, name in (('$M/era5.nc', 'user.cubefs.other'),
                   ('$M/era5.nc', 'user.cubefs.stats'),
                   ('$M/s2', 'user.cubefs.gops'),
                   ('$M/era5.png', 'user.cubefs.gops')):
    try:
        os.getxattr(path, name)
        raise SystemExit('%s %s: no error' % (path, name))
    except OSError as e:
        assert e.errno == errno.ENODATA, (path, name, e)
assert os.listxattr('$M/s2') == []
assert os.listxattr('$M') == ['user.cubefs.stats']
"
check "stats still work" sh -c "$CUBEFS stats '$M' | grep -q '^budget '"
fusermount3 -u "$M"

echo "gops: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
