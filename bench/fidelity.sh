#!/bin/sh
# SPDX-License-Identifier: MIT
# What exact coordinates, categories, exact values and valid ranges cost on the samples: bits per value and PSNR of each variable, with and without exact values, and against an older cubefs.
# usage: sh bench/fidelity.sh [OLD_CUBEFS]   (OLD_CUBEFS: a cubefs from before
#        them; the table is appended to bench/RESULTS.md)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
CUBEFS=${CUBEFS:-$top/cubefs}
OLD=${1:-}
DATA=${CUBEFS_TEST_DATA:-$top/data}
PY=/usr/bin/python3
T=$(mktemp -d /tmp/cubefs-bench-fid-XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM

# label file variables: the variables of each sample the table shows
SAMPLES="ERA5:era5_t2m_uk_2019-03.nc:t2m
sea-ice:ncl_fice_monthly.nc:fice
Sentinel-2:s2_eolearn_ndvi_clp_clm_2015-2017.nc:NDVI,CLP,CLM
Landsat-8:landsat8_ny2018_p013r032_11band.npy:-
RegCM2:regcm2_precip_monthly_1989-1992.nc:pre,lat,lon
MM5:mm5_terrain_lambert.nc:TERRAIN,lat,lon"

# stats BIN STORE NAME FILE VARS: "var bpv psnr zeros_changed%" per variable
stats() {
	for v in $(echo "$5" | tr , ' '); do
		name=$3/$v
		[ "$v" = - ] && name=$3
		"$1" export "$2" "$name" "$T/x.npy" 2>/dev/null || { echo "$v - - -"; continue; }
		"$1" ls --json "$2" > "$T/ls.json" 2>/dev/null
		$PY - "$4" "$v" "$T/x.npy" "$T/ls.json" "$name" <<'PYEOF'
import json, sys, numpy as np
src, var, got, ls, name = sys.argv[1:6]
if src.endswith('.npy'):
    a = np.load(src)
else:
    import netCDF4
    with netCDF4.Dataset(src) as d:
        a = d[var][:]
        a = np.ma.filled(a.astype('f8'), np.nan) if np.ma.is_masked(a) else np.asarray(a)
b = np.load(got)
bpv = psnr = None
for ds in json.load(open(ls)):
    for w in ds['variables']:
        if w['path'] == name:
            bpv, psnr = w['bits_per_value'], w['psnr']
z = a == 0
ch = 100.0 * np.count_nonzero(z != (b == 0)) / max(np.count_nonzero(z), 1)
print(var, '%.3f' % bpv, 'exact' if psnr is None else '%.2f' % psnr,
      '%.1f' % ch if z.any() else '-')
PYEOF
	done
}

# run LABEL BIN STORE ARGS...: imports every sample into STORE
run() {
	label=$1 bin=$2 store=$3; shift 3
	echo "$SAMPLES" | while IFS=: read -r name f vars; do
		"$bin" import -q "$store" "$DATA/$f" --name "$name" "$@" ||
			{ echo "$label: import of $f failed" >&2; continue; }
		stats "$bin" "$store" "$name" "$DATA/$f" "$vars" |
			sed "s/^/$label $name /"
	done
}

# matched: the samples of one lossy variable again, at the PSNR they had
# before (--psnr), to compare sizes at equal quality
matched() {
	echo "$SAMPLES" | while IFS=: read -r name f vars; do
		v=${vars%%,*}
		case $name in ERA5|Sentinel-2) continue ;; esac
		p=$(awk -v n="$name" -v v="$v" '$1 == "old" && $2 == n &&
			$3 == v { print $5 }' "$T/rows")
		case $p in ''|exact|-) continue ;; esac
		"$CUBEFS" import -q "$T/matched" "$DATA/$f" --name "$name" \
			--psnr "$p" || continue
		stats "$CUBEFS" "$T/matched" "$name" "$DATA/$f" "$v" |
			sed "s/^/matched $name /"
	done
}

{
	run new "$CUBEFS" "$T/new"
	run noexact "$CUBEFS" "$T/noexact" --no-exact-values
	[ -z "$OLD" ] || run old "$OLD" "$T/old"
} > "$T/rows"
[ -z "$OLD" ] || matched >> "$T/rows"
$PY - "$T/rows" > "$T/table" <<'PYEOF'
import sys
rows = {}
order = []
for line in open(sys.argv[1]):
    run, ds, var, bpv, psnr, ch = line.split()
    if (ds, var) not in order:
        order.append((ds, var))
    rows[(run, ds, var)] = (bpv, psnr, ch)
have_old = any(k[0] == 'old' for k in rows)
head = ['sample / variable']
if have_old:
    head += ['before: bpv, PSNR, zeros changed %']
head += ['now: bpv, PSNR, zeros changed %', '`--no-exact-values`: bpv, PSNR']
have_matched = any(k[0] == 'matched' for k in rows)
if have_matched:
    head += ['now at the PSNR before (`--psnr`): bpv, PSNR']
print('| ' + ' | '.join(head) + ' |')
print('|' + '---|' * len(head))
for ds, var in order:
    cells = ['%s %s' % (ds, var if var != '-' else '')]
    runs = (['old'] if have_old else []) + ['new', 'noexact']
    for run in runs + (['matched'] if have_matched else []):
        r = rows.get((run, ds, var))
        cells.append(', '.join(r if run in ('old', 'new') else r[:2])
                     if r else '-')
    print('| ' + ' | '.join(cells) + ' |')
PYEOF
cat "$T/table"
sh "$top/bench/results.sh" "sh bench/fidelity.sh${OLD:+ OLD_CUBEFS}: what exact values and coordinates cost" "$T/table"
