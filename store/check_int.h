/* SPDX-License-Identifier: MIT */
/* What check.c and repair.c share (internal to store/). */
#ifndef CUBEFS_STORE_CHECK_INT_H
#define CUBEFS_STORE_CHECK_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "catalog/catalog.h"
#include "store/check.h"

/* A pack row and what its file looked like. */
struct pk {
	int64_t id;
	uint64_t size;          /* recorded in the row */
	uint64_t file_size;     /* st_size, when usable */
	int usable;             /* a regular file we can read */
	int unreferenced;       /* no gop or mask row uses it */
	char *name;             /* as stored (may be invalid) */
};

struct check {
	struct catalog *c;
	struct store_check_report *r;
	int dfd;                /* STORE/packs */
	time_t now;
	struct pk *packs;       /* sorted by id */
	size_t npacks;
	int fd;                 /* the open pack file, of fd_id */
	int64_t fd_id;
	uint8_t *buf;           /* CHUNK bytes */
	char **orphans;         /* orphan file names reported */
	size_t norphans;
};

/* Reports one problem (or one repair); control characters become '?'. */
void check_say(struct check *k, enum store_check_kind kind, int repaired,
	       const char *ds, const char *pack, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* --repair: only unreachable things, and only in a store without damage. */
int check_repair(struct check *k);

#endif
