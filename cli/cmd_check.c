/* SPDX-License-Identifier: MIT */
/* cubefs check: find (and with --repair remove) what is wrong or unreachable in a store. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli.h"
#include "store/check.h"
#include "store/gc.h"
#include "store/lock.h"

/*
 * Exit status:
 *   0  nothing is damaged: every row loads and every byte a row points
 *      at is there and matches its checksum. Leftovers (pack files or
 *      rows nothing uses, as a killed import or a commit leaves them)
 *      are listed but are not damage: `cubefs gc` or --repair reclaims
 *      them.
 *   1  damage was found
 *   2  usage error
 *   3  the store cannot be opened or checked at all
 */
enum { EXIT_CLEAN = 0, EXIT_PROBLEMS = 1, EXIT_USAGE = 2, EXIT_FAILED = 3 };

static void usage(FILE *f)
{
	fprintf(f, "usage: cubefs check [--repair] [-v] STORE\n\n"
		"Checks a store: SQLite's integrity and foreign keys, that "
		"every dataset's\nrows load, that every GOP and mask lies "
		"inside its pack file and every GOP's\nbytes match its crc32, "
		"that views are tiled by their extents, and finds\npack rows "
		"nothing uses and pack files without a row. Prints one line "
		"per\nproblem, then a summary.\n\n"
		"  -r, --repair   remove pack rows no GOP or mask uses (and "
		"their files) and\n"
		"                 pack files without a row unmodified for %d "
		"minutes; only\n"
		"                 when nothing is damaged; never a dataset or "
		"a row that\n"
		"                 holds data (`cubefs gc` also punches holes)\n"
		"  -v, --verbose  more messages\n\n"
		"exit status: 0 no damage (leftovers nothing uses may be "
		"listed: they are\nreclaimed by --repair or `cubefs gc`), 1 "
		"damage found, 2 usage error, 3 the\nstore cannot be opened "
		"or checked\n", STORE_GC_ORPHAN_AGE / 60);
}

static void print_problem(void *arg, const struct store_check_problem *p)
{
	(void)arg;
	printf("%s%s\n", p->repaired ? "repaired: " : "", p->text);
	fflush(stdout);
}

int cmd_check(int argc, char **argv)
{
	struct store_check_report r = { .fn = print_problem };
	struct store_lock *lock = NULL;
	const char *store = NULL;
	struct catalog *c;
	char b[32];
	int repair = 0, rc, plain;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (!strcmp(argv[i], "--repair") ||
			   !strcmp(argv[i], "-r")) {
			repair = 1;
		} else if (!strcmp(argv[i], "--verbose") ||
			   !strcmp(argv[i], "-v")) {
			log_set_level(LOG_LVL_INFO);
		} else if (argv[i][0] == '-' || store) {
			fprintf(stderr, "cubefs: check: unexpected argument "
				"'%s'\n", argv[i]);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			store = argv[i];
		}
	}
	if (!store) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c = cli_open_store(store, repair ? 0 : CATALOG_RDONLY);
	if (!c)
		return EXIT_FAILED;
	if (repair && store_lock_take(store, &lock)) {
		catalog_free(c);
		return EXIT_FAILED;
	}
	rc = store_check(c, repair, &r);
	/* plain files of mounts: listed, and where their bytes are */
	plain = rc ? 0 : cli_plain_print(c, store, NULL, 1);
	catalog_free(c);
	store_lock_release(lock);
	if (rc == -EBUSY)
		fprintf(stderr, "cubefs: catalog of '%s' is busy (an import "
			"is committing?): nothing repaired, try again later\n",
			store);
	else if (rc)
		fprintf(stderr, "cubefs: cannot check '%s': %s\n", store,
			strerror(-rc));
	if (rc)
		return EXIT_FAILED;
	if (r.repair_refused)
		printf("not repairing: the store has damage, and pack rows "
		       "or files nothing uses\nmay hold the only copy of its "
		       "bytes; nothing was removed\n");
	printf("checked %llu datasets, %llu GOPs (%s), %llu masks, %llu "
	       "views: %llu problems", (unsigned long long)r.datasets,
	       (unsigned long long)r.gops,
	       cli_bytes((double)r.gop_bytes, b, sizeof(b)),
	       (unsigned long long)r.masks, (unsigned long long)r.views,
	       (unsigned long long)r.nproblems);
	if (repair)
		printf(", %llu repaired", (unsigned long long)r.repaired);
	if (r.nproblems > store_check_damage(&r))
		printf(" (%llu of them leftovers nothing uses)",
		       (unsigned long long)(r.nproblems -
					    store_check_damage(&r)));
	printf("\n");
	if (plain > 0)
		printf("%d plain files lack their staged bytes\n", plain);
	return store_check_damage(&r) || plain > 0 ? EXIT_PROBLEMS :
		EXIT_CLEAN;
}
