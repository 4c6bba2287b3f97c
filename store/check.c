/* SPDX-License-Identifier: MIT */
/* Checking a store: SQLite integrity, dataset rows, pack bytes and checksums, orphans; safe repairs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "base/io.h"
#include "base/log.h"
#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "codec/block.h"
#include "codec/correct.h"
#include "codec/mask.h"
#include "store/check.h"
#include "store/check_int.h"
#include "store/gc.h"

#define CHUNK (1u << 20)        /* bytes read at a time for a checksum */
#define LINE_MAX_LEN 1024

static const char *const kind_names[CHECK_NKINDS] = {
	[CHECK_INTEGRITY] = "catalog integrity",
	[CHECK_FOREIGN_KEY] = "foreign key",
	[CHECK_DATASET] = "dataset rows",
	[CHECK_PACK] = "pack",
	[CHECK_GOP] = "GOP",
	[CHECK_MASK] = "mask",
	[CHECK_VIEW] = "view",
	[CHECK_UNREFERENCED] = "unreferenced pack",
	[CHECK_ORPHAN] = "orphan pack file",
};

const char *store_check_kind_name(enum store_check_kind kind)
{
	return (unsigned)kind < CHECK_NKINDS ? kind_names[kind] : "?";
}

/* Reports one problem (or one repair); control characters become '?'. */
void check_say(struct check *k, enum store_check_kind kind,
		int repaired, const char *ds, const char *pack,
		const char *fmt, ...)
{
	struct store_check_problem p = {
		.kind = kind, .dataset = ds, .pack = pack, .repaired = repaired,
	};
	char line[LINE_MAX_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (unsigned char *s = (unsigned char *)line; *s; s++)
		if (*s < 0x20 || *s == 0x7f)
			*s = '?';
	if (repaired) {
		k->r->repaired++;
	} else {
		k->r->problems[kind]++;
		k->r->nproblems++;
	}
	p.text = line;
	if (k->r->fn)
		k->r->fn(k->r->arg, &p);
}

/* Problems that are damage, not only unreachable bytes. */
uint64_t store_check_damage(const struct store_check_report *r)
{
	return r->nproblems - r->problems[CHECK_UNREFERENCED] -
		r->problems[CHECK_ORPHAN];
}

static void integrity_line(void *arg, const char *line)
{
	check_say(arg, CHECK_INTEGRITY, 0, NULL, NULL,
	    "catalog: integrity_check: %s", line);
}

static void foreign_key_row(void *arg, const char *table,
			    const int64_t *rowid, const char *parent)
{
	if (!rowid)
		check_say(arg, CHECK_FOREIGN_KEY, 0, NULL, NULL, "catalog: a "
		    "row of table '%s' refers to a missing '%s' row", table,
		    parent);
	else
		check_say(arg, CHECK_FOREIGN_KEY, 0, NULL, NULL, "catalog: row "
		    "%lld of table '%s' refers to a missing '%s' row",
		    (long long)*rowid, table, parent);
}

/* Step 1: PRAGMA integrity_check, then foreign_key_check. */
static int check_sqlite(struct check *k)
{
	int rc = catalog_integrity_check(k->c, integrity_line, k);

	return rc ? rc : catalog_foreign_key_check(k->c, foreign_key_row, k);
}

/* Looks at pack row p's file; reports what is wrong with it. */
static void stat_pack(struct check *k, struct pk *p)
{
	struct stat sb;
	const char *why = NULL;

	if (fstatat(k->dfd, p->name, &sb, AT_SYMLINK_NOFOLLOW))
		why = errno == ENOENT ? "file missing" : strerror(errno);
	else if (S_ISLNK(sb.st_mode))
		why = "a symbolic link";
	else if (!S_ISREG(sb.st_mode))
		why = "not a regular file";
	if (why) {
		if (p->unreferenced)    /* reported with the row, below */
			return;
		check_say(k, CHECK_PACK, 0, NULL, p->name, "pack '%s': %s", p->name,
		    why);
		return;
	}
	p->usable = 1;
	p->file_size = (uint64_t)sb.st_size;
	if (p->file_size < p->size && !p->unreferenced)
		check_say(k, CHECK_PACK, 0, NULL, p->name, "pack '%s': file has "
		    "%llu bytes, its row records %llu", p->name,
		    (unsigned long long)p->file_size,
		    (unsigned long long)p->size);
}

/* Step 3, first half: every pack row, its name and its file. */
static int check_packs(struct check *k)
{
	struct cat_pack *v;
	size_t n;
	int rc = catalog_pack_list(k->c, &v, &n);

	if (rc)
		return rc;
	k->packs = calloc(n + 1, sizeof(*k->packs));
	if (!k->packs) {
		catalog_pack_list_free(v, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct pk *p = &k->packs[i];

		p->id = v[i].id;
		p->size = v[i].size > 0 ? (uint64_t)v[i].size : 0;
		p->unreferenced = !v[i].referenced;
		p->name = v[i].name;    /* taken over */
		v[i].name = NULL;
		k->npacks++;
		k->r->packs++;
		if (v[i].name_nul || pack_name_valid(p->name)) {
			check_say(k, CHECK_PACK, 0, NULL, NULL, "pack row %lld: "
			    "invalid file name '%s%s'", (long long)p->id,
			    p->name, v[i].name_nul ? "\\0..." : "");
			p->unreferenced = 0;    /* never removed by a repair */
			continue;
		}
		if (v[i].size < 0)
			check_say(k, CHECK_PACK, 0, NULL, p->name, "pack '%s': "
			    "negative size %lld in its row", p->name,
			    (long long)v[i].size);
		stat_pack(k, p);
	}
	catalog_pack_list_free(v, n);
	return 0;
}

/* bsearch() order of a pack row id (key) against a pack. */
static int pk_cmp(const void *key, const void *elem)
{
	int64_t id = *(const int64_t *)key;
	const struct pk *p = elem;

	return id < p->id ? -1 : id > p->id;
}

/* The pack of row id (k->packs is in id order), or NULL. */
static struct pk *find_pack(struct check *k, int64_t id)
{
	return k->npacks ? bsearch(&id, k->packs, k->npacks, sizeof(*k->packs),
				   pk_cmp) : NULL;
}

/* A descriptor of pack p's file (one kept open), or a negative errno. */
static int pack_fd(struct check *k, const struct pk *p)
{
	if (k->fd >= 0 && k->fd_id == p->id)
		return k->fd;
	if (k->fd >= 0)
		close(k->fd);
	k->fd = openat(k->dfd, p->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	k->fd_id = p->id;
	return k->fd >= 0 ? k->fd : -errno;
}

/* A payload a check reads (a GOP, its corrections or a mask), as its
 * problems are reported: "<what> (pack '<name>' @ <off>, <len> bytes)". */
struct payload {
	enum store_check_kind kind;
	const char *ds;
	char what[700];
	struct pk *p;           /* its pack, once located; NULL: no row */
	uint64_t off, len;
};

/* Reports problem `why` of payload pl. */
static void payload_say(struct check *k, const struct payload *pl,
			const char *why)
{
	check_say(k, pl->kind, 0, pl->ds, pl->p ? pl->p->name : NULL,
		  "%s (pack '%s' @ %llu, %llu bytes): %s", pl->what,
		  pl->p ? pl->p->name : "?", (unsigned long long)pl->off,
		  (unsigned long long)pl->len, why);
}

/*
 * Finds the pack of row id for pl (pl->p) and whether the payload lies
 * in its usable file: 0 if so, else -ENOENT once reported why not.
 */
static int payload_locate(struct check *k, struct payload *pl, int64_t id)
{
	char why[128];
	struct pk *p = find_pack(k, id);

	pl->p = p;
	if (!p)
		snprintf(why, sizeof(why), "its pack (id %lld) has no row",
			 (long long)id);
	else if (!p->usable)
		snprintf(why, sizeof(why), "its pack is missing or unusable");
	else if (pl->off > INT64_MAX - pl->len ||
		 pl->off + pl->len > p->file_size)
		snprintf(why, sizeof(why), "past the end of its pack (%llu "
			 "bytes)", (unsigned long long)p->file_size);
	else
		return 0;
	payload_say(k, pl, why);
	return -ENOENT;
}

/* Reads len bytes at off of p into buf; 0, -EIO (short) or -errno. */
static int read_at(struct check *k, const struct pk *p, void *buf,
		   size_t len, uint64_t off)
{
	int fd = pack_fd(k, p);

	return fd < 0 ? fd : io_pread_all(fd, buf, len, off);
}

/* The "dataset 'x' variable 'y'[ planes a-b]" that starts a line. */
static void var_label(const struct cat_dataset *ds, const struct cat_var *v,
		      const struct cat_stream *s, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "dataset '%s' variable '%s'", ds->name,
			 v->name);

	if (s && v->nstreams > 1 && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, s->nplanes > 1 ?
			 " planes %d-%d" : " plane %d", s->first_plane,
			 s->first_plane + s->nplanes - 1);
}

/* The --max-error corrections of GOP g: inside its pack, and parsing to
 * the count its row records, every position inside the GOP. */
static int check_corr(struct check *k, const struct cat_dataset *ds,
		      const struct cat_var *v, const struct cat_stream *s,
		      const struct cat_gop *g, const char *label)
{
	size_t nvals = (size_t)g->nframes * (size_t)s->nplanes * v->height *
		v->width;
	struct payload pl = { .kind = CHECK_GOP, .ds = ds->name,
			      .off = g->corr_offset, .len = g->corr_length };
	struct codec_corr c = { 0 };
	char why[128];
	uint8_t *blk;
	int rc;

	snprintf(pl.what, sizeof(pl.what), "%s: corrections of the GOP at "
		 "frame %u", label, g->first_frame);
	if (payload_locate(k, &pl, g->pack_id))
		return 0;
	if (g->corr_length > (1ull << 32)) {
		payload_say(k, &pl, "longer than any block cubefs writes");
		return 0;
	}
	blk = malloc((size_t)g->corr_length + 1);
	if (!blk)
		return -ENOMEM;
	rc = read_at(k, pl.p, blk, (size_t)g->corr_length, g->corr_offset);
	if (rc) {
		payload_say(k, &pl, strerror(-rc));
	} else {
		rc = codec_corr_parse(blk, (size_t)g->corr_length, v->dtype,
				      nvals, g->ncorr, &c);
		if (rc == -EIO) {
			snprintf(why, sizeof(why), "do not parse to %u "
				 "corrections of %zu values", g->ncorr, nvals);
			payload_say(k, &pl, why);
		}
		codec_corr_release(&c);
	}
	free(blk);
	return rc == -ENOMEM ? rc : 0;
}

/* One GOP: inside its pack, crc32 of its bytes, its packet table. */
static int check_gop(struct check *k, const struct cat_dataset *ds,
		     const struct cat_var *v, const struct cat_stream *s,
		     const struct cat_gop *g)
{
	struct payload pl = { .kind = CHECK_GOP, .ds = ds->name,
			      .off = g->offset, .len = g->length };
	uint8_t head[CODEC_BLOCK_HEADER];
	uLong crc = crc32(0, NULL, 0);
	char label[600];
	int rc = 0;

	k->r->gops++;
	var_label(ds, v, s, label, sizeof(label));
	snprintf(pl.what, sizeof(pl.what), "%s: %sGOP at frame %u", label,
		 g->layer ? "patch " : "", g->first_frame);
	if (payload_locate(k, &pl, g->pack_id))
		return 0;
	if (g->offset + g->length > pl.p->size)
		payload_say(k, &pl, "past its pack's recorded size");
	for (uint64_t done = 0; done < g->length && !rc; ) {
		size_t n = g->length - done < CHUNK ? (size_t)(g->length - done)
			: CHUNK;

		rc = read_at(k, pl.p, k->buf, n, g->offset + done);
		if (!rc && done == 0)
			memcpy(head, k->buf, n < sizeof(head) ? n :
			       sizeof(head));
		if (!rc)
			crc = crc32(crc, k->buf, (uInt)n);
		done += n;
	}
	if (rc) {
		payload_say(k, &pl, strerror(-rc));
		return 0;
	}
	k->r->gop_bytes += g->length;
	if ((uint32_t)crc != g->checksum) {
		payload_say(k, &pl, "checksum mismatch");
	} else if (s->codec == CODEC_LZ4) {
		uint64_t want = (uint64_t)g->nframes * v->nplanes * v->height *
			v->width * dtype_size(v->dtype);

		/* raw_size reads the first sizeof(head) bytes only */
		if (g->length < sizeof(head) || codec_block_raw_size(head,
		    (size_t)g->length) != (ssize_t)want)
			payload_say(k, &pl, "not an lz4 block of the GOP's "
				    "size");
	} else {
		uint64_t sum = g->extra_size;

		for (uint32_t i = 0; i < g->npkt; i++)
			sum += g->pkt_sizes[i];
		if (!g->npkt || sum != g->length)
			payload_say(k, &pl, "its packet table does not add "
				    "up to its length");
	}
	return g->corr_length ? check_corr(k, ds, v, s, g, label) : 0;
}

/* One mask: inside its pack, and unpacking to the positions it covers. */
static int check_mask(struct check *k, const struct cat_dataset *ds,
		      const struct cat_var *v, const struct cat_mask *m)
{
	uint64_t n = (uint64_t)m->nframes * v->nplanes * v->height * v->width;
	struct payload pl = { .kind = CHECK_MASK, .ds = ds->name,
			      .off = m->offset, .len = m->length };
	uint8_t *blk = NULL, *cls = NULL;
	char label[600], why[128];
	int rc;

	k->r->masks++;
	var_label(ds, v, NULL, label, sizeof(label));
	snprintf(pl.what, sizeof(pl.what), "%s: mask of frames %u-%u", label,
		 m->first_frame, m->first_frame + m->nframes - !!m->nframes);
	if (payload_locate(k, &pl, m->pack_id))
		return 0;
	if (m->length > SIZE_MAX - 1 || n > SIZE_MAX - 1)
		return -ENOMEM;
	blk = malloc((size_t)m->length + 1);
	cls = malloc((size_t)n + 1);
	if (!blk || !cls) {
		rc = -ENOMEM;
		goto out;
	}
	rc = read_at(k, pl.p, blk, (size_t)m->length, m->offset);
	if (rc) {
		payload_say(k, &pl, strerror(-rc));
		rc = 0;
		goto out;
	}
	k->r->mask_bytes += m->length;
	if (codec_mask_unpack(blk, (size_t)m->length, cls, (size_t)n)) {
		snprintf(why, sizeof(why), "does not unpack to %llu positions",
			 (unsigned long long)n);
		payload_say(k, &pl, why);
	}
out:
	free(blk);
	free(cls);
	return rc;
}

/* Step 4: extents tile the view; variable extents lie in their variable. */
static void check_view(struct check *k, const struct cat_dataset *ds,
		       const struct cat_view *w)
{
	uint64_t pos = 0;

	k->r->views++;
	for (int i = 0; i < w->nextents; i++) {
		const struct cat_extent *x = &w->extents[i];
		const struct cat_var *v;
		size_t isz;

		if (x->offset != pos) {
			check_say(k, CHECK_VIEW, 0, ds->name, NULL, "dataset '%s' "
			    "view '%s': extent at byte %llu, expected %llu",
			    ds->name, w->name, (unsigned long long)x->offset,
			    (unsigned long long)pos);
			return;
		}
		pos += x->length;
		if (x->kind != EXTENT_VAR)
			continue;
		if (x->var < 0 || x->var >= ds->nvars) {
			check_say(k, CHECK_VIEW, 0, ds->name, NULL, "dataset '%s' "
			    "view '%s': extent at byte %llu refers to variable "
			    "%d of %d", ds->name, w->name,
			    (unsigned long long)x->offset, x->var, ds->nvars);
			continue;
		}
		v = &ds->vars[x->var];
		isz = x->dtype > 0 && x->dtype < DTYPE_COUNT ?
			dtype_size((enum dtype)x->dtype) : dtype_size(v->dtype);
		if (!isz || x->length % isz || x->elem > catalog_var_elems(v) ||
		    x->length / isz > catalog_var_elems(v) - x->elem)
			check_say(k, CHECK_VIEW, 0, ds->name, NULL, "dataset '%s' "
			    "view '%s': extent at byte %llu (%llu bytes from "
			    "element %llu) lies outside variable '%s'",
			    ds->name, w->name, (unsigned long long)x->offset,
			    (unsigned long long)x->length,
			    (unsigned long long)x->elem, v->name);
	}
	if (pos != w->size)
		check_say(k, CHECK_VIEW, 0, ds->name, NULL, "dataset '%s' view '%s': "
		    "extents cover %llu of %llu bytes", ds->name, w->name,
		    (unsigned long long)pos, (unsigned long long)w->size);
}

static int check_dataset(struct check *k, const struct cat_dataset *ds)
{
	int rc = 0;

	k->r->datasets++;
	for (int i = 0; i < ds->nvars && !rc; i++) {
		const struct cat_var *v = &ds->vars[i];

		k->r->variables++;
		for (int s = 0; s < v->nstreams && !rc; s++)
			for (uint32_t g = 0; g < v->streams[s].ngops && !rc;
			     g++)
				rc = check_gop(k, ds, v, &v->streams[s],
					       &v->streams[s].gops[g]);
		/* patch GOPs (edits): checked as the GOPs they stand for */
		for (int s = 0; s < v->nstreams && !rc; s++)
			for (uint32_t g = 0; g < v->streams[s].npatches && !rc;
			     g++)
				rc = check_gop(k, ds, v, &v->streams[s],
					       &v->streams[s].patches[g]);
		for (int m = 0; m < v->nmasks && !rc; m++)
			rc = check_mask(k, ds, v, &v->masks[m]);
	}
	for (int i = 0; i < ds->nviews && !rc; i++)
		check_view(k, ds, &ds->views[i]);
	return rc;
}

/* Steps 2 to 4: each dataset loads (named if not), then its bytes. */
static int check_datasets(struct check *k)
{
	char **names;
	size_t n;
	int rc = catalog_dataset_names(k->c, &names, &n);

	for (size_t i = 0; i < n && !rc; i++) {
		struct cat_dataset *ds;

		rc = catalog_dataset_load(k->c, names[i], &ds);
		if (rc == -EUCLEAN || rc == -ENOENT || rc == -EIO) {
			check_say(k, CHECK_DATASET, 0, names[i], NULL,
			    "dataset '%s': its rows do not load (%s): not "
			    "checked further", names[i], rc == -EUCLEAN ?
			    "inconsistent rows, the message above says which" :
			    strerror(-rc));
			rc = 0;
			continue;
		}
		if (!rc)
			rc = check_dataset(k, ds);
		catalog_dataset_free(ds);
	}
	catalog_names_free(names, n);
	return rc;
}

/* Step 5: pack rows nothing references (their file as they found it). */
static void report_unreferenced(struct check *k)
{
	for (size_t i = 0; i < k->npacks; i++) {
		const struct pk *p = &k->packs[i];
		char what[96];

		if (!p->unreferenced)
			continue;
		if (p->usable)
			snprintf(what, sizeof(what), "%llu bytes",
				 (unsigned long long)p->file_size);
		else
			snprintf(what, sizeof(what), "its file is missing");
		check_say(k, CHECK_UNREFERENCED, 0, NULL, p->name, "pack '%s': no "
		    "GOP or mask uses it (%s)", p->name, what);
	}
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Step 5: regular pack files in packs/ without a row (as gc sees them). */
static int find_orphans(struct check *k)
{
	const char **rows = malloc((k->npacks + 1) * sizeof(*rows));
	struct dirent *e;
	struct stat sb;
	DIR *d;
	int fd, rc = 0;

	if (!rows)
		return -ENOMEM;
	for (size_t i = 0; i < k->npacks; i++)
		rows[i] = k->packs[i].name;
	qsort(rows, k->npacks, sizeof(*rows), name_cmp);
	fd = dup(k->dfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		rc = -errno;
		log_error("cannot list '%s/packs': %s", catalog_dir(k->c),
			  strerror(errno));
		if (fd >= 0)
			close(fd);
		free(rows);
		return rc;
	}
	rewinddir(d);
	while (!rc && (e = readdir(d))) {
		const char *name = e->d_name;
		char **no;
		long age;

		if (pack_name_valid(name) || bsearch(&name, rows, k->npacks,
						     sizeof(*rows), name_cmp) ||
		    fstatat(k->dfd, name, &sb, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(sb.st_mode))
			continue;
		no = realloc(k->orphans, (k->norphans + 1) * sizeof(*no));
		if (!no || !(no[k->norphans] = strdup(name))) {
			k->orphans = no ? no : k->orphans;
			rc = -ENOMEM;
			break;
		}
		k->orphans = no;
		k->norphans++;
		age = (long)(k->now - sb.st_mtime);
		check_say(k, CHECK_ORPHAN, 0, NULL, name, "pack file '%s': no "
		    "catalog row (%llu bytes, modified %ld s ago%s)", name,
		    (unsigned long long)sb.st_size, age,
		    age < STORE_GC_ORPHAN_AGE ? ": an import may be writing "
		    "it" : "");
	}
	closedir(d);
	free(rows);
	return rc;
}

int store_check(struct catalog *c, int repair_it,
		  struct store_check_report *r)
{
	struct check k = { .c = c, .r = r, .dfd = -1, .fd = -1 };
	char path[PATH_MAX];
	int rc;

	memset(&r->datasets, 0, sizeof(*r) -
	       offsetof(struct store_check_report, datasets));
	if (repair_it && catalog_rdonly(c)) {
		log_error("catalog of '%s' is open read-only",
			  catalog_dir(c));
		return -EROFS;
	}
	snprintf(path, sizeof(path), "%s/packs", catalog_dir(c));
	k.dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	k.buf = malloc(CHUNK);
	if (k.dfd < 0) {
		rc = -errno;
		log_error("cannot open '%s': %s", path, strerror(errno));
		goto out;
	}
	if (!k.buf) {
		rc = -ENOMEM;
		goto out;
	}
	/* one snapshot of the rows for the whole check */
	rc = catalog_begin_read(c);
	if (rc)
		goto out;
	k.now = time(NULL);
	rc = check_sqlite(&k);
	if (!rc)
		rc = check_packs(&k);
	if (!rc)
		rc = check_datasets(&k);
	if (!rc)
		report_unreferenced(&k);
	if (!rc)
		rc = find_orphans(&k);
	catalog_rollback(c);            /* ends the read transaction */
	if (!rc && repair_it)
		rc = check_repair(&k);
out:
	if (k.fd >= 0)
		close(k.fd);
	if (k.dfd >= 0)
		close(k.dfd);
	for (size_t i = 0; i < k.npacks; i++)
		free(k.packs[i].name);
	free(k.packs);
	for (size_t i = 0; i < k.norphans; i++)
		free(k.orphans[i]);
	free(k.orphans);
	free(k.buf);
	return rc;
}
