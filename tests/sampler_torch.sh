#!/bin/sh
# SPDX-License-Identifier: MIT
# python/cubefs_sampler.py with PyTorch DataLoaders of several workers: a mount gives the samples exported copies give.
SAMPLER_MODE=torch exec sh "$(dirname "$0")/sampler.sh"
