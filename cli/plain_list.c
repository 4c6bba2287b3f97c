/* SPDX-License-Identifier: MIT */
/* Plain files a mount keeps in staging/ (names that are no dataset's, files not yet importable), as ls, info and check show them. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* 1 if the staged bytes of row p are where its row says. (Their size
 * may have moved: a mount records it at the file's last close.) */
static int staged(const char *store, const struct cat_plain *p)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/staging/%s.data", store, p->key);
	return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

/* One line: name, size, plain or pending with the reason. */
static void print_row(const struct cat_plain *p, int width)
{
	char b[32];

	printf("%-*s %10s  %s%s\n", width, p->name,
	       cli_bytes((double)p->size, b, sizeof(b)),
	       p->reason ? "pending: " : "plain",
	       p->reason ? p->reason : "");
}

int cli_plain_print(struct catalog *c, const char *store, const char *name,
		    int check)
{
	struct cat_plain *v;
	size_t n;
	int width = 28, shown = 0, missing = 0;

	if (catalog_plain_list(c, &v, &n))
		return -EIO;
	for (size_t i = 0; i < n; i++) {
		int w = (int)strlen(v[i].name);

		width = w > width ? w : width;
	}
	for (size_t i = 0; i < n; i++) {
		if (name && strcmp(v[i].name, name))
			continue;
		if (!shown++ && !name)
			printf("%s%-*s %10s  %s\n", check ? "" : "\n", width,
			       "PLAIN FILE (staging/)", "SIZE", "STATE");
		print_row(&v[i], width);
		if (name || check)
			printf("  kept in %s/staging/%s.data\n", store,
			       v[i].key);
		if (check && !staged(store, &v[i])) {
			printf("  problem: its staged bytes are missing\n");
			missing++;
		}
	}
	catalog_plain_list_free(v, n);
	return name && !shown ? -ENOENT : missing;
}
