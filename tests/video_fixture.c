/* SPDX-License-Identifier: MIT */
/* What the codec/video tests share: the real Landsat-8 cube, scaled to N-bit planes, and the lossy settings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/samples.h"
#include "tests/video_fixture.h"

uint16_t *cube;

int load_cube(void **state)
{
	size_t want = (size_t)NT * NB * NY * NX * 2, n;
	char path[4096], *buf = NULL, *nl;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/landsat8_ny2018_p013r032_11band.npy",
		 fixture_data_dir());
	f = fopen(path, "rb");
	if (!f)
		return 0;
	buf = malloc(want + 4096);
	n = buf ? fread(buf, 1, want + 4096, f) : 0;
	fclose(f);
	/* npy v1: magic, version, header length, dict, '\n', data */
	nl = n > 10 ? memchr(buf, '\n', n < 4096 ? n : 4096) : NULL;
	if (nl)
		*nl = '\0';
	if (nl && !memcmp(buf, "\x93NUMPY\x01", 7) &&
	    strstr(buf + 10, "'<u2'") && strstr(buf + 10, "(8, 11, 77, 76)") &&
	    n - (size_t)(nl + 1 - buf) == want) {
		cube = malloc(want);
		if (cube)
			memcpy(cube, nl + 1, want);
	}
	free(buf);
	return 0;
}

int free_cube(void **state)
{
	(void)state;
	free(cube);
	cube = NULL;
	return 0;
}

static const uint16_t *plane_of(int t, int band)
{
	return cube + ((size_t)t * NB + band) * NY * NX;
}

void quantize(uint16_t *out, int band, int planes, int bits, int x0, int y0,
	      int w, int h, int nframes)
{
	double top = (1 << bits) - 1;
	int t, k, x, y;

	for (k = 0; k < planes; k++) {
		unsigned mn = 65535, mx = 0;
		const uint16_t *s;
		int i;

		for (t = 0; t < NT; t++)
			for (s = plane_of(t, band + k), i = 0; i < NY * NX;
			     i++) {
				mn = s[i] < mn ? s[i] : mn;
				mx = s[i] > mx ? s[i] : mx;
			}
		for (t = 0; t < nframes; t++) {
			s = plane_of(t % NT, band + k);
			for (y = 0; y < h; y++)
				for (x = 0; x < w; x++)
					out[(((size_t)t * planes + k) * h + y)
					    * w + x] = (uint16_t)((s[(y0 + y) *
					    NX + x0 + x] - mn) * top /
					    (mx - mn) + 0.5);
		}
	}
}

const struct lossy lossy[] = {
	{ CODEC_X265, 12, 12, 45.0 },       /* measured 46.6 dB, 1.80 b/v */
	{ CODEC_X264, 10, 12, 46.0 },       /* 47.5 dB, 1.92 b/v */
	{ CODEC_VP9, 12, 12, 44.5 },        /* 45.9 dB, 2.12 b/v */
	{ CODEC_AV1, 12, 12, 44.5 },        /* 45.9 dB, 1.72 b/v */
};

const size_t nlossy = sizeof(lossy) / sizeof(lossy[0]);
