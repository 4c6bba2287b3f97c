/* SPDX-License-Identifier: MIT */
/* Per-variable fidelity rows (schema version 6): role, exact values, valid range. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "base/log.h"
#include "catalog/catalog_int.h"

/* A row is written only for a variable that has something to say. */
static int has_fidelity(const struct cat_var *v)
{
	return v->role || v->nexact || v->has_valid;
}

int catalog_fidelity_put(struct catalog *c, const struct cat_var *v)
{
	sqlite3_stmt *st = NULL;
	uint8_t blob[8 * CAT_EXACT_MAX];
	int rc;

	if (!has_fidelity(v))
		return 0;
	if (c->version < 6)
		return -ENOTSUP;
	rc = catalog_prepare(c, "INSERT OR REPLACE INTO var_fidelity"
			     " VALUES(?,?,?,?,?)", &st);
	if (rc)
		return rc;
	/* exact values as little-endian doubles */
	for (int k = 0; k < v->nexact; k++) {
		uint64_t u;

		memcpy(&u, &v->exact[k], sizeof(u));
		for (int b = 0; b < 8; b++)
			blob[8 * k + b] = (uint8_t)(u >> (8 * b));
	}
	sqlite3_bind_int64(st, 1, v->id);
	sqlite3_bind_int(st, 2, v->role);
	if (v->nexact)
		sqlite3_bind_blob(st, 3, blob, 8 * v->nexact, SQLITE_TRANSIENT);
	if (v->has_valid) {
		sqlite3_bind_double(st, 4, v->valid_lo);
		sqlite3_bind_double(st, 5, v->valid_hi);
	}
	rc = catalog_run(c, st, "write variable fidelity");
	sqlite3_finalize(st);
	return rc;
}

int catalog_fidelity_load(struct catalog *c, struct cat_var *v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	v->role = VAR_ROLE_DATA;
	v->nexact = 0;
	v->has_valid = 0;
	if (c->version < 6)
		return 0;
	rc = catalog_prepare(c, "SELECT role, exact, valid_lo, valid_hi FROM"
			     " var_fidelity WHERE variable_id=?", &st);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, v->id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const uint8_t *b = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);
		int role = sqlite3_column_int(st, 0);

		/* untrusted: an unknown role or a torn list is damage */
		rc = role < VAR_ROLE_DATA || role > VAR_ROLE_CATEGORY ||
			len % 8 || len > 8 * CAT_EXACT_MAX ? -EUCLEAN : 0;
		v->role = rc ? VAR_ROLE_DATA : role;
		for (int k = 0; !rc && k < len / 8; k++) {
			uint64_t u = 0;

			for (int i = 0; i < 8; i++)
				u |= (uint64_t)b[8 * k + i] << (8 * i);
			memcpy(&v->exact[k], &u, sizeof(u));
			rc = isnan(v->exact[k]) ? -EUCLEAN : 0;
			v->nexact = rc ? 0 : k + 1;
		}
		if (!rc && sqlite3_column_type(st, 2) != SQLITE_NULL) {
			v->valid_lo = sqlite3_column_double(st, 2);
			v->valid_hi = sqlite3_column_double(st, 3);
			v->has_valid = v->valid_lo <= v->valid_hi;
		}
		if (rc)
			log_error("catalog: variable '%s': malformed fidelity "
				  "row", v->name);
	} else {
		rc = rc == SQLITE_DONE ? 0 :
			catalog_sqlite_err(c->db, rc, "read variable fidelity");
	}
	sqlite3_finalize(st);
	return rc;
}
