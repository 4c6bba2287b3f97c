/* SPDX-License-Identifier: MIT */
/* The catalog: SQLite schema, transactions, typed dataset and pack rows. */
#ifndef CUBEFS_CATALOG_CATALOG_H
#define CUBEFS_CATALOG_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "base/dtype.h"
#include "base/format.h"

#define CATALOG_SCHEMA_VERSION 7
#define CATALOG_NAME_MAX 200

struct catalog;

enum {
	CATALOG_CREATE = 1,     /* make the store directory and catalog if absent */
	CATALOG_RDONLY = 2,     /* open the catalog read-only */
};

/* An attribute: len elements of NetCDF external type `type` (NCT_*). */
struct cat_attr {
	char *name;
	int type;
	size_t len;
	void *data;             /* len * size of type bytes, native order */
};

struct cat_dim {
	char *name;
	uint64_t len;
	int unlimited;
};

struct cat_gop {
	int64_t id;
	uint32_t first_frame;
	uint32_t nframes;
	int64_t pack_id;
	uint64_t offset;        /* bytes in the pack */
	uint64_t length;
	uint32_t extra_size;    /* extradata bytes at the start of the payload */
	uint32_t npkt;
	uint32_t *pkt_sizes;
	struct codec_quant *quant;      /* one per plane of the stream; NULL for lz4 */
	uint32_t checksum;      /* zlib crc32 of the payload */
	uint64_t corr_offset;   /* corrections (same pack), 0 bytes: none */
	uint64_t corr_length;
	uint32_t ncorr;         /* values corrected */
	int64_t layer;          /* 0: a base GOP; else the id of the patch
				   layer holding it (newer layers, larger
				   ids) */
};

/* Which GOP serves frames [first_frame, first_frame + nframes) of a
 * stream with patches: gop < ngops is gops[gop], else patches[gop -
 * ngops]. */
struct cat_seg {
	uint32_t first_frame;
	uint32_t nframes;
	uint32_t gop;
};

struct cat_stream {
	int64_t id;
	int first_plane;        /* first plane of the variable this stream holds */
	int nplanes;            /* 1 (gray) or 3 (gbrp); all planes for lz4 */
	int codec;              /* enum codec_id */
	int bits;
	int width, height;
	int crf;
	int lossless;
	char *params;           /* encoder parameters as text, may be NULL */
	double max_error;       /* > 0: every value within it (corrections) */
	uint32_t gop_len;
	uint32_t ngops;
	struct cat_gop *gops;   /* sorted by first_frame, tiling the frames */
	/* patch GOPs (schema 5): frames an edit rewrote, encoded alone over
	 * the base GOPs above; oldest layer first, by first_frame within a
	 * layer. segs says which GOP serves each frame: NULL when there are
	 * no patches (gops as they are) */
	uint32_t npatches;
	struct cat_gop *patches;
	uint32_t nsegs;
	struct cat_seg *segs;
};

/* NaN/fill mask of frames [first_frame, first_frame + nframes). */
struct cat_mask {
	uint32_t first_frame;
	uint32_t nframes;
	int64_t pack_id;
	uint64_t offset;
	uint64_t length;
};

/* Quality of one frame of a variable, over all its planes: valid values,
 * sum of squared errors and largest absolute error of the values served. */
struct cat_frameq {
	uint64_t count;
	double sse;
	double max_err;
};

struct cat_var {
	int64_t id;
	char *name;
	enum dtype dtype;
	int nctype;             /* NetCDF external type of the source (NCT_*),
				   NCT_NONE if none (NCT_CHAR data is
				   stored as uint8) */
	int ndim;
	uint64_t *shape;
	int *dimids;            /* index into the dataset's dims, per axis */
	int nattrs;
	struct cat_attr *attrs;
	int storage;            /* VAR_STORE_* */
	/* frames x planes x (height x width) elements, C order */
	uint64_t nframes, nplanes, height, width;
	int has_fill;
	uint8_t fill[8];        /* value restored at MASK_FILL positions */
	double psnr;            /* quality measured at import (inf: exact) */
	double max_err;
	double vmin, vmax;      /* range of the valid values (NaN if none) */
	int nstreams;
	struct cat_stream *streams;
	int nmasks;
	struct cat_mask *masks; /* sorted by first_frame, may leave gaps */
	struct cat_frameq *frameq;      /* nframes entries, or NULL: set by
					   encoding, not by loading */
	/* fidelity (schema version 6, catalog/fidelity.c, ingest/fidelity.c) */
	int role;               /* VAR_ROLE_*: why it is stored as it is */
	int nexact;             /* values kept exactly at their positions */
	double exact[4];        /* (mask classes MASK_EXACT + k), never NaN */
	int has_valid;          /* 1: lossy values clamped to valid_lo..hi */
	double valid_lo, valid_hi;
};

#define CAT_EXACT_MAX 4

/* A byte range of a view: literal bytes, zeros, or variable elements. */
struct cat_extent {
	uint64_t offset;
	uint64_t length;
	int kind;
	int var;                /* EXTENT_VAR: index into the dataset's vars */
	uint64_t elem;          /* EXTENT_VAR: first element */
	int big_endian;         /* EXTENT_VAR: byte order of the view */
	int dtype;              /* EXTENT_VAR: type served, 0 = the variable's */
	uint8_t *bytes;         /* EXTENT_BYTES: length bytes */
};

struct cat_view {
	int64_t id;
	char *name;             /* file name, e.g. "t2m.npy" */
	int in_dir;             /* 1: inside the dataset's directory */
	int kind;               /* VIEW_* */
	uint64_t size;
	int nextents;
	struct cat_extent *extents;     /* sorted, tiling [0, size) */
};

struct cat_dataset {
	int64_t id;
	char *name;
	char *source;
	char *profile;          /* import settings, as text */
	char *skipped;          /* source variables not stored, "a,b", or NULL */
	int64_t created;        /* ns since the epoch */
	int64_t mtime;
	int64_t version;        /* of the content: +1 at each change */
	int ndims;
	struct cat_dim *dims;
	int nattrs;
	struct cat_attr *attrs;
	int nvars;
	struct cat_var *vars;
	int nviews;
	struct cat_view *views;
};

/*
 * Opens the store in directory dir (catalog.db, packs/, staging/). With
 * CATALOG_CREATE a missing or empty directory becomes a new store. Fails
 * with -ENOENT (no such directory), -ENOTDIR / -EINVAL ("not a store":
 * logged with the path), -EPROTO (another schema version), -EROFS (not
 * logged: opened for writing, but SQLite could only open catalog.db
 * read-only), or the errno of SQLite's failure. The handle is for one
 * thread at a time.
 *
 * CATALOG_RDONLY creates nothing in a directory this process cannot
 * write (a read-only mount or share, someone else's store): it reads
 * catalog.db alone (immutable: the handle never sees later commits;
 * open again to read them) when there is no catalog.db-wal or an empty
 * one, else through the -wal and -shm there. A -wal with content and no
 * -shm cannot be read there: -EAGAIN, logged.
 */
int catalog_open(const char *dir, int flags, struct catalog **out);

/* Closes the catalog; NULL does nothing. A read-write handle first
 * checkpoints the WAL into catalog.db and truncates it (waiting up to a
 * second for readers of older snapshots), so that a store whose writer
 * closed is catalog.db alone. */
void catalog_free(struct catalog *c);

/* How long a call waits for a lock another connection holds before it
 * fails with -EBUSY: CATALOG_BUSY_MS unless set (tests set it short). */
#define CATALOG_BUSY_MS 10000
void catalog_set_busy_timeout(struct catalog *c, int ms);

/* The store directory the catalog was opened in. */
const char *catalog_dir(const struct catalog *c);

/* Schema version of the open catalog: CATALOG_SCHEMA_VERSION, or 1 for
 * an old store opened read-only (it has no per-frame quality). */
int catalog_version(const struct catalog *c);

/* 1 if the catalog was opened read-only (CATALOG_RDONLY, or the -EROFS
 * case of catalog_open()), else 0. */
int catalog_rdonly(const struct catalog *c);

/* Transactions: one per import or commit. begin takes the write lock. */
int catalog_begin(struct catalog *c);
int catalog_commit(struct catalog *c);
void catalog_rollback(struct catalog *c);

/*
 * The store's generation: 0 for a store never changed since this counter
 * came, then one more for each committed transaction that changed rows
 * (catalog_commit() counts it inside the transaction). Another process's
 * generation that differs from the one it loaded means it must reload.
 * Returns 0 or a negative errno (*gen is 0 then).
 */
int catalog_generation(struct catalog *c, uint64_t *gen);

/* Ends a transaction begun with catalog_begin(): commits it when rc is 0,
 * else, or when the commit fails, rolls it back. Returns rc, or the
 * commit's negative errno. */
int catalog_end(struct catalog *c, int rc);

/* A read transaction: every row read until catalog_rollback() comes from
 * one snapshot of the catalog. Takes no write lock. */
int catalog_begin_read(struct catalog *c);

/* 1 if a dataset of that name exists, 0 if not, or a negative errno. */
int catalog_dataset_exists(struct catalog *c, const char *name);

/*
 * Inserts a dataset and everything under it; assigns the ids in ds. Must
 * run inside a transaction; on failure the caller rolls back.
 */
int catalog_dataset_insert(struct catalog *c, struct cat_dataset *ds);

/* Loads the named dataset whole. -ENOENT if there is none. */
int catalog_dataset_load(struct catalog *c, const char *name,
			 struct cat_dataset **out);

/*
 * The names of every dataset, ordered, into a new array of *n strings
 * (*out; free it with catalog_names_free()). Loads no other row, so a
 * dataset whose rows are damaged is listed too. 0 or a negative errno.
 */
int catalog_dataset_names(struct catalog *c, char ***out, size_t *n);

/* Frees an array from catalog_dataset_names(); NULL does nothing. */
void catalog_names_free(char **v, size_t n);

/* Loads every dataset, ordered by name. */
int catalog_dataset_load_all(struct catalog *c, struct cat_dataset ***out,
			     int *n);

/* Deletes the named dataset's rows (inside a transaction). */
int catalog_dataset_delete(struct catalog *c, const char *name);

/*
 * Rewrites one GOP row in place (where its payload now lies, its packets,
 * checksum and per-plane quantization: nplanes entries, or none for lz4).
 * Inside a transaction. -ENOENT if the row is gone.
 */
int catalog_gop_update(struct catalog *c, const struct cat_gop *g,
		       int nplanes);

/*
 * Replaces the mask rows of variable var_id that lie in frames [first,
 * first + n) by m (NULL: no mask there). Inside a transaction.
 */
int catalog_mask_replace(struct catalog *c, int64_t var_id, uint32_t first,
			 uint32_t n, const struct cat_mask *m);

/*
 * Writes the quality rows of frames [first, first + n) of variable var_id
 * from q (n entries), replacing those there. Inside a transaction.
 * -ENOTSUP on a version-1 catalog.
 */
int catalog_frameq_put(struct catalog *c, int64_t var_id, uint32_t first,
		       uint32_t n, const struct cat_frameq *q);

/*
 * Loads the quality of every frame of v into a new array of v->nframes
 * entries (*out, the caller frees it); frames without a row get count 0.
 * Returns how many frames had a row, -ENOTSUP on a version-1 catalog, or
 * a negative errno. Kept apart from catalog_dataset_load(): mounts never
 * need it.
 */
int catalog_frameq_load(struct catalog *c, const struct cat_var *v,
			struct cat_frameq **out);

/*
 * Recomputes the PSNR and max error of video variable v from its frame
 * rows, over the range v->vmin..v->vmax, and writes them with that range
 * to its row and to v. Leaves both alone when some frame has no row (an
 * import from before version 2). Inside a transaction; -ENOTSUP on
 * version 1.
 */
int catalog_var_quality_refresh(struct catalog *c, struct cat_var *v);

/* Patch layers (patch.c, schema version 5) ------------------------- */

/*
 * Adds a patch layer over base stream s of variable var_id holding the n
 * GOPs g (frames an edit rewrote, sorted and disjoint, pack ids set;
 * nplanes quant rows each) and sets their ids and layer. Older patch
 * GOPs of s (s->patches, as loaded) whose every frame a newer patch or
 * g covers are deleted, and layers left empty with them. Inside a
 * transaction; -ENOTSUP below version 5.
 */
int catalog_patch_add(struct catalog *c, int64_t var_id,
		      const struct cat_stream *s, struct cat_gop *g,
		      uint32_t n, int nplanes);

/* Deletes the patch GOPs over base stream stream_id that lie inside
 * frames [first, first + n) (a GOP re-encoded whole, compaction), and
 * layers left empty. Inside a transaction; 0 below version 5. */
int catalog_patch_clear(struct catalog *c, int64_t stream_id,
			uint32_t first, uint32_t n);

/*
 * Builds s->segs from s->gops and s->patches: for each frame the newest
 * patch holding it, else its base GOP. Frees any map there was first;
 * none is made without patches. 0, -EUCLEAN (a patch past the frames)
 * or -ENOMEM.
 */
int catalog_patch_map(struct cat_stream *s, uint64_t nframes);

/* Patch GOPs of v's first stream (each stream has the same frames). */
uint32_t catalog_var_patches(const struct cat_var *v);

/*
 * Writes v's role, exact values and valid range (nothing if it has none)
 * for its id. Inside a transaction; -ENOTSUP before version 6.
 */
int catalog_fidelity_put(struct catalog *c, const struct cat_var *v);

/*
 * Reads them back into v (none before version 6). Untrusted: -EUCLEAN,
 * logged, for a row that is not one put() writes.
 */
int catalog_fidelity_load(struct catalog *c, struct cat_var *v);

/* Sets a dataset's modification time (ns) and counts its version up:
 * every change of a dataset's content calls it. */
int catalog_dataset_touch(struct catalog *c, int64_t id, int64_t mtime);

/* Renames a dataset and its views: -EEXIST if `to` is taken. Inside a
 * transaction. */
int catalog_dataset_rename(struct catalog *c, const char *from,
			   const char *to);

/* Frees a dataset and all it owns; NULL does nothing. */
void catalog_dataset_free(struct cat_dataset *ds);

/* Frees an array from catalog_dataset_load_all(). */
void catalog_dataset_free_all(struct cat_dataset **v, int n);

/* Frees the contents of one variable (for building rows by hand). */
void catalog_var_release(struct cat_var *v);

/* Frees what view w owns (name, extents and their bytes) and zeroes it. */
void catalog_view_release(struct cat_view *w);

/* Frees the views of ds and leaves it with none. */
void catalog_views_clear(struct cat_dataset *ds);

/* Checks a dataset or variable name: 1..CATALOG_NAME_MAX bytes, no '/',
 * not "." or "..", no control characters. 0, -ENAMETOOLONG (too long) or
 * -EINVAL. */
int catalog_name_valid(const char *name);

/* Bytes stored for a variable: GOP payloads, corrections and masks. */
uint64_t catalog_var_stored_bytes(const struct cat_var *v);

/* Elements of a variable (product of its shape). */
uint64_t catalog_var_elems(const struct cat_var *v);

/* Datasets of many files (grow.c, schema version 3) ----------------- */

/*
 * Writes the rows of a dataset loaded with catalog_dataset_load() and
 * grown in memory (frames appended): every dim's length, the dataset's
 * mtime, and for each variable i with from[i] != UINT32_MAX its shape,
 * layout, range and streams, its GOP and mask rows from frame from[i] on
 * (those there before are replaced; GOPs and masks before it are kept
 * as they are, so their rows need no id), its frame quality rows from
 * from[i] on (from v->frameq, if set) and, for video, its PSNR and max
 * error recomputed from all of them. Views keep their ids (inode numbers
 * of mounts) and get their new size and extents (-ENOENT for a view
 * the dataset has no row of). Inside a transaction; on failure the
 * caller rolls back.
 */
int catalog_dataset_grow(struct catalog *c, struct cat_dataset *ds,
			 const uint32_t *from);

/* One input file of a dataset imported from many: frames [first_frame,
 * first_frame + nframes) came from path. attrs: the file's global
 * attributes that differ from the dataset's, "name=value" lines, or
 * NULL. */
struct cat_part {
	char *path;
	uint64_t first_frame;
	uint64_t nframes;
	char *attrs;
};

/* Records one input file of dataset dataset_id (replacing a row of the
 * same first frame). Inside a transaction; -ENOTSUP before version 3. */
int catalog_part_add(struct catalog *c, int64_t dataset_id,
		     const struct cat_part *p);

/* The input files of a dataset in frame order into a new array of *n
 * (*out, NULL and 0 when none or before version 3); free it with
 * catalog_parts_free(). 0 or a negative errno. */
int catalog_parts_load(struct catalog *c, int64_t dataset_id,
		       struct cat_part **out, size_t *n);

/* Frees an array from catalog_parts_load(); NULL does nothing. */
void catalog_parts_free(struct cat_part *v, size_t n);

/* Pack rows (pack_rows.c) ------------------------------------------- */

/* Records a pack file (relative name under packs/) of size bytes. */
int catalog_pack_add(struct catalog *c, const char *name, uint64_t size,
		     int64_t *id);

/* Copies the pack's file name into buf (cap bytes). -ENOENT if unknown. */
int catalog_pack_name(struct catalog *c, int64_t id, char *buf, size_t cap);

/* Calls fn for every pack row; stops at and returns fn's first non-zero. */
int catalog_pack_each(struct catalog *c,
		      int (*fn)(void *arg, int64_t id, const char *name,
				uint64_t size), void *arg);

/*
 * A pack row as stored, for store maintenance (store/check.c, store/gc.c):
 * a damaged catalog may hold any name or size, so nothing is validated.
 */
struct cat_pack {
	int64_t id;
	char *name;             /* as stored up to a NUL; "" for NULL */
	int name_nul;           /* 1: the stored name goes on past a NUL */
	int64_t size;           /* as stored, possibly negative */
	int referenced;         /* 1: some gop or mask row lies in it */
};

/*
 * Lists every pack row, ordered by id, into a new array of *n entries
 * (*out; free it with catalog_pack_list_free()). Returns 0 or a negative
 * errno (logged; -EUCLEAN for a catalog file SQLite finds corrupt),
 * leaving *out NULL.
 */
int catalog_pack_list(struct catalog *c, struct cat_pack **out, size_t *n);

/* Frees an array from catalog_pack_list(); NULL does nothing. */
void catalog_pack_list_free(struct cat_pack *v, size_t n);

/* A byte range [offset, offset + length) of a pack that a row uses. */
struct cat_range {
	int64_t offset;         /* >= 0 */
	int64_t length;         /* >= 0; offset + length <= INT64_MAX */
};

/*
 * The byte ranges that gop (payload and corrections) and mask rows use in
 * pack id, sorted by offset, into a new array of *n entries (*out, the
 * caller frees it). Returns 0,
 * -EUCLEAN (not logged) if a row holds a negative or overflowing range,
 * or another negative errno (logged); *out is NULL on failure.
 */
int catalog_pack_ranges(struct catalog *c, int64_t id,
			struct cat_range **out, size_t *n);

/* 1 if pack id has a row that no gop or mask row references, 0 if it is
 * referenced or has no row, or a negative errno (logged). */
int catalog_pack_unreferenced(struct catalog *c, int64_t id);

/* 1 if a pack row has this name, 0 if none has, or a negative errno. */
int catalog_pack_named(struct catalog *c, const char *name);

/*
 * Deletes the row of pack id; 0 also when there was none. Inside a
 * transaction. A row that gop or mask rows still reference is kept and
 * the foreign key failure returned (-EEXIST, logged).
 */
int catalog_pack_delete(struct catalog *c, int64_t id);

/* File metadata and plain files (file_meta.c, schema version 4) ------ */

#define CAT_TIME_UNSET INT64_MIN

/* What chmod, chown and utimens set on a file: mode (permission bits),
 * uid and gid are -1 and times CAT_TIME_UNSET where nothing was set. */
struct cat_meta {
	int32_t mode;
	int64_t uid, gid;
	int64_t atime, mtime;   /* ns since the epoch */
};

/* The metadata of a dataset's file (view_id) or directory (view_id 0).
 * Times were set when the dataset's mtime was base_mtime: a later
 * commit, which moves the dataset's mtime, makes them stale. */
struct cat_fattr {
	int64_t dataset_id;
	int64_t view_id;
	struct cat_meta m;
	int64_t base_mtime;
};

/* A meta with nothing set. */
void catalog_meta_clear(struct cat_meta *m);

/* Copies into *to what *from sets. */
void catalog_meta_merge(struct cat_meta *to, const struct cat_meta *from);

/*
 * With lazy 1, the transactions committed from now on are durable at the
 * next one committed with lazy 0 (the default) or at a checkpoint, not at
 * their own: a process killed after the commit keeps them, a power loss
 * may not (as a file's metadata before fsync). For metadata rows, which
 * tools set one call at a time. Outside a transaction; 0 or -errno.
 */
int catalog_set_lazy(struct catalog *c, int lazy);

/* Writes (replacing) the metadata row a->dataset_id, a->view_id. Inside a
 * transaction; -ENOTSUP below version 4. */
int catalog_fattr_put(struct catalog *c, const struct cat_fattr *a);

/* Every metadata row into a new array of *n (*out, the caller frees it);
 * none (0, *out NULL) below version 4. 0 or a negative errno. */
int catalog_fattr_load_all(struct catalog *c, struct cat_fattr **out,
			   size_t *n);

/* A plain file a mount keeps in staging/ (journal `key`): a name that is
 * no dataset's, or a file not (yet) importable, with why in reason. */
struct cat_plain {
	char *key;
	char *name;
	uint64_t size;
	struct cat_meta m;
	char *reason;           /* NULL: a plain name; else why it is pending */
};

/* Writes (replacing) p's row. Inside a transaction; -ENOTSUP below 4. */
int catalog_plain_put(struct catalog *c, const struct cat_plain *p);

/* Deletes the row of key (none: 0). Inside a transaction. */
int catalog_plain_delete(struct catalog *c, const char *key);

/* Every plain file, by name, into a new array of *n (*out; free it with
 * catalog_plain_list_free()); none below version 4. */
int catalog_plain_list(struct catalog *c, struct cat_plain **out, size_t *n);

/* Frees an array from catalog_plain_list(); NULL does nothing. */
void catalog_plain_list_free(struct cat_plain *v, size_t n);

/* SQLite's checks of the catalog file (integrity.c) ------------------ */

/*
 * Runs PRAGMA integrity_check and calls fn with each line of damage it
 * reports (no call when the file is sound; "?" for a line SQLite gives
 * as NULL). Returns 0 or a negative errno (logged).
 */
int catalog_integrity_check(struct catalog *c,
			    void (*fn)(void *arg, const char *line),
			    void *arg);

/*
 * Runs PRAGMA foreign_key_check and calls fn with each row that refers
 * to a missing row: its table, its rowid (NULL for a table without
 * one) and the table it refers to ("?" for a name SQLite gives as NULL).
 * Returns 0 or a negative errno (logged).
 */
int catalog_foreign_key_check(struct catalog *c,
			      void (*fn)(void *arg, const char *table,
					 const int64_t *rowid,
					 const char *parent),
			      void *arg);

#endif
