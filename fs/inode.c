/* SPDX-License-Identifier: MIT */
/* Inode numbers: encoding and decoding of the scheme inode.h describes. */
#include "fs/inode.h"

#define PNG_BASE (1ull << 61)
#define NEW_BASE (1ull << 62)

uint64_t inode_dataset_dir(int64_t ds_id)
{
	return 2 * (uint64_t)ds_id + 2;
}

uint64_t inode_view(int64_t view_id)
{
	return 2 * (uint64_t)view_id + 3;
}

uint64_t inode_png(int64_t ds_id)
{
	return PNG_BASE + (uint64_t)ds_id;
}

uint64_t inode_new(uint64_t k)
{
	return NEW_BASE + k;
}

enum inode_kind inode_kind(uint64_t ino, int64_t *id)
{
	enum inode_kind kind;
	int64_t x = 0;

	if (ino >= NEW_BASE) {
		kind = INODE_NEW;
		x = (int64_t)(ino - NEW_BASE);
	} else if (ino >= PNG_BASE) {
		kind = INODE_PNG;
		x = (int64_t)(ino - PNG_BASE);
	} else if (ino == INODE_ROOT) {
		kind = INODE_ROOT_DIR;
	} else if (ino < 2) {
		kind = INODE_NONE;
	} else {
		kind = ino % 2 ? INODE_VIEW : INODE_DATASET_DIR;
		x = (int64_t)((ino - 2 - ino % 2) / 2);
	}
	if (id)
		*id = x;
	return kind;
}
