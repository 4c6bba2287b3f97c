/* SPDX-License-Identifier: MIT */
/* Quality per frame (schema version 2): rows written at import and commit, read by `cubefs plot`. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "base/psnr.h"
#include "catalog/catalog_int.h"

static int need_v2(struct catalog *c)
{
	return c->version >= 2 ? 0 : -ENOTSUP;
}

int catalog_frameq_put(struct catalog *c, int64_t var_id, uint32_t first,
		       uint32_t n, const struct cat_frameq *q)
{
	sqlite3_stmt *st = NULL;
	int rc = need_v2(c);

	if (!rc)
		rc = catalog_prepare(c, "INSERT OR REPLACE INTO frame_quality"
				     " VALUES(?,?,?,?,?)", &st);
	for (uint32_t f = 0; f < n && !rc; f++) {
		sqlite3_bind_int64(st, 1, var_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)first + f);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)q[f].count);
		sqlite3_bind_double(st, 4, q[f].sse);
		sqlite3_bind_double(st, 5, q[f].max_err);
		rc = catalog_run(c, st, "write frame quality");
	}
	sqlite3_finalize(st);
	return rc;
}

int catalog_frameq_load(struct catalog *c, const struct cat_var *v,
			struct cat_frameq **out)
{
	struct cat_frameq *q = NULL;
	sqlite3_stmt *st = NULL;
	int rc = need_v2(c), found = 0;

	*out = NULL;
	if (!rc)
		rc = catalog_prepare(c, "SELECT frame, count, sse, max_err FROM"
				     " frame_quality WHERE variable_id=?", &st);
	if (rc)
		return rc;
	q = calloc(v->nframes + 1, sizeof(*q));
	if (!q) {
		rc = -ENOMEM;
		goto out;
	}
	sqlite3_bind_int64(st, 1, v->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 f = sqlite3_column_int64(st, 0);
		sqlite3_int64 n = sqlite3_column_int64(st, 1);
		double sse = sqlite3_column_double(st, 2);
		double me = sqlite3_column_double(st, 3);

		/* untrusted rows: frames outside the variable are dropped */
		if (f < 0 || (uint64_t)f >= v->nframes || n < 0 ||
		    !(sse >= 0) || !(me >= 0))
			continue;
		q[f] = (struct cat_frameq){ .count = (uint64_t)n, .sse = sse,
					    .max_err = me };
		found++;
	}
	rc = rc == SQLITE_DONE ? found :
		catalog_sqlite_err(c->db, rc, "read frame quality");
out:
	sqlite3_finalize(st);
	if (rc < 0)
		free(q);
	else
		*out = q;
	return rc;
}

int catalog_var_quality_refresh(struct catalog *c, struct cat_var *v)
{
	sqlite3_stmt *st = NULL;
	double sse = 0, me = 0;
	uint64_t n = 0, rows = 0;
	int rc = need_v2(c);

	if (!rc)
		rc = catalog_prepare(c, "SELECT total(sse), total(count),"
				     " max(max_err), count(*) FROM"
				     " frame_quality WHERE variable_id=?", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		sse = sqlite3_column_double(st, 0);
		n = (uint64_t)sqlite3_column_double(st, 1);
		me = sqlite3_column_double(st, 2);
		rows = (uint64_t)sqlite3_column_int64(st, 3);
		rc = 0;
	} else {
		rc = catalog_sqlite_err(c->db, rc, "sum frame quality");
	}
	sqlite3_finalize(st);
	/* imported before frames were measured: the sums would lie */
	if (rc || rows != v->nframes)
		return rc;
	v->psnr = psnr_db(sse, n, v->vmin, v->vmax);
	v->max_err = me;
	rc = catalog_prepare(c, "UPDATE variable SET psnr=?, max_err=?, vmin=?,"
			     " vmax=? WHERE id=?", &st);
	if (rc)
		return rc;
	sqlite3_bind_double(st, 1, v->psnr);
	sqlite3_bind_double(st, 2, v->max_err);
	if (!isnan(v->vmin))
		sqlite3_bind_double(st, 3, v->vmin);
	if (!isnan(v->vmax))
		sqlite3_bind_double(st, 4, v->vmax);
	sqlite3_bind_int64(st, 5, v->id);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 :
		catalog_sqlite_err(c->db, rc, "update variable quality");
	sqlite3_finalize(st);
	return rc;
}
