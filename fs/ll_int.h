/* SPDX-License-Identifier: MIT */
/* What the adapter's two files share (internal to fs/ll*.c). */
#ifndef CUBEFS_FS_LL_INT_H
#define CUBEFS_FS_LL_INT_H

extern const struct fuse_lowlevel_ops ll_ops;

#endif
