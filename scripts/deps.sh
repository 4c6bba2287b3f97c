#!/bin/sh
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages cubefs builds, tests and demos with (only what is missing).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config git
libfuse3-dev fuse3 libavcodec-dev libavutil-dev libsqlite3-dev liblz4-dev
zlib1g-dev libnetcdf-dev libgdal-dev libcairo2-dev libcmocka-dev netcdf-bin gdal-bin
valgrind file clang libclang-rt-14-dev fio strace sqlite3 ffmpeg libzfp-dev libzstd-dev
cdo
python3-numpy python3-pil python3-netcdf4 python3-xarray python3-scipy
python3-dask python3-torch python3-matplotlib python3-zarr python3-gdal cdo
glusterfs-server glusterfs-client"
# the tests of ordinary tools writing into a mount (tests/tools_write.sh)
PKGS="$PKGS rsync"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "installing:$missing"
	SUDO=""
	[ "$(id -u)" = 0 ] || SUDO=sudo
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
fi
