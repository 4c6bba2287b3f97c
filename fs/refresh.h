/* SPDX-License-Identifier: MIT */
/* Following other writers: a thread that notices a new catalog generation, reloads, and drops what changed from every cache. */
#ifndef CUBEFS_FS_REFRESH_H
#define CUBEFS_FS_REFRESH_H

struct fs;

/*
 * Checks the store's generation once; if another process changed the
 * store since the tree was loaded, reloads it with fs_reload_from()
 * (holding the writers' lock; reads wait only for the swap, which drops
 * the decoded GOPs of the datasets that changed and renews the reader
 * lease), then tells the kernel which files and names are stale. Returns 0 (also
 * when nothing changed) or a negative errno (logged; the old tree stays).
 */
int refresh_once(struct fs *fs);

/* Starts the thread that calls refresh_once() every fs_opts.refresh
 * seconds (none if 0); refresh_stop() ends it. After the daemon's fork. */
int refresh_start(struct fs *fs);
void refresh_stop(struct fs *fs);

#endif
