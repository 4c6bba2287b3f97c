/* SPDX-License-Identifier: MIT */
/* cubefs compact: re-encode once the GOPs that edits patched, and drop their patches. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "fs/commit.h"
#include "fs/reader.h"
#include "store/lock.h"

#define COMPACT_CACHE (256u << 20)

static void usage(FILE *f)
{
	fprintf(f, "usage: cubefs compact STORE [NAME]\n\n"
		"Re-encodes once each GOP that edits patched (edited frames are "
		"kept as\nsmall patch GOPs so that the others stay as they "
		"were), from the values\nread now, and drops the patches: "
		"every dataset, or dataset NAME.\n`cubefs gc` then gives back "
		"their space.\n");
}

/* Patch GOPs over every variable of ds. */
static unsigned long patches_of(const struct cat_dataset *ds)
{
	unsigned long n = 0;

	for (int i = 0; i < ds->nvars; i++)
		n += catalog_var_patches(&ds->vars[i]);
	return n;
}

int cmd_compact(int argc, char **argv)
{
	struct store_lock *lock = NULL;
	struct import_opts io;
	struct catalog *c = NULL;
	struct reader *r = NULL;
	const char *store, *name;
	int rc = 0, found = 0;

	if (cli_help_asked(argc, argv)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] == '-' ||
	    (argc == 3 && argv[2][0] == '-')) {
		usage(stderr);
		return 2;
	}
	store = argv[1];
	name = argc == 3 ? argv[2] : NULL;
	c = cli_open_store(store, 0);
	if (!c)
		return 1;
	if (store_lock_take(store, &lock)) {
		catalog_free(c);
		return 1;
	}
	import_opts_init(&io);
	io.progress = 0;
	rc = reader_new(c, COMPACT_CACHE, &r);
	for (int i = 0; !rc && i < reader_ndatasets(r); i++) {
		const struct cat_dataset *ds = reader_dataset(r, i);
		unsigned long n = patches_of(ds);
		int changed;

		if (name && strcmp(ds->name, name))
			continue;
		found = 1;
		if (!n) {
			printf("%s: no patches\n", ds->name);
			continue;
		}
		rc = commit_compact(c, r, ds, &io, &changed);
		if (!rc)
			printf("%s: %lu patch GOPs compacted\n", ds->name, n);
	}
	if (!rc && name && !found) {
		fprintf(stderr, "cubefs: no dataset '%s' in '%s'\n", name,
			store);
		rc = -ENOENT;
	} else if (rc && rc != -ENOENT) {
		fprintf(stderr, "cubefs: compact of '%s' failed: %s\n", store,
			strerror(-rc));
	}
	reader_free(r);
	catalog_free(c);
	store_lock_release(lock);
	return rc ? 1 : 0;
}
