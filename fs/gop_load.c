/* SPDX-License-Identifier: MIT */
/* Loading a GOP for the cache: payload read and checked, decoded, masked. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "base/log.h"
#include "catalog/pack.h"
#include "codec/block.h"
#include "codec/correct.h"
#include "codec/gop.h"
#include "codec/mask.h"
#include "codec/video.h"
#include "ingest/fidelity.h"
#include "fs/gop_load.h"
#include "fs/hugebuf.h"

/* Frees what read_payload() read: len as it was asked for. */
static void payload_free(uint8_t *p, uint64_t len)
{
	if (len >= HUGEBUF_PAGE)
		hugebuf_unmap(p, (size_t)len);
	else
		free(p);
}

/*
 * The one place a load's error is judged. Damage, a statement about the
 * stored bytes: a checksum that does not match (-EBADMSG here), bytes
 * missing from their pack (pack_pread()'s -EIO), bytes that passed their
 * checksum and still do not decode or parse (the codec's -EIO, -EINVAL,
 * -EFBIG ...). It becomes -EIO, logged as corruption; the cache keeps it
 * (fs/cache.h), so a damaged GOP costs one decode, not one per read. Any
 * other error is this process's or this moment's (out of memory or of
 * descriptors, an interrupted call, a decoder that cannot be opened
 * here): logged as what it is and returned as itself, and the next read
 * tries again. damage says what is wrong with the GOP in the first case.
 */
static int load_failed(const struct gop_load *l, int rc, const char *damage)
{
	switch (-rc) {
	case EIO: case EBADMSG: case EINVAL: case EFBIG: case ERANGE:
	case EOVERFLOW: case EUCLEAN: case EILSEQ: case EPROTO: case ENODATA:
		log_error("variable '%s': GOP at frame %u is corrupt: %s",
			  l->v->name, l->g->first_frame, damage);
		return -EIO;
	default:
		log_warn("variable '%s': GOP at frame %u not loaded this time: "
			 "%s", l->v->name, l->g->first_frame, strerror(-rc));
		return rc;
	}
}

/* Reads a payload from its pack and checks its checksum (-EBADMSG if it
 * does not match), or, for an lz4 block (block) with a checksum of its
 * own, leaves that to the unpack. */
static int read_payload(struct pack_reader *packs, int64_t pack, uint64_t off,
			uint64_t len, uint32_t crc, int block, uint8_t **out)
{
	uint8_t *buf;
	int rc;

	*out = NULL;
	if (len > (1ull << 32))
		return -EIO;
	/* a payload of MiBs, read for each GOP decoded: in huge pages */
	buf = len >= HUGEBUF_PAGE ? hugebuf_map((size_t)len) :
		malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	rc = pack_pread(packs, pack, buf, (size_t)len, off);
	/* an lz4 block that checks its own data is not checked twice: a
	 * second pass over the bytes would cost about a decompression */
	if (!rc && !(block && codec_block_checked(buf, (size_t)len)) &&
	    (uint32_t)crc32_z(0, buf, (z_size_t)len) != crc)
		rc = -EBADMSG;
	if (rc) {
		payload_free(buf, len);
		return rc;
	}
	*out = buf;
	return 0;
}

/* Applies the masks that cover the GOP's frames to the decoded planes. */
static int apply_masks(struct gop_load *l, void *dst)
{
	const struct cat_var *v = l->v;
	size_t hw = v->width * v->height, fe = hw * v->nplanes;
	size_t isz = dtype_size(v->dtype);
	uint32_t g0 = l->g->first_frame, g1 = g0 + l->g->nframes;
	int rc = 0;

	for (int m = 0; m < v->nmasks && !rc; m++) {
		const struct cat_mask *mk = &v->masks[m];
		uint32_t m0 = mk->first_frame, m1 = m0 + mk->nframes;
		uint8_t *blk = NULL, *cls = NULL;

		if (m1 <= g0 || m0 >= g1)
			continue;
		blk = malloc(mk->length + 1);
		rc = blk ? pack_pread(l->packs, mk->pack_id, blk,
				      (size_t)mk->length, mk->offset) : -ENOMEM;
		cls = malloc(fe * mk->nframes + 1);
		if (!rc && (!cls || !blk))
			rc = -ENOMEM;
		if (!rc)
			rc = codec_mask_unpack(blk, mk->length, cls,
					       fe * mk->nframes);
		for (uint32_t f = m0 > g0 ? m0 : g0; !rc && f < m1 && f < g1;
		     f++) {
			for (int k = 0; k < l->s->nplanes; k++) {
				size_t pl = (size_t)l->s->first_plane + k;
				char *d = (char *)dst + ((size_t)(f - g0) *
					l->s->nplanes + k) * hw * isz;

				codec_mask_apply(cls + (f - m0) * fe + pl * hw,
						 hw, v->dtype, v->has_fill ?
						 v->fill : NULL, d);
				if (v->nexact)
					codec_mask_apply_exact(cls + (f - m0) *
						fe + pl * hw, hw, v->dtype,
						v->exact, v->nexact, d);
			}
		}
		free(blk);
		free(cls);
	}
	return rc;
}

/* Reads and parses the corrections stored for --max-error with GOP l->g. */
static int load_corrections(struct gop_load *l, size_t nvals,
			    struct codec_corr *c)
{
	const struct cat_gop *g = l->g;
	uint8_t *blk;
	int rc;

	if (g->corr_length > (1ull << 32))
		return -EIO;
	blk = malloc(g->corr_length);
	if (!blk)
		return -ENOMEM;
	rc = pack_pread(l->packs, g->pack_id, blk, (size_t)g->corr_length,
			g->corr_offset);
	if (!rc)
		rc = codec_corr_parse(blk, (size_t)g->corr_length, l->v->dtype,
				      nvals, g->ncorr, c);
	free(blk);
	return rc;
}

/* A decode's frames, handed to the readers waiting for them. */
static void gop_frames_out(void *arg, size_t bytes)
{
	struct gop_load *l = arg;

	cache_loaded(l->cache, l->e, bytes);
}

/*
 * Which frames of GOP g a read of bytes [*from, *to) decodes: all, or
 * for a read that does not continue the one before (or runs on into the
 * GOP from a short run, read_elems()), the frames it needs and one more
 * (a read of one time step of a view whose header is not a multiple of
 * the frame size ends in it; the kernel reads ahead into it), when they
 * are under three quarters of the GOP. One time step of a long GOP then
 * costs the frames it refers to (codec_gop_decode()), not the whole GOP.
 * A read running on into the GOP needs its first frame, which refers to
 * none: it gets no frame more. A read of frames outside the part decodes
 * the whole later (cache_get()). Sets *from and *to to the bytes the
 * frames hold; the first frame in ref->first, the end in ref->upto (0:
 * the whole GOP).
 */
static void plan_frames(const struct gop_load *l, size_t size, size_t *from,
			size_t *to, struct codec_gop_ref *ref)
{
	const struct cat_gop *g = l->g;
	size_t fb = g->nframes ? size / g->nframes : 0;
	uint64_t first, end;

	if (l->s->codec == CODEC_LZ4 || !fb || l->whole ||
	    (*from == 0 && *to >= size)) {
		*from = 0;
		*to = size;
		return;
	}
	/* a part from frame 0 only where the codec cannot start later
	 * (corrections, or no picture order to read: frames before it
	 * are decoded anyway) */
	first = l->s->codec == CODEC_X265 && !g->corr_length ? *from / fb : 0;
	end = (*to + fb - 1) / fb + !l->entered;
	if (end > g->nframes)
		end = g->nframes;
	if ((end - first) * 4 >= (uint64_t)g->nframes * 3) {
		*from = 0;
		*to = size;
		return;
	}
	ref->first = (int)first;
	ref->upto = (int)end;
	*from = (size_t)first * fb;
	*to = (size_t)end * fb;
}

int gop_load(void *arg, struct cache_entry *e, void *dst, size_t size,
	     size_t *from, size_t *to)
{
	struct gop_load *l = arg;
	const struct cat_stream *s = l->s;
	const struct cat_gop *g = l->g;
	struct codec_params cp = {
		.codec = s->codec, .bits = s->bits, .planes = s->nplanes,
		.width = (int)l->v->width, .height = (int)l->v->height,
		.crf = s->crf, .lossless = s->lossless, .threads = l->threads,
		.pool = l->decoders,
	};
	struct codec_gop_ref ref = {
		.size = g->length, .extra_size = g->extra_size,
		.pkt_sizes = g->pkt_sizes, .npkt = (int)g->npkt,
		.nframes = (int)g->nframes, .quant = g->quant,
	};
	struct codec_corr corr = { 0 };
	struct codec_fidelity fid;
	uint8_t *payload;
	int rc, busy, slot;

	if (s->codec == CODEC_LZ4)
		cp.planes = (int)l->v->nplanes;
	plan_frames(l, size, from, to, &ref);
	if (l->v->has_fill && !s->lossless && s->codec != CODEC_LZ4)
		ref.avoid = l->v->fill;
	/* lossy values held to their range and off the exact values */
	if (!s->lossless && s->codec != CODEC_LZ4) {
		fidelity_codec(l->v, &fid);
		ref.fid = &fid;
	}
	/* masks go over the whole GOP once decoded */
	if (!l->v->nmasks) {
		l->e = e;
		ref.frames = gop_frames_out;
		ref.arg = l;
	}
	if (g->corr_length) {
		rc = load_corrections(l, size / dtype_size(l->v->dtype), &corr);
		if (rc) {
			memset(dst, 0, size);
			return load_failed(l, rc, "its corrections are missing "
					   "from its pack or do not parse");
		}
		ref.corr = &corr;
	}
	rc = read_payload(l->packs, g->pack_id, g->offset, g->length,
			  g->checksum, s->codec == CODEC_LZ4, &payload);
	if (rc) {
		memset(dst, 0, size);
		codec_corr_release(&corr);
		return load_failed(l, rc, rc == -EBADMSG ?
				   "its checksum does not match" :
				   "it is missing from its pack");
	}
	ref.data = payload;
	busy = l->counted ? 0 : s->codec == CODEC_LZ4 ? 1 :
		codec_dec_threads(l->threads);
	/* no more decodes at once than cores: readers waiting for
	 * other GOPs would not get them sooner, and each decode in
	 * flight holds a decoder's buffers */
	slot = l->decoding != NULL;
	while (slot && sem_wait(l->decoding))
		slot = errno == EINTR;
	atomic_fetch_add(l->busy, busy);
	rc = codec_gop_decode(&cp, l->v->dtype, &ref, dst);
	atomic_fetch_sub(l->busy, busy);
	if (slot)
		sem_post(l->decoding);
	payload_free(payload, g->length);
	codec_corr_release(&corr);
	if (rc)
		return load_failed(l, rc, "it does not decode");
	if (l->v->nmasks && (rc = apply_masks(l, dst)))
		return load_failed(l, rc, "a mask over it is missing from "
				   "its pack or does not unpack");
	return 0;
}
