/* SPDX-License-Identifier: MIT */
/* One GOP from its stored payload to values of the variable's type: decode, then dequantize. */
#ifndef CUBEFS_CODEC_GOP_H
#define CUBEFS_CODEC_GOP_H

#include <stddef.h>
#include <stdint.h>

#include "base/dtype.h"
#include "codec/correct.h"
#include "codec/quant.h"
#include "codec/video.h"

/*
 * Decodes g into dst: nframes * planes * height * width native-order
 * values of type t, layout [frame][plane][y][x]. For CODEC_LZ4 the
 * payload is an lz4 block of exactly those bytes. A video GOP's values
 * are those of codec_gop_finish(). With g->upto, a video GOP's first
 * upto frames only: the bytes of the others are not values, dst must
 * still have room for all nframes. With g->first too, frames first to
 * upto - 1 only, and the others are not values either; such a part of a
 * GOP is decoded as codec_video_decode() decodes one (the frames of a
 * time step late in a GOP cost the pictures they refer to, not all the
 * frames before them). Without corrections each frame goes from the
 * decoder's picture straight to values in dst, and g->frames is told as
 * they come if the frames decoded start at frame 0 (never otherwise).
 * Untrusted payload: returns -EIO on anything wrong, with dst fully
 * written (zeros after what g->frames was told), never reading outside
 * g->data; -EINVAL for a frame range empty or outside the GOP, -ENOMEM.
 * Thread-safe.
 */
int codec_gop_decode(const struct codec_params *p, enum dtype t,
		     const struct codec_gop_ref *g, void *dst);

/*
 * Turns the decoded samples s of video GOP g (its first g->upto frames,
 * if set) into values in dst, in the one order reads and the encoder's
 * checks share: sample corrections
 * (s is modified), dequantization, g->avoid, exact corrections. s may
 * be the tail of dst (n samples ending where dst's values end), as
 * codec_gop_decode() places it; otherwise they must not overlap.
 */
void codec_gop_finish(const struct codec_params *p, enum dtype t,
		      const struct codec_gop_ref *g, uint16_t *s, void *dst);

/*
 * Writes NaN at MASK_NAN and *fill at MASK_FILL positions of n values of
 * type t (NaN positions of an integer type take fill, or 0 without one).
 */
void codec_mask_apply(const uint8_t *cls, size_t n, enum dtype t,
		      const void *fill, void *dst);

/*
 * Moves values of a lossy decode that happen to equal *fill (n values of
 * type t) to the nearest other value, so that no reader takes a decoded
 * value for a missing one. Call before codec_mask_apply().
 */
void codec_avoid_value(enum dtype t, const void *fill, void *dst, size_t n);

/*
 * Clamps n decoded values of type t of one plane to q's [min, max], the
 * range of the values quantized (which lies in the valid range wherever
 * the source kept to it), or without q (NULL, or min > max) to f's
 * valid range; then moves
 * those equal to one of f's exact values to the next representable
 * value inside that range (the value itself comes back only where the
 * mask says so). Called by decodes with g->fid set, before g->avoid.
 */
void codec_fidelity_apply(const struct codec_fidelity *f,
			  const struct codec_quant *q, enum dtype t, void *dst,
			  size_t n);

/*
 * Writes exact[k] (as type t) at the MASK_EXACT + k positions of n values
 * (k < nexact; positions of other exact classes are left as they are).
 */
void codec_mask_apply_exact(const uint8_t *cls, size_t n, enum dtype t,
			    const double *exact, int nexact, void *dst);

#endif
