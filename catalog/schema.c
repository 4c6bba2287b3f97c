/* SPDX-License-Identifier: MIT */
/* The catalog's tables, and the one place SQLite errors become errno values. */
#include <errno.h>
#include <stddef.h>

#include "base/log.h"
#include "catalog/schema.h"

/* Version 2: quality per frame of each variable, over all its planes. */
#define FRAME_QUALITY_SQL \
	"CREATE TABLE frame_quality(variable_id INTEGER NOT NULL REFERENCES" \
	" variable(id) ON DELETE CASCADE, frame INTEGER NOT NULL," \
	" count INTEGER NOT NULL, sse REAL NOT NULL, max_err REAL NOT NULL," \
	" PRIMARY KEY(variable_id, frame)) WITHOUT ROWID;\n"

/* Version 3: the input files of a dataset imported from many, in frame
 * order, with the global attributes of each that differ from the first.
 * IF NOT EXISTS: a catalog set back to an older version by hand (tests
 * do) keeps the table and still upgrades. */
#define PART_SQL \
	"CREATE TABLE IF NOT EXISTS part(dataset_id INTEGER NOT NULL" \
	" REFERENCES dataset(id) ON DELETE CASCADE," \
	" first_frame INTEGER NOT NULL," \
	" nframes INTEGER NOT NULL, path TEXT NOT NULL, attrs TEXT," \
	" PRIMARY KEY(dataset_id, first_frame)) WITHOUT ROWID;\n"
/* Version 4: metadata set on datasets' files and directories (chmod,
 * chown, utimens), and the plain files a mount keeps in staging/. */
#define FILE_META_SQL \
	"CREATE TABLE file_attr(dataset_id INTEGER NOT NULL REFERENCES" \
	" dataset(id) ON DELETE CASCADE, view_id INTEGER NOT NULL," \
	" mode INTEGER NOT NULL DEFAULT -1, uid INTEGER NOT NULL DEFAULT -1," \
	" gid INTEGER NOT NULL DEFAULT -1, atime INTEGER, mtime INTEGER," \
	" base_mtime INTEGER NOT NULL DEFAULT 0," \
	" PRIMARY KEY(dataset_id, view_id)) WITHOUT ROWID;\n" \
	"CREATE TABLE plain_file(key TEXT PRIMARY KEY, name TEXT NOT NULL," \
	" size INTEGER NOT NULL, mode INTEGER NOT NULL DEFAULT -1," \
	" uid INTEGER NOT NULL DEFAULT -1, gid INTEGER NOT NULL DEFAULT -1," \
	" atime INTEGER, mtime INTEGER, reason TEXT) WITHOUT ROWID;\n"
/* Version 5: patch layers. A stream row with base_id set is a layer of
 * patch GOPs over that base stream: frames an edit rewrote, encoded
 * alone, newest layer (largest id) first; its idx is negative. */
#define PATCH_LAYER_SQL \
	"ALTER TABLE stream ADD COLUMN base_id INTEGER DEFAULT NULL" \
	" REFERENCES stream(id) ON DELETE CASCADE;\n" \
	"CREATE INDEX stream_base ON stream(base_id);\n"
/* Version 6: per variable, why it is stored as it is, the values kept
 * exactly at their positions and the range decoded values are held to. */
#define VAR_FIDELITY_SQL \
	"CREATE TABLE IF NOT EXISTS var_fidelity(" \
	" variable_id INTEGER PRIMARY KEY" \
	" REFERENCES variable(id) ON DELETE CASCADE," \
	" role INTEGER NOT NULL DEFAULT 0, exact BLOB," \
	" valid_lo REAL, valid_hi REAL);\n"

/* Version 1: what the first stores hold. */
const char catalog_schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
	"CREATE TABLE pack(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
	" size INTEGER NOT NULL);\n"
	"CREATE TABLE dataset(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" name TEXT NOT NULL UNIQUE, source TEXT, profile TEXT, skipped TEXT,"
	" created INTEGER NOT NULL, mtime INTEGER NOT NULL);\n"
	"CREATE TABLE dim(dataset_id INTEGER NOT NULL REFERENCES dataset(id)"
	" ON DELETE CASCADE, idx INTEGER NOT NULL, name TEXT NOT NULL,"
	" len INTEGER NOT NULL, unlimited INTEGER NOT NULL,"
	" PRIMARY KEY(dataset_id, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE variable(id INTEGER PRIMARY KEY,"
	" dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, name TEXT NOT NULL, dtype INTEGER NOT NULL,"
	" nctype INTEGER NOT NULL,"
	" shape TEXT NOT NULL, dims TEXT NOT NULL, storage INTEGER NOT NULL,"
	" nframes INTEGER NOT NULL, nplanes INTEGER NOT NULL,"
	" height INTEGER NOT NULL, width INTEGER NOT NULL, fill BLOB,"
	" psnr REAL, max_err REAL, vmin REAL, vmax REAL,"
	" UNIQUE(dataset_id, idx),"
	" UNIQUE(dataset_id, name));\n"
	"CREATE TABLE attribute(dataset_id INTEGER NOT NULL REFERENCES"
	" dataset(id) ON DELETE CASCADE, var_idx INTEGER NOT NULL,"
	" idx INTEGER NOT NULL, name TEXT NOT NULL, type INTEGER NOT NULL,"
	" len INTEGER NOT NULL, value BLOB,"
	" PRIMARY KEY(dataset_id, var_idx, idx)) WITHOUT ROWID;\n"
	"CREATE TABLE stream(id INTEGER PRIMARY KEY,"
	" variable_id INTEGER NOT NULL REFERENCES variable(id) ON DELETE CASCADE,"
	" idx INTEGER NOT NULL, first_plane INTEGER NOT NULL,"
	" nplanes INTEGER NOT NULL, codec INTEGER NOT NULL, bits INTEGER NOT NULL,"
	" width INTEGER NOT NULL, height INTEGER NOT NULL, crf INTEGER NOT NULL,"
	" lossless INTEGER NOT NULL, params TEXT, gop_len INTEGER NOT NULL,"
	" max_error REAL NOT NULL DEFAULT 0,"
	" UNIQUE(variable_id, idx));\n"
	"CREATE TABLE gop(id INTEGER PRIMARY KEY,"
	" stream_id INTEGER NOT NULL REFERENCES stream(id) ON DELETE CASCADE,"
	" first_frame INTEGER NOT NULL, nframes INTEGER NOT NULL,"
	" pack_id INTEGER NOT NULL REFERENCES pack(id),"
	" offset INTEGER NOT NULL, length INTEGER NOT NULL,"
	" extra_size INTEGER NOT NULL, packets BLOB NOT NULL,"
	" checksum INTEGER NOT NULL, corr_offset INTEGER NOT NULL DEFAULT 0,"
	" corr_length INTEGER NOT NULL DEFAULT 0, ncorr INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE(stream_id, first_frame));\n"
	"CREATE TABLE quant(gop_id INTEGER NOT NULL REFERENCES gop(id)"
	" ON DELETE CASCADE, plane INTEGER NOT NULL, scale REAL NOT NULL,"
	" offset REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL,"
	" PRIMARY KEY(gop_id, plane)) WITHOUT ROWID;\n"
	"CREATE TABLE mask(variable_id INTEGER NOT NULL REFERENCES variable(id)"
	" ON DELETE CASCADE, first_frame INTEGER NOT NULL,"
	" nframes INTEGER NOT NULL, pack_id INTEGER NOT NULL REFERENCES pack(id),"
	" offset INTEGER NOT NULL, length INTEGER NOT NULL,"
	" PRIMARY KEY(variable_id, first_frame)) WITHOUT ROWID;\n"
	"CREATE TABLE view(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" dataset_id INTEGER NOT NULL REFERENCES dataset(id) ON DELETE CASCADE,"
	" name TEXT NOT NULL, in_dir INTEGER NOT NULL, kind INTEGER NOT NULL,"
	" size INTEGER NOT NULL, UNIQUE(dataset_id, in_dir, name));\n"
	"CREATE TABLE extent(view_id INTEGER NOT NULL REFERENCES view(id)"
	" ON DELETE CASCADE, offset INTEGER NOT NULL, length INTEGER NOT NULL,"
	" kind INTEGER NOT NULL, var_idx INTEGER NOT NULL, elem INTEGER NOT NULL,"
	" big_endian INTEGER NOT NULL, dtype INTEGER NOT NULL, bytes BLOB,"
	" PRIMARY KEY(view_id, offset)) WITHOUT ROWID;\n"
	"CREATE INDEX gop_pack ON gop(pack_id);\n"
	"CREATE INDEX mask_pack ON mask(pack_id);\n";

/*
 * Each later version as the SQL that brings the one before it there, in
 * order. A new version adds one entry here and bumps CATALOG_SCHEMA_VERSION;
 * a new store runs the version-1 schema and then every entry.
 */
const struct catalog_upgrade catalog_upgrades[] = {
	{ 2, FRAME_QUALITY_SQL },
	{ 3, PART_SQL },
	{ 4, FILE_META_SQL },
	{ 5, PATCH_LAYER_SQL },
	{ 6, VAR_FIDELITY_SQL },
	/* version 7: what a dataset's rows hold, counted up by every change
	 * of its content, so that readers can tell versions apart */
	{ 7, "ALTER TABLE dataset ADD COLUMN version INTEGER NOT NULL"
	     " DEFAULT 0;\n" },
	{ 0, NULL }
};

int catalog_sqlite_err(sqlite3 *db, int rc, const char *what)
{
	int e;

	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return 0;
	case SQLITE_NOMEM: e = ENOMEM; break;
	case SQLITE_FULL: e = ENOSPC; break;
	case SQLITE_BUSY: case SQLITE_LOCKED: e = EBUSY; break;
	case SQLITE_READONLY: e = EROFS; break;
	case SQLITE_PERM: case SQLITE_AUTH: e = EACCES; break;
	case SQLITE_CANTOPEN: e = ENOENT; break;
	case SQLITE_CONSTRAINT: e = EEXIST; break;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: e = EUCLEAN; break;
	default: e = EIO; break;
	}
	log_error("catalog: %s: %s", what, db ? sqlite3_errmsg(db) :
		  sqlite3_errstr(rc));
	return -e;
}
