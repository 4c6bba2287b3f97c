/* SPDX-License-Identifier: MIT */
/* Quick-look pictures: robust stretch of one or three bands, viridis, PNG through libavcodec. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "base/log.h"
#include "codec/quicklook.h"
#include "codec/video_priv.h"

/* viridis (matplotlib, CC0) at i / 32, i = 0..32 */
static const uint8_t viridis[33][3] = {
	{68, 1, 84}, {71, 13, 96}, {72, 24, 106}, {72, 35, 116},
	{71, 45, 123}, {69, 55, 129}, {66, 64, 134}, {62, 73, 137},
	{59, 82, 139}, {55, 91, 141}, {51, 99, 141}, {47, 107, 142},
	{44, 114, 142}, {41, 122, 142}, {38, 130, 142}, {35, 137, 142},
	{33, 145, 140}, {31, 152, 139}, {31, 160, 136}, {34, 167, 133},
	{40, 174, 128}, {50, 182, 122}, {63, 188, 115}, {78, 195, 107},
	{94, 201, 98}, {112, 207, 87}, {132, 212, 75}, {152, 216, 62},
	{173, 220, 48}, {194, 223, 35}, {216, 226, 25}, {236, 229, 27},
	{253, 231, 37},
};

static int decimation(int w, int h)
{
	int m = w > h ? w : h;

	return (m + CODEC_QL_MAX_SIDE - 1) / CODEC_QL_MAX_SIDE;
}

int codec_quicklook_size(int w, int h, int *ow, int *oh)
{
	int k = decimation(w, h);

	*ow = (w + k - 1) / k;
	*oh = (h + k - 1) / k;
	return k;
}

/* The k-th smallest of v[0..n) (v is reordered; Wirth's selection). */
static float select_kth(float *v, size_t n, size_t k)
{
	ptrdiff_t l = 0, m = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

	while (l < m) {
		float x = v[kk];
		ptrdiff_t i = l, j = m;

		do {
			while (v[i] < x)
				i++;
			while (x < v[j])
				j--;
			if (i <= j) {
				float t = v[i];

				v[i++] = v[j];
				v[j--] = t;
			}
		} while (i <= j);
		if (j < kk)
			l = i;
		if (kk < i)
			m = j;
	}
	return v[kk];
}

/* A band's stretch: lo maps to 0, hi to 1; lo == hi: one value. */
struct stretch {
	float lo, hi;
};

/* Keeps the m values of v within 3 interquartile ranges of the
 * quartiles; returns how many are left. */
static size_t fence(float *v, size_t m)
{
	float q1, q3, lo, hi;
	size_t k = 0;

	q1 = select_kth(v, m, (m - 1) / 4);
	q3 = select_kth(v, m, (m - 1) * 3 / 4);
	if (!(q3 > q1))
		return m;
	lo = q1 - 3 * (q3 - q1);
	hi = q3 + 3 * (q3 - q1);
	for (size_t i = 0; i < m; i++)
		if (v[i] >= lo && v[i] <= hi)
			v[k++] = v[i];
	return k;
}

/*
 * The stretch of the values of `in` taken every k-th in both axes. The
 * minimum or maximum, where more than CODEC_QL_LOW percent of the values
 * hold it (no-data borders stored as 0, dry cells, full ice), is left
 * out of the percentiles, so that it does not flatten the rest; so are
 * values far out of the rest (the smear a lossy codec leaves at the edge
 * of such a border).
 */
static void fit(const float *in, int w, int h, int k, float *tmp,
		struct stretch *s)
{
	size_t n = 0, nmn = 0, nmx = 0, m = 0;
	float mn = INFINITY, mx = -INFINITY;

	for (int y = 0; y < h; y += k)
		for (int x = 0; x < w; x += k) {
			float v = in[(size_t)y * w + x];

			if (!isfinite(v))
				continue;
			tmp[n++] = v;
			mn = v < mn ? v : mn;
			mx = v > mx ? v : mx;
		}
	s->lo = s->hi = 0;
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		nmn += tmp[i] == mn;
		nmx += tmp[i] == mx;
	}
	for (size_t i = 0; i < n; i++)
		if (!((tmp[i] == mn && nmn * 100 > n * CODEC_QL_LOW) ||
		      (tmp[i] == mx && nmx * 100 > n * CODEC_QL_LOW)))
			tmp[m++] = tmp[i];
	if (m)
		m = fence(tmp, m);
	if (m) {
		s->lo = select_kth(tmp, m, (m - 1) * CODEC_QL_LOW / 100);
		s->hi = select_kth(tmp, m, (m - 1) * CODEC_QL_HIGH / 100);
	}
	if (!m || !(s->hi > s->lo)) {
		s->lo = mn;
		s->hi = mx;
	}
}

/* Where v lies in the stretch, 0..1. */
static float place(const struct stretch *s, float v)
{
	float t;

	if (!(s->hi > s->lo))
		return 0.5f;
	t = (v - s->lo) / (s->hi - s->lo);
	return t < 0 ? 0 : t > 1 ? 1 : t;
}

static void colour_map(float t, uint8_t *px)
{
	float pos = t * 32;
	int i = (int)pos;
	float f = pos - (float)i;

	if (i >= 32) {
		memcpy(px, viridis[32], 3);
		return;
	}
	for (int c = 0; c < 3; c++)
		px[c] = (uint8_t)lrintf(viridis[i][c] +
					f * (viridis[i + 1][c] - viridis[i][c]));
}

int codec_quicklook_rgb(const float *const *band, int nbands, int w, int h,
			uint8_t *rgb, size_t cap)
{
	struct stretch s[3];
	int ow, oh, k;
	float *tmp;

	if ((nbands != 1 && nbands != 3) || w < 1 || h < 1 || !band || !rgb)
		return -EINVAL;
	for (int b = 0; b < nbands; b++)
		if (!band[b])
			return -EINVAL;
	k = codec_quicklook_size(w, h, &ow, &oh);
	if (cap < (size_t)ow * oh * 3)
		return -EINVAL;
	tmp = malloc((size_t)ow * oh * sizeof(*tmp));
	if (!tmp)
		return -ENOMEM;
	for (int b = 0; b < nbands; b++)
		fit(band[b], w, h, k, tmp, &s[b]);
	free(tmp);
	for (int oy = 0; oy < oh; oy++) {
		for (int ox = 0; ox < ow; ox++) {
			size_t at = (size_t)oy * k * w + (size_t)ox * k;
			uint8_t *px = rgb + ((size_t)oy * ow + ox) * 3;
			int valid = 1;

			for (int b = 0; b < nbands; b++)
				valid &= isfinite(band[b][at]) != 0;
			if (!valid)
				memset(px, 0, 3);
			else if (nbands == 1)
				colour_map(place(&s[0], band[0][at]), px);
			else
				for (int b = 0; b < 3; b++)
					px[b] = (uint8_t)lrintf(255 *
						place(&s[b], band[b][at]));
		}
	}
	return 0;
}

int codec_png_encode(const uint8_t *rgb, int w, int h, uint8_t **out,
		     size_t *len)
{
	const AVCodec *enc;
	AVCodecContext *c = NULL;
	AVFrame *f = NULL;
	AVPacket *pkt = NULL;
	int r, rc = 0;

	*out = NULL;
	*len = 0;
	if (!rgb || w < 1 || h < 1 || w > 65535 || h > 65535)
		return -EINVAL;
	video_log_init();
	enc = avcodec_find_encoder(AV_CODEC_ID_PNG);
	if (!enc) {
		log_error("cannot encode a quick-look: libavcodec has no png "
			  "encoder");
		return -ENOTSUP;
	}
	rc = video_enc_alloc(enc, w, h, AV_PIX_FMT_RGB24, &c, &f, &pkt);
	if (rc)
		goto out;
	c->time_base = (AVRational){ 1, 1 };
	c->thread_count = 1;
	r = avcodec_open2(c, enc, NULL);
	if (r < 0) {
		rc = video_av_error(r, "cannot open encoder", "png");
		goto out;
	}
	rc = video_frame_buffer(c, f, "png");
	if (rc)
		goto out;
	for (int y = 0; y < h; y++)
		memcpy(f->data[0] + (size_t)y * f->linesize[0],
		       rgb + (size_t)y * w * 3, (size_t)w * 3);
	r = avcodec_send_frame(c, f);
	if (r >= 0)
		r = avcodec_send_frame(c, NULL);
	if (r >= 0)
		r = avcodec_receive_packet(c, pkt);
	if (r < 0) {
		rc = video_av_error(r, "cannot encode a quick-look", "png");
		goto out;
	}
	*out = malloc((size_t)pkt->size);
	if (!*out) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(*out, pkt->data, (size_t)pkt->size);
	*len = (size_t)pkt->size;
out:
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&c);
	return rc;
}

int codec_quicklook_png(const float *const *band, int nbands, int w, int h,
			uint8_t **out, size_t *len)
{
	uint8_t *rgb;
	size_t cap;
	int ow, oh, rc;

	*out = NULL;
	*len = 0;
	if (w < 1 || h < 1)
		return -EINVAL;
	codec_quicklook_size(w, h, &ow, &oh);
	cap = (size_t)ow * oh * 3;
	rgb = malloc(cap);
	if (!rgb)
		return -ENOMEM;
	rc = codec_quicklook_rgb(band, nbands, w, h, rgb, cap);
	if (!rc)
		rc = codec_png_encode(rgb, ow, oh, out, len);
	free(rgb);
	return rc;
}
