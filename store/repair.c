/* SPDX-License-Identifier: MIT */
/* cubefs check --repair: removing what nothing reaches, and only in a store without damage. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "catalog/catalog_int.h"
#include "store/check_int.h"
#include "store/gc.h"

/* --repair, unreferenced rows: the file goes, then the row (gc step 1). */
static int repair_unreferenced(struct check *k)
{
	sqlite3_stmt *still = NULL, *del = NULL;
	int rc;

	rc = catalog_prepare(k->c, "SELECT 1 FROM pack p WHERE id=? AND NOT "
			     "EXISTS(SELECT 1 FROM gop WHERE pack_id=p.id) AND "
			     "NOT EXISTS(SELECT 1 FROM mask WHERE "
			     "pack_id=p.id)", &still);
	if (!rc)
		rc = catalog_prepare(k->c, "DELETE FROM pack WHERE id=?", &del);
	for (size_t i = 0; i < k->npacks && !rc; i++) {
		const struct pk *p = &k->packs[i];
		struct stat sb;

		if (!p->unreferenced)
			continue;
		sqlite3_bind_int64(still, 1, p->id);
		rc = sqlite3_step(still);
		sqlite3_reset(still);
		if (rc == SQLITE_DONE) {        /* used again, or gone */
			rc = 0;
			continue;
		}
		if (rc != SQLITE_ROW) {
			rc = catalog_sqlite_err(k->c->db, rc, "find pack");
			break;
		}
		rc = 0;
		if (!fstatat(k->dfd, p->name, &sb, AT_SYMLINK_NOFOLLOW) &&
		    !S_ISREG(sb.st_mode) && !S_ISLNK(sb.st_mode))
			continue;       /* not ours to remove */
		if (unlinkat(k->dfd, p->name, 0) && errno != ENOENT) {
			rc = -errno;
			log_error("cannot remove '%s/packs/%s': %s", k->c->dir,
				  p->name, strerror(errno));
			break;
		}
		sqlite3_bind_int64(del, 1, p->id);
		rc = sqlite3_step(del);
		sqlite3_reset(del);
		rc = rc == SQLITE_DONE ? 0 :
			catalog_sqlite_err(k->c->db, rc, "delete pack");
		if (!rc)
			check_say(k, CHECK_UNREFERENCED, 1, NULL, p->name,
			    "pack '%s': removed its file and its row", p->name);
	}
	sqlite3_finalize(still);
	sqlite3_finalize(del);
	return rc;
}

/* --repair, orphan files: old enough and open nowhere (gc's rule). */
static int repair_orphans(struct check *k)
{
	sqlite3_stmt *find;
	int rc = catalog_prepare(k->c, "SELECT 1 FROM pack WHERE name=?",
				 &find);

	for (size_t i = 0; i < k->norphans && !rc; i++) {
		const char *name = k->orphans[i];
		struct stat sb;
		int fd, busy;

		sqlite3_bind_text(find, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(find);
		sqlite3_reset(find);
		if (rc != SQLITE_DONE) {        /* a row now, or an error */
			rc = rc == SQLITE_ROW ? 0 :
				catalog_sqlite_err(k->c->db, rc, "find pack");
			continue;
		}
		rc = 0;
		fd = openat(k->dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			    O_CLOEXEC);
		if (fd < 0)
			continue;
		busy = fstat(fd, &sb) || !S_ISREG(sb.st_mode) ||
			time(NULL) - sb.st_mtime < STORE_GC_ORPHAN_AGE ||
			store_gc_open_elsewhere(fd) == 1;
		if (!busy && unlinkat(k->dfd, name, 0) && errno != ENOENT) {
			rc = -errno;
			log_error("cannot remove '%s/packs/%s': %s", k->c->dir,
				  name, strerror(errno));
		} else if (!busy) {
			check_say(k, CHECK_ORPHAN, 1, NULL, name, "pack file '%s': "
			    "removed", name);
		}
		close(fd);
	}
	sqlite3_finalize(find);
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
	if (!rc)
		rc = catalog_commit(k->c);
	catalog_rollback(k->c);
	return rc;
}

