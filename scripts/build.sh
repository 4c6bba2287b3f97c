#!/bin/sh
# SPDX-License-Identifier: MIT
# Configures and builds cubefs in the source tree (after scripts/deps.sh).
set -eu
cd "$(dirname "$0")/.."
[ -x configure ] || autoreconf -fi >/dev/null
[ -f Makefile ] || ./configure --quiet "$@"
make -j"$(nproc)" --no-print-directory >/dev/null
