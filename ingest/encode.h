/* SPDX-License-Identifier: MIT */
/* Encoding one variable of a source into GOPs and masks appended to a pack; encode_regop re-encodes one GOP for a commit. */
#ifndef CUBEFS_INGEST_ENCODE_H
#define CUBEFS_INGEST_ENCODE_H

#include "catalog/pack.h"
#include "ingest/import.h"
#include "ingest/progress.h"
#include "ingest/source.h"

#include <math.h>
#include <pthread.h>

struct encode_ctx {
	struct pack_writer *pack;
	const struct import_opts *opts;
	struct progress *progress;
	pthread_mutex_t lock;   /* the pack, the source and progress */
	int codec_threads;      /* per encoder, set by encode_gops; 0:
				   the codec's automatic count */
};

/* Parallel GOP encoders: at most one per core, at most this many, and as
 * many as ENCODE_MEMORY_BUDGET bytes hold (at least one): what an
 * import's resident memory is bounded by (buffers and an encoder each). */
#define ENCODE_MAX_WORKERS 64
#define ENCODE_MEMORY_BUDGET ((size_t)1 << 30)

/* What encoding measured over valid values (and bytes over all). */
struct encode_quality {
	double sse, max_err, lo, hi;
	uint64_t n;             /* valid values */
	uint64_t values;        /* all values encoded */
	uint64_t bytes;         /* stored: payloads, corrections, masks */
	uint64_t ncorr, corr_bytes;     /* corrections for --max-error */
};

#define ENCODE_QUALITY_INIT { .lo = INFINITY, .hi = -INFINITY }

#define ENCODE_CTX_INIT(o, prog) { .opts = (o), .progress = (prog), \
				   .lock = PTHREAD_MUTEX_INITIALIZER }

/*
 * Sets the frame/plane layout of variable v (nframes, nplanes, height,
 * width) from its shape: >= 3 dims: first axis frames, last two the
 * picture, the rest planes; 2 dims: one frame; fewer: one frame of one row.
 */
void encode_layout(struct cat_var *v);

/*
 * Encodes variable vi of src: fills its storage, streams, GOP rows (with
 * pack_id 0, to be set by the caller), masks and quality, and r. Returns
 * 0 or a negative errno (logged, naming the variable).
 */
int encode_var(struct encode_ctx *x, struct source *src, int vi,
	       struct import_var_report *r);

/* PSNR of q over range (its own when range <= 0); inf when exact. */
double encode_psnr(const struct encode_quality *q, double range);

/*
 * Encodes GOPs of variable vi, whose streams and GOP rows encode_var has
 * set up: all ngops of them, or (a trial, list != NULL) GOPs list[0,
 * nlist) only, whose rows are then left for encode_reset_gops(). Adds
 * what it measured to *q and the masked positions to *masked. With
 * x->pack NULL nothing is written. Returns 0 or a negative errno.
 */
int encode_gops(struct encode_ctx *x, struct source *src, int vi,
		uint32_t gop, uint32_t ngops, const uint32_t *list,
		uint32_t nlist, struct encode_quality *q, uint64_t *masked);

/* Empties the GOP rows (payloads freed) and masks of the first ngops
 * GOPs of v, to encode them again. */
void encode_reset_gops(struct cat_var *v, uint32_t ngops);

/* Range of the valid values of variable vi (a pass over the source in
 * GOPs of gop frames); 0 if none or all equal. */
int encode_range(struct source *src, int vi, uint32_t gop, double *range);

/*
 * Re-encodes GOP gi (all streams) of variable vi, whose streams and GOP
 * rows are already set (loaded from the catalog), from the frames src
 * now gives: the rows' payload fields and quantization are replaced
 * (pack_id 0, to be set by the caller), and *mask receives the new mask
 * of those frames (*has_mask = 0 when nothing is masked). The quality of
 * those frames goes to v->frameq (allocated for all frames when NULL,
 * other entries zero), and v->vmin/vmax widen to the new values. Returns
 * 0 or a negative errno.
 */
int encode_regop(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t gi, struct cat_mask *mask, int *has_mask);

/*
 * Encodes frames [f0, f0 + n) of video variable vi alone, one patch GOP
 * per stream into out[0 .. nstreams) (first frame, count, payload fields
 * and quantization; pack_id 0, to be set by the caller), from the frames
 * src now gives. No other frame is read or encoded. The quality of those
 * frames goes to v->frameq (allocated when NULL), v->vmin/vmax widen to
 * the new values, and *masked says how many of them are NaN or fill (the
 * masks are left to encode_mask_again()). Returns 0 or a negative errno;
 * out's allocations are the caller's to free either way.
 */
int encode_patch(struct encode_ctx *x, struct source *src, int vi,
		 uint32_t f0, uint32_t n, struct cat_gop *out,
		 uint64_t *masked);

/*
 * The NaN/fill mask of frames [f0, f0 + n) of variable vi as src now
 * gives them, appended to the pack into *mask (*has_mask = 0 when none is
 * masked). Masks are lossless: frames src gives as stored come out as
 * they were. Returns 0 or a negative errno.
 */
int encode_mask_again(struct encode_ctx *x, struct source *src, int vi,
		      uint32_t f0, uint32_t n, struct cat_mask *mask,
		      int *has_mask);

/*
 * The automatic GOP length of v (laid out by encode_layout()) for
 * nframes frames (0: as long as pictures of its size take):
 * codec_default_gop(), shortened where one GOP worker would need more
 * than half the machine's memory (pictures of tens of megapixels),
 * the frames then spread evenly over the GOPs. Thread-safe.
 */
uint32_t encode_auto_gop(const struct cat_var *v, uint64_t nframes);

#endif
