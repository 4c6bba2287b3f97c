/* SPDX-License-Identifier: MIT */
/* Encoding of one closed GOP of padded N-bit planes with a fresh encoder. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>

#include "base/cpu.h"
#include "base/log.h"
#include "codec/video.h"
#include "codec/video_priv.h"

/* Held from opening to freeing an encoder whose backend says serial:
 * libsvtav1 1.4 crashes in its own threads now and then when two of its
 * encoders run at once, not only when they open together. */
static pthread_mutex_t serial_lock = PTHREAD_MUTEX_INITIALIZER;

/* The growing payload of one GOP: extradata, then packets. */
struct gop_buf {
	uint8_t *data;
	size_t size, cap;
	uint32_t *sizes;
	int n, ncap;
};

/* cpu-used for vpx and aom: the preset string, or def when NULL. */
static int cpu_used(const struct codec_params *p, int def, int max,
		    AVDictionary **opts)
{
	char *end;
	long n = def;

	if (p->preset) {
		n = strtol(p->preset, &end, 10);
		if (end == p->preset || *end || n < 0 || n > max) {
			log_error("invalid preset '%s' for %s: want 0..%d",
				  p->preset, codec_name(p->codec), max);
			return -EINVAL;
		}
	}
	return av_dict_set_int(opts, "cpu-used", n, 0) < 0 ? -ENOMEM : 0;
}

/* Sets each "key", "value" pair; returns 0 or -ENOMEM. */
static int dict_set(AVDictionary **opts, const char *const *kv)
{
	for (; kv[0]; kv += 2)
		if (av_dict_set(opts, kv[0], kv[1], 0) < 0)
			return -ENOMEM;
	return 0;
}

int video_opts_x265(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts)
{
	char xp[256];
	int n;

	/* weightb (preset slower and up) mismatches libavcodec's decoder:
	 * lossless stops being exact, lossy drifts (MD5 SEI check fails) */
	n = snprintf(xp, sizeof(xp), "log-level=error:info=0:keyint=%d:"
		     "min-keyint=%d:scenecut=0:open-gop=0:repeat-headers=1:"
		     "weightb=0", nframes, nframes);
	if (p->lossless)
		n += snprintf(xp + n, sizeof(xp) - n, ":lossless=1");
	/* the default preset goes further: rate-distortion decisions at
	 * level 6, 6 reference frames, intra blocks in B frames; better
	 * quality at equal bits per value for a slower encode
	 * (bench/quality.sh) */
	else if (!p->preset)
		n += snprintf(xp + n, sizeof(xp) - n, ":rd=6:ref=6:b-intra=1");
	if (!p->lossless && p->crf < 0)		/* past crf 0: video.h */
		n += snprintf(xp + n, sizeof(xp) - n, ":qpmax=%d",
			      p->crf < CODEC_CRF_MIN ? 0 : 6 + p->crf);
	if (c->thread_count > 0)
		snprintf(xp + n, sizeof(xp) - n, ":pools=%d:frame-threads=%d",
			 c->thread_count,
			 c->thread_count < 4 ? c->thread_count : 4);
	/* slow, not x265's medium: better quality at equal size */
	if (dict_set(opts, (const char *const[]){
			"preset", p->preset ? p->preset : "slow",
			"tune", "psnr", "x265-params", xp, NULL }))
		return -ENOMEM;
	if (!p->lossless && av_dict_set_int(opts, "crf", p->crf > 0 ? p->crf : 0,
					     0) < 0)
		return -ENOMEM;
	return 0;
}

int video_opts_x264(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts)
{
	char xp[128];

	c->flags |= AV_CODEC_FLAG_CLOSED_GOP;
	snprintf(xp, sizeof(xp), "keyint=%d:min-keyint=%d:scenecut=0",
		 nframes, nframes);
	if (dict_set(opts, (const char *const[]){
			"preset", p->preset ? p->preset : "medium",
			"tune", "psnr", "x264-params", xp, NULL }))
		return -ENOMEM;
	/* qp 0 is lossless (High 4:4:4 Predictive) */
	if (av_dict_set_int(opts, p->lossless ? "qp" : "crf",
			    p->lossless ? 0 : p->crf, 0) < 0)
		return -ENOMEM;
	return 0;
}

int video_opts_vp9(const struct codec_params *p, int nframes,
		   AVCodecContext *c, AVDictionary **opts)
{
	c->bit_rate = 0;
	c->keyint_min = nframes;
	if (dict_set(opts, (const char *const[]){
			"deadline", "good", "row-mt", "1", NULL }) ||
	    av_dict_set_int(opts, "crf", p->lossless ? 0 : p->crf, 0) < 0 ||
	    (p->lossless && av_dict_set(opts, "lossless", "1", 0) < 0))
		return -ENOMEM;
	return cpu_used(p, 4, 8, opts);
}

int video_opts_av1(const struct codec_params *p, int nframes,
		   AVCodecContext *c, AVDictionary **opts)
{
	c->bit_rate = 0;
	c->keyint_min = nframes;
	if (p->lossless) {
		/* libaom is lossless when both quantizer limits are 0 */
		c->qmin = 0;
		c->qmax = 0;
	}
	if (av_dict_set(opts, "row-mt", "1", 0) < 0 ||
	    av_dict_set_int(opts, "crf", p->lossless ? 0 : p->crf, 0) < 0)
		return -ENOMEM;
	return cpu_used(p, 6, 8, opts);
}

int video_opts_svtav1(const struct codec_params *p, int nframes,
		      AVCodecContext *c, AVDictionary **opts)
{
	char sp[96];
	long n = 8;
	char *end;

	(void)nframes;
	c->bit_rate = 0;
	if (p->preset) {
		/* below 6: in libsvtav1 1.4 an encoder of preset 6 opened
		 * after one of preset 4 in the same process never returns,
		 * and a mount re-encodes streams of any preset */
		n = strtol(p->preset, &end, 10);
		if (end == p->preset || *end || n < 6 || n > 13) {
			log_error("invalid preset '%s' for %s: want 6..13 (slower "
				  "presets hang libsvtav1 1.4 beside faster ones)",
				  p->preset, codec_name(p->codec));
			return -EINVAL;
		}
	}
	/* one GOP per encoder: no scene cuts; lp caps its threads as
	 * thread_count does the others' */
	if (c->thread_count > 0)
		snprintf(sp, sizeof(sp), "scd=0:lp=%d", c->thread_count);
	else
		snprintf(sp, sizeof(sp), "scd=0");
	/* libsvtav1 reads crf 0 as "no crf": 1 is its finest */
	if (av_dict_set_int(opts, "preset", n, 0) < 0 ||
	    av_dict_set_int(opts, "crf", p->crf > 0 ? p->crf : 1, 0) < 0 ||
	    av_dict_set(opts, "svtav1-params", sp, 0) < 0)
		return -ENOMEM;
	return 0;
}

int video_opts_ffv1(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts)
{
	int area = c->width * c->height;

	(void)p;
	(void)nframes;
	c->level = 3;
	/* small pictures: one slice and the small context model, smaller
	 * than with ffv1's defaults */
	if (area < SMALL_AREA)
		c->slices = 1;
	if (dict_set(opts, (const char *const[]){
			"slicecrc", "1", "coder", "range_tab",
			"context", area < 1024 * 1024 ? "0" : "1", NULL }))
		return -ENOMEM;
	return 0;
}

/* Position of the next 00 00 01 start code at or after i, or n. */
static size_t next_start(const uint8_t *d, size_t n, size_t i)
{
	for (; i + 3 <= n; i++)
		if (!d[i] && !d[i + 1] && d[i + 2] == 1)
			return i;
	return n;
}

size_t video_h264_drop_sei(uint8_t *d, size_t n)
{
	size_t pos = next_start(d, n, 0), end, w = pos;

	/* a unit runs from its start code to the next one */
	for (; pos < n; pos = end) {
		end = next_start(d, n, pos + 3);
		if (pos + 3 < n && (d[pos + 3] & 0x1f) == 6)
			continue;
		memmove(d + w, d + pos, end - pos);
		w += end - pos;
	}
	return w;
}

static int buf_append(struct gop_buf *g, const uint8_t *src, size_t len,
		      int packet)
{
	if (len > g->cap - g->size) {
		size_t cap = g->cap ? g->cap : 4096;
		uint8_t *d;

		while (cap - g->size < len)
			cap *= 2;
		d = realloc(g->data, cap);
		if (!d)
			return -ENOMEM;
		g->data = d;
		g->cap = cap;
	}
	if (packet && g->n == g->ncap) {
		int ncap = g->ncap ? 2 * g->ncap : 16;
		uint32_t *s = realloc(g->sizes, ncap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		g->sizes = s;
		g->ncap = ncap;
	}
	memcpy(g->data + g->size, src, len);
	g->size += len;
	if (packet)
		g->sizes[g->n++] = (uint32_t)len;
	return 0;
}

/* Copies one w x h plane into a pw x ph picture plane, replicating edges. */
static void fill_plane(uint8_t *dst, int ls, const uint16_t *src, int w,
		       int h, int pw, int ph, int bytes, unsigned maxv)
{
	int x, y;

	for (y = 0; y < h; y++, src += w) {
		if (bytes == 1) {
			uint8_t *d = dst + (size_t)y * ls;

			for (x = 0; x < w; x++)
				d[x] = src[x] > maxv ? maxv : src[x];
			memset(d + w, d[w - 1], pw - w);
		} else {
			uint16_t *d = (uint16_t *)(dst + (size_t)y * ls);

			for (x = 0; x < w; x++)
				d[x] = src[x] > maxv ? maxv : src[x];
			for (; x < pw; x++)
				d[x] = d[w - 1];
		}
	}
	for (; y < ph; y++)
		memcpy(dst + (size_t)y * ls, dst + (size_t)(h - 1) * ls,
		       (size_t)pw * bytes);
}

/* Fills a chroma plane with the neutral value 1 << (depth - 1). */
static void fill_neutral(uint8_t *dst, int ls, int cw, int ch, int depth)
{
	int x, y;

	for (y = 0; y < ch; y++) {
		uint8_t *row = dst + (size_t)y * ls;

		if (depth == 8) {
			memset(row, 0x80, cw);
			continue;
		}
		for (x = 0; x < cw; x++)
			((uint16_t *)row)[x] = 1u << (depth - 1);
	}
}

/*
 * Sample plane i goes to data[i]: for gbrp that is G, B, R, so plane 0
 * takes the channel lossy encoders treat as luma. Decoding reads data[i].
 */
static int fill_frame(AVFrame *f, const struct codec_params *p,
		      const struct video_layout *v, const uint16_t *src)
{
	const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(v->fmt);
	unsigned maxv = (1u << p->bits) - 1;
	int i, r;

	r = av_frame_make_writable(f);
	if (r < 0)
		return video_av_error(r, "cannot get a frame buffer",
				      v->be->name);
	for (i = 0; i < p->planes; i++)
		fill_plane(f->data[i], f->linesize[i],
			   src + i * v->plane_samples, p->width, p->height,
			   v->pw, v->ph, v->bytes, maxv);
	if (v->chroma)
		for (i = 1; i < 3; i++)
			fill_neutral(f->data[i], f->linesize[i],
				     AV_CEIL_RSHIFT(v->pw, d->log2_chroma_w),
				     AV_CEIL_RSHIFT(v->ph, d->log2_chroma_h),
				     v->depth);
	return 0;
}

/* Moves every packet the encoder has ready into g. */
static int drain(AVCodecContext *c, AVPacket *pkt, struct gop_buf *g,
		 const struct video_backend *be)
{
	size_t size;
	int r, rc;

	for (;;) {
		r = avcodec_receive_packet(c, pkt);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return video_av_error(r, "cannot encode gop",
					      be->name);
		size = pkt->size;
		if (be->trim && (pkt->flags & AV_PKT_FLAG_KEY)) {
			r = av_packet_make_writable(pkt);
			if (r < 0) {
				av_packet_unref(pkt);
				return video_av_error(r, "cannot encode gop",
						      be->name);
			}
			size = be->trim(pkt->data, size);
		}
		rc = buf_append(g, pkt->data, size, 1);
		av_packet_unref(pkt);
		if (rc)
			return rc;
	}
}

int codec_video_encode(const struct codec_params *p, const uint16_t *samples,
		       int nframes, struct codec_gop *out)
{
	struct video_layout v;
	struct gop_buf g = { 0 };
	const AVCodec *enc;
	AVCodecContext *c = NULL;
	AVDictionary *opts = NULL;
	AVFrame *f = NULL;
	AVPacket *pkt = NULL;
	size_t extra = 0;
	int i, r, rc, locked = 0;

	if (out)
		memset(out, 0, sizeof(*out));
	rc = codec_video_check(p);
	if (!rc)
		rc = video_layout_init(p, nframes, &v);
	if (rc)
		goto out;
	if (!samples || !out || nframes < 1) {
		rc = -EINVAL;
		goto out;
	}
	video_log_init();
	enc = avcodec_find_encoder_by_name(v.be->encoder);
	rc = video_enc_alloc(enc, v.pw, v.ph, v.fmt, &c, &f, &pkt);
	if (rc)
		goto out;
	c->color_range = AVCOL_RANGE_JPEG;
	c->time_base = (AVRational){ 1, 25 };
	c->framerate = (AVRational){ 25, 1 };
	c->gop_size = nframes;
	/* one serial encoder at a time: it gets every core */
	c->thread_count = v.be->serial ? cpu_count() : v.threads;
	rc = v.be->options(p, nframes, c, &opts);
	if (rc)
		goto out;
	if (v.be->serial) {
		pthread_mutex_lock(&serial_lock);
		locked = 1;
	}
	r = avcodec_open2(c, enc, &opts);
	if (r < 0) {
		rc = video_av_error(r, "cannot open encoder", v.be->name);
		goto out;
	}
	if (c->extradata_size > 0) {
		rc = buf_append(&g, c->extradata, c->extradata_size, 0);
		if (rc)
			goto out;
	}
	extra = g.size;
	rc = video_frame_buffer(c, f, v.be->name);
	if (rc)
		goto out;
	for (i = 0; i < nframes; i++) {
		rc = fill_frame(f, p, &v, samples + i * v.frame_samples);
		if (rc)
			goto out;
		f->pts = i;
		f->pict_type = i ? AV_PICTURE_TYPE_NONE : AV_PICTURE_TYPE_I;
		r = avcodec_send_frame(c, f);
		if (r < 0) {
			rc = video_av_error(r, "cannot encode gop", v.be->name);
			goto out;
		}
		rc = drain(c, pkt, &g, v.be);
		if (rc)
			goto out;
	}
	r = avcodec_send_frame(c, NULL);
	if (r < 0) {
		rc = video_av_error(r, "cannot flush encoder", v.be->name);
		goto out;
	}
	rc = drain(c, pkt, &g, v.be);
	if (!rc && g.n == 0) {
		log_error("encoder '%s' produced no packets", v.be->name);
		rc = -EIO;
	}
out:
	av_packet_free(&pkt);
	av_frame_free(&f);
	av_dict_free(&opts);
	if (!rc) {
		/* the buffer may be twice the payload: give back the rest */
		uint8_t *d = realloc(g.data, g.size);

		out->extra_size = extra;
		out->data = d ? d : g.data;
		out->size = g.size;
		out->pkt_sizes = g.sizes;
		out->npkt = g.n;
	} else {
		free(g.data);
		free(g.sizes);
	}
	avcodec_free_context(&c);
	if (locked)
		pthread_mutex_unlock(&serial_lock);
	return rc;
}
