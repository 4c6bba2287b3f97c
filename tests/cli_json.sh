#!/bin/sh
# SPDX-License-Identifier: MIT
# cubefs ls --json and info --json against the text output, the sources and netCDF4-python; every command's --help.
set -u
CUBEFS=${CUBEFS:-./cubefs}
DATA=${CUBEFS_TEST_DATA:-data}
PY=/usr/bin/python3
if [ ! -x "$PY" ]; then
	echo "cli_json: skipped, no $PY"
	exit 77
fi
T=$(mktemp -d /tmp/cubefs-cli-json-XXXXXX)
trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/lib.sh"

S=$T/store
L=$DATA/landsat8_ny2018_p013r032_11band.npy
N=$DATA/s2_eolearn_ndvi_clp_clm_2015-2017.nc
QNAME='a"b\c'                    # a quote and a backslash: valid names
BADNAME=$(printf 'bad\377')      # not UTF-8: valid too, shown as U+FFFD

# every command's help: stdout, exit 0; usage errors: stderr, exit 2
for c in import ls info export verify mount stats gc check; do
	for h in --help -h; do
		if $CUBEFS $c $h >"$T/out" 2>"$T/err"; then
			check "$c $h prints usage on stdout" grep -qi usage "$T/out"
			check "$c $h writes nothing on stderr" test ! -s "$T/err"
		else
			bad "$c $h exits $?"
		fi
	done
done
usage_error() {
	desc=$1; shift
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 2 ] && grep -qi usage "$T/err" && [ ! -s "$T/out" ]; then
		ok
	else
		bad "$desc: exit $rc, want 2 and usage on stderr only"
	fi
}
usage_error "import without a file" $CUBEFS import "$S"
usage_error "ls without a store" $CUBEFS ls
usage_error "ls with two stores" $CUBEFS ls "$S" "$S"
usage_error "ls with an unknown option" $CUBEFS ls --xml "$S"
usage_error "info without a name" $CUBEFS info "$S"
usage_error "info with an unknown option" $CUBEFS info "$S" x --gop
usage_error "export without an output" $CUBEFS export "$S" x
usage_error "export with an unknown option" $CUBEFS export "$S" x out.npy --fast
usage_error "verify without an original" $CUBEFS verify "$S" x
usage_error "mount without a mount point" $CUBEFS mount "$S"
usage_error "mount with an unknown option" $CUBEFS mount "$S" "$T" --bogus
usage_error "stats without a mount point" $CUBEFS stats
usage_error "gc without a store" $CUBEFS gc
usage_error "check without a store" $CUBEFS check
usage_error "no command" $CUBEFS

check "import landsat8" $CUBEFS import -q "$S" "$L" --name landsat8
check "import lossless" $CUBEFS import -q "$S" "$L" --name exact --lossless
check "import s2" $CUBEFS import -q "$S" "$N" --name s2
check "import a name with a quote and a backslash" \
	$CUBEFS import -q "$S" "$L" --name "$QNAME" --gop 4
check "import a name that is not UTF-8" $CUBEFS import -q "$S" "$L" --name "$BADNAME"
# a NetCDF-4 file of awkward names and attributes, where netCDF4-python is
if $PY -c 'import numpy, netCDF4' 2>/dev/null; then
	$PY - "$T/tricky.nc" <<'EOF' && check "import awkward NetCDF" $CUBEFS import -q "$S" "$T/tricky.nc" --name 'q"uo\te é' 2>"$T/err"
import sys
import netCDF4, numpy as np
d = netCDF4.Dataset(sys.argv[1], 'w', format='NETCDF4')
d.createDimension('t', None)
d.createDimension('y', 8)
d.createDimension('x', 9)
v = d.createVariable('v"q\\b é', 'f4', ('t', 'y', 'x'))
v[:] = np.random.default_rng(1).random((5, 8, 9)).astype('f4')
v.setncattr('text', 'l1\nl2\ttab \x01\x1f\x7f "q" back\\slash é 漢 \U0001f600')
v.setncattr('f32', np.float32(0.1))
v.setncattr('f64s', np.array([1.5, np.nan, np.inf, -np.inf, 1e300, 5e-324]))
v.setncattr('i64', np.int64(2**62 + 1))
v.setncattr('u64', np.uint64(2**64 - 1))
v.setncattr('i16', np.array([-32768, 7], 'i2'))
v.setncattr('i8', np.int8(-5))
v.setncattr('u32', np.uint32(4000000000))
d.setncattr('g"q\\', 'x\\y"z')
d.setncattr('empty', '')
d.setncattr_string('strs', ['a', 'b'])
d.close()
EOF
fi

# the rest in Python: JSON against the text output, the sources, netCDF4
$PY - "$CUBEFS" "$S" "$DATA" "$T" "$QNAME" <<'EOF' >"$T/py" 2>&1
import json, math, os, re, sqlite3, subprocess, sys, time, unicodedata, zlib

cubefs, store, data, tmp, qname = sys.argv[1:6]
passed = failed = 0


def check(desc, cond, detail=''):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print('FAIL: %s %s' % (desc, detail))
    return cond


def run(*args):
    env = dict(os.environ, TZ='UTC')
    p = subprocess.run([cubefs] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env)
    check('cubefs %s exits 0' % ' '.join(args[1:]), p.returncode == 0,
          p.stderr.decode('utf-8', 'replace'))
    return p.stdout


def no_constant(c):
    raise ValueError('not JSON: ' + c)


def load(*args):
    out = run(*args)
    try:
        # strict: raw control characters, NaN, Infinity or bad UTF-8 fail
        return json.loads(out.decode('utf-8'), parse_constant=no_constant)
    except ValueError as e:
        check('valid JSON from %s' % ' '.join(args[1:]), False, str(e))
        return None


def cbytes(n):
    unit = ['B', 'kB', 'MB', 'GB', 'TB']
    u = 0
    while n >= 1000 and u < 4:
        n /= 1000
        u += 1
    return ('%.1f %s' if u else '%.0f %s') % (n, unit[u])


def g(fmt, x):
    return fmt % (float('nan') if x is None else x)


def shape(v):
    return '(' + ', '.join(map(str, v['shape'])) + \
        (',)' if len(v['shape']) == 1 else ')')


def width(s):
    """Terminal columns of s: 2 for a wide character, else 1."""
    return sum(2 if unicodedata.east_asian_width(c) in 'WF' else 1 for c in s)


def col(s, w):
    """s as UTF-8, then spaces up to w terminal columns."""
    return s.encode() + b' ' * (w - width(s))


def ls_lines(all_ds):
    """The text `cubefs ls` prints, from the JSON, as bytes like C: the
    name and shape columns as wide as their longest, at least 28 and 22."""
    rows = [v for ds in all_ds for v in ds['variables']]
    wn = max([28] + [width(v['path']) for v in rows])
    ws = max([22] + [len(shape(v)) for v in rows])
    out = [b'%s %-*s %-8s %-5s %10s %10s %8s  %s' % (
        col('NAME', wn), ws, b'SHAPE', b'DTYPE', b'CODEC', b'RAW', b'STORED',
        b'RATIO', b'PSNR')]
    for ds in all_ds:
        for v in ds['variables']:
            psnr = 'exact' if v['psnr'] is None else '%.2f dB' % v['psnr']
            out.append(b'%s %-*s %-8s %-5s %10s %10s %7.1fx  %s' % (
                col(v['path'], wn), ws, shape(v).encode(), v['dtype'].encode(),
                (v['codec'] or '-').encode(), cbytes(v['raw_bytes']).encode(),
                cbytes(v['stored_bytes']).encode(), v['ratio'] or 0.0,
                psnr.encode()))
    return out


def info_lines(ds):
    """The text `cubefs info --gops` prints, from the JSON (TZ=UTC)."""
    when = ds['created'].replace('T', ' ').replace('Z', ' UTC')
    out = ['dataset ' + ds['name'], '  source: ' + (ds['source'] or '-'),
           '  imported: ' + when, '  profile: ' + (ds['profile'] or '-')]
    for d in ds['dims']:
        out.append('  dim %s = %d%s' % (d['name'], d['len'],
                                        ' (unlimited)' if d['unlimited'] else ''))
    if ds['attributes']:
        out.append('  %d global attributes' % len(ds['attributes']))
    if ds['skipped']:
        out.append('  skipped (unsupported type): ' + ','.join(ds['skipped']))
    for v in ds['variables']:
        out.append('variable %s: %s %s' % (v['name'], v['dtype'], shape(v)))
        if v['shape']:
            out.append('  dims: ' + ' '.join(n or '-' for n in v['dims']))
        lay = v['layout']
        out.append('  layout: %d frames x %d planes x %d x %d' % (
            lay['frames'], lay['planes'], lay['height'], lay['width']))
        out.append('  stored: %s of %s (ratio %.1f, %.4f bits per value)' % (
            cbytes(v['stored_bytes']), cbytes(v['raw_bytes']),
            v['ratio'] or 0.0, v['bits_per_value'] or 0.0))
        if v['psnr'] is None:
            out.append('  quality: exact')
        else:
            out.append('  quality: PSNR %.2f dB over the data range, max abs '
                       'error %s' % (v['psnr'], g('%.6g', v['max_error'])))
        if v['role'] != 'data':
            out.append('  fidelity: %s, stored exactly' % v['role'])
        if v['storage'] == 'video' and v['psnr'] is not None:
            out.append('  exact values:%s (%s)' % (
                ','.join(' ' + g('%.9g', e) for e in v['exact_values'])
                or ' none', v['exact_rule']))
            if v['valid_range']:
                out.append('  valid range: %s to %s, decoded values held to '
                           "each plane's range" % tuple(
                               g('%.9g', x) for x in v['valid_range']))
        if v['has_fill']:
            out.append('  fill value restored at masked positions')
        if v['masks']:
            out.append('  masks: %d blocks, %s' % (len(v['masks']),
                                                  cbytes(v['mask_bytes'])))
        for i, st in enumerate(v['streams']):
            raw = st['codec'] == 'lz4'
            out.append('  stream %d: planes %d-%d, %s, %d bits, %s, crf %d, '
                       '%d GOPs of %d frames, %s' % (
                           i, st['first_plane'],
                           st['first_plane'] + st['planes'] - 1, st['codec'],
                           BITS[(v['path'], i)] if raw else st['bits'],
                           'raw values' if raw else st['pixel_format'],
                           CRF[(v['path'], i)] if raw else st['crf'] or 0,
                           st['ngops'], st['gop_len'],
                           cbytes(st['bytes'])))
            if raw or not st['ngops']:
                continue
            for p in st['plane_ranges']:
                out.append('    plane %d: values %s .. %s, scale %s .. %s per '
                           'GOP' % (p['plane'], g('%.9g', p['min']),
                                    g('%.9g', p['max']),
                                    g('%.9g', p['scale_min']),
                                    g('%.9g', p['scale_max'])))
            for k, gp in enumerate(st['gops']):
                out.append('    gop %d: frames %d-%d, pack %d @ %d, %d bytes, '
                           '%d packets, crc32 %08x' % (
                               k, gp['first_frame'],
                               gp['first_frame'] + gp['nframes'] - 1,
                               gp['pack_id'], gp['offset'], gp['length'],
                               gp['npkt'], gp['checksum']))
                for q in gp['quant'] or []:
                    out.append('      plane %d: scale %s offset %s min %s '
                               'max %s' % (q['plane'], g('%.17g', q['scale']),
                                           g('%.17g', q['offset']),
                                           g('%.9g', q['min']),
                                           g('%.9g', q['max'])))
    for w in ds['views']:
        out.append('view %s%s: %d bytes, %d extents' % (
            ds['name'] + '/' if w['in_dir'] else '', w['name'], w['size'],
            w['extents']))
    return out


# lz4 streams show "bits" and "crf" in the text, null in JSON: the text's
BITS = {}
CRF = {}

all_ds = load('ls', store, '--json')
names = [d['name'] for d in all_ds] if all_ds else []
raw_names = [b'landsat8', b'exact', b's2', qname.encode(), b'bad\xff']
if os.path.exists(os.path.join(tmp, 'tricky.nc')):
    raw_names.append('q"uo\\te é'.encode())
check('ls --json lists every dataset in name order', names ==
      [n.decode('utf-8', 'replace') for n in sorted(raw_names)], names)
by = {d['name']: d for d in all_ds or []}
text = run('ls', store).rstrip(b'\n').split(b'\n')
want = ls_lines([d for d in all_ds if d['name'] != 'bad\ufffd'])
got = [l for l in text if not l.startswith(b'bad\xff ')]
check('ls --json holds what ls shows', got == want,
      '\n'.join('%r\n%r' % p for p in zip(got, want) if p[0] != p[1])[:2000])
check('ls shows the non-UTF-8 name as bytes',
      any(l.startswith(b'bad\xff ') for l in text))
check('a quote and a backslash round-trip', qname in by, names)
raw = run('ls', store, '--json')
check('quote and backslash are escaped', b'"a\\"b\\\\c"' in raw)
check('not UTF-8 becomes U+FFFD', b'"bad\\ufffd"' in raw)

# what the sources say
L = by.get('landsat8', {'variables': [{}], 'views': []})
lv = L['variables'][0]
check('landsat8 shape', lv.get('shape') == [8, 11, 77, 76], lv.get('shape'))
check('landsat8 dtype/codec/bits', (lv.get('dtype'), lv.get('codec'),
      lv.get('bits'), lv.get('storage')) == ('uint16', 'svtav1', 10, 'video'))
check('landsat8 raw bytes', lv.get('raw_bytes') == 8 * 11 * 77 * 76 * 2)
check('landsat8 is lossy: a PSNR', isinstance(lv.get('psnr'), float) and
      40 < lv['psnr'] < 80 and lv.get('exact') is False and
      lv.get('max_error', 0) > 0, lv.get('psnr'))
check('landsat8 ratio', abs(lv.get('ratio', 0) - lv.get('raw_bytes', 0) /
      max(lv.get('stored_bytes', 1), 1)) < 1e-9)
check('landsat8 bits per value', abs(lv.get('bits_per_value', 0) -
      lv.get('stored_bytes', 0) * 8 / (8 * 11 * 77 * 76)) < 1e-9)
check('landsat8 views', sorted((w['name'], w['in_dir'], w['kind'])
      for w in L['views']) == [('landsat8.nc', False, 'nc'),
                               ('landsat8.npy', False, 'npy')], L['views'])
npy = [w for w in L['views'] if w['kind'] == 'npy']
check('npy view: 64-byte aligned header, then the data', npy and
      npy[0]['size'] - lv.get('raw_bytes', 0) in range(64, 4096, 64))
iso = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
for k in ('created', 'mtime'):
    check('%s is ISO 8601 UTC' % k, bool(iso.match(L.get(k, ''))), L.get(k))
    check('%s is the ns time' % k, L.get(k) == time.strftime(
        '%Y-%m-%dT%H:%M:%SZ', time.gmtime(L.get(k + '_ns', 0) // 10**9)))
check('created is recent', abs(L.get('created_ns', 0) / 1e9 - time.time())
      < 3600)
E = by.get('exact', {'variables': [{}]})['variables'][0]
check('lossless: exact, psnr null, max error 0', (E.get('codec'),
      E.get('exact'), E.get('psnr'), E.get('max_error')) ==
      ('ffv1', True, None, 0), E)
for ds in all_ds or []:
    for v in ds['variables']:
        check('%s: psnr null exactly when exact' % v['path'],
              (v['psnr'] is None) == v['exact'])
        check('%s: keys' % v['path'], set(v) >= {
            'name', 'dtype', 'shape', 'dims', 'storage', 'codec', 'bits',
            'raw_bytes', 'stored_bytes', 'ratio', 'bits_per_value', 'psnr',
            'max_error'})
    for w in ds['views']:
        check('%s: view keys' % ds['name'], set(w) == {
            'name', 'in_dir', 'kind', 'size'} and w['kind'] in ('npy', 'nc'))

# info --json --gops against info --gops, and against the packs
db = sqlite3.connect('file:%s?mode=ro' % os.path.join(store, 'catalog.db'),
                     uri=True)
packs = dict(db.execute('SELECT id, name FROM pack'))
for name in [n for n in names if n != 'bad\ufffd']:
    ds = load('info', store, name, '--json', '--gops')
    if not ds:
        continue
    lines = run('info', store, name, '--gops').decode().rstrip('\n')
    lines = lines.split('\n')
    vi = -1
    for l in lines:
        m = re.match(r'variable (.*): ', l)
        vi += bool(m)
        m = re.match(r'  stream (\d+): .*?, (\d+) bits, .*, crf (\d+), ', l)
        if m:
            v = ds['variables'][vi]
            BITS[(v['path'], int(m.group(1)))] = int(m.group(2))
            CRF[(v['path'], int(m.group(1)))] = int(m.group(3))
    want = info_lines(ds)
    check('info --json --gops of %s holds what info --gops shows' % name,
          lines == want, '\n'.join('%r\n%r' % p for p in zip(lines, want)
                                   if p[0] != p[1])[:2000])
    check('info --json of %s: the name' % name, ds['name'] == name)
    small = load('info', store, name, '--json')
    check('info --json without --gops has no GOPs', all(
        'gops' not in st for v in small['variables'] for st in v['streams']))
    for v in ds['variables']:
        for st in v['streams']:
            check('%s: stream keys' % v['path'], set(st) >= {
                'codec', 'bits', 'planes', 'pixel_format', 'crf', 'lossless',
                'gop_len', 'ngops', 'bytes'})
            check('%s: pixel format' % v['path'], st['pixel_format'] ==
                  ('raw' if st['codec'] == 'lz4' else 'gbrp'
                   if st['planes'] == 3 else 'gray'))
            check('%s: GOPs tile the frames' % v['path'],
                  [gp['first_frame'] for gp in st['gops']] ==
                  [sum(gp['nframes'] for gp in st['gops'][:k])
                   for k in range(len(st['gops']))] and
                  len(st['gops']) == st['ngops'] and
                  sum(gp['length'] for gp in st['gops']) == st['bytes'])
            for gp in st['gops'][:3]:
                with open(os.path.join(store, 'packs', packs[gp['pack_id']]),
                          'rb') as f:
                    f.seek(gp['offset'])
                    crc = zlib.crc32(f.read(gp['length']))
                check('%s: checksum is the crc32 of the bytes' % v['path'],
                      crc == gp['checksum'])
                check('%s: quant per plane' % v['path'],
                      (gp['quant'] is None) == (st['codec'] == 'lz4') and
                      (gp['quant'] is None or
                       len(gp['quant']) == st['planes']))

# S2 and the awkward file: everything netCDF4-python reads
try:
    import netCDF4
    import numpy as np
except ImportError:
    netCDF4 = None
NCTYPE = {'int8': 'byte', 'uint8': 'ubyte', 'int16': 'short',
          'uint16': 'ushort', 'int32': 'int', 'uint32': 'uint',
          'int64': 'int64', 'uint64': 'uint64', 'float32': 'float',
          'float64': 'double'}


def same_attr(j, val):
    if isinstance(val, str):
        return j['type'] == 'char' and j['value'] == val
    if isinstance(val, list):       # NC_STRING: imported as lines of text
        return j['type'] == 'char' and j['value'] == '\n'.join(val)
    a = np.atleast_1d(val)
    jv = j['value'] if isinstance(j['value'], list) and a.size != 1 \
        else [j['value']]
    if j['type'] != NCTYPE[a.dtype.name] or len(jv) != a.size:
        return False
    for x, y in zip(jv, a):
        if a.dtype.kind == 'f' and not np.isfinite(y):
            if x is not None:
                return False
        elif a.dtype.kind == 'f':
            if a.dtype.type(x) != y:
                return False
        elif not isinstance(x, int) or x != int(y):
            return False
    return True


def against_netcdf(path, name):
    ds = load('info', store, name, '--json')
    nc = netCDF4.Dataset(path)
    nc.set_auto_mask(False)
    check('%s: dims' % name, [(d['name'], d['len'], d['unlimited'])
                              for d in ds['dims']] ==
          [(k, len(d), d.isunlimited()) for k, d in nc.dimensions.items()])
    check('%s: global attribute names' % name,
          [a['name'] for a in ds['attributes']] == nc.ncattrs())
    for a in ds['attributes']:
        check('%s: global attribute %r' % (name, a['name']),
              same_attr(a, nc.getncattr(a['name'])), a)
    vars = {v['name']: v for v in ds['variables']}
    check('%s: variables' % name, sorted(vars) == sorted(nc.variables))
    for k, ncv in nc.variables.items():
        v = vars.get(k)
        if not v:
            continue
        check('%s/%s: shape, dims, dtype' % (name, k),
              (tuple(v['shape']), tuple(v['dims']), v['dtype'],
               v['nc_type']) == (ncv.shape, ncv.dimensions,
                                 ncv.dtype.name, NCTYPE[ncv.dtype.name]),
              (v['shape'], v['dims'], v['dtype'], ncv.dtype))
        check('%s/%s: attribute names' % (name, k),
              [a['name'] for a in v['attributes']] == ncv.ncattrs())
        for a in v['attributes']:
            check('%s/%s: attribute %r' % (name, k, a['name']),
                  same_attr(a, ncv.getncattr(a['name'])), a)
        arr = ncv[:]
        if v['exact']:
            check('%s/%s: exact and psnr null' % (name, k),
                  v['psnr'] is None and v['max_error'] == 0)
        fin = arr[np.isfinite(arr)] if arr.dtype.kind == 'f' else arr
        if fin.size and v['valid_min'] is not None:
            check('%s/%s: valid range' % (name, k),
                  (v['valid_min'], v['valid_max']) ==
                  (float(fin.min()), float(fin.max())))
    nc.close()
    return ds


if netCDF4:
    s2 = against_netcdf(os.path.join(data,
                        's2_eolearn_ndvi_clp_clm_2015-2017.nc'), 's2')
    v = {x['name']: x for x in s2['variables']}
    check('s2: NDVI', (v['NDVI']['shape'], v['NDVI']['dtype'],
          v['NDVI']['codec'], v['NDVI']['dims']) ==
          ([68, 101, 100], 'float32', 'svtav1', ['time', 'y', 'x']))
    check('s2: CLM uint8, exact, psnr null', (v['CLM']['dtype'],
          v['CLM']['exact'], v['CLM']['psnr']) == ('uint8', True, None))
    check('s2: NDVI lossy with a PSNR', isinstance(v['NDVI']['psnr'], float))
    check('s2: time stored exactly', (v['time']['storage'],
          v['time']['codec'], v['time']['bits'], v['time']['psnr']) ==
          ('lz4', 'lz4', None, None))
    fv = [a for a in v['NDVI']['attributes'] if a['name'] == '_FillValue']
    check('s2: NaN _FillValue is null', fv == [
        {'name': '_FillValue', 'type': 'float', 'value': None}], fv)
    t = os.path.join(tmp, 'tricky.nc')
    if os.path.exists(t):
        tr = against_netcdf(t, 'q"uo\\te é')
        a = {x['name']: x for x in tr['variables'][0]['attributes']}
        check('control characters round-trip',
              a['text']['value'].startswith('l1\nl2\ttab \x01\x1f\x7f "q" '))
        check('4-byte UTF-8 round-trips', a['text']['value'].endswith(
              '\U0001f600'))
        check('uint64 max exactly', a['u64']['value'] == 2**64 - 1)
        check('float32 0.1 written short', a['f32']['value'] == 0.1)
        check('double NaN and infinities are null', a['f64s']['value'] ==
              [1.5, None, None, None, 1e300, 5e-324], a['f64s'])
        check('unlimited dim', tr['dims'][0]['unlimited'] is True)
else:
    print('netCDF4-python missing: attribute checks skipped')
print('py: %d passed, %d failed' % (passed, failed))
EOF
cat "$T/py" | grep -v '^py: '
py=$(sed -n 's/^py: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$T/py")
if [ -n "$py" ]; then
	pass=$((pass + ${py% *}))
	fails=$((fails + ${py#* }))
else
	bad "python checks did not finish"
fi

echo "cli_json: $pass passed, $fails failed"
[ "$fails" -eq 0 ]
