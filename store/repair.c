/* SPDX-License-Identifier: MIT */
/* cubefs check --repair: removing what nothing reaches, and only in a store without damage. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog.h"
#include "store/check_int.h"
#include "store/gc.h"

/* --repair, unreferenced rows: the file goes, then the row (gc step 1). */
static int repair_unreferenced(struct check *k)
{
	int rc = 0;

	for (size_t i = 0; i < k->npacks && !rc; i++) {
		const struct pk *p = &k->packs[i];
		struct stat sb;

		if (!p->unreferenced)
			continue;
		rc = catalog_pack_unreferenced(k->c, p->id);
		if (rc <= 0)            /* used again, gone, or an error */
			continue;
		rc = 0;
		if (!fstatat(k->dfd, p->name, &sb, AT_SYMLINK_NOFOLLOW) &&
		    !S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode))
			continue;       /* not ours to remove */
		if (unlinkat(k->dfd, p->name, 0) && errno != ENOENT) {
			rc = -errno;
			log_error("cannot remove '%s/packs/%s': %s",
				  catalog_dir(k->c), p->name, strerror(errno));
			break;
		}
		rc = catalog_pack_delete(k->c, p->id);
		if (!rc)
			check_say(k, CHECK_UNREFERENCED, 1, NULL, p->name,
			    "pack '%s': removed its file and its row", p->name);
	}
	return rc;
}

/* --repair, orphan files: old enough and open nowhere (gc's rule). */
static int repair_orphans(struct check *k)
{
	int rc = 0;

	for (size_t i = 0; i < k->norphans && !rc; i++) {
		const char *name = k->orphans[i];
		struct stat sb;
		int fd, busy;

		rc = catalog_pack_named(k->c, name);
		if (rc) {               /* a row now, or an error */
			rc = rc < 0 ? rc : 0;
			continue;
		}
		fd = openat(k->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC);
		if (fd < 0)
			continue;
		busy = fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
			time(NULL) - sb.st_mtime < STORE_GC_ORPHAN_AGE ||
			store_gc_open_elsewhere(fd) == 1;
		if (!busy && unlinkat(k->dfd, name, 0) && errno != ENOENT) {
			rc = -errno;
			log_error("cannot remove '%s/packs/%s': %s",
				  catalog_dir(k->c), name, strerror(errno));
		} else if (!busy) {
			check_say(k, CHECK_ORPHAN, 1, NULL, name, "pack file '%s': "
			    "removed", name);
		}
		close(fd);
	}
	return rc;
}

/* --repair: only unreachable things, and only in a store without damage. */
int check_repair(struct check *k)
{
	int rc;

	if (!k->r->problems[CHECK_UNREFERENCED] &&
	    !k->r->problems[CHECK_ORPHAN])
		return 0;
	if (store_check_damage(k->r)) {
		k->r->repair_refused = 1;
		return 0;
	}
	rc = catalog_begin(k->c);
	if (!rc)
		rc = repair_unreferenced(k);
	if (!rc)
		rc = repair_orphans(k);
	return catalog_end(k->c, rc);
}

