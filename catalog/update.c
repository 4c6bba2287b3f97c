/* SPDX-License-Identifier: MIT */
/* Changes to committed rows: GOPs re-encoded in place, masks, mtimes, renames. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "catalog/catalog_int.h"

int catalog_gop_update(struct catalog *c, const struct cat_gop *g,
		       int nplanes)
{
	sqlite3_stmt *st = NULL, *del = NULL, *ins = NULL;
	int rc;

	rc = catalog_prepare(c, "UPDATE gop SET pack_id=?, offset=?, length=?,"
			     " extra_size=?, packets=?, checksum=?, corr_offset=?,"
			     " corr_length=?, ncorr=? WHERE id=?",
			     &st);
	if (!rc)
		rc = catalog_prepare(c, "DELETE FROM quant WHERE gop_id=?", &del);
	if (!rc)
		rc = catalog_prepare(c, "INSERT INTO quant VALUES(?,?,?,?,?,?)",
				     &ins);
	if (rc)
		goto out;
	catalog_gop_bind(st, 1, g);
	sqlite3_bind_int64(st, 10, g->id);
	rc = catalog_run(c, st, "update gop");
	if (!rc && !sqlite3_changes(c->db))
		rc = -ENOENT;
	if (rc || !g->quant)
		goto out;
	sqlite3_bind_int64(del, 1, g->id);
	rc = catalog_run(c, del, "replace quant");
	if (!rc)
		rc = catalog_quant_insert(c, ins, g, nplanes);
out:
	sqlite3_finalize(st);
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return rc;
}

int catalog_mask_replace(struct catalog *c, int64_t var_id, uint32_t first,
			 uint32_t n, const struct cat_mask *m)
{
	sqlite3_stmt *st = NULL;
	int rc = catalog_prepare(c, "DELETE FROM mask WHERE variable_id=? AND"
				 " first_frame>=? AND first_frame<?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, var_id);
	sqlite3_bind_int64(st, 2, first);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)first + n);
	rc = catalog_run(c, st, "replace mask");
	sqlite3_finalize(st);
	if (rc || !m)
		return rc;
	rc = catalog_prepare(c, "INSERT INTO mask VALUES(?,?,?,?,?,?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, var_id);
	sqlite3_bind_int64(st, 2, m->first_frame);
	sqlite3_bind_int64(st, 3, m->nframes);
	sqlite3_bind_int64(st, 4, m->pack_id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)m->offset);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)m->length);
	rc = catalog_run(c, st, "insert mask");
	sqlite3_finalize(st);
	return rc;
}

int catalog_dataset_touch(struct catalog *c, int64_t id, int64_t mtime)
{
	sqlite3_stmt *st;
	int rc = catalog_prepare(c, "UPDATE dataset SET mtime=?,"
				 " version=version+1 WHERE id=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, mtime);
	sqlite3_bind_int64(st, 2, id);
	rc = catalog_run(c, st, "touch dataset");
	sqlite3_finalize(st);
	return rc;
}

int catalog_dataset_rename(struct catalog *c, const char *from,
			   const char *to)
{
	sqlite3_stmt *st = NULL;
	char oldn[CATALOG_NAME_MAX + 8], newn[CATALOG_NAME_MAX + 8];
	int rc;

	rc = catalog_name_valid(to);
	if (rc)
		return rc;
	rc = catalog_dataset_exists(c, to);
	if (rc)
		return rc > 0 ? -EEXIST : rc;
	rc = catalog_prepare(c, "UPDATE dataset SET name=? WHERE name=?", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, to, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, from, -1, SQLITE_STATIC);
	rc = catalog_run(c, st, "rename dataset");
	if (!rc && !sqlite3_changes(c->db))
		rc = -ENOENT;
	sqlite3_finalize(st);
	if (rc)
		return rc;
	/* the views at the root carry the dataset's name */
	rc = catalog_prepare(c, "UPDATE view SET name=? WHERE name=? AND in_dir=0"
			     " AND dataset_id=(SELECT id FROM dataset WHERE"
			     " name=?)", &st);
	if (rc)
		return rc;
	for (int k = 0; k < 2 && !rc; k++) {
		const char *ext = k ? ".nc" : ".npy";

		snprintf(oldn, sizeof(oldn), "%s%s", from, ext);
		snprintf(newn, sizeof(newn), "%s%s", to, ext);
		sqlite3_bind_text(st, 1, newn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, oldn, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, to, -1, SQLITE_STATIC);
		rc = catalog_run(c, st, "rename views");
	}
	sqlite3_finalize(st);
	return rc;
}
