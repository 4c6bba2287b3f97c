#!/bin/sh
# SPDX-License-Identifier: MIT
# Zarr view benchmark: a dask mean over time through <dataset>.zarr/, the .nc view and np.load of the .npy view, cold, appended to bench/RESULTS.md.
#
# usage: sh bench/zarr.sh [--quick]   (from a built tree; builds nothing)
# env:   CUBEFS, MOUNT_CUBEFS, CUBEFS_BENCH (default the tree's),
#        BENCH_ZARR="T H W" (the synthetic cube, default "96 512 512";
#        --quick "16 128 128"), BENCH_THREADS (dask's, default the cores),
#        BENCH_RESULTS
set -eu
PY=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
CUBEFS=${CUBEFS:-$top/cubefs}
MOUNT=${MOUNT_CUBEFS:-$top/mount.cubefs}
BENCH=${CUBEFS_BENCH:-$top/bench/cubefs-bench}
if [ ! -c /dev/fuse ] || ! command -v fusermount3 >/dev/null; then
	echo "bench/zarr.sh: needs /dev/fuse and fusermount3" >&2
	exit 1
fi
$PY -c 'import numpy, xarray, zarr, dask, netCDF4' 2>/dev/null || {
	echo "bench/zarr.sh: needs numpy, xarray, zarr, dask and netCDF4" >&2
	exit 1
}
quick=
size=${BENCH_ZARR:-96 512 512}
[ "${1:-}" = --quick ] && quick=" --quick"
if [ -n "$quick" ]; then
	size=${BENCH_ZARR:-16 128 128}
	: "${BENCH_RESULTS=}"
fi
export BENCH_RESULTS
threads=${BENCH_THREADS:-$(nproc)}
T=$(mktemp -d /tmp/cubefs-bench-zarr-XXXXXX)
M=$T/mnt S=$T/store
mkdir -p "$M"
cleanup() {
	fusermount3 -u "$M" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086
$BENCH synth "$T/cube.npy" $size 1 >/dev/null 2>&1
$CUBEFS import -q "$S" "$T/cube.npy" --name cube --preset fast
rm "$T/cube.npy"

# each way of reading gets a fresh mount (an empty GOP cache) and, as
# root, an empty page cache
{
	printf '| read (%s frames of %s x %s float32, %s dask threads) ' \
		$size "$threads"
	printf '| MB/s | vs np.load |\n'
	printf '|---|---|---|\n'
} >"$T/out"
for how in npy zarr nc; do
	$MOUNT "$S" "$M" -o ro
	[ "$(id -u)" = 0 ] && sync && echo 3 >/proc/sys/vm/drop_caches
	$PY - "$M" "$how" "$threads" >>"$T/rates" <<'PY'
import sys, time
import numpy as np, xarray as xr, dask

m, how, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
t0 = time.perf_counter()
with dask.config.set(scheduler='threads', num_workers=threads):
    if how == 'npy':
        a = np.load(f'{m}/cube.npy')
        mean, nbytes = a.mean(axis=0), a.nbytes
    elif how == 'zarr':
        v = xr.open_zarr(f'{m}/cube.zarr')['cube']
        mean, nbytes = v.mean('dim_0').compute(), v.nbytes
    else:
        v = xr.open_dataset(f'{m}/cube.nc', chunks={'dim_0': 1})['cube']
        mean, nbytes = v.mean('dim_0').compute(), v.nbytes
print(how, nbytes / 1e6 / (time.perf_counter() - t0))
PY
	fusermount3 -u "$M"
done
awk -v out="$T/out" '
{ rate[$1] = $2 }
END {
	split("npy zarr nc", order, " ")
	name["npy"] = "np.load of the .npy view, mean over axis 0"
	name["zarr"] = "xr.open_zarr of the .zarr view, dask mean over time"
	name["nc"] = "xr.open_dataset of the .nc view, chunks of one " \
		"frame, dask mean"
	for (i = 1; i <= 3; i++)
		printf "| %s | %.1f | %.2f |\n", name[order[i]], rate[order[i]],
			rate[order[i]] / rate["npy"] >> out
}' "$T/rates"
cat "$T/out"
sh "$here/results.sh" "sh bench/zarr.sh$quick" "$T/out"
