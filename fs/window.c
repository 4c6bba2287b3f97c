/* SPDX-License-Identifier: MIT */
/* Window reads: a score of how often random reads come back to a GOP read a moment ago. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "fs/window.h"

/* The score is a moving share of random reads that came back, in 1/1024:
 * each read moves it 1/16 of the way to 1024 (came back) or 0. */
#define SCORE_ONE 1024
#define SCORE_ON 384            /* window reads from here on ... */
#define SCORE_OFF 256           /* ... until it falls below this */

struct slot {
	uint64_t k1, k2, frame;
	uint64_t used;          /* 0: free */
};

struct window {
	pthread_mutex_t lock;
	uint64_t clock;
	int score;
	atomic_int active;
	int n;
	struct slot slot[];
};

struct window *window_new(int slots)
{
	struct window *w;

	if (slots < 1)
		slots = 1;
	w = calloc(1, sizeof(*w) + (size_t)slots * sizeof(w->slot[0]));
	if (!w)
		return NULL;
	pthread_mutex_init(&w->lock, NULL);
	w->n = slots;
	return w;
}

void window_free(struct window *w)
{
	if (!w)
		return;
	pthread_mutex_destroy(&w->lock);
	free(w);
}

int window_note(struct window *w, uint64_t k1, uint64_t k2, uint64_t f)
{
	struct slot *s = NULL, *old = &w->slot[0];
	int back = 0, on;

	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->n; i++) {
		struct slot *c = &w->slot[i];

		if (c->used && c->k1 == k1 && c->k2 == k2) {
			s = c;
			break;
		}
		if (c->used < old->used)
			old = c;
	}
	if (s) {
		back = s->frame != f;   /* the same frame again: one read
					   split in two, not a return */
	} else {
		s = old;
		s->k1 = k1;
		s->k2 = k2;
	}
	s->frame = f;
	s->used = ++w->clock;
	w->score += ((back ? SCORE_ONE : 0) - w->score) / 16;
	on = atomic_load(&w->active);
	if (!on && w->score >= SCORE_ON)
		on = 1;
	else if (on && w->score < SCORE_OFF)
		on = 0;
	atomic_store(&w->active, on);
	pthread_mutex_unlock(&w->lock);
	return on;
}

int window_active(struct window *w)
{
	return atomic_load(&w->active);
}
