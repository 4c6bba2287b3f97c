/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of one closed GOP of N-bit planes through libavcodec. */
#ifndef CUBEFS_CODEC_VIDEO_H
#define CUBEFS_CODEC_VIDEO_H

#include <stddef.h>
#include <stdint.h>

#include "base/format.h"	/* enum codec_id */

/*
 * x265's crf stops at 0, whose frames still take quantizers up to about 8.
 * cubefs's crf goes on below: crf -k is crf 0 with every quantizer capped
 * at 6 - k (-6: all at 0, the finest lossy setting).
 */
#define CODEC_CRF_MIN (-6)

struct codec_params {
	enum codec_id codec;
	int bits;           /* sample depth: 8, 10, 12 or 16 */
	int planes;         /* 1 (gray) or 3 (gbrp) */
	int width, height;  /* picture size in samples, any size >= 1 */
	int crf;            /* rate control for lossy codecs; x265 also takes
			       CODEC_CRF_MIN to -1, past its finest */
	int lossless;       /* 1: bit-exact (ffv1 always is) */
	const char *preset; /* encoder speed preset, NULL for cubefs's default */
	int threads;        /* codec threads, 0 = automatic */
	struct codec_pool *pool; /* decoding: idle decoders to take one
				    from and give it back to, or NULL */
};

/* One encoded GOP. The caller owns it after a successful encode. */
struct codec_gop {
	uint8_t *data;          /* extradata (extra_size bytes), then packets */
	size_t size;            /* total bytes in data */
	size_t extra_size;      /* 0 when the codec needs no extradata */
	uint32_t *pkt_sizes;    /* npkt packet sizes, in order after extradata */
	int npkt;
};

/*
 * Frames per GOP when the user chooses none. A GOP holds at most 2^20
 * samples per plane and 16 to 256 frames: small pictures get long GOPs,
 * which compress better, while a GOP, the unit of random access and of
 * decoding, stays about 1 Mi samples (pictures of 256 x 256 and more keep
 * GOPs of 16). The nframes are then split into GOPs of equal length, so
 * that no short tail GOP pays for an intra frame of its own. nframes 0:
 * the longest GOP allowed.
 */
int codec_default_gop(int width, int height, uint64_t nframes);

/* The threads a decode asked for `threads` (0: automatic) runs on. */
int codec_dec_threads(int threads);

/* "x265" etc.; "?" for an invalid id. */
const char *codec_name(enum codec_id c);

/* Parses a name as codec_name() prints it (also "hevc", "h264", "aom",
 * "libx265" etc.); CODEC_NONE if unknown. */
enum codec_id codec_from_name(const char *name);

/*
 * Checks that the codec can encode `planes` planes at `bits` depth
 * (lossless or not) with the libavcodec present. Returns 0, -ENOTSUP with
 * no log output otherwise. Thread-safe.
 */
int codec_video_check(const struct codec_params *p);

/* Bit of a depth in the mask codec_video_depths() returns. */
#define CODEC_DEPTH(bits) (1u << (bits))

/*
 * The sample depths (8, 10, 12, 16) that codec c encodes for `planes`
 * planes (1 or 3; 0: both, or 1 for svtav1, which has no 3-plane
 * streams) with the libavcodec present, as
 * codec_video_check() finds them: returns a mask of CODEC_DEPTH(bits),
 * and when buf is not NULL writes them as text ("8, 10, 12", "" for none)
 * into buf (capacity cap >= 16). 0 for lz4, which keeps values as they
 * are, and for an unknown codec. Thread-safe.
 */
unsigned codec_video_depths(enum codec_id c, int planes, char *buf,
			    size_t cap);

/*
 * Encodes nframes pictures as one closed GOP: the first is a keyframe and
 * nothing refers outside the GOP. samples holds nframes * planes * height
 * * width values, layout [frame][plane][y][x], each < 2^bits. Pictures of
 * any size are padded (edge replication) to what the codec needs and
 * cropped back by codec_video_decode(). Planes go to the encoder in full
 * range, gray or gbrp (or the luma plane of a full-range YUV picture with
 * neutral chroma where a codec lacks gray), never through a colour
 * conversion. On success fills *out (release with codec_gop_release) and
 * returns 0; on failure returns a negative errno (-ENOTSUP, -ENOMEM, -EIO
 * for an encoder error, logged once with libavcodec's message) and *out
 * is zeroed. Thread-safe: each call has its own encoder.
 */
int codec_video_encode(const struct codec_params *p, const uint16_t *samples,
		       int nframes, struct codec_gop *out);

struct codec_quant;
struct codec_corr;

/*
 * A stored GOP, as its catalog row describes it, and which of its frames
 * to decode. The caller owns all it points to. codec_video_decode()
 * reads the payload and the frame range; the fields after them are
 * codec_gop_decode()'s (codec/gop.h).
 */
/*
 * What a lossy decode of a variable must respect (ingest/fidelity.c):
 * each plane's values are clamped to the range of the values quantized
 * (its codec_quant min and max; [lo, hi] where there is none), then
 * moved off the exact values, whose positions a mask restores
 * (MASK_EXACT + k).
 */
struct codec_fidelity {
	double lo, hi;          /* valid range; -inf and inf: none */
	int nexact;             /* at most 4 */
	double exact[4];
};

struct codec_gop_ref {
	const uint8_t *data;    /* extradata (extra_size bytes), then packets */
	size_t size;            /* total bytes at data */
	size_t extra_size;
	const uint32_t *pkt_sizes;      /* npkt packet sizes, in order */
	int npkt;
	int nframes;            /* frames the GOP holds */
	int upto;               /* decode only the first upto frames (video
				   only); 0: all nframes */
	int first;              /* and of those, frames first to upto - 1
				   (0: all of them; no corrections) */
	const struct codec_quant *quant;        /* p->planes entries (video) */
	const struct codec_corr *corr;  /* --max-error corrections, or NULL */
	const void *avoid;      /* lossy: a value no decoded value may take
				   (the fill value), or NULL */
	const struct codec_fidelity *fid;       /* lossy: or NULL */
	/* video without corrections, if set: told that the first `bytes`
	 * of dst are final values, as frames come out of the decoder */
	void (*frames)(void *arg, size_t bytes);
	void *arg;
};

/*
 * A decoded picture as the decoder left it: row y of plane k starts at
 * data[k] + y * linesize[k], samples of `bytes` bytes (1 or 2), the
 * padded picture's (crop to width x height). Samples above maxv (if not
 * 0) are clamped to it: a format deeper than the stream's bits. The
 * decoder owns it; it is valid during the call it is handed to only.
 */
struct codec_picture {
	const uint8_t *data[3];
	int linesize[3];
	int bytes;
	unsigned maxv;
};

/* Handed frame `frame` (its position in the GOP) of a decode, final. */
typedef void (*codec_picture_fn)(void *arg, int frame,
				 const struct codec_picture *pic);

/*
 * Samples x0 to x0 + n - 1 of row y of plane k of pic as codec samples:
 * a pointer into pic where they are already such (2 bytes, none to
 * clamp), else into tmp, which has room for n.
 */
const uint16_t *codec_picture_row(const struct codec_picture *pic, int k,
				  int y, int x0, int n, uint16_t *tmp);

/* Where a decode's frames go: set samples or put, not both. */
struct codec_sink {
	/* the caller's room for nframes * planes * height * width samples,
	 * layout [frame][plane][y][x], as codec_video_encode() takes them:
	 * each frame decoded is cropped into its place */
	uint16_t *samples;
	/* or each frame of the range, in order, final, as it comes out of
	 * the decoder: a caller turning samples into values reads them
	 * while the picture is in the CPU's caches, and writes no samples
	 * to read back */
	codec_picture_fn put;
	void *arg;              /* put's */
};

/*
 * Decodes frames g->first to g->upto - 1 (upto 0: to the last) of a GOP
 * made by codec_video_encode() with the same params into out. Frames of
 * a part of the GOP come at the cost of the frames they refer to: where
 * the stream shows each picture's display position and whether others
 * refer to it (HEVC, one picture a packet: video_order()), only the
 * pictures of those frames and the ones before them that others refer
 * to are decoded, and the reordering delay is flushed out at once;
 * otherwise the packets go in order until frame upto - 1 is out. The
 * samples of the frames outside the range are not values; put is handed
 * the frames of the range only. With p->pool, the decoder comes from the
 * pool and goes back to it after a clean decode.
 *
 * Untrusted input: a corrupt or truncated payload, or one that decodes
 * to a different frame count or size, fails with -EIO (logged once),
 * never an access outside g->data. Returns 0, -ENOTSUP (no decoder for
 * p), -EINVAL (no sink, or both; nframes < 1; a frame range empty or
 * outside the GOP), -ENOMEM, -EIO, or libav's errno when a decoder
 * cannot be opened (-ENOSYS, -EAGAIN ...). On failure out->samples is all
 * zeros; the pictures handed to put before are right, and none decoded
 * after damage the codec concealed is handed out. Thread-safe: each
 * call has a decoder of its own; put is called on the calling thread,
 * before the call returns.
 */
int codec_video_decode(const struct codec_params *p,
		       const struct codec_gop_ref *g,
		       const struct codec_sink *out);

/*
 * Idle decoders, for the GOPs after the one each decoded: opening a
 * decoder per GOP allocates, zeroes and faults in its tables and frame
 * buffers anew. A decode whose params name a pool takes a decoder opened
 * for the same codec, picture size and format, threads and extradata
 * from it (or opens one), and gives it back flushed if the GOP decoded
 * cleanly (one that failed is closed). Each holds its frame buffers: at
 * most max_idle wait, holding about max_bytes at most (estimated by
 * picture size and threads); the ones idle longest go first.
 * Thread-safe; free it after the decodes using it are done.
 */
struct codec_pool;

struct codec_pool_stats {
	uint64_t opened;        /* decodes that opened a decoder */
	uint64_t reused;        /* decodes that took an idle one */
	uint64_t dropped;       /* idle ones closed for room */
	int idle;               /* waiting now */
};

/*
 * Makes a pool in *out, the caller's to codec_pool_free(); max_idle 0
 * keeps none. Returns 0, -EINVAL (max_idle < 0) or -ENOMEM (*out NULL).
 */
int codec_pool_new(int max_idle, size_t max_bytes, struct codec_pool **out);

/* Closes the idle decoders and frees p; NULL does nothing. */
void codec_pool_free(struct codec_pool *p);

/* Copies p's counters into *s. Thread-safe. */
void codec_pool_get_stats(struct codec_pool *p, struct codec_pool_stats *s);

/* Frees what a codec_gop holds and zeroes it; NULL or empty does nothing. */
void codec_gop_release(struct codec_gop *g);

#endif
