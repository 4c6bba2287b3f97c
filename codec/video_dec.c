/* SPDX-License-Identifier: MIT */
/* Decoding of one untrusted GOP payload back into cropped N-bit planes, or handing its pictures out. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "base/log.h"
#include "codec/video.h"
#include "codec/video_priv.h"

/* Decoder state for one GOP. */
struct dec {
	const struct codec_params *p;
	const struct video_layout *v;
	const struct codec_gop_ref *g;
	uint16_t *samples;          /* frames are cropped into it, or */
	codec_picture_fn put;       /* handed to this, frames first to
				       last - 1 only */
	void *arg;                  /* put's */
	int first, last;
	int nframes;
	int done;                   /* frames out of the decoder */
	uint8_t *got;               /* if set: frames go where their pts
				       says, and are marked here */
	atomic_int *damaged;        /* the codec concealed an error */
};

/* 1 if frame f has the size and sample layout v describes. */
static int frame_fits(const AVFrame *f, const struct dec *d)
{
	const AVPixFmtDescriptor *desc = av_pix_fmt_desc_get(f->format);
	const struct video_layout *v = d->v;
	int i;

	if (!desc || f->width != v->pw || f->height != v->ph ||
	    (desc->flags & (AV_PIX_FMT_FLAG_BE | AV_PIX_FMT_FLAG_PAL |
			    AV_PIX_FMT_FLAG_BITSTREAM |
			    AV_PIX_FMT_FLAG_HWACCEL)) ||
	    desc->nb_components < d->p->planes ||
	    av_pix_fmt_count_planes(f->format) < d->p->planes)
		return 0;
	if (d->p->planes > 1 &&
	    (desc->log2_chroma_w || desc->log2_chroma_h ||
	     !(desc->flags & AV_PIX_FMT_FLAG_PLANAR)))
		return 0;
	for (i = 0; i < desc->nb_components; i++) {
		const AVComponentDescriptor *c = &desc->comp[i];

		if (c->plane >= d->p->planes)
			continue;
		if (c->depth != v->depth || c->step != v->bytes ||
		    c->shift || c->offset)
			return 0;
	}
	for (i = 0; i < d->p->planes; i++)
		if (!f->data[i] || f->linesize[i] < v->pw * v->bytes)
			return 0;
	return 1;
}

/* Crops plane data (linesize ls) into w x h samples. */
static void crop_plane(uint16_t *dst, const uint8_t *src, int ls, int w,
		       int h, int bytes, int clamp, unsigned maxv)
{
	int x, y;

	for (y = 0; y < h; y++, dst += w, src += ls) {
		if (bytes == 1) {
			for (x = 0; x < w; x++)
				dst[x] = src[x];
		} else if (!clamp) {
			memcpy(dst, src, (size_t)w * 2);
		} else {
			const uint16_t *s = (const uint16_t *)src;

			for (x = 0; x < w; x++)
				dst[x] = s[x] > maxv ? maxv : s[x];
		}
	}
}

const uint16_t *codec_picture_row(const struct codec_picture *pic, int k,
				  int y, int x0, int n, uint16_t *tmp)
{
	const uint8_t *src = pic->data[k] + (ptrdiff_t)y * pic->linesize[k];

	if (pic->bytes == 2 && !pic->maxv)
		return (const uint16_t *)src + x0;
	crop_plane(tmp, src + (size_t)x0 * (size_t)pic->bytes, 0, n, 1,
		   pic->bytes, pic->maxv != 0, pic->maxv);
	return tmp;
}

/* Hands decoded picture f, frame `at` of the GOP, to d->put if it is one
 * of d's frames and no damage was seen: a frame decoded after a concealed
 * error may show it. */
static void put_frame(const AVFrame *f, struct dec *d, int64_t at)
{
	struct codec_picture pic = { .bytes = d->v->bytes };

	if (at < d->first || at >= d->last || atomic_load(d->damaged))
		return;
	for (int i = 0; i < d->p->planes; i++) {
		pic.data[i] = f->data[i];
		pic.linesize[i] = f->linesize[i];
	}
	if (d->v->depth > d->p->bits)
		pic.maxv = (1u << d->p->bits) - 1;
	d->put(d->arg, (int)at, &pic);
}

/* Logs a libav error once; a broken stream is -EIO, whatever libav says. */
static int dec_error(int err, const char *what, const char *codec)
{
	int rc = video_av_error(err, what, codec);

	return rc == -ENOMEM ? rc : -EIO;
}

/* Moves every frame the decoder has ready into the samples, or to put. */
static int drain(AVCodecContext *c, AVFrame *f, struct dec *d)
{
	const struct codec_params *p = d->p;
	const struct video_layout *v = d->v;
	uint16_t *dst;
	int64_t at;
	int i, r;

	for (;;) {
		r = avcodec_receive_frame(c, f);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return dec_error(r, "cannot decode gop", v->be->name);
		at = d->got ? f->pts : d->done;
		if (d->done == d->nframes || at < 0 || at >= d->nframes ||
		    (d->got && d->got[at]) || !frame_fits(f, d) ||
		    (f->flags & AV_FRAME_FLAG_CORRUPT) ||
		    f->decode_error_flags) {
			log_error("cannot decode gop (%s): frame %d is "
				  "corrupt or does not match", v->be->name,
				  d->done);
			av_frame_unref(f);
			return -EIO;
		}
		if (d->got)
			d->got[at] = 1;
		if (d->put) {
			put_frame(f, d, at);
		} else {
			dst = d->samples + at * v->frame_samples;
			for (i = 0; i < p->planes; i++)
				crop_plane(dst + i * v->plane_samples,
					   f->data[i], f->linesize[i], p->width,
					   p->height, v->bytes,
					   v->depth > p->bits,
					   (1u << p->bits) - 1);
		}
		d->done++;
		av_frame_unref(f);
	}
}

/* Checks the packet table of an untrusted payload. */
static int payload_ok(size_t size, size_t extra_size,
		      const uint32_t *pkt_sizes, int npkt, int nframes)
{
	uint64_t sum = extra_size;
	int i;

	/* an encoder emits at most one packet per frame, plus a trailer */
	if (!pkt_sizes || npkt < 1 || npkt > 2 * nframes + 8 ||
	    extra_size > size || extra_size > INT32_MAX)
		return 0;
	for (i = 0; i < npkt; i++) {
		if (!pkt_sizes[i] || pkt_sizes[i] > INT32_MAX)
			return 0;
		sum += pkt_sizes[i];
	}
	return sum == size;
}

/* A decoder for layout v, with the extradata of data, set up to flag
 * concealed damage in *damaged: an idle one of pool, or a new one. */
static int dec_open(const struct video_layout *v, struct codec_pool *pool,
		    const uint8_t *data, size_t extra_size, atomic_int *damaged,
		    AVCodecContext **out)
{
	const AVCodec *codec;
	AVCodecContext *c;
	int r;

	video_log_init();
	c = video_pool_take(pool, v, data, extra_size);
	if (c) {
		c->opaque = damaged;
		*out = c;
		return 0;
	}
	codec = avcodec_find_decoder(v->be->av_id);
	if (!codec)
		return -ENOTSUP;
	c = avcodec_alloc_context3(codec);
	if (!c)
		return -ENOMEM;
	*out = c;
	c->opaque = damaged;
	/* ffv1 has no picture size in its bitstream */
	c->width = v->pw;
	c->height = v->ph;
	c->thread_count = codec_dec_threads(v->threads);
	c->err_recognition |= AV_EF_CRCCHECK | AV_EF_EXPLODE;
	if (extra_size) {
		c->extradata = av_mallocz(extra_size +
					  AV_INPUT_BUFFER_PADDING_SIZE);
		if (!c->extradata)
			return -ENOMEM;
		memcpy(c->extradata, data, extra_size);
		c->extradata_size = (int)extra_size;
	}
	/* libav's own errno (ENOMEM, ENOSYS, EAGAIN from its threads) is
	 * this machine's failure, kept for the caller; its codes for bad
	 * data (the stored extradata) become -EIO */
	r = avcodec_open2(c, codec, NULL);
	return r < 0 ? video_av_error(r, "cannot open decoder", v->be->name) :
		0;
}

/* Done with decoder *c (NULL does nothing): back to the pool after a
 * clean decode (rc 0), else closed: a decoder that met an error may
 * hold state from it. */
static void dec_close(AVCodecContext **c, struct codec_pool *pool, int rc,
		      const struct video_layout *v, const uint8_t *data,
		      size_t extra_size)
{
	if (*c && !rc && pool)
		video_pool_give(pool, *c, v, data, extra_size);
	else
		avcodec_free_context(c);
	*c = NULL;
}

/* Sends the n bytes at data as a packet stamped pts (data NULL: the end,
 * which flushes), and drains the frames ready. */
static int dec_send(AVCodecContext *c, AVFrame *f, AVPacket *pkt,
		    struct dec *d, const uint8_t *data, size_t n, int64_t pts)
{
	int r, rc = 0;

	if (data) {
		/* a padded, reference-counted copy of the packet */
		if (av_new_packet(pkt, (int)n) < 0)
			return -ENOMEM;
		memcpy(pkt->data, data, n);
		pkt->pts = pts;
	}
	r = avcodec_send_packet(c, data ? pkt : NULL);
	if (r == AVERROR(EAGAIN)) {
		rc = drain(c, f, d);
		if (!rc)
			r = avcodec_send_packet(c, data ? pkt : NULL);
	}
	av_packet_unref(pkt);
	if (!rc && r < 0)
		rc = dec_error(r, "cannot decode gop", d->v->be->name);
	return rc ? rc : drain(c, f, d);
}

/* Checks the arguments of a decode of g into out and sets v up. */
static int dec_check(const struct codec_params *p,
		     const struct codec_gop_ref *g,
		     const struct codec_sink *out, struct video_layout *v)
{
	int last = g->upto ? g->upto : g->nframes;
	int rc = video_layout_init(p, g->nframes, v);

	if (rc)
		return rc;
	if (!out->samples == !out->put || g->nframes < 1 || g->first < 0 ||
	    g->upto < 0 || last > g->nframes || g->first >= last)
		return -EINVAL;
	if (!g->data || !payload_ok(g->size, g->extra_size, g->pkt_sizes,
				    g->npkt, g->nframes)) {
		log_error("cannot decode gop (%s): bad packet table",
			  v->be->name);
		return -EIO;
	}
	return 0;
}

/* Decodes d's GOP from its first packet on, its frames in the order they
 * come out, until `upto` of them are (all packets if upto is nframes). */
static int run_all(struct dec *d, int upto)
{
	const struct codec_gop_ref *g = d->g;
	AVCodecContext *c = NULL;
	AVFrame *f = av_frame_alloc();
	AVPacket *pkt = av_packet_alloc();
	size_t off;
	int i, rc;

	rc = f && pkt ? dec_open(d->v, d->p->pool, g->data, g->extra_size,
				 d->damaged, &c) : -ENOMEM;
	/* after the last packet, a NULL one flushes */
	for (i = 0, off = g->extra_size; !rc && i <= g->npkt; i++) {
		rc = dec_send(c, f, pkt, d, i < g->npkt ? g->data + off : NULL,
			      i < g->npkt ? g->pkt_sizes[i] : 0,
			      AV_NOPTS_VALUE);
		if (i < g->npkt)
			off += g->pkt_sizes[i];
		if (d->done >= upto && upto < d->nframes)
			break;
	}
	if (!rc && (d->done < upto ||
		    (upto == d->nframes && d->done != d->nframes))) {
		log_error("cannot decode gop (%s): %d frames, expected %d",
			  d->v->be->name, d->done, d->nframes);
		rc = -EIO;
	} else if (!rc && atomic_load(d->damaged)) {
		log_error("cannot decode gop (%s): damaged, concealed",
			  d->v->be->name);
		rc = -EIO;
	}
	av_packet_free(&pkt);
	av_frame_free(&f);
	dec_close(&c, d->p->pool, rc, d->v, g->data, g->extra_size);
	return rc;
}

/* Decodes frames d->first to d->last - 1 of d's GOP: where the stream
 * shows the pictures' order (video_order()), only their pictures and
 * the ones before them others refer to, then the end, which flushes out
 * the frames held back for reordering; else run_all() up to last. */
static int run_range(struct dec *d)
{
	const struct codec_gop_ref *g = d->g;
	struct video_pic *pics = malloc((size_t)g->npkt * sizeof(*pics));
	uint8_t *send = malloc((size_t)g->npkt);
	AVCodecContext *c = NULL;
	AVFrame *f = NULL;
	AVPacket *pkt = NULL;
	size_t off;
	int i, end = 0, rc;

	d->got = calloc((size_t)d->nframes, 1);
	rc = pics && send && d->got ?
		video_order(d->v->be->av_id, g->data, g->extra_size,
			    g->pkt_sizes, g->npkt, d->nframes, pics) : -ENOMEM;
	if (rc == -ENOTSUP) {	/* the frames before them, as they come */
		free(pics);
		free(send);
		free(d->got);
		d->got = NULL;
		return run_all(d, d->last);
	}
	if (!rc)
		end = video_range_plan(pics, g->npkt, d->first, d->last, send);
	f = av_frame_alloc();
	pkt = av_packet_alloc();
	if (!rc)
		rc = f && pkt ? dec_open(d->v, d->p->pool, g->data,
					 g->extra_size, d->damaged, &c) :
			-ENOMEM;
	for (i = 0, off = g->extra_size; !rc && i <= end; i++) {
		if (i == end || send[i])
			rc = dec_send(c, f, pkt, d,
				      i < end ? g->data + off : NULL,
				      i < end ? g->pkt_sizes[i] : 0,
				      i < end ? pics[i].pos : 0);
		if (i < end)
			off += g->pkt_sizes[i];
	}
	for (i = d->first; !rc && i < d->last; i++)
		if (!d->got[i]) {
			log_error("cannot decode gop (%s): frame %d missing",
				  d->v->be->name, i);
			rc = -EIO;
		}
	if (!rc && atomic_load(d->damaged)) {
		log_error("cannot decode gop (%s): damaged, concealed",
			  d->v->be->name);
		rc = -EIO;
	}
	free(pics);
	free(send);
	free(d->got);
	d->got = NULL;
	av_packet_free(&pkt);
	av_frame_free(&f);
	dec_close(&c, d->p->pool, rc, d->v, g->data, g->extra_size);
	return rc;
}

int codec_video_decode(const struct codec_params *p,
		       const struct codec_gop_ref *g,
		       const struct codec_sink *out)
{
	struct video_layout v = { 0 };
	atomic_int damaged = 0;
	struct dec d = { .p = p, .v = &v, .g = g, .samples = out->samples,
			 .put = out->put, .arg = out->arg, .first = g->first,
			 .last = g->upto ? g->upto : g->nframes,
			 .nframes = g->nframes, .damaged = &damaged };
	int rc;

	rc = dec_check(p, g, out, &v);
	/* a whole GOP needs every picture: no order to read */
	if (!rc && d.first == 0 && d.last == d.nframes)
		rc = run_all(&d, d.last);
	else if (!rc)
		rc = run_range(&d);
	if (rc && out->samples && v.frame_samples && g->nframes > 0)
		memset(out->samples, 0, (size_t)g->nframes * v.frame_samples *
		       sizeof(*out->samples));
	return rc;
}
