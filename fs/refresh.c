/* SPDX-License-Identifier: MIT */
/* Following other writers: a thread that notices a new catalog generation, reloads, and drops what changed from every cache. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/ticker.h"
#include "fs/fs_int.h"
#include "fs/refresh.h"

/* What a dataset was before a reload: enough to tell whether it changed,
 * and to tell the kernel which of its files are stale. */
struct mark {
	int64_t id, mtime, version;
	char name[CATALOG_NAME_MAX + 1];
	uint64_t *views;        /* the numbers its views had */
	int nviews;
	int changed;            /* gone, renamed or rewritten */
};

static void marks_free(struct mark *m, int n)
{
	for (int i = 0; m && i < n; i++)
		free(m[i].views);
	free(m);
}

/* The marks of every dataset the reader holds (caller holds fs->lock). */
static int snapshot(struct fs *fs, struct mark **out, int *n)
{
	int nds = reader_ndatasets(fs->r);
	struct mark *m = calloc((size_t)nds + 1, sizeof(*m));

	*out = NULL;
	*n = 0;
	if (!m)
		return -ENOMEM;
	for (int i = 0; i < nds; i++) {
		const struct cat_dataset *ds = reader_dataset(fs->r, i);

		m[i].id = ds->id;
		m[i].mtime = ds->mtime;
		m[i].version = ds->version;
		snprintf(m[i].name, sizeof(m[i].name), "%s", ds->name);
		m[i].views = calloc((size_t)ds->nviews + 1,
				    sizeof(*m[i].views));
		if (!m[i].views) {
			marks_free(m, nds);
			return -ENOMEM;
		}
		for (int k = 0; k < ds->nviews; k++)
			m[i].views[m[i].nviews++] =
				inode_view(ds->views[k].id, ds->version);
	}
	*out = m;
	*n = nds;
	return 0;
}

static const struct cat_dataset *by_id(struct fs *fs, int64_t id)
{
	for (int i = 0; i < reader_ndatasets(fs->r); i++)
		if (reader_dataset(fs->r, i)->id == id)
			return reader_dataset(fs->r, i);
	return NULL;
}

static int known(const struct mark *m, int n, int64_t id)
{
	for (int i = 0; i < n; i++)
		if (m[i].id == id)
			return 1;
	return 0;
}

int refresh_once(struct fs *fs)
{
	struct catalog *c = NULL;
	struct mark *m = NULL;
	char **added = NULL;
	int n = 0, nadded = 0, rc;
	uint64_t gen;

	rc = catalog_open(fs->dir, CATALOG_RDONLY, &c);
	if (!rc)
		rc = catalog_generation(c, &gen);
	if (rc || gen == atomic_load(&fs->gen)) {
		catalog_free(c);
		return rc < 0 ? rc : 0;
	}
	/* no commit of this mount meanwhile: the tree changes only here */
	pthread_mutex_lock(&fs->wlock);
	pthread_rwlock_rdlock(&fs->lock);
	rc = snapshot(fs, &m, &n);
	pthread_rwlock_unlock(&fs->lock);
	/* the swap drops the decoded GOPs of changed datasets and renews
	 * the lease (fs_reload) */
	if (!rc)
		rc = fs_reload_from(fs, fs->wc ? fs->wc : c, NULL);
	if (!rc) {
		pthread_rwlock_rdlock(&fs->lock);
		for (int i = 0; i < n; i++) {
			const struct cat_dataset *d = by_id(fs, m[i].id);

			m[i].changed = !d || d->mtime != m[i].mtime ||
				d->version != m[i].version ||
				strcmp(d->name, m[i].name);
		}
		added = calloc((size_t)reader_ndatasets(fs->r) + 1,
			       sizeof(*added));
		for (int i = 0; added && i < reader_ndatasets(fs->r); i++) {
			const struct cat_dataset *d = reader_dataset(fs->r, i);

			if (!known(m, n, d->id))
				added[nadded++] = strdup(d->name);
		}
		pthread_rwlock_unlock(&fs->lock);
	}
	pthread_mutex_unlock(&fs->wlock);
	catalog_free(c);
	if (rc) {
		log_warn("cannot reload '%s' at generation %llu: %s", fs->dir,
			 (unsigned long long)gen, strerror(-rc));
	} else {
		for (int i = 0; i < n; i++) {
			if (!m[i].changed)
				continue;
			for (int v = 0; v < m[i].nviews; v++)
				fs_notify(fs, m[i].views[v], 0, NULL);
			fs_notify(fs, inode_png(m[i].id), 0, NULL);
			fs_notify(fs, inode_dataset_dir(m[i].id), 0, NULL);
			fs_notify_names(fs, m[i].name);
		}
		for (int i = 0; i < nadded; i++)
			if (added[i])
				fs_notify_names(fs, added[i]);
		fs_notify(fs, FS_ROOT_INO, 0, NULL);
		log_info("'%s' reloaded at generation %llu", fs->dir,
			 (unsigned long long)gen);
	}
	for (int i = 0; i < nadded; i++)
		free(added[i]);
	free(added);
	marks_free(m, n);
	return rc;
}

static void tick(void *arg)
{
	refresh_once(arg);
}

int refresh_start(struct fs *fs)
{
	int rc;

	if (fs->refresh_s <= 0 || fs->refresh.running)
		return 0;
	rc = ticker_start(&fs->refresh, fs->refresh_s, tick, fs);
	if (rc)
		log_warn("cannot start the refresh thread: %s", strerror(-rc));
	return rc;
}

void refresh_stop(struct fs *fs)
{
	ticker_stop(&fs->refresh);
}
