/* SPDX-License-Identifier: MIT */
/* cubefs gc: give back the space of unreferenced packs, orphan pack files and dead pack ranges. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "cli/cli.h"
#include "store/gc.h"
#include "store/lock.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: cubefs gc [--dry-run] [-v] STORE\n\n"
		"Removes pack files no dataset uses and pack files an "
		"interrupted import\nleft without a catalog row (once "
		"unmodified for %d minutes), and punches\nholes in the dead "
		"ranges of the other packs.\n\n"
		"  -n, --dry-run  print what would be done, change nothing\n"
		"  -v, --verbose  name each file\n",
		STORE_GC_ORPHAN_AGE / 60);
}

int cmd_gc(int argc, char **argv)
{
	struct store_gc_report r;
	struct store_lock *lock = NULL;
	const char *store = NULL;
	struct catalog *c;
	char b1[32], b2[32], b3[32];
	int dry_run = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--dry-run") ||
			   !strcmp(argv[i], "-n")) {
			dry_run = 1;
		} else if (!strcmp(argv[i], "--verbose") ||
			   !strcmp(argv[i], "-v")) {
			log_set_level(LOG_LVL_INFO);
		} else if (argv[i][0] == '-' || store) {
			fprintf(stderr, "cubefs: gc: unexpected argument '%s'\n",
				argv[i]);
			usage(stderr);
			return 2;
		} else {
			store = argv[i];
		}
	}
	if (!store) {
		usage(stderr);
		return 2;
	}
	c = cli_open_store(store, dry_run ? CATALOG_RDONLY : 0);
	if (!c)
		return 1;
	if (!dry_run && store_lock_take(store, &lock)) {
		catalog_free(c);
		return 1;
	}
	rc = store_gc(c, dry_run, &r);
	catalog_free(c);
	store_lock_release(lock);
	if (rc == -EBUSY)
		fprintf(stderr, "cubefs: catalog of '%s' is busy (an import "
			"is committing?): try again later\n", store);
	else if (rc == -EUCLEAN)
		fprintf(stderr, "cubefs: catalog of '%s' is damaged: nothing "
			"collected\n", store);
	else if (rc)
		fprintf(stderr, "cubefs: gc of '%s' failed: %s\n", store,
			strerror(-rc));
	if (rc)
		return 1;
	printf("%s %llu unreferenced packs (%s), %llu orphan pack files (%s), "
	       "%s %llu holes (%s)\n", dry_run ? "would remove" : "removed",
	       (unsigned long long)r.packs_removed,
	       cli_bytes((double)r.packs_bytes, b1, sizeof(b1)),
	       (unsigned long long)r.orphans_removed,
	       cli_bytes((double)r.orphans_bytes, b2, sizeof(b2)),
	       dry_run ? "punch" : "punched",
	       (unsigned long long)r.holes_punched,
	       cli_bytes((double)r.holes_bytes, b3, sizeof(b3)));
	if (r.orphans_kept)
		printf("kept %llu pack files without a catalog row: modified "
		       "in the last %d minutes or open, an import may be "
		       "writing them\n", (unsigned long long)r.orphans_kept,
		       STORE_GC_ORPHAN_AGE / 60);
	if (r.readers_behind)
		printf("kept unreferenced packs and dead ranges: %llu mounted "
		       "reader(s) still serve an older version of the store "
		       "(the oldest: %s pid %ld, generation %llu); run gc "
		       "again once they have reloaded or unmounted\n",
		       (unsigned long long)r.readers_behind, r.oldest.host,
		       r.oldest.pid, (unsigned long long)r.oldest.gen);
	if (r.punch_unsupported)
		printf("%llu packs keep their dead ranges: the filesystem "
		       "cannot punch holes\n",
		       (unsigned long long)r.punch_unsupported);
	return 0;
}
