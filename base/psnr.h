/* SPDX-License-Identifier: MIT */
/* PSNR of stored values over their data range: one definition for all layers. */
#ifndef CUBEFS_BASE_PSNR_H
#define CUBEFS_BASE_PSNR_H

#include <stdint.h>

/*
 * PSNR in dB of n values whose squared errors sum to sse, over the data
 * range lo..hi (a range of 1 when it is empty or one value): INFINITY
 * when nothing differs or n is 0. Pure; thread-safe.
 */
double psnr_db(double sse, uint64_t n, double lo, double hi);

#endif
