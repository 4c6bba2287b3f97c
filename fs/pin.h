/* SPDX-License-Identifier: MIT */
/* Versions held by open handles: a file opened for reading reads the version it opened. */
#ifndef CUBEFS_FS_PIN_H
#define CUBEFS_FS_PIN_H

#include <pthread.h>
#include <stdint.h>

#include "catalog/catalog.h"

/*
 * One version of a dataset (its rows) that read-only handles opened. While
 * the version is the reader's, the rows are the reader's; when a reload
 * replaces them the pin takes them over (retired) and frees them with its
 * last handle, so a handle opened before a change goes on reading the
 * version it opened, as a file replaced by rename(2) would. A change this
 * mount's own writers made moves the pins of that dataset on to the new
 * rows instead: handles in one mount see each other's writes.
 */
struct pin {
	struct cat_dataset *ds;
	uint64_t gen;           /* generation of the tree ds came from */
	int refs;               /* handles */
	int retired;            /* ds is no longer the reader's: owned here */
	struct pin *next;
};

/* The pins of a mount. lock guards the list and every pin's fields;
 * a retired pin's rows never change, and are read without it. */
struct pins {
	pthread_mutex_t lock;
	struct pin *head;
};

void pins_init(struct pins *p);

/* Frees every pin and the retired rows (at unmount: no handle left). */
void pins_destroy(struct pins *p);

/*
 * A reference to the version ds of the reader's rows (caller holds the
 * tree lock, so ds cannot be swapped out meanwhile), tree generation gen.
 * NULL on out-of-memory.
 */
struct pin *pin_take(struct pins *p, struct cat_dataset *ds, uint64_t gen);

/* Drops a reference; the last one of a retired pin frees its rows and
 * returns 1 (the oldest generation may have moved on), else 0. */
int pin_drop(struct pins *p, struct pin *pin);

/*
 * At a reload's swap (caller holds the tree lock for writing): the pins of
 * old[0..nold) move on to the dataset of the same id in now[0..nnow), at
 * generation gen, when `carry` says the change is this mount's own and
 * such a dataset exists; the others retire, and their entries in old are
 * set to NULL so that the caller does not free them.
 */
void pins_swap(struct pins *p, struct cat_dataset **old, int nold,
	       struct cat_dataset *const *now, int nnow, uint64_t gen,
	       int carry);

/* The oldest generation a handle still reads: gen, or an older one a
 * retired pin holds. */
uint64_t pins_oldest(struct pins *p, uint64_t gen);

/*
 * The retired pin whose rows have a view numbered ino (fs/inode.h), with
 * a reference taken and that view in *view; NULL if none.
 */
struct pin *pins_find_retired(struct pins *p, uint64_t ino,
			      const struct cat_view **view);

/* The view of id in the pin's rows, or NULL (retired pins: no lock
 * needed; others: caller holds the tree lock). */
const struct cat_view *pin_view(const struct pin *pin, int64_t view_id);

#endif
