/* SPDX-License-Identifier: MIT */
/* Decoding of one untrusted GOP payload back into cropped N-bit planes. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/mem.h>
#include <libavutil/pixdesc.h>

#include "codec/log.h"
#include "codec/video.h"
#include "codec/video_priv.h"

/* Decoder state for one GOP. */
struct dec {
	const struct codec_params *p;
	const struct video_layout *v;
	uint16_t *samples;
	int nframes;
	int done;                   /* frames written to samples */
	codec_frames_fn each;       /* told of each, or NULL */
	void *arg;
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

/* Logs a libav error once; a broken stream is -EIO, whatever libav says. */
static int dec_error(int err, const char *what, const char *codec)
{
	int rc = video_av_error(err, what, codec);

	return rc == -ENOMEM ? rc : -EIO;
}

/* Moves every frame the decoder has ready into the samples. */
static int drain(AVCodecContext *c, AVFrame *f, struct dec *d)
{
	const struct codec_params *p = d->p;
	const struct video_layout *v = d->v;
	uint16_t *dst;
	int i, r;

	for (;;) {
		r = avcodec_receive_frame(c, f);
		if (r == AVERROR(EAGAIN) || r == AVERROR_EOF)
			return 0;
		if (r < 0)
			return dec_error(r, "cannot decode gop", v->be->name);
		if (d->done == d->nframes || !frame_fits(f, d) ||
		    (f->flags & AV_FRAME_FLAG_CORRUPT) ||
		    f->decode_error_flags) {
			log_error("cannot decode gop (%s): frame %d is "
				  "corrupt or does not match", v->be->name,
				  d->done);
			av_frame_unref(f);
			return -EIO;
		}
		dst = d->samples + d->done * v->frame_samples;
		for (i = 0; i < p->planes; i++)
			crop_plane(dst + i * v->plane_samples, f->data[i],
				   f->linesize[i], p->width, p->height,
				   v->bytes, v->depth > p->bits,
				   (1u << p->bits) - 1);
		d->done++;
		av_frame_unref(f);
		/* a frame decoded after a concealed error may show it: the
		 * decode fails, and only frames before it were handed out */
		if (d->each && !atomic_load(d->damaged))
			d->each(d->arg, d->done);
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

int codec_video_decode(const struct codec_params *p, const uint8_t *data,
		       size_t size, size_t extra_size,
		       const uint32_t *pkt_sizes, int npkt,
		       uint16_t *samples, int nframes)
{
	return codec_video_decode_upto(p, data, size, extra_size, pkt_sizes,
				       npkt, samples, nframes, nframes);
}

int codec_video_decode_upto(const struct codec_params *p, const uint8_t *data,
			    size_t size, size_t extra_size,
			    const uint32_t *pkt_sizes, int npkt,
			    uint16_t *samples, int nframes, int upto)
{
	return codec_video_decode_each(p, data, size, extra_size, pkt_sizes,
				       npkt, samples, nframes, upto, NULL,
				       NULL);
}

int codec_video_decode_each(const struct codec_params *p, const uint8_t *data,
			    size_t size, size_t extra_size,
			    const uint32_t *pkt_sizes, int npkt,
			    uint16_t *samples, int nframes, int upto,
			    codec_frames_fn each, void *arg)
{
	struct video_layout v;
	atomic_int damaged = 0;
	struct dec d = { .p = p, .v = &v, .samples = samples,
			 .nframes = nframes, .each = each, .arg = arg,
			 .damaged = &damaged };
	const AVCodec *codec;
	AVCodecContext *c = NULL;
	AVFrame *f = NULL;
	AVPacket *pkt = NULL;
	size_t off;
	int i, r, rc;

	rc = video_layout_init(p, nframes, &v);
	if (rc)
		goto out;
	if (!samples || nframes < 1 || upto < 1 || upto > nframes) {
		rc = -EINVAL;
		goto out;
	}
	if (!data || !payload_ok(size, extra_size, pkt_sizes, npkt,
				 nframes)) {
		log_error("cannot decode gop (%s): bad packet table",
			  v.be->name);
		rc = -EIO;
		goto out;
	}
	video_log_init();
	codec = avcodec_find_decoder(v.be->av_id);
	if (!codec) {
		rc = -ENOTSUP;
		goto out;
	}
	c = avcodec_alloc_context3(codec);
	f = av_frame_alloc();
	pkt = av_packet_alloc();
	if (!c || !f || !pkt) {
		rc = -ENOMEM;
		goto out;
	}
	c->opaque = &damaged;
	/* ffv1 has no picture size in its bitstream */
	c->width = v.pw;
	c->height = v.ph;
	c->thread_count = codec_dec_threads(v.threads);
	c->err_recognition |= AV_EF_CRCCHECK | AV_EF_EXPLODE;
	if (extra_size) {
		c->extradata = av_mallocz(extra_size +
					  AV_INPUT_BUFFER_PADDING_SIZE);
		if (!c->extradata) {
			rc = -ENOMEM;
			goto out;
		}
		memcpy(c->extradata, data, extra_size);
		c->extradata_size = (int)extra_size;
	}
	r = avcodec_open2(c, codec, NULL);
	if (r < 0) {
		rc = dec_error(r, "cannot open decoder", v.be->name);
		goto out;
	}
	for (i = 0, off = extra_size; i <= npkt; i++) {
		if (i < npkt) {
			/* a padded, reference-counted copy of the packet */
			r = av_new_packet(pkt, (int)pkt_sizes[i]);
			if (r < 0) {
				rc = -ENOMEM;
				goto out;
			}
			memcpy(pkt->data, data + off, pkt_sizes[i]);
			off += pkt_sizes[i];
		}
		/* after the last packet, a NULL one flushes */
		r = avcodec_send_packet(c, i < npkt ? pkt : NULL);
		if (r == AVERROR(EAGAIN)) {
			rc = drain(c, f, &d);
			if (!rc)
				r = avcodec_send_packet(c, i < npkt ? pkt :
							NULL);
		}
		av_packet_unref(pkt);
		if (!rc && r < 0)
			rc = dec_error(r, "cannot decode gop", v.be->name);
		if (!rc)
			rc = drain(c, f, &d);
		if (rc)
			goto out;
		if (d.done >= upto && upto < nframes)
			break;
	}
	if (d.done < upto || (upto == nframes && d.done != nframes)) {
		log_error("cannot decode gop (%s): %d frames, expected %d",
			  v.be->name, d.done, nframes);
		rc = -EIO;
	} else if (atomic_load(&damaged)) {
		log_error("cannot decode gop (%s): damaged, concealed",
			  v.be->name);
		rc = -EIO;
	}
out:
	if (rc && samples && d.done < nframes && v.frame_samples)
		memset(samples + d.done * v.frame_samples, 0,
		       (size_t)(nframes - d.done) * v.frame_samples *
		       sizeof(*samples));
	av_packet_free(&pkt);
	av_frame_free(&f);
	avcodec_free_context(&c);
	return rc;
}
