/* SPDX-License-Identifier: MIT */
/* Video codec names, backend table, format choice and libav error mapping. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <strings.h>

#include <libavutil/error.h>
#include <libavutil/log.h>
#include <libavutil/pixdesc.h>

#include "base/cpu.h"
#include "base/log.h"
#include "codec/video.h"
#include "codec/video_priv.h"

#define MAX_SIDE 16384          /* widest picture side accepted */
#define MAX_FRAMES 65536        /* most pictures in one GOP */
#define NO AV_PIX_FMT_NONE

static const struct video_backend backends[] = {
	[CODEC_X265] = {
		.name = "x265", .encoder = "libx265", .av_id = AV_CODEC_ID_HEVC,
		/* x265 3.5's lookahead writes past its buffers (valgrind)
		 * for pictures narrower than 56 */
		.align = 8, .min_width = 64, .min_height = 16, .lossless = 1,
		.gray = { AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY10LE,
			  AV_PIX_FMT_GRAY12LE, NO },
		.gbr = { AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP10LE,
			 AV_PIX_FMT_GBRP12LE, NO },
		.options = video_opts_x265,
	},
	[CODEC_X264] = {
		.name = "x264", .encoder = "libx264", .av_id = AV_CODEC_ID_H264,
		.align = 8, .min_width = 16, .min_height = 16, .lossless = 1,
		.gray = { AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY10LE, NO, NO },
		/* libx264 has no gbrp: the planes go raw into Y, U, V */
		.gbr = { AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUV444P10LE, NO, NO },
		.options = video_opts_x264,
		/* x264 writes its version and options, ~600 bytes, in an SEI */
		.trim = video_h264_drop_sei,
	},
	[CODEC_VP9] = {
		.name = "vp9", .encoder = "libvpx-vp9",
		.av_id = AV_CODEC_ID_VP9,
		.align = 8, .min_width = 16, .min_height = 16, .lossless = 1,
		/* no gray in VP9: luma of full-range 4:2:0, neutral chroma */
		.gray = { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P10LE,
			  AV_PIX_FMT_YUV420P12LE, NO },
		.gbr = { AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP10LE,
			 AV_PIX_FMT_GBRP12LE, NO },
		.options = video_opts_vp9,
	},
	[CODEC_AV1] = {
		.name = "av1", .encoder = "libaom-av1",
		.av_id = AV_CODEC_ID_AV1,
		.align = 8, .min_width = 16, .min_height = 16, .lossless = 1,
		.gray = { AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY10LE,
			  AV_PIX_FMT_GRAY12LE, NO },
		.gbr = { AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRP10LE,
			 AV_PIX_FMT_GBRP12LE, NO },
		.options = video_opts_av1,
	},
	[CODEC_FFV1] = {
		.name = "ffv1", .encoder = "ffv1", .av_id = AV_CODEC_ID_FFV1,
		/* pictures 1 sample wide or high do not round-trip in
		 * libavcodec 59; 2 is measured safe */
		.align = 1, .min_width = 4, .min_height = 4, .lossless = 1,
		.gray = { AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY10LE,
			  AV_PIX_FMT_GRAY12LE, AV_PIX_FMT_GRAY16LE },
		/* ffv1 has no 8-bit gbrp: 8-bit planes in a 9-bit one */
		.gbr = { AV_PIX_FMT_GBRP9LE, AV_PIX_FMT_GBRP10LE,
			 AV_PIX_FMT_GBRP12LE, AV_PIX_FMT_GBRP16LE },
		.options = video_opts_ffv1,
	},
	/* SVT-AV1 takes 4:2:0 only: gray planes go in the luma of a
	 * full-range picture with neutral chroma, at 8 or 10 bits; its
	 * streams decode as any AV1 stream does */
	[CODEC_SVTAV1] = {
		.name = "svtav1", .encoder = "libsvtav1",
		.av_id = AV_CODEC_ID_AV1,
		.align = 8, .min_width = 64, .min_height = 64, .lossless = 0,
		/* SVT-AV1 1.4 sets up global tables in every
		 * svt_av1_enc_init_handle: concurrent ones crash */
		.serial = 1,
		.gray = { AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV420P10LE, NO, NO },
		.gbr = { NO, NO, NO, NO },
		.options = video_opts_svtav1,
	},
};

static const struct {
	const char *name;
	enum codec_id id;
} aliases[] = {
	{ "x265", CODEC_X265 }, { "hevc", CODEC_X265 }, { "h265", CODEC_X265 },
	{ "libx265", CODEC_X265 },
	{ "x264", CODEC_X264 }, { "h264", CODEC_X264 }, { "avc", CODEC_X264 },
	{ "libx264", CODEC_X264 },
	{ "vp9", CODEC_VP9 }, { "libvpx-vp9", CODEC_VP9 },
	{ "libvpx", CODEC_VP9 }, { "vpx", CODEC_VP9 },
	{ "av1", CODEC_AV1 }, { "aom", CODEC_AV1 }, { "libaom", CODEC_AV1 },
	{ "libaom-av1", CODEC_AV1 },
	{ "ffv1", CODEC_FFV1 },
	{ "lz4", CODEC_LZ4 },
	{ "svtav1", CODEC_SVTAV1 }, { "svt-av1", CODEC_SVTAV1 },
	{ "libsvtav1", CODEC_SVTAV1 },
};

const char *codec_name(enum codec_id c)
{
	if (c == CODEC_LZ4)
		return "lz4";
	if ((unsigned)c < sizeof(backends) / sizeof(backends[0]) &&
	    backends[c].name)
		return backends[c].name;
	return "?";
}

/* One thread a core (at most 16): libavcodec's own automatic count is
 * the cores plus one, a frame thread more, and its frames, for no speed
 * (bench/decode.c). */
int codec_dec_threads(int threads)
{
	if (threads > 0)
		return threads;
	return cpu_count() > 16 ? 16 : cpu_count();
}

int codec_default_gop(int width, int height, uint64_t nframes)
{
	double area = (double)(width > 0 ? width : 1) * (height > 0 ? height : 1);
	double fit = floor((double)(1 << 20) / area);
	uint64_t most = fit < 16 ? 16 : fit > 256 ? 256 : (uint64_t)fit, ngops;

	if (!nframes)
		return (int)most;
	ngops = (nframes + most - 1) / most;
	return (int)((nframes + ngops - 1) / ngops);
}

enum codec_id codec_from_name(const char *name)
{
	size_t i;

	if (!name)
		return CODEC_NONE;
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcasecmp(name, aliases[i].name))
			return aliases[i].id;
	return CODEC_NONE;
}

static int depth_index(int bits)
{
	switch (bits) {
	case 8:
		return 0;
	case 10:
		return 1;
	case 12:
		return 2;
	case 16:
		return 3;
	default:
		return -1;
	}
}

static int pad(int n, int align, int min)
{
	n = (n + align - 1) / align * align;
	return n < min ? min : n;
}

/* 1 if the encoder named by be exists and takes fmt, and a decoder exists. */
static int backend_present(const struct video_backend *be,
			   enum AVPixelFormat fmt)
{
	const AVCodec *enc = avcodec_find_encoder_by_name(be->encoder);
	const enum AVPixelFormat *f;

	if (!enc || !avcodec_find_decoder(be->av_id) || !enc->pix_fmts)
		return 0;
	for (f = enc->pix_fmts; *f != AV_PIX_FMT_NONE; f++)
		if (*f == fmt)
			return 1;
	return 0;
}

int video_layout_init(const struct codec_params *p, int nframes,
		      struct video_layout *v)
{
	const AVPixFmtDescriptor *d;
	int di;

	memset(v, 0, sizeof(*v));
	if (!p)
		return -EINVAL;
	di = depth_index(p->bits);
	if (p->codec <= CODEC_NONE || p->codec == CODEC_LZ4 ||
	    (unsigned)p->codec >= sizeof(backends) / sizeof(backends[0]) ||
	    di < 0 || (p->planes != 1 && p->planes != 3))
		return -ENOTSUP;
	v->be = &backends[p->codec];
	v->fmt = p->planes == 1 ? v->be->gray[di] : v->be->gbr[di];
	if (v->fmt == AV_PIX_FMT_NONE || (p->lossless && !v->be->lossless))
		return -ENOTSUP;
	d = av_pix_fmt_desc_get(v->fmt);
	assert(d);
	v->depth = d->comp[0].depth;
	v->bytes = v->depth > 8 ? 2 : 1;
	v->chroma = p->planes == 1 && d->nb_components > 1;
	if (p->width < 1 || p->height < 1 || p->width > MAX_SIDE ||
	    p->height > MAX_SIDE || nframes < 0 || nframes > MAX_FRAMES)
		return -EINVAL;
	v->pw = pad(p->width, v->be->align, v->be->min_width);
	v->ph = pad(p->height, v->be->align, v->be->min_height);
	if (p->threads > 0)
		v->threads = p->threads;
	else
		v->threads = v->pw * v->ph < SMALL_AREA ? 1 : 0;
	v->plane_samples = (size_t)p->width * p->height;
	v->frame_samples = v->plane_samples * p->planes;
	return 0;
}

int codec_video_check(const struct codec_params *p)
{
	struct video_layout v;
	int rc = video_layout_init(p, 0, &v);

	/* a bad size is not the format's business */
	if (rc == -EINVAL && v.be)
		rc = 0;
	if (rc)
		return rc;
	return backend_present(v.be, v.fmt) ? 0 : -ENOTSUP;
}

unsigned codec_video_depths(enum codec_id c, int planes, char *buf,
			    size_t cap)
{
	static const int depths[] = { 8, 10, 12, 16 };
	unsigned mask = 0;
	size_t at = 0;

	if (buf && cap)
		buf[0] = 0;
	for (size_t i = 0; i < sizeof(depths) / sizeof(depths[0]); i++) {
		struct codec_params p = {
			.codec = c, .bits = depths[i],
			.planes = planes ? planes : 1, .width = 64, .height = 64,
		};

		if (codec_video_check(&p))
			continue;
		p.planes = 3;
		/* both: unless the codec has no 3-plane streams at all */
		if (!planes && codec_video_check(&p) &&
		    c != CODEC_SVTAV1)
			continue;
		mask |= CODEC_DEPTH(depths[i]);
		if (buf && at < cap)
			at += (size_t)snprintf(buf + at, cap - at, "%s%d",
					       at ? ", " : "", depths[i]);
	}
	return mask;
}

int video_av_error(int err, const char *what, const char *codec)
{
	char msg[AV_ERROR_MAX_STRING_SIZE];

	av_strerror(err, msg, sizeof(msg));
	log_error("%s (%s): %s", what, codec, msg);
	/* AVERROR(e) is -e; FFERRTAG codes are far below any errno */
	if (err < 0 && err > -4096)
		return err;
	return -EIO;
}

int video_enc_alloc(const AVCodec *enc, int w, int h, enum AVPixelFormat fmt,
		    AVCodecContext **c, AVFrame **f, AVPacket **pkt)
{
	*c = avcodec_alloc_context3(enc);
	*f = av_frame_alloc();
	*pkt = av_packet_alloc();
	if (!*c || !*f || !*pkt)
		return -ENOMEM;
	(*c)->width = w;
	(*c)->height = h;
	(*c)->pix_fmt = fmt;
	return 0;
}

int video_frame_buffer(const AVCodecContext *c, AVFrame *f,
		       const char *codec)
{
	int r;

	f->format = c->pix_fmt;
	f->width = c->width;
	f->height = c->height;
	f->color_range = c->color_range;
	r = av_frame_get_buffer(f, 0);
	return r < 0 ? video_av_error(r, "cannot get a frame buffer", codec) :
		0;
}

/*
 * libav's messages are detail for a failure we log ourselves: info level.
 * An error from a decoder whose opaque is set marks its GOP as damaged,
 * since decoders conceal damage they only log.
 */
static void av_log_cb(void *avcl, int level, const char *fmt, va_list vl)
{
	char line[1024];
	int prefix = 1;
	size_t n;

	if (level > AV_LOG_ERROR)
		return;
	if (avcl && *(const AVClass **)avcl == avcodec_get_class() &&
	    ((AVCodecContext *)avcl)->opaque)
		atomic_store((atomic_int *)((AVCodecContext *)avcl)->opaque,
			     1);
	av_log_format_line2(avcl, level, fmt, vl, line, sizeof(line), &prefix);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n)
		log_msg(level <= AV_LOG_FATAL ? LOG_LVL_WARN : LOG_LVL_INFO,
			"libav: %s", line);
}

static void log_setup(void)
{
	av_log_set_level(AV_LOG_ERROR);
	av_log_set_callback(av_log_cb);
	/* SVT-AV1 prints its banner and settings on stderr itself, past
	 * libav's log: errors only, unless the user's environment says */
	setenv("SVT_LOG", "1", 0);
}

void video_log_init(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, log_setup);
}

void codec_gop_release(struct codec_gop *g)
{
	if (!g)
		return;
	free(g->data);
	free(g->pkt_sizes);
	memset(g, 0, sizeof(*g));
}
