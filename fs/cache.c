/* SPDX-License-Identifier: MIT */
/* Decoded-GOP cache: chained hash, LRU list, condition variable for readers waiting on a decode. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/cache.h"
#include "fs/hugebuf.h"

enum { E_LOADING, E_READY, E_FAILED };

/*
 * What reads have done with an entry, which decides when it is evicted.
 * An entry's class only goes up (mark()), except when it is loaded again
 * whole in place.
 */
enum evict_class {
	EV_AHEAD,       /* only read-ahead has had it: a guess, evicted
			   after EV_DONE and EV_PASSED, before EV_READ */
	EV_READ,        /* a read has had part of it and may come back for
			   more (a window read, cache_get_window(), also
			   when it reached the end): evicted last */
	EV_DONE,        /* a read went through to its end: evicted first */
	EV_PASSED,      /* a sequential reader went through to its end and
			   will not come back: evicted first, and its buffer
			   may serve the next entry of its size (recycle()) */
};

struct cache_entry {
	uint64_t k1, k2;
	size_t size;
	size_t from;    /* bytes before it are not loaded (0: a prefix) */
	size_t to;      /* bytes loaded up to (so far, if loading) */
	int state;
	int err;
	int refs;
	int retired;    /* out of the table and LRU: the last put frees it */
	enum evict_class evict;
	struct cache_entry *hnext;              /* hash chain */
	struct cache_entry *prev, *next;        /* LRU, most recent first */
	void *data;
};

struct cache {
	pthread_mutex_t lock;
	pthread_cond_t loaded;
	struct cache_entry **table;
	size_t nbuckets;
	struct cache_entry *head, *tail;
	uint64_t loading;               /* bytes of entries being loaded */
	uint64_t loading_ahead;         /* of which by read-ahead */
	struct cache_stats st;
};

/*
 * Entry buffers of a few MiB and more are mappings of their own in huge
 * pages (fs/hugebuf.h): a decode into a fresh buffer faults in one page
 * per 2 MiB instead of one per 4 KiB. Smaller ones come from malloc.
 */
static void *buf_alloc(size_t size)
{
	if (size < 2 * HUGEBUF_PAGE)
		return malloc(size ? size : 1);
	return hugebuf_map(size);
}

static void buf_free(void *p, size_t size)
{
	if (size < 2 * HUGEBUF_PAGE)
		free(p);
	else
		hugebuf_unmap(p, size);
}

static size_t bucket(const struct cache *c, uint64_t k1, uint64_t k2)
{
	uint64_t h = k1 * 0x9e3779b97f4a7c15ull ^ (k2 + 0x632be59bd9b4e019ull);

	h ^= h >> 29;
	return (size_t)(h % c->nbuckets);
}

int cache_new(size_t budget, struct cache **out)
{
	struct cache *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return -ENOMEM;
	c->nbuckets = 4099;
	c->table = calloc(c->nbuckets, sizeof(*c->table));
	if (!c->table) {
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->loaded, NULL);
	c->st.budget = budget;
	*out = c;
	return 0;
}

static void lru_unlink(struct cache *c, struct cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else if (c->head == e)
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else if (c->tail == e)
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct cache *c, struct cache_entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static void hash_remove(struct cache *c, struct cache_entry *e)
{
	struct cache_entry **pp = &c->table[bucket(c, e->k1, e->k2)];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
}

static void drop(struct cache *c, struct cache_entry *e)
{
	hash_remove(c, e);
	lru_unlink(c, e);
	if (e->state == E_READY)
		c->st.bytes -= e->size;
	c->st.entries--;
	buf_free(e->data, e->size);
	free(e);
}

/* Drops a reference to e (not retired); the last one of a failed load
 * frees the bytes, which readers had until then (they took its first
 * bytes while it loaded). Returns the references left. Caller holds
 * the cache's lock. */
static int unref(struct cache_entry *e)
{
	if (--e->refs == 0 && e->state == E_FAILED && e->data) {
		buf_free(e->data, e->size);
		e->data = NULL;
	}
	return e->refs;
}

/* Raises e's class to k, if it is lower. */
static void mark(struct cache_entry *e, enum evict_class k)
{
	if (e->evict < k)
		e->evict = k;
}

/*
 * Evicts unreferenced entries from the LRU tail until `extra` more bytes
 * fit in the budget: first those a read went through to the end (a
 * sequential reader is done with them), then, unless only_done, those
 * no read has had yet (read-ahead's guesses), then any. With
 * several sequential readers, the GOPs they are in the middle of outlive
 * the ones they left and the ones decoded ahead: evicting a GOP a reader
 * is in makes it decode that GOP again, evicting another's, and so on.
 * For the same reason a read's load makes no room for read-ahead's
 * loads in flight (the cache may hold those bytes over its budget until
 * the next eviction, which takes them first while no read has had them).
 * Hands back in *reuse (if not NULL) the buffer of one evicted entry of
 * exactly `extra` bytes (a GOP of the same stream), which a load then
 * fills in place: no fresh pages to fault in and zero, and the peak stays
 * within the budget instead of one GOP above it. With extra 0 (a trim)
 * the last entry left stays even above the budget. Returns whether the
 * bytes fit now.
 */
static int evict(struct cache *c, size_t extra, int only_done, void **reuse)
{
	uint64_t loading = only_done ? c->loading :
		c->loading - c->loading_ahead;

	for (int pass = 0; pass < (only_done ? 1 : 3); pass++) {
		struct cache_entry *e = c->tail;

		while (e && c->st.bytes + loading + extra > c->st.budget) {
			struct cache_entry *p = e->prev;

			/* a trim keeps the last entry left: a GOP larger
			 * than the budget stays, alone, for the next reads
			 * of it (each would decode it again) */
			if (!extra && e == c->head && e == c->tail)
				break;
			if (e->refs == 0 && e->state == E_READY &&
			    (pass == 2 ||
			     (pass == 1 && e->evict == EV_AHEAD) ||
			     e->evict >= EV_DONE)) {
				if (reuse && !*reuse && extra &&
				    e->size == extra) {
					*reuse = e->data;
					e->data = NULL;
				}
				drop(c, e);
				c->st.evictions++;
			}
			e = p;
		}
	}
	return c->st.bytes + loading + extra <= c->st.budget;
}

/* Evicts until within budget. */
static void shrink(struct cache *c)
{
	(void)evict(c, 0, 0, NULL);
}

/*
 * The buffer of an unreferenced EV_PASSED entry of `size` bytes (the
 * least recent), evicted for a new entry although the budget has room:
 * the kernel's page cache holds those bytes for that reader, and a fresh
 * buffer costs zeroing its pages. The most recent such entry stays: the
 * kernel's concurrent reads may still bring a late one for it. NULL if
 * there is none to take. Caller holds the lock.
 */
static void *recycle(struct cache *c, size_t size)
{
	struct cache_entry *take = c->tail, *e;
	void *data;

	while (take && (take->refs || take->state != E_READY ||
			take->evict != EV_PASSED || take->size != size))
		take = take->prev;
	for (e = take ? take->prev : NULL; e; e = e->prev)
		if (e->evict == EV_PASSED && e->size == size)
			break;          /* a more recent one, which stays */
	if (!e)
		return NULL;
	data = take->data;
	take->data = NULL;
	drop(c, take);
	c->st.evictions++;
	return data;
}

void cache_free(struct cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cache_entry *e = c->table[i];

		while (e) {
			struct cache_entry *n = e->hnext;

			buf_free(e->data, e->size);
			free(e);
			e = n;
		}
	}
	free(c->table);
	pthread_cond_destroy(&c->loaded);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* One get: what is asked for, and how it is loaded on a miss. */
struct ask {
	uint64_t k1, k2;
	size_t size;
	size_t from, to;        /* the bytes needed, within size */
	int to_end;             /* the read goes through to the entry's end */
	int ahead;              /* read-ahead: waits for nothing, keeps no
				   reference (cache_load_ahead()) */
	int window;             /* a window read (cache_get_window()): 1
				   comes back for more, -1 passes by */
	cache_load_fn load;
	void *arg;
};

/* Whether bytes [from, to) of e are loaded (so far). */
static int covers(const struct cache_entry *e, size_t from, size_t to)
{
	return e->from <= from && e->to >= to;
}

/*
 * Loads e (E_LOADING, one reference, its size counted in c->loading, and
 * in c->loading_ahead too if a->ahead) with the lock released, then
 * publishes it. Called and returns with the lock held; 0 or the load's
 * error (e then failed, the reference dropped).
 */
static int load_entry(struct cache *c, struct cache_entry *e,
		      const struct ask *a)
{
	size_t from = a->from, to = a->to;
	int rc;

	pthread_mutex_unlock(&c->lock);
	if (!e->data)
		e->data = buf_alloc(e->size);
	rc = e->data ? a->load(a->arg, e, e->data, e->size, &from, &to) :
		-ENOMEM;
	if (!rc && (from > a->from || to < a->to || to > e->size))
		rc = -EIO;

	pthread_mutex_lock(&c->lock);
	c->st.decodes++;
	c->loading -= e->size;
	if (a->ahead)
		c->loading_ahead -= e->size;
	if (rc) {
		e->state = E_FAILED;
		e->err = rc;
		c->st.errors++;
		/* only damage (-EIO) stays in the table; any other failure
		 * is this moment's: retired, so the next get loads again,
		 * and those waiting for it look again (wait_load()) */
		if (rc != -EIO) {
			hash_remove(c, e);
			e->retired = 1;
		}
		if (e->retired && e->refs == 1)
			drop(c, e);
		else
			unref(e);
		pthread_cond_broadcast(&c->loaded);
		return rc;
	}
	e->state = E_READY;
	e->from = from;
	e->to = to;
	c->st.bytes += e->size;
	lru_push(c, e);
	/* read-ahead trims when it puts the entry back: then the entry
	 * itself, which no read has had, goes before GOPs readers are in */
	if (!a->ahead)
		shrink(c);
	pthread_cond_broadcast(&c->loaded);
	return 0;
}

void cache_loaded(struct cache *c, struct cache_entry *e, size_t to)
{
	pthread_mutex_lock(&c->lock);
	if (e->state == E_LOADING && to > e->to && to <= e->size) {
		e->to = to;
		pthread_cond_broadcast(&c->loaded);
	}
	pthread_mutex_unlock(&c->lock);
}

/* Bytes of loaded entries no read has gone through yet (caller holds
 * lock): read-ahead leaves a quarter of the cache beside them for reads'
 * own loads, which would otherwise evict them before they are read. */
static uint64_t unread(const struct cache *c)
{
	uint64_t n = 0;

	for (const struct cache_entry *e = c->head; e; e = e->next)
		if (e->state == E_READY && e->evict < EV_DONE)
			n += e->size;
	return n;
}

/* A get returns e: a read marks it (it has had e, through to the end if
 * a->to_end), and e goes to the LRU's front (once loaded: the LRU holds
 * only those). Caller holds lock. */
static void served(struct cache *c, struct cache_entry *e,
		   const struct ask *a)
{
	if (a->window > 0)
		e->evict = EV_READ;
	else if (a->window < 0 && e->evict == EV_AHEAD)
		e->evict = EV_DONE;
	else if (!a->ahead && !a->window)
		mark(e, a->to_end ? EV_DONE : EV_READ);
	if (e->state == E_READY) {
		lru_unlink(c, e);
		lru_push(c, e);
	}
}

/* The entry of key (k1, k2) in the table, or NULL (caller holds lock). */
static struct cache_entry *lookup(const struct cache *c, uint64_t k1,
				  uint64_t k2)
{
	struct cache_entry *e = c->table[bucket(c, k1, k2)];

	while (e && (e->k1 != k1 || e->k2 != k2))
		e = e->hnext;
	return e;
}

/*
 * Whether read-ahead leaves key a alone: e (the key's entry, or NULL) is
 * present whole, being loaded or failed, or there is no room. It makes
 * room only by evicting what readers are done with, never the GOP a
 * reader is in the middle of, and it leaves a quarter of the cache to
 * reads' own loads (unread()). An evicted buffer of a->size bytes may
 * come back in *reuse. Caller holds lock.
 */
static int ahead_skips(struct cache *c, const struct cache_entry *e,
		       const struct ask *a, void **reuse)
{
	if (e && (e->state != E_READY || covers(e, a->from, a->to)))
		return 1;
	return unread(c) + c->loading + a->size > c->st.budget / 4 * 3 ||
		!evict(c, e ? 0 : a->size, 1, reuse);
}

enum { WAIT_SERVED, WAIT_AGAIN, WAIT_FAILED };

/*
 * Waits for another thread's load of e to cover a's bytes. Returns
 * WAIT_SERVED (e is the caller's, with a reference), WAIT_AGAIN (look
 * the key up again: e was loaded in part, or retired: replaced, or
 * failed for the moment) or WAIT_FAILED (e is damaged or has another
 * size; no reference kept). Caller holds lock.
 */
static int wait_load(struct cache *c, struct cache_entry *e,
		     const struct ask *a)
{
	c->st.misses++;
	c->st.waits++;
	e->refs++;
	while (e->state == E_LOADING && !covers(e, a->from, a->to))
		pthread_cond_wait(&c->loaded, &c->lock);
	if (e->state != E_FAILED && e->size == a->size &&
	    covers(e, a->from, a->to)) {
		served(c, e, a);
		return WAIT_SERVED;
	}
	if (e->retired) {
		if (e->refs == 1)
			drop(c, e);
		else
			unref(e);
		return WAIT_AGAIN;
	}
	unref(e);
	return e->state == E_READY && e->size == a->size ? WAIT_AGAIN :
		WAIT_FAILED;
}

/*
 * A miss on e, loaded in part before: a second partial load could be
 * followed by a third, so this one is whole (a's range becomes all of
 * it). Returns e, ready to load again in place, if nobody holds it;
 * else retires it (its holders copy from it still) and returns NULL: a
 * new entry takes its key. Caller holds lock.
 */
static struct cache_entry *reload_whole(struct cache *c, struct cache_entry *e,
					struct ask *a)
{
	a->from = 0;
	a->to = a->size;
	lru_unlink(c, e);
	if (e->refs) {
		hash_remove(c, e);
		e->retired = 1;
		return NULL;
	}
	c->st.bytes -= e->size;
	if (e->evict > EV_READ)
		e->evict = EV_READ;
	e->from = 0;
	e->to = 0;
	e->state = E_LOADING;
	e->refs = 1;
	return e;
}

/*
 * A new entry for key a, loading, with one reference, in the table, its
 * buffer data if not NULL, else one an eviction or recycle() hands over
 * (or none: the load allocates one). NULL out of memory. Caller holds
 * lock.
 */
static struct cache_entry *add_entry(struct cache *c, const struct ask *a,
				     void *data)
{
	struct cache_entry *e = calloc(1, sizeof(*e));
	size_t b = bucket(c, a->k1, a->k2);

	if (!e)
		return NULL;
	e->k1 = a->k1;
	e->k2 = a->k2;
	e->size = a->size;
	e->state = E_LOADING;
	e->refs = 1;
	e->hnext = c->table[b];
	c->table[b] = e;
	c->st.entries++;
	e->data = data;
	if (!e->data)
		(void)evict(c, a->size, 0, &e->data);
	if (!e->data)
		e->data = recycle(c, a->size);
	return e;
}

/* cache_get(); with a->ahead, an entry present whole (or being loaded,
 * or failed) is left alone and 1 returned at once, without a reference. */
static int get(struct cache *c, struct ask *a, struct cache_entry **out)
{
	struct cache_entry *e;
	void *reuse = NULL;
	int rc;

	*out = NULL;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		e = lookup(c, a->k1, a->k2);
		if (a->ahead && ahead_skips(c, e, a, &reuse)) {
			rc = 1;
			goto out;
		}
		if (!e || e->state != E_LOADING)
			break;
		rc = wait_load(c, e, a);
		if (rc == WAIT_SERVED) {
			*out = e;
			rc = 0;
			goto out;
		}
		if (rc == WAIT_FAILED)
			break;
	}
	if (e && (e->state == E_FAILED || e->size != a->size)) {
		rc = e->state == E_FAILED ? e->err : -EIO;
		c->st.misses++;
		goto out;
	}
	if (e && covers(e, a->from, a->to)) {
		c->st.hits++;
		e->refs++;
		served(c, e, a);
		*out = e;
		rc = 0;
		goto out;
	}
	c->st.misses++;
	if (e)
		e = reload_whole(c, e, a);
	if (!e) {
		e = add_entry(c, a, reuse);
		if (!e) {
			rc = -ENOMEM;
			goto out;
		}
		reuse = NULL;
	}
	c->loading += a->size;
	if (a->ahead)
		c->loading_ahead += a->size;
	rc = load_entry(c, e, a);
	if (!rc) {
		served(c, e, a);
		*out = e;
	}
out:
	pthread_mutex_unlock(&c->lock);
	buf_free(reuse, a->size);
	return rc;
}

/* An ask for (k1, k2), its range clamped to size. */
static struct ask ask_of(uint64_t k1, uint64_t k2, size_t size, size_t from,
			 size_t to, cache_load_fn load, void *arg, int ahead)
{
	struct ask a = { .k1 = k1, .k2 = k2, .size = size, .to_end = to >= size,
			 .ahead = ahead, .load = load, .arg = arg };

	a.to = to > size ? size : to;
	a.from = from > a.to ? a.to : from;
	return a;
}

int cache_get(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
	      size_t from, size_t to, cache_load_fn load, void *arg,
	      struct cache_entry **out)
{
	struct ask a = ask_of(k1, k2, size, from, to, load, arg, 0);

	return get(c, &a, out);
}

int cache_get_window(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
		     size_t from, size_t to, int keep, cache_load_fn load,
		     void *arg, struct cache_entry **out)
{
	struct ask a = ask_of(k1, k2, size, from, to, load, arg, 0);

	a.window = keep ? 1 : -1;
	return get(c, &a, out);
}

int cache_load_ahead(struct cache *c, uint64_t k1, uint64_t k2, size_t size,
		     cache_load_fn load, void *arg)
{
	struct ask a = ask_of(k1, k2, size, 0, size, load, arg, 1);
	struct cache_entry *e;
	int rc = get(c, &a, &e);

	if (rc == 0)
		cache_put(c, e);
	return rc;
}

size_t cache_budget(struct cache *c)
{
	size_t b;

	pthread_mutex_lock(&c->lock);
	b = (size_t)c->st.budget;
	pthread_mutex_unlock(&c->lock);
	return b;
}

const void *cache_entry_data(const struct cache_entry *e)
{
	return e->data;
}

static void put(struct cache *c, struct cache_entry *e, int passed)
{
	if (!e)
		return;
	pthread_mutex_lock(&c->lock);
	if (passed)
		mark(e, EV_PASSED);
	if (e->refs == 1 && e->retired)
		drop(c, e);
	else if (!unref(e) && e->state == E_READY)
		shrink(c);
	pthread_mutex_unlock(&c->lock);
}

void cache_put(struct cache *c, struct cache_entry *e)
{
	put(c, e, 0);
}

void cache_put_passed(struct cache *c, struct cache_entry *e)
{
	put(c, e, 1);
}

void cache_invalidate(struct cache *c, uint64_t k1)
{
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nbuckets; i++) {
		struct cache_entry *e = c->table[i];

		while (e) {
			struct cache_entry *n = e->hnext;

			if (e->k1 == k1 && e->refs == 0 && e->state != E_LOADING)
				drop(c, e);
			e = n;
		}
	}
	pthread_mutex_unlock(&c->lock);
}

void cache_get_stats(struct cache *c, struct cache_stats *s)
{
	pthread_mutex_lock(&c->lock);
	*s = c->st;
	pthread_mutex_unlock(&c->lock);
}
