/* SPDX-License-Identifier: MIT */
/* What the adapter's two files share (internal to fs/ll*.c). */
#ifndef CUBEFS_FS_LL_INT_H
#define CUBEFS_FS_LL_INT_H

/* The largest read or write request, and the kernel's read-ahead */
#define MAX_READ (1u << 20)

extern const struct fuse_lowlevel_ops ll_ops;

#endif
