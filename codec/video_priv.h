/* SPDX-License-Identifier: MIT */
/* Shared by the video codec files: backends, picture layout, libav errors. */
#ifndef CUBEFS_CODEC_VIDEO_PRIV_H
#define CUBEFS_CODEC_VIDEO_PRIV_H

#include <libavcodec/avcodec.h>
#include <libavutil/dict.h>

#include "codec/video.h"

/* Pictures smaller than this (in samples) get one thread when the caller
 * asks for automatic threads: thread start-up costs more than it saves. */
#define SMALL_AREA (256 * 256)

/*
 * One video backend. The pixel formats are part of the stored format: a
 * GOP is decoded with the format the table names, whatever the encoder
 * library of the day offers, so never change an entry that was shipped.
 */
struct video_backend {
	const char *name;           /* codec_name() */
	const char *encoder;        /* libavcodec encoder name */
	enum AVCodecID av_id;       /* decoder, by codec id */
	int align;                  /* padded width and height multiple */
	int min_width, min_height;  /* smallest padded picture */
	int lossless;               /* 1: lossless mode is bit-exact */
	int serial;                 /* 1: the library's encoders are not
				       safe beside each other (set-up,
				       tear-down, encoding): one at a
				       time in a process (video_enc.c) */
	/* Encoder format by depth index (8, 10, 12, 16 bits); NONE: refused. */
	enum AVPixelFormat gray[4]; /* planes == 1 */
	enum AVPixelFormat gbr[4];  /* planes == 3 */
	/* Sets encoder fields and private options for one GOP; c has its
	 * size, format and thread_count set already. */
	int (*options)(const struct codec_params *p, int nframes,
		       AVCodecContext *c, AVDictionary **opts);
	/* NULL, or drops what decoding does not need from a keyframe
	 * packet in place and returns its new size. */
	size_t (*trim)(uint8_t *data, size_t size);
};

/* What one codec_params means for the pictures handed to libavcodec. */
struct video_layout {
	const struct video_backend *be;
	enum AVPixelFormat fmt;     /* encoder pixel format */
	int depth;                  /* bits per sample in fmt (>= bits) */
	int bytes;                  /* 1 or 2 bytes per sample in fmt */
	int chroma;                 /* 1: gray in the Y of a YUV picture */
	int pw, ph;                 /* padded picture size */
	int threads;                /* codec threads, 0 = libav's choice */
	size_t plane_samples;       /* height * width */
	size_t frame_samples;       /* planes * height * width */
};

/* Backend encoder options (video_enc.c). */
int video_opts_x265(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts);
int video_opts_x264(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts);
int video_opts_vp9(const struct codec_params *p, int nframes,
		   AVCodecContext *c, AVDictionary **opts);
int video_opts_av1(const struct codec_params *p, int nframes,
		   AVCodecContext *c, AVDictionary **opts);
int video_opts_svtav1(const struct codec_params *p, int nframes,
		      AVCodecContext *c, AVDictionary **opts);
int video_opts_ffv1(const struct codec_params *p, int nframes,
		    AVCodecContext *c, AVDictionary **opts);

/* Drops the SEI NAL units from an H.264 Annex B packet (video_enc.c). */
size_t video_h264_drop_sei(uint8_t *data, size_t size);

/*
 * Checks p and nframes (when > 0) and fills *v. Returns 0, -ENOTSUP for
 * a combination the backend or the libavcodec present cannot handle, or
 * -EINVAL for a size out of range. Logs nothing. Thread-safe.
 */
int video_layout_init(const struct codec_params *p, int nframes,
		      struct video_layout *v);

/*
 * Logs "<what> (<codec>): <libav message>" once and returns the errno
 * for a libav error: AVERROR(e) gives -e, anything else -EIO.
 */
int video_av_error(int err, const char *what, const char *codec);

/*
 * Allocates what one encode with enc needs: a context for pictures of
 * w x h pixels of fmt, a frame and a packet. 0 or -ENOMEM; the caller
 * frees all three (NULL or not) with avcodec_free_context(),
 * av_frame_free() and av_packet_free(), also after a failure.
 */
int video_enc_alloc(const AVCodec *enc, int w, int h, enum AVPixelFormat fmt,
		    AVCodecContext **c, AVFrame **f, AVPacket **pkt);

/*
 * Gives f a buffer for one picture of c's size, pixel format and colour
 * range. 0, or the libav error as video_av_error() maps it, logged
 * naming codec.
 */
int video_frame_buffer(const AVCodecContext *c, AVFrame *f,
		       const char *codec);

/*
 * Routes libav's own log to base/log.h; safe to call from any thread.
 * A codec context whose opaque points to an atomic_int gets it set to 1
 * when libav logs an error for it (decoders conceal damage and only log
 * it). Relies on nobody else calling av_log_set_callback().
 */
void video_log_init(void);

/* One packet's picture, as video_order() reads it. */
struct video_pic {
	int pos;                /* display position in the GOP */
	int ref;                /* 1: later pictures may refer to it */
};

/*
 * Fills pics[i] for each of the npkt packets of an HEVC GOP (after
 * extra_size bytes of extradata) from its headers, without decoding.
 * Returns 0, -ENOTSUP when the stream does not plainly show them (other
 * codecs; temporal sub-layers; leading pictures; a packet that is not
 * one picture; positions not 0 to nframes - 1, the first not an IDR), or
 * -ENOMEM. Reads nothing outside the packets. Thread-safe.
 */
int video_order(enum AVCodecID id, const uint8_t *data, size_t extra_size,
		const uint32_t *pkt_sizes, int npkt, int nframes,
		struct video_pic *pics);

/*
 * Which of the npkt packets pics describes a decode of frames first to
 * last - 1 sends (send[i] 1): the pictures of those frames, and the ones
 * before the last of them that later ones may refer to. Returns the
 * packets up to the last one sent.
 */
int video_range_plan(const struct video_pic *pics, int npkt, int first,
		     int last, uint8_t *send);

/*
 * An idle decoder of p opened for layout v and that extradata, no longer
 * in p; NULL if none fits (or p is NULL). Its opaque is NULL.
 */
AVCodecContext *video_pool_take(struct codec_pool *p,
				const struct video_layout *v,
				const uint8_t *extra, size_t extra_size);

/* What an idle decoder for layout v holds, about (SIZE_MAX: unknown). */
size_t video_pool_bytes(const struct video_layout *v);

/* Flushes c (opened for v and that extradata, last used for a GOP that
 * decoded cleanly) and keeps it idle in p, or closes it if p is NULL or
 * keeps none. */
void video_pool_give(struct codec_pool *p, AVCodecContext *c,
		     const struct video_layout *v, const uint8_t *extra,
		     size_t extra_size);

#endif
