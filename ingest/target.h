/* SPDX-License-Identifier: MIT */
/* Quality targets at import (--psnr, --bpv, --max-error without --crf): choosing the crf (internal to ingest/). */
#ifndef CUBEFS_INGEST_TARGET_H
#define CUBEFS_INGEST_TARGET_H

#include "ingest/encode.h"

/* 1 if o asks for a search (a --psnr or --bpv target, or --max-error
 * without --crf). */
int target_wanted(const struct import_opts *o);

/*
 * Encodes every GOP of variable vi (streams planned, GOP rows allocated)
 * into x's pack, measuring into *qa and r. Where o asks for a search and
 * the variable is lossy video, the crf is chosen first from trial
 * encodes of up to 4 of its ngops GOPs spread over it (in parallel,
 * nothing written): for --psnr the largest crf whose sample reaches the
 * PSNR over the variable's range, for --bpv the crf whose sample lands
 * nearest the bits per value, else (--max-error) the crf that stores the
 * sample in the fewest bytes, corrections included; secant steps on the
 * measured curve, then bisection. If the whole then falls short of
 * --psnr, or lands more than 10% from --bpv, it is encoded once more
 * (the pack cut back first); a target no crf meets is warned about.
 * Returns 0 or a negative errno.
 */
int target_encode(struct encode_ctx *x, struct source *src, int vi,
		  uint32_t gop, uint32_t ngops, struct encode_quality *qa,
		  struct import_var_report *r);

#endif
