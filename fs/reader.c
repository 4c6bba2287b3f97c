/* SPDX-License-Identifier: MIT */
/* The read path: extents and GOPs found in memory, cached decodes, byte order. */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/cpu.h"
#include "base/log.h"
#include "catalog/pack.h"
#include "codec/video.h"
#include "fs/gop_load.h"
#include "fs/reader.h"
#include "fs/runs.h"
#include "fs/window.h"

#define RUN_SLOTS 64            /* readers in a run at once, all variables */
#define WHOLE_RUN 4             /* GOPs read in a row: the reader goes on */
#define WINDOW_SLOTS 64         /* GOPs random reads may come back to */

struct reader {
	struct cat_dataset **ds;
	int nds;
	struct pack_reader *packs;
	struct cache *cache;
	struct runs *runs;      /* reads of each variable that come without
				   a hint (reader_read_elems(), ...) */
	struct codec_pool *decoders;    /* idle ones: one a core, holding
					   at most a quarter of the cache
					   budget beside it */
	atomic_int busy;        /* codec threads decoding GOPs: read-ahead
				   starts only on a core none is on */
	sem_t decoding;         /* a slot a core for each decode: more at
				   once only hold more decoders' memory */
	struct window *win;     /* whether random reads are window reads */
};

static int add_pack(void *arg, int64_t id, const char *name, uint64_t size)
{
	(void)size;
	return pack_reader_add(arg, id, name);
}

int reader_new(struct catalog *c, size_t cache_bytes, struct reader **out)
{
	struct reader *r = calloc(1, sizeof(*r));
	int rc;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->runs = runs_new(RUN_SLOTS);
	r->win = window_new(WINDOW_SLOTS);
	sem_init(&r->decoding, 0, (unsigned)cpu_count());
	rc = r->runs && r->win ?
		pack_reader_new(catalog_dir(c), &r->packs) : -ENOMEM;
	if (!rc)
		rc = catalog_pack_each(c, add_pack, r->packs);
	if (!rc)
		rc = cache_new(cache_bytes, &r->cache);
	if (!rc)
		rc = codec_pool_new(cpu_count(), cache_bytes / 4,
				    &r->decoders);
	if (!rc)
		rc = catalog_dataset_load_all(c, &r->ds, &r->nds);
	if (rc) {
		reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* Drops cached GOPs of every stream of ds. */
static void invalidate(struct reader *r, const struct cat_dataset *ds)
{
	for (int i = 0; i < ds->nvars; i++)
		for (int s = 0; s < ds->vars[i].nstreams; s++)
			cache_invalidate(r->cache,
					 (uint64_t)ds->vars[i].streams[s].id);
}

/* The dataset of id in ds[0..n), or NULL. */
static const struct cat_dataset *by_id(struct cat_dataset *const *ds, int n,
				       int64_t id)
{
	for (int i = 0; i < n; i++)
		if (ds[i]->id == id)
			return ds[i];
	return NULL;
}

int reader_load(struct reader *r, struct catalog *c,
		struct cat_dataset ***ds, int *n)
{
	int rc = catalog_pack_each(c, add_pack, r->packs);

	*ds = NULL;
	*n = 0;
	return rc ? rc : catalog_dataset_load_all(c, ds, n);
}

void reader_swap(struct reader *r, struct cat_dataset ***ds, int *n)
{
	struct cat_dataset **old = r->ds;
	int nold = r->nds;

	/* a commit touches the dataset's mtime; a replaced or deleted one
	 * goes (its stream ids may come back with another dataset) */
	for (int i = 0; i < nold; i++) {
		const struct cat_dataset *now = by_id(*ds, *n, old[i]->id);

		if (!now || now->mtime != old[i]->mtime ||
		    now->version != old[i]->version)
			invalidate(r, old[i]);
	}
	r->ds = *ds;
	r->nds = *n;
	*ds = old;
	*n = nold;
}

void reader_free(struct reader *r)
{
	if (!r)
		return;
	catalog_dataset_free_all(r->ds, r->nds);
	cache_free(r->cache);
	codec_pool_free(r->decoders);
	pack_reader_free(r->packs);
	runs_free(r->runs);
	window_free(r->win);
	sem_destroy(&r->decoding);
	free(r);
}

int reader_ndatasets(const struct reader *r)
{
	return r->nds;
}

struct cat_dataset *reader_dataset(const struct reader *r, int i)
{
	return i >= 0 && i < r->nds ? r->ds[i] : NULL;
}

struct cat_dataset *reader_find(const struct reader *r, const char *name)
{
	for (int i = 0; i < r->nds; i++)
		if (!strcmp(r->ds[i]->name, name))
			return r->ds[i];
	return NULL;
}

void reader_stats(struct reader *r, struct cache_stats *s)
{
	cache_get_stats(r->cache, s);
}

void reader_decoder_stats(struct reader *r, struct codec_pool_stats *s)
{
	codec_pool_get_stats(r->decoders, s);
}

/* A load of GOP g of stream s of v through r's packs, cache and decoders. */
static struct gop_load load_of(struct reader *r, const struct cat_var *v,
			       const struct cat_stream *s,
			       const struct cat_gop *g)
{
	return (struct gop_load){ .packs = r->packs, .cache = r->cache,
				  .decoders = r->decoders, .busy = &r->busy,
				  .decoding = &r->decoding,
				  .v = v, .s = s, .g = g };
}

/* bsearch() order of a frame (key) against the frames of a GOP. */
/*
 * The cache's second key of GOP gi: stream ids stay across edits, and a
 * handle may read an older version of a dataset (fs/pin.h) while others
 * read the new one, so the dataset's content version is part of it.
 */
static uint64_t gop_key(const struct cat_dataset *ds, uint32_t gi)
{
	return (uint64_t)ds->version << 32 | gi;
}

static int gop_cmp(const void *key, const void *elem)
{
	uint64_t f = *(const uint64_t *)key;
	const struct cat_gop *g = elem;

	return f < g->first_frame ? -1 :
		f >= (uint64_t)g->first_frame + g->nframes;
}

/* The same against a range of frames one GOP serves. */
static int seg_cmp(const void *key, const void *elem)
{
	uint64_t f = *(const uint64_t *)key;
	const struct cat_seg *sg = elem;

	return f < sg->first_frame ? -1 :
		f >= (uint64_t)sg->first_frame + sg->nframes;
}

/*
 * The GOP of stream s that serves frame f: its index in *index (the
 * cache key: base GOPs first, then patches) and the end of the frames
 * it serves from f on in *end. Where patch GOPs hold some frames of a
 * base GOP, the base GOP serves the others, decoded as it always was.
 */
static const struct cat_gop *find_gop(const struct cat_stream *s, uint64_t f,
				      uint32_t *index, uint64_t *end)
{
	const struct cat_gop *g;
	const struct cat_seg *sg;

	if (s->nsegs) {
		sg = bsearch(&f, s->segs, s->nsegs, sizeof(*sg), seg_cmp);
		if (!sg || sg->gop >= s->ngops + s->npatches)
			return NULL;
		*index = sg->gop;
		*end = (uint64_t)sg->first_frame + sg->nframes;
		return sg->gop < s->ngops ? &s->gops[sg->gop] :
			&s->patches[sg->gop - s->ngops];
	}
	g = !s->ngops ? NULL :
		bsearch(&f, s->gops, s->ngops, sizeof(*g), gop_cmp);
	if (g) {
		*index = (uint32_t)(g - s->gops);
		*end = (uint64_t)g->first_frame + g->nframes;
	}
	return g;
}

/* The bytes of GOP g of stream s of v, decoded: a cache entry's size. */
static size_t gop_bytes(const struct cat_var *v, const struct cat_stream *s,
			const struct cat_gop *g)
{
	uint64_t hw = v->width * v->height;
	uint64_t planes = s->codec == CODEC_LZ4 ? v->nplanes :
		(uint64_t)s->nplanes;

	return (size_t)(g->nframes * planes * hw * dtype_size(v->dtype));
}

static const struct cat_stream *find_stream(const struct cat_var *v,
					    uint64_t plane)
{
	for (int i = 0; i < v->nstreams; i++)
		if (plane >= (uint64_t)v->streams[i].first_plane &&
		    plane < (uint64_t)v->streams[i].first_plane +
		    (uint64_t)v->streams[i].nplanes)
			return &v->streams[i];
	return NULL;
}

int reader_frame_gop(const struct cat_var *v, uint64_t plane, uint64_t f,
		     uint32_t *first, uint32_t *n)
{
	const struct cat_stream *s = find_stream(v, plane);
	const struct cat_gop *g;
	uint32_t gi;
	uint64_t end;

	if (!s || !(g = find_gop(s, f, &gi, &end)))
		return -EIO;
	*first = g->first_frame;
	*n = g->nframes;
	return 0;
}

/* Where a read of a variable's elements stands in its sequential run. */
struct elem_hint {
	uint64_t before;        /* elements read in a row before it (0: it
				   starts a run) */
	int threads;            /* codec threads for a GOP it decodes itself
				   (0: automatic) */
};

/* The hint of a read of n elements of variable vi from e that came
 * without one: noted in the reader's own tracker, by variable id (a
 * stable key: a reload makes new structs of the same variables). */
static struct elem_hint own_hint(struct reader *r,
				 const struct cat_dataset *ds, int vi,
				 uint64_t e, uint64_t n)
{
	size_t isz = dtype_size(ds->vars[vi].dtype);
	struct read_hint h;

	runs_hint(r->runs, (uint64_t)ds->vars[vi].id, e * isz, n * isz, &h);
	return (struct elem_hint){ .before = h.before / isz };
}

/* reader_read_elems(); h NULL: the reader notes the read itself. */
static int read_elems(struct reader *r, const struct cat_dataset *ds, int vi,
		      uint64_t e, uint64_t n, int big_endian,
		      const struct elem_hint *h, void *dst)
{
	const struct cat_var *v = &ds->vars[vi];
	uint64_t hw = v->width * v->height, fe = hw * v->nplanes;
	size_t isz = dtype_size(v->dtype);
	char *out = dst;
	struct elem_hint own;
	uint64_t run, total = n;
	int whole, random, noted = 0, on, keep;

	if (e + n > catalog_var_elems(v) || e + n < e)
		return -EINVAL;
	if (!h) {
		own = own_hint(r, ds, vi, e, n);
		h = &own;
	}
	/* a read that continues a run, or starts at the variable's first
	 * element (dd, cp, np.load), is sequential: its GOPs are decoded
	 * whole (it will read all of them) */
	whole = e == 0 || h->before > 0;
	random = !whole;
	run = h->before + n;
	while (n) {
		uint64_t f = e / fe, within = e % fe, plane = within / hw;
		uint64_t pix = within % hw, at, cnt;
		int major;
		const struct cat_stream *s = find_stream(v, plane);
		const struct cat_gop *g;
		struct cache_entry *ce;
		struct gop_load l;
		uint32_t gi;
		uint64_t end;
		size_t size;
		int rc;

		if (!s || !(g = find_gop(s, f, &gi, &end)))
			return -EIO;
		size = gop_bytes(v, s, g);
		if (s->nplanes == (int)v->nplanes || s->codec == CODEC_LZ4) {
			at = (f - g->first_frame) * fe + within;
			cnt = (end - f) * fe - within;
		} else {
			uint64_t lp = plane - (uint64_t)s->first_plane;

			at = ((f - g->first_frame) * s->nplanes + lp) * hw + pix;
			cnt = ((uint64_t)s->nplanes - lp) * hw - pix;
		}
		if (cnt > n)
			cnt = n;
		/* window reads (fs/window.h): the GOP that holds most of
		 * the read (not one the kernel's read-ahead spills into) is
		 * decoded whole and kept for the reads still to come to it,
		 * also when a run continues the read by chance, not yet a
		 * GOP long; the others only in part */
		major = cnt * 2 >= total || cnt * 2 * isz >= size;
		if (major && random && !noted) {
			on = window_note(r->win, (uint64_t)s->id, gi, f);
			noted = 1;
		} else {
			on = window_active(r->win);
		}
		keep = on && major && run <= size / isz;
		l = load_of(r, v, s, g);
		l.threads = h->threads;
		l.whole = on ? keep : whole;
		l.entered = out != dst;
		if (on)
			rc = cache_get_window(r->cache, (uint64_t)s->id,
					      gop_key(ds, gi), size,
					      (size_t)(at * isz),
					      (size_t)((at + cnt) * isz), keep,
					      gop_load, &l, &ce);
		else
			rc = cache_get(r->cache, (uint64_t)s->id,
				       gop_key(ds, gi), size,
				       (size_t)(at * isz),
				       (size_t)((at + cnt) * isz), gop_load,
				       &l, &ce);
		/* a read that goes on into the next GOP (the kernel's read-ahead
		 * window, which starts where a page of the header left it, runs
		 * past the GOP a reader stops at): its first frames only, as
		 * for a random read, unless the run is long enough to have
		 * shown that it goes on. A window of a few GOPs then costs a
		 * frame or two past its end, not a GOP */
		whole = run >= WHOLE_RUN * (size / isz);
		if (rc)
			return rc;
		if (big_endian && isz > 1)
			dtype_bswap_copy(out, (const char *)cache_entry_data(ce) +
					 at * isz, isz, (size_t)cnt);
		else
			memcpy(out, (const char *)cache_entry_data(ce) + at * isz,
			       (size_t)(cnt * isz));
		/* a sequential reader done with the GOP: its buffer may serve
		 * the next GOP decoded (cache_put_passed()) */
		if (l.whole && !on && (at + cnt) * isz == size)
			cache_put_passed(r->cache, ce);
		else
			cache_put(r->cache, ce);
		out += cnt * isz;
		e += cnt;
		n -= cnt;
	}
	return 0;
}

int reader_read_elems(struct reader *r, const struct cat_dataset *ds, int vi,
		      uint64_t e, uint64_t n, int big_endian, void *dst)
{
	return read_elems(r, ds, vi, e, n, big_endian, NULL, dst);
}

/* Reads n elements of extent x from e0, served as another type. */
static int read_converted(struct reader *r, const struct cat_dataset *ds,
			  const struct cat_extent *x, uint64_t e0, uint64_t n,
			  const struct elem_hint *h, void *dst)
{
	const struct cat_var *v = &ds->vars[x->var];
	enum dtype to = (enum dtype)x->dtype;
	size_t isz = dtype_size(v->dtype), osz = dtype_size(to);
	uint64_t chunk = 4096;
	char *tmp = malloc(chunk * isz);
	double *d = malloc(chunk * sizeof(double));
	int rc = tmp && d ? 0 : -ENOMEM;

	for (uint64_t done = 0; !rc && done < n; done += chunk) {
		uint64_t k = n - done < chunk ? n - done : chunk;
		char *out = (char *)dst + done * osz;
		struct elem_hint hk;

		/* each chunk goes on from the one before */
		if (h)
			hk = (struct elem_hint){ .before = h->before + done,
						 .threads = h->threads };
		rc = read_elems(r, ds, x->var, e0 + done, k, 0, h ? &hk : NULL,
				tmp);
		if (rc)
			break;
		dtype_to_double(v->dtype, tmp, d, (size_t)k);
		dtype_from_double(to, d, out, (size_t)k);
		if (x->big_endian)
			dtype_bswap(out, osz, (size_t)k);
	}
	free(tmp);
	free(d);
	return rc;
}

/* Reads n whole elements of extent x from element e0 into dst. */
static int read_extent_elems(struct reader *r, const struct cat_dataset *ds,
			     const struct cat_extent *x, uint64_t e0,
			     uint64_t n, const struct elem_hint *h, void *dst)
{
	if (x->dtype && x->dtype != (int)ds->vars[x->var].dtype)
		return read_converted(r, ds, x, e0, n, h, dst);
	return read_elems(r, ds, x->var, e0, n, x->big_endian, h, dst);
}

/*
 * Read-ahead of the GOPs of every stream of v that hold frame f, each
 * on a core no decode is on. Returns 0, or -EBUSY when every core is
 * taken (by reads' decodes, or other read-ahead): a guess that shares a
 * core slows the decode beside it, which a reader may be waiting for.
 */
static int load_ahead(struct reader *r, const struct cat_dataset *ds,
		      const struct cat_var *v, uint64_t f)
{
	for (int s = 0; s < v->nstreams; s++) {
		const struct cat_stream *st = &v->streams[s];
		const struct cat_gop *g;
		struct gop_load l;
		uint32_t gi;
		uint64_t end;

		g = find_gop(st, f, &gi, &end);
		if (!g)
			return 0;
		if (atomic_fetch_add(&r->busy, 1) >= cpu_count()) {
			atomic_fetch_sub(&r->busy, 1);
			return -EBUSY;
		}
		l = load_of(r, v, st, g);
		l.threads = 1;
		l.counted = 1;
		(void)cache_load_ahead(r->cache, (uint64_t)st->id,
				       gop_key(ds, gi), gop_bytes(v, st, g),
				       gop_load, &l);
		atomic_fetch_sub(&r->busy, 1);
	}
	return 0;
}

/*
 * Read-ahead decodes GOPs with one codec thread each: several workers
 * decoding different GOPs keep the cores busier than codec threads
 * inside one GOP (frame threads wait on references). A read that
 * needs a GOP nobody is decoding uses the codec's own threads instead:
 * one GOP, as fast as possible; unless read-ahead follows its reader
 * (reader_read_view_hint()), which then has one core and read-ahead the
 * others. A reader waiting for a GOP read-ahead decodes has its first
 * frames as they come (cache_loaded()).
 *
 * It goes frame range by frame range (the GOPs of every stream of a
 * variable that hold the same frames), so that a variable of several
 * streams is read ahead in the order it is read.
 */
void reader_prefetch(struct reader *r, const struct cat_dataset *ds,
		     const struct cat_view *w, uint64_t off, uint64_t ahead)
{
	/* at most half the cache ahead of the GOP being read: with the one
	 * before it (which a sequential reader is done with, and read-ahead
	 * evicts first) and that one, the cache is full */
	uint64_t most = cache_budget(r->cache) / 2, counted = 0;
	int own = 1;

	if (ahead > most)
		ahead = most;
	for (int i = 0; i < w->nextents; i++) {
		const struct cat_extent *x = &w->extents[i];
		const struct cat_var *v;
		uint64_t osz, fe, f, fend;

		if (x->kind != EXTENT_VAR || x->offset + x->length <= off)
			continue;
		v = &ds->vars[x->var];
		osz = dtype_size(x->dtype ? (enum dtype)x->dtype : v->dtype);
		fe = v->width * v->height * v->nplanes;
		if (!fe)
			continue;
		f = (x->elem + (off > x->offset ? off - x->offset : 0) / osz) /
			fe;
		fend = (x->elem + x->length / osz + fe - 1) / fe;
		while (f < fend) {
			uint64_t next = UINT64_MAX, size = 0;
			const struct cat_gop *g;
			uint32_t gi;
			uint64_t end;

			for (int s = 0; s < v->nstreams; s++) {
				g = find_gop(&v->streams[s], f, &gi, &end);
				if (!g)
					return;	/* left for the read to report */
				size += gop_bytes(v, &v->streams[s], g);
				if (end < next)
					next = end;
			}
			/* the reader's own GOPs are its to decode (a worker
			 * that took one up would make it wait on one codec
			 * thread); then at least one range more */
			if (!own) {
				if (counted && counted + size > ahead)
					return;
				counted += size;
				if (load_ahead(r, ds, v, f))
					return;
			}
			own = 0;
			f = next;
		}
	}
}

size_t reader_cache_budget(struct reader *r)
{
	return cache_budget(r->cache);
}

/* bsearch() order of a byte offset (key) against an extent's bytes. */
static int extent_cmp(const void *key, const void *elem)
{
	uint64_t off = *(const uint64_t *)key;
	const struct cat_extent *x = elem;

	return off < x->offset ? -1 : off >= x->offset + x->length;
}

/* The index of the extent of w holding byte off, or -1. */
static int find_extent(const struct cat_view *w, uint64_t off)
{
	const struct cat_extent *x = w->nextents <= 0 ? NULL :
		bsearch(&off, w->extents, (size_t)w->nextents, sizeof(*x),
			extent_cmp);

	return x ? (int)(x - w->extents) : -1;
}

static ssize_t read_view(struct reader *r, const struct cat_dataset *ds,
			 const struct cat_view *w, void *buf, size_t len,
			 uint64_t off, const struct read_hint *h)
{
	char *out = buf;
	size_t done = 0;
	int xi;

	if (off >= w->size)
		return 0;
	if (len > w->size - off)
		len = (size_t)(w->size - off);
	xi = find_extent(w, off);
	while (done < len && xi >= 0 && xi < w->nextents) {
		const struct cat_extent *x = &w->extents[xi];
		uint64_t in = off + done - x->offset;
		size_t cnt = (size_t)(x->length - in < len - done ?
				      x->length - in : len - done);

		if (x->kind == EXTENT_BYTES) {
			memcpy(out + done, x->bytes + in, cnt);
		} else if (x->kind == EXTENT_ZERO) {
			memset(out + done, 0, cnt);
		} else {
			const struct cat_var *v = &ds->vars[x->var];
			size_t isz = dtype_size(x->dtype ?
				(enum dtype)x->dtype : v->dtype);
			uint64_t e0 = x->elem + in / isz;
			size_t skip = (size_t)(in % isz);
			struct elem_hint eh;
			int rc;

			/* the run's bytes in this extent, before this part */
			if (h)
				eh = (struct elem_hint){
					.before = (h->before + done < in ?
						   h->before + done : in) / isz,
					.threads = h->follow };

			if (skip || cnt < isz) {
				/* a partial element: through a bounce buffer */
				char tmp[16];
				size_t part = isz - skip < cnt ? isz - skip : cnt;

				rc = read_extent_elems(r, ds, x, e0, 1,
						       h ? &eh : NULL, tmp);
				if (rc)
					return rc;
				memcpy(out + done, tmp + skip, part);
				cnt = part;
			} else {
				cnt -= cnt % isz;
				rc = read_extent_elems(r, ds, x, e0, cnt / isz,
						       h ? &eh : NULL,
						       out + done);
				if (rc)
					return rc;
			}
		}
		done += cnt;
		if (off + done >= x->offset + x->length)
			xi++;
	}
	return (ssize_t)done;
}

ssize_t reader_read_view(struct reader *r, const struct cat_dataset *ds,
			 const struct cat_view *w, void *buf, size_t len,
			 uint64_t off)
{
	return read_view(r, ds, w, buf, len, off, NULL);
}

/* A GOP a followed reader needs and nobody decodes yet is decoded on
 * one core: read-ahead's decodes of the GOPs after it have the others.
 * Both are done about when the reader gets to the next, where codec
 * threads over one GOP would leave read-ahead the crumbs and make the
 * reader wait for the next GOP after its own. */
ssize_t reader_read_view_hint(struct reader *r, const struct cat_dataset *ds,
			      const struct cat_view *w, void *buf, size_t len,
			      uint64_t off, const struct read_hint *h)
{
	return read_view(r, ds, w, buf, len, off, h);
}
