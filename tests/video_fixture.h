/* SPDX-License-Identifier: MIT */
/* What the codec/video tests share: the real Landsat-8 cube, scaled to N-bit planes, and the lossy settings. */
#ifndef CUBEFS_TESTS_VIDEO_FIXTURE_H
#define CUBEFS_TESTS_VIDEO_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "codec/video.h"

/* landsat8_ny2018_p013r032_11band.npy: uint16 (time, band, y, x) */
#define NT 8
#define NB 11
#define NY 77
#define NX 76

/* NT * NB * NY * NX, NULL if the file is missing */
extern uint16_t *cube;

/* cmocka group setup and teardown: loads the cube from the samples
 * (fixture_data_dir()), frees it. */
int load_cube(void **state);
int free_cube(void **state);

/*
 * Fills out[nframes][planes][h][w] from bands band.. band+planes-1 at
 * offset (x0, y0), each band scaled to bits by its min and max over all
 * dates.
 */
void quantize(uint16_t *out, int band, int planes, int bits, int x0, int y0,
	      int w, int h, int nframes);

#define NEED_CUBE() do { if (!cube) skip(); } while (0)

/* Frames first to upto - 1 (upto 0: to the last) of encoded GOP g of
 * nframes frames, as codec_video_decode() takes them. */
static inline struct codec_gop_ref gop_part(const struct codec_gop *g,
					    int nframes, int first, int upto)
{
	return (struct codec_gop_ref){
		.data = g->data, .size = g->size, .extra_size = g->extra_size,
		.pkt_sizes = g->pkt_sizes, .npkt = g->npkt,
		.nframes = nframes, .first = first, .upto = upto,
	};
}

/* codec_video_decode() of those frames of g into samples. */
static inline int decode_part(const struct codec_params *p,
			      const struct codec_gop *g, int nframes,
			      int first, int upto, uint16_t *samples)
{
	struct codec_gop_ref r = gop_part(g, nframes, first, upto);

	return codec_video_decode(p, &r, &(struct codec_sink){
		.samples = samples });
}

/* Lossy settings and PSNR floors (dB over the full range), 8 frames of
 * band 3; measured values are printed. */
struct lossy {
	enum codec_id c;
	int bits, crf;
	double floor;
};
extern const struct lossy lossy[];
extern const size_t nlossy;

#endif
