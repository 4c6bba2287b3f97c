/* SPDX-License-Identifier: MIT */
/* Versions held by open handles: references, retirement at a reload, the oldest generation. */
#include <stdlib.h>

#include "fs/inode.h"
#include "fs/pin.h"

void pins_init(struct pins *p)
{
	pthread_mutex_init(&p->lock, NULL);
	p->head = NULL;
}

static void pin_free(struct pin *pin)
{
	if (pin->retired)
		catalog_dataset_free(pin->ds);
	free(pin);
}

void pins_destroy(struct pins *p)
{
	struct pin *next;

	for (struct pin *pin = p->head; pin; pin = next) {
		next = pin->next;
		pin_free(pin);
	}
	p->head = NULL;
	pthread_mutex_destroy(&p->lock);
}

struct pin *pin_take(struct pins *p, struct cat_dataset *ds, uint64_t gen)
{
	struct pin *pin;

	pthread_mutex_lock(&p->lock);
	for (pin = p->head; pin; pin = pin->next)
		if (pin->ds == ds && !pin->retired)
			break;
	if (!pin && (pin = calloc(1, sizeof(*pin)))) {
		pin->ds = ds;
		pin->gen = gen;
		pin->next = p->head;
		p->head = pin;
	}
	if (pin)
		pin->refs++;
	pthread_mutex_unlock(&p->lock);
	return pin;
}

int pin_drop(struct pins *p, struct pin *pin)
{
	struct pin **pp;
	int retired = 0;

	pthread_mutex_lock(&p->lock);
	if (--pin->refs > 0) {
		pin = NULL;
	} else {
		for (pp = &p->head; *pp != pin; pp = &(*pp)->next)
			;
		*pp = pin->next;
	}
	pthread_mutex_unlock(&p->lock);
	if (pin) {
		retired = pin->retired;
		pin_free(pin);
	}
	return retired;
}

static struct cat_dataset *by_id(struct cat_dataset *const *v, int n,
				 int64_t id)
{
	for (int i = 0; i < n; i++)
		if (v[i]->id == id)
			return v[i];
	return NULL;
}

void pins_swap(struct pins *p, struct cat_dataset **old, int nold,
	       struct cat_dataset *const *now, int nnow, uint64_t gen,
	       int carry)
{
	pthread_mutex_lock(&p->lock);
	for (struct pin *pin = p->head; pin; pin = pin->next) {
		struct cat_dataset *next;
		int i;

		if (pin->retired)
			continue;
		for (i = 0; i < nold && old[i] != pin->ds; i++)
			;
		if (i == nold)
			continue;       /* not among the rows swapped out */
		next = carry ? by_id(now, nnow, pin->ds->id) : NULL;
		if (next) {
			pin->ds = next;
			pin->gen = gen;
		} else {
			pin->retired = 1;
			old[i] = NULL;
		}
	}
	pthread_mutex_unlock(&p->lock);
}

uint64_t pins_oldest(struct pins *p, uint64_t gen)
{
	pthread_mutex_lock(&p->lock);
	for (struct pin *pin = p->head; pin; pin = pin->next)
		if (pin->retired && pin->gen < gen)
			gen = pin->gen;
	pthread_mutex_unlock(&p->lock);
	return gen;
}

const struct cat_view *pin_view(const struct pin *pin, int64_t view_id)
{
	for (int i = 0; i < pin->ds->nviews; i++)
		if (pin->ds->views[i].id == view_id)
			return &pin->ds->views[i];
	return NULL;
}

struct pin *pins_find_retired(struct pins *p, uint64_t ino,
			      const struct cat_view **view)
{
	struct pin *pin;
	int64_t id;

	*view = NULL;
	if (inode_kind(ino, &id) != INODE_VIEW)
		return NULL;
	pthread_mutex_lock(&p->lock);
	for (pin = p->head; pin; pin = pin->next)
		if (pin->retired && (*view = pin_view(pin, id)) &&
		    inode_view(id, pin->ds->version) == ino)
			break;
	if (pin)
		pin->refs++;
	else
		*view = NULL;
	pthread_mutex_unlock(&p->lock);
	return pin;
}
