/* SPDX-License-Identifier: MIT */
/* Inode numbers: encoding and decoding of the scheme inode.h describes. */
#include "fs/inode.h"

#define PNG_BASE (1ull << 61)
#define NEW_BASE (1ull << 62)
#define ZARR_BASE (1ull << 63)
#define CHUNK_BASE (ZARR_BASE | 1ull << 62)

uint64_t inode_dataset_dir(int64_t ds_id)
{
	return 2 * (uint64_t)ds_id + 2;
}

/* Bits of a view's number that hold its dataset's content version. */
#define VERSION_BITS 20
#define VERSION_MASK ((1ull << VERSION_BITS) - 1)

uint64_t inode_view(int64_t view_id, int64_t version)
{
	return 2 * ((uint64_t)view_id << VERSION_BITS |
		    ((uint64_t)version & VERSION_MASK)) + 3;
}

uint64_t inode_png(int64_t ds_id)
{
	return PNG_BASE + (uint64_t)ds_id;
}

uint64_t inode_new(uint64_t k)
{
	return NEW_BASE + k;
}

uint64_t inode_zarr(int64_t id, enum inode_zarr_part p)
{
	return ZARR_BASE + 8 * (uint64_t)id + (uint64_t)p;
}

uint64_t inode_zarr_chunk(int64_t var_id, uint64_t c)
{
	return CHUNK_BASE + ((uint64_t)var_id << 32) + c;
}

enum inode_zarr_part inode_zarr_part_of(uint64_t ino)
{
	return (enum inode_zarr_part)(ino % 8);
}

uint64_t inode_zarr_chunk_of(uint64_t ino)
{
	return ino & 0xffffffffull;
}

enum inode_kind inode_kind(uint64_t ino, int64_t *id)
{
	enum inode_kind kind;
	int64_t x = 0;

	if (ino >= CHUNK_BASE) {
		kind = INODE_ZARR_CHUNK;
		x = (int64_t)((ino - CHUNK_BASE) >> 32);
	} else if (ino >= ZARR_BASE) {
		kind = ino % 8 <= ZARR_ARRAY_ZATTRS ? INODE_ZARR : INODE_NONE;
		x = (int64_t)((ino - ZARR_BASE) / 8);
	} else if (ino >= NEW_BASE) {
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
		if (kind == INODE_VIEW)
			x >>= VERSION_BITS;
	}
	if (id)
		*id = x;
	return kind;
}

int inode_same_file(uint64_t a, uint64_t b)
{
	int64_t ia, ib;

	if (a == b)
		return 1;
	return inode_kind(a, &ia) == INODE_VIEW &&
	       inode_kind(b, &ib) == INODE_VIEW && ia == ib;
}
