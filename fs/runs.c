/* SPDX-License-Identifier: MIT */
/* Sequential runs: a small table matched by key and position, the least recently read replaced. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "fs/runs.h"

struct run {
	uint64_t id;            /* 0: free */
	uint64_t key, from, end, len;
	uint64_t used;          /* the table's clock at the latest read */
};

struct runs {
	pthread_mutex_t lock;
	uint64_t clock, next_id;
	int n;
	struct run run[];
};

struct runs *runs_new(int slots)
{
	struct runs *t;

	if (slots < 1)
		slots = 1;
	t = calloc(1, sizeof(*t) + (size_t)slots * sizeof(t->run[0]));
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->n = slots;
	return t;
}

void runs_free(struct runs *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->lock);
	free(t);
}

uint64_t runs_note(struct runs *t, uint64_t key, uint64_t off, uint64_t n,
		   uint64_t near, uint64_t *len, uint64_t *from)
{
	struct run *r = NULL, *old = &t->run[0];
	uint64_t id;

	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < t->n; i++) {
		struct run *c = &t->run[i];

		if (c->id && c->key == key && off + near >= c->end &&
		    off <= c->end + near) {
			r = c;
			break;
		}
		if (c->used < old->used)
			old = c;
	}
	if (r) {
		r->len += n;
		if (off + n > r->end)
			r->end = off + n;
	} else {
		r = old;
		r->id = ++t->next_id;
		r->key = key;
		r->from = off;
		r->end = off + n;
		r->len = n;
	}
	r->used = ++t->clock;
	id = r->id;
	*len = r->len;
	if (from)
		*from = r->from;
	pthread_mutex_unlock(&t->lock);
	return id;
}

int runs_get(struct runs *t, uint64_t id, uint64_t *end, uint64_t *len)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&t->lock);
	for (int i = 0; i < t->n; i++)
		if (t->run[i].id == id) {
			*end = t->run[i].end;
			*len = t->run[i].len;
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&t->lock);
	return rc;
}

void runs_hint(struct runs *t, uint64_t key, uint64_t off, uint64_t n,
	       struct read_hint *h)
{
	*h = (struct read_hint){ 0 };
	h->run = runs_note(t, key, off, n, RUNS_NEAR, &h->len, &h->from);
	h->before = h->len - n;
}
