/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of one closed GOP of N-bit planes through libavcodec. */
#ifndef CUBEFS_CODEC_VIDEO_H
#define CUBEFS_CODEC_VIDEO_H

#include <stddef.h>
#include <stdint.h>

/* The values are stored in the catalog: never renumber. */
enum codec_id {
	CODEC_NONE = 0,
	CODEC_X265 = 1,     /* "x265", libx265 */
	CODEC_X264 = 2,     /* "x264", libx264 */
	CODEC_VP9 = 3,      /* "vp9", libvpx-vp9 */
	CODEC_AV1 = 4,      /* "av1", libaom-av1 */
	CODEC_FFV1 = 5,     /* "ffv1", always lossless */
	CODEC_LZ4 = 6,      /* "lz4": raw element bytes, not a video codec */
};

/*
 * x265's crf stops at 0, whose frames still take quantizers up to about 8.
 * cubefs's crf goes on below: crf -k is crf 0 with every quantizer capped
 * at 6 - k (-6: all at 0, the finest lossy setting). On S2 CLP: crf 0 0.90
 * bits per value, 60.1 dB; -2 1.05, 62.4; -4 1.20, 64.1; -6 1.35, 65.6.
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
 * samples per plane and 16 to 256 frames, so small pictures get long GOPs
 * (x265 on the 33 x 49 ERA5 frames: +1.2 dB at 1 bit per value from 16 to
 * 256 frames; bench/quality.sh) while a GOP, the unit of random access and
 * of decoding, stays about 1 Mi samples; pictures of 256 x 256 and more
 * keep GOPs of 16. The nframes are then split into GOPs of equal length,
 * so no short tail GOP pays for an intra frame of its own (68 frames of
 * 101 x 100: one GOP of 68, +0.15 dB at 0.5 bits per value over 64 + 4).
 * nframes 0: the longest GOP allowed.
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
 * planes (1 or 3; 0: both) with the libavcodec present, as
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

/*
 * Decodes a GOP made by codec_video_encode() with the same params into
 * samples (capacity nframes * planes * height * width, same layout).
 * data/size is the whole GOP payload, extradata first. Untrusted input:
 * a corrupt or truncated payload, or one that decodes to a different
 * frame count or size, returns -EIO (logged once), never out-of-bounds
 * access; samples is then fully written (zeros where nothing decoded).
 * Returns 0 on success. Thread-safe.
 */
int codec_video_decode(const struct codec_params *p, const uint8_t *data,
		       size_t size, size_t extra_size,
		       const uint32_t *pkt_sizes, int npkt,
		       uint16_t *samples, int nframes);

/*
 * codec_video_decode() that stops once the first `upto` frames (1 to
 * nframes) are in samples: the samples of the frames after them are not
 * values (the codec's delay may have put a few there, or none). A read of one frame of a long GOP
 * then costs the frames before it (plus the codec's reordering delay)
 * rather than the whole GOP.
 */
int codec_video_decode_upto(const struct codec_params *p, const uint8_t *data,
			    size_t size, size_t extra_size,
			    const uint32_t *pkt_sizes, int npkt,
			    uint16_t *samples, int nframes, int upto);

/* Told that the first `done` frames are in the samples, final. */
typedef void (*codec_frames_fn)(void *arg, int done);

/*
 * codec_video_decode_upto() that calls each(arg, done) as each frame
 * comes out of the decoder, in order: a reader waiting for the first
 * frames can have them before the GOP is done. A decode that fails
 * after some calls leaves the frames it reported as they are (and zeroes
 * the rest).
 */
int codec_video_decode_each(const struct codec_params *p, const uint8_t *data,
			    size_t size, size_t extra_size,
			    const uint32_t *pkt_sizes, int npkt,
			    uint16_t *samples, int nframes, int upto,
			    codec_frames_fn each, void *arg);

/*
 * codec_video_decode() of frames first to last - 1 only (0 <= first <
 * last <= nframes), for a read of a few frames of a long GOP. Where the
 * stream shows each picture's display position and whether others refer
 * to it (HEVC, one picture a packet: video_order()), only the pictures
 * of those frames and the ones before them that others refer to are
 * decoded, and the reordering delay is flushed out at once: the last
 * frame of an HEVC GOP of 16 costs about 6 pictures, not 16. Otherwise
 * it is codec_video_decode_upto(last). The samples of the other frames
 * are not values. Fails (-EIO, samples zeroed) as codec_video_decode().
 */
int codec_video_decode_range(const struct codec_params *p,
			     const uint8_t *data, size_t size,
			     size_t extra_size, const uint32_t *pkt_sizes,
			     int npkt, uint16_t *samples, int nframes,
			     int first, int last);

/*
 * A decoded picture as the decoder left it: row y of plane k starts at
 * data[k] + y * linesize[k], samples of `bytes` bytes (1 or 2), the
 * padded picture's (crop to width x height). Samples above maxv (if not
 * 0) are clamped to it: a format deeper than the stream's bits.
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

/*
 * codec_video_decode_range() (first 0 and last nframes: the whole GOP)
 * that hands each of frames first to last - 1 to put as it comes out of
 * the decoder, in order, instead of cropping it into samples. A caller
 * turning samples into values reads them from the decoder's picture
 * while it is in the CPU's caches, and writes no samples to read back.
 * Frames decoded after a concealed error are not handed out. Fails as
 * codec_video_decode_range(); the frames handed out before are right.
 */
int codec_video_decode_to(const struct codec_params *p, const uint8_t *data,
			  size_t size, size_t extra_size,
			  const uint32_t *pkt_sizes, int npkt, int nframes,
			  int first, int last, codec_picture_fn put, void *arg);

/*
 * Idle decoders, for the GOPs after the one each decoded. Opening a
 * decoder per GOP allocates, zeroes and faults in its tables and frame
 * buffers anew: about a tenth of the CPU of decoding an HEVC GOP of 16
 * 1024 x 1024 frames. A decode whose params name a pool takes a decoder
 * opened for the same codec, picture size and format, threads and
 * extradata from it (or opens one), and gives it back flushed if the GOP
 * decoded cleanly (one that failed is closed). Each holds its frame
 * buffers: at most max_idle wait, holding about max_bytes at most (by
 * picture size and threads: an HEVC decoder of 1024 x 1024 pictures,
 * some 15 to 20 MB); the ones idle longest go first. Thread-safe; free
 * it after the decodes using it are done.
 */
struct codec_pool;

struct codec_pool_stats {
	uint64_t opened;        /* decodes that opened a decoder */
	uint64_t reused;        /* decodes that took an idle one */
	uint64_t dropped;       /* idle ones closed for room */
	int idle;               /* waiting now */
};

/* Returns 0, -EINVAL (max_idle < 0) or -ENOMEM; 0 idle keeps none. */
int codec_pool_new(int max_idle, size_t max_bytes, struct codec_pool **out);
void codec_pool_free(struct codec_pool *p);
void codec_pool_get_stats(struct codec_pool *p, struct codec_pool_stats *s);

/* Frees what a codec_gop holds and zeroes it; NULL or empty does nothing. */
void codec_gop_release(struct codec_gop *g);

#endif
