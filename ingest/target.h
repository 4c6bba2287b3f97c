/* SPDX-License-Identifier: MIT */
/* Quality targets at import (--psnr, --bpv, --max-error without --crf): choosing the crf (internal to ingest/). */
#ifndef CUBEFS_INGEST_TARGET_H
#define CUBEFS_INGEST_TARGET_H

#include "ingest/encode.h"

/* What a search found. */
struct target {
	int crf;                /* chosen */
	int probes;             /* trial encodes of the sample */
	uint32_t sample_gops;   /* GOPs in the sample */
	double range;           /* of the whole variable, for PSNR */
	double slope;           /* near crf: dB (--psnr) or log(bpv)
				   (--bpv) lost per crf step */
	double sample_psnr;     /* what the sample measured at crf */
	double sample_bpv;
};

/* 1 if o asks for a search (a --psnr or --bpv target, or --max-error
 * without --crf). */
int target_wanted(const struct import_opts *o);

/*
 * Chooses the crf for variable vi (streams planned, video) from trial
 * encodes of up to 4 of its ngops GOPs spread over it (encoded in
 * parallel): for --psnr the largest crf whose sample reaches the PSNR
 * over range, for --bpv the crf whose sample lands nearest the bits per
 * value, else (--max-error) the crf that stores the sample in the fewest
 * bytes, corrections included. Secant steps on the measured curve, then
 * bisection. Fills *t. Returns 0 or a negative errno.
 */
int target_search(struct encode_ctx *x, struct source *src, int vi,
		  uint32_t gop, uint32_t ngops, double range, struct target *t);

/*
 * After the whole variable was encoded at t->crf and measured q: the crf
 * to encode it again with (a PSNR short of --psnr, bits per value more
 * than 10% from --bpv), or -1 when q is what was asked (or no crf can
 * do better).
 */
int target_refine(const struct target *t, const struct import_opts *o,
		  const struct encode_quality *q, int codec);

/* Warns (naming variable v) when q, the final encoding, misses the
 * --psnr target, or the --bpv one by more than 15%. */
void target_missed(const struct cat_var *v, const struct import_opts *o,
		   const struct encode_quality *q, const struct target *t);

#endif
