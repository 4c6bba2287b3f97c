/* SPDX-License-Identifier: MIT */
/* The FUSE adapter: mounting a store and serving it with the low-level API. */
#ifndef CUBEFS_FS_LL_H
#define CUBEFS_FS_LL_H

/* The extended attribute of the mount's root that holds the cache counters. */
#define CUBEFS_XATTR_STATS "user.cubefs.stats"
/* On each view with a frame axis: the first frame of each GOP, "0 16 32". */
#define CUBEFS_XATTR_GOPS "user.cubefs.gops"

/*
 * mount.cubefs SOURCE DIR [-o opts] [-f] [-d] [-s]: opens and checks the
 * store, mounts it on DIR, daemonizes (unless -f) and serves until
 * unmounted. Errors before the mount go to stderr with exit status 1.
 * Returns the process exit status.
 */
int ll_mount_main(int argc, char **argv);

#endif
