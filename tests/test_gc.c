/* SPDX-License-Identifier: MIT */
/* Tests of store_gc: unreferenced packs, orphan files, holes in dead ranges, dry runs, hostile names. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include <cmocka.h>

#include "catalog/catalog.h"
#include "catalog/pack.h"
#include "store/gc.h"
#include "store/lease.h"
#include "tests/catalog_fixture.h"
#include "tests/fixture.h"

#define STRIDE 16384            /* bytes between the live ranges of a pack */
#define PACK_LEN (6 * STRIDE)

/* The live [offset, offset + length) ranges of make_ds(). */
static const uint64_t live_off[] = { 0, STRIDE, 2 * STRIDE, 3 * STRIDE,
				     4 * STRIDE };
static const uint64_t live_len[] = { 100, 100, 100, 100, 20 };

/* Writes a pack of len pseudo-random bytes; its name into name. */
static void write_pack(size_t len, char *name, size_t cap)
{
	struct pack_writer *w;
	unsigned char *buf = malloc(len);
	uint32_t x = 2463534242u;
	uint64_t off;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (unsigned char)(x | 1);        /* never zero */
	}
	assert_int_equal(pack_writer_new(dir, &w), 0);
	assert_int_equal(pack_append(w, buf, len, &off), 0);
	assert_int_equal(pack_writer_sync(w), 0);
	snprintf(name, cap, "%s", pack_writer_name(w));
	pack_writer_free(w, 1);
	free(buf);
}

static void pack_path(const char *name, char *path, size_t cap)
{
	snprintf(path, cap, "%s/packs/%s", dir, name);
}

static int exists(const char *path)
{
	struct stat sb;

	return !lstat(path, &sb);
}

static void age(const char *path, int seconds)
{
	struct timespec t[2];

	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= seconds;
	t[1] = t[0];
	assert_int_equal(utimensat(AT_FDCWD, path, t, AT_SYMLINK_NOFOLLOW), 0);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static uint64_t blocks(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_blocks;
}

/* Adds a pack row (and with ds, the dataset using it) in one commit. */
static int64_t add(struct catalog *c, const char *pack, uint64_t size,
		   const char *ds_name)
{
	struct cat_dataset *ds;
	int64_t id;

	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_pack_add(c, pack, size, &id), 0);
	if (ds_name) {
		ds = make_ds(ds_name, id, STRIDE);
		assert_int_equal(catalog_dataset_insert(c, ds), 0);
		catalog_dataset_free(ds);
	}
	assert_int_equal(catalog_commit(c), 0);
	return id;
}

/* 1 if this filesystem punches holes in a file of ours, 0 if it refuses. */
static int can_punch(void)
{
	char path[128], buf[16384];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/probe", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	memset(buf, 1, sizeof(buf));
	assert_int_equal(write(fd, buf, sizeof(buf)), sizeof(buf));
	ok = !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096,
			8192);
	close(fd);
	unlink(path);
	return ok;
}

/* 1 if the kernel refuses a write lease on a file another fd has open. */
static int leases_tell(void)
{
	char path[128];
	int fd, other, ok;

	snprintf(path, sizeof(path), "%s/probe", dir);
	other = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(other >= 0);
	fd = open(path, O_RDONLY);
	ok = fcntl(fd, F_SETLEASE, F_WRLCK) && errno == EAGAIN;
	close(other);
	if (ok)         /* and grants one when no other fd is open */
		ok = !fcntl(fd, F_SETLEASE, F_WRLCK);
	fcntl(fd, F_SETLEASE, F_UNLCK);
	close(fd);
	unlink(path);
	return ok;
}

static void gc_removes_unreferenced_packs(void **state)
{
	struct store_gc_report r;
	struct cat_dataset *ds;
	struct catalog *c;
	char used[64], lone[64], gone[64], dead[64], path[160];
	int64_t lone_id, gone_id, dead_id;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(PACK_LEN, used, sizeof(used));
	add(c, used, PACK_LEN, "cube");
	/* a row with a file that nothing references */
	write_pack(5000, lone, sizeof(lone));
	lone_id = add(c, lone, 5000, NULL);
	/* a row whose file is already gone */
	snprintf(gone, sizeof(gone), "0-0-0.pack");
	gone_id = add(c, gone, 10, NULL);
	/* a dataset deleted: its pack is no longer referenced */
	write_pack(PACK_LEN, dead, sizeof(dead));
	dead_id = add(c, dead, PACK_LEN, "old");
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_delete(c, "old"), 0);
	assert_int_equal(catalog_commit(c), 0);

	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.packs_removed, 3);
	assert_true(r.packs_bytes >= 5000 + PACK_LEN);
	assert_int_equal(r.orphans_removed, 0);
	pack_path(lone, path, sizeof(path));
	assert_false(exists(path));
	pack_path(dead, path, sizeof(path));
	assert_false(exists(path));
	pack_path(used, path, sizeof(path));
	assert_true(exists(path));
	assert_int_equal(catalog_pack_name(c, lone_id, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(catalog_pack_name(c, gone_id, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(catalog_pack_name(c, dead_id, path, sizeof(path)),
			 -ENOENT);
	assert_int_equal(catalog_dataset_load(c, "cube", &ds), 0);
	catalog_dataset_free(ds);
	/* nothing left to do */
	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.packs_removed + r.orphans_removed +
			 r.holes_punched, 0);
	catalog_free(c);
}

static void gc_removes_old_orphans_only(void **state)
{
	struct store_gc_report r;
	struct pack_writer *w;
	struct catalog *c;
	char old[64], fresh[64], open_name[64], path[160], other[160];
	uint64_t off;
	int lease = leases_tell();
	FILE *f;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(8192, old, sizeof(old));
	pack_path(old, path, sizeof(path));
	age(path, STORE_GC_ORPHAN_AGE + 60);
	write_pack(8192, fresh, sizeof(fresh));
	/* an old file that is not a pack file */
	snprintf(other, sizeof(other), "%s/packs/notes.txt", dir);
	f = fopen(other, "w");
	fputs("x", f);
	fclose(f);
	age(other, 100000);
	/* an import still writing: old mtime, but the file is open */
	assert_int_equal(pack_writer_new(dir, &w), 0);
	assert_int_equal(pack_append(w, "data", 4, &off), 0);
	snprintf(open_name, sizeof(open_name), "%s", pack_writer_name(w));
	pack_path(open_name, path, sizeof(path));
	age(path, STORE_GC_ORPHAN_AGE + 60);

	assert_int_equal(store_gc(c, 0, &r), 0);
	pack_path(old, path, sizeof(path));
	assert_false(exists(path));
	pack_path(fresh, path, sizeof(path));
	assert_true(exists(path));
	assert_true(exists(other));
	pack_path(open_name, path, sizeof(path));
	if (lease) {
		assert_true(exists(path));
		assert_int_equal(r.orphans_removed, 1);
		assert_int_equal(r.orphans_kept, 2);
	} else {
		print_message("no write leases here: open file not judged\n");
		assert_int_equal(r.orphans_removed + r.orphans_kept, 3);
	}
	assert_true(r.orphans_bytes >= 8192);
	assert_int_equal(r.packs_removed, 0);
	pack_writer_free(w, 0);
	catalog_free(c);
}

static void gc_punches_dead_ranges(void **state)
{
	struct store_gc_report r;
	struct catalog *c;
	char name[64], path[160];
	unsigned char *before, *after;
	size_t n0, n1;
	uint64_t b0, b1, recorded = PACK_LEN - 8192;
	int punch = can_punch();

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(PACK_LEN, name, sizeof(name));
	/* the last 8 KiB are past the recorded size: never committed */
	add(c, name, recorded, "cube");
	pack_path(name, path, sizeof(path));
	before = slurp(path, &n0);
	b0 = blocks(path);

	assert_int_equal(store_gc(c, 0, &r), 0);
	after = slurp(path, &n1);
	b1 = blocks(path);
	assert_int_equal(n1, n0);                       /* size kept */
	for (size_t i = 0; i < sizeof(live_off) / sizeof(live_off[0]); i++)
		assert_memory_equal(after + live_off[i], before + live_off[i],
				    live_len[i]);
	assert_memory_equal(after + recorded, before + recorded,
			    PACK_LEN - recorded);
	if (punch) {
		static const unsigned char zero[4096];

		/* 5 dead ranges: 4 between the live ones, 1 after them */
		assert_int_equal(r.holes_punched, 5);
		assert_int_equal(r.punch_unsupported, 0);
		assert_true(b1 < b0);
		assert_true(r.holes_bytes > 0);
		assert_true(r.holes_bytes <= (b0 - b1) * 512 + 4096);
		/* the first whole block after a live range is a hole */
		assert_memory_equal(after + STRIDE - 4096, zero, 4096);
		/* the 4 KiB block holding a live range keeps its dead bytes */
		assert_memory_equal(after + 100, before + 100, 4096 - 100);
		/* a second run finds nothing more to punch */
		assert_int_equal(store_gc(c, 0, &r), 0);
		assert_int_equal(r.holes_punched, 0);
		assert_int_equal(blocks(path), b1);
	} else {
		print_message("no hole punching here: block check skipped\n");
		assert_true(r.punch_unsupported == 1 || r.holes_punched == 5);
		assert_memory_equal(after, before, n0);
	}
	free(before);
	free(after);
	catalog_free(c);
}

static int snap_pack(void *arg, int64_t id, const char *name, uint64_t size)
{
	char *buf = arg;
	size_t at = strlen(buf);

	snprintf(buf + at, 65536 - at, "%lld %s %llu\n", (long long)id, name,
		 (unsigned long long)size);
	return 0;
}

/* Names, times, sizes, blocks and contents of packs/, and the pack rows. */
static char *snapshot(struct catalog *c)
{
	char cmd[256], *buf = calloc(1, 65536);
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "cd '%s' && ls -la --time-style=+%%s "
		 "packs && du -B1 packs/* && md5sum packs/*", dir);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, 60000, p);
	buf[n] = 0;
	assert_int_equal(pclose(p), 0);
	assert_int_equal(catalog_pack_each(c, snap_pack, buf), 0);
	return buf;
}

static void gc_dry_run_changes_nothing(void **state)
{
	struct store_gc_report r, dry;
	struct catalog *c;
	char used[64], lone[64], orphan[64], path[160];
	char *s0, *s1;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(PACK_LEN, used, sizeof(used));
	add(c, used, PACK_LEN, "cube");
	write_pack(5000, lone, sizeof(lone));
	add(c, lone, 5000, NULL);
	write_pack(8192, orphan, sizeof(orphan));
	pack_path(orphan, path, sizeof(path));
	age(path, STORE_GC_ORPHAN_AGE + 60);
	catalog_free(c);

	assert_int_equal(catalog_open(dir, CATALOG_RDONLY, &c), 0);
	s0 = snapshot(c);
	assert_int_equal(store_gc(c, 1, &dry), 0);
	/* a read-only handle cannot collect for real */
	assert_int_equal(store_gc(c, 0, &r), -EROFS);
	s1 = snapshot(c);
	catalog_free(c);
	assert_string_equal(s0, s1);
	assert_int_equal(dry.packs_removed, 1);
	assert_int_equal(dry.orphans_removed, 1);
	assert_int_equal(dry.holes_punched, 5);

	/* the real run does what the dry run announced */
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.packs_removed, dry.packs_removed);
	assert_int_equal(r.packs_bytes, dry.packs_bytes);
	assert_int_equal(r.orphans_removed, dry.orphans_removed);
	assert_int_equal(r.orphans_bytes, dry.orphans_bytes);
	if (!r.punch_unsupported) {
		assert_int_equal(r.holes_punched, dry.holes_punched);
		assert_int_equal(r.holes_bytes, dry.holes_bytes);
	}
	catalog_free(c);
	free(s0);
	free(s1);
}

static void gc_refuses_names_outside_packs(void **state)
{
	struct store_gc_report r;
	struct catalog *c;
	char outside[160], orphan[64], path[160], link[160];
	unsigned char *b0, *b1;
	size_t n0, n1;
	uint64_t k0;
	sqlite3 *db;
	FILE *f;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	/* a file beside packs/, and rows that name it */
	snprintf(outside, sizeof(outside), "%s/x.pack", dir);
	f = fopen(outside, "w");
	fputs("precious", f);
	fclose(f);
	age(outside, 100000);
	write_pack(8192, orphan, sizeof(orphan));
	pack_path(orphan, path, sizeof(path));
	age(path, STORE_GC_ORPHAN_AGE + 60);
	add(c, "../x.pack", 8, NULL);

	assert_int_equal(store_gc(c, 0, &r), -EUCLEAN);
	assert_true(exists(outside));
	assert_true(exists(path));              /* nothing at all collected */
	assert_int_equal(r.packs_removed + r.orphans_removed, 0);
	assert_int_equal(store_gc(c, 1, &r), -EUCLEAN);
	catalog_free(c);

	/* a name with an embedded NUL would name "a.pack" */
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM pack; INSERT INTO "
				      "pack(name, size) VALUES(CAST(X'612E7061"
				      "636B002E2E2F78' AS TEXT), 1)", NULL,
				      NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	pack_path("a.pack", path, sizeof(path));
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	assert_int_equal(store_gc(c, 0, &r), -EUCLEAN);
	assert_true(exists(path));
	catalog_free(c);
	unlink(path);

	/* symbolic links in packs/: an orphan one and a referenced one */
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DELETE FROM pack", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	write_pack(PACK_LEN, orphan, sizeof(orphan));
	pack_path(orphan, path, sizeof(path));
	assert_int_equal(rename(path, outside), 0);     /* now outside */
	b0 = slurp(outside, &n0);
	k0 = blocks(outside);
	snprintf(link, sizeof(link), "%s/packs/ln.pack", dir);
	assert_int_equal(symlink("../x.pack", link), 0);
	snprintf(path, sizeof(path), "%s/packs/old-ln.pack", dir);
	assert_int_equal(symlink("../x.pack", path), 0);
	age(path, 100000);
	assert_int_equal(catalog_open(dir, 0, &c), 0);
	add(c, "ln.pack", PACK_LEN, "cube");
	assert_int_equal(store_gc(c, 0, &r), 0);
	/* the first orphan, kept while the catalog was refused, goes now */
	assert_int_equal(r.orphans_removed, 1);
	assert_int_equal(r.holes_punched, 0);
	assert_true(exists(link));
	assert_true(exists(path));
	b1 = slurp(outside, &n1);
	assert_int_equal(n1, n0);
	assert_memory_equal(b1, b0, n0);
	assert_int_equal(blocks(outside), k0);
	free(b0);
	free(b1);
	catalog_free(c);
}

static void gc_reports_busy_catalog(void **state)
{
	struct store_gc_report r;
	struct catalog *c;
	char path[160];
	sqlite3 *db;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	snprintf(path, sizeof(path), "%s/catalog.db", dir);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
			 SQLITE_OK);
	/* waits out the busy timeout (short here), then gives up */
	catalog_set_busy_timeout(c, 100);
	assert_int_equal(store_gc(c, 0, &r), -EBUSY);
	/* a dry run only reads: a writer does not stop it */
	assert_int_equal(store_gc(c, 1, &r), 0);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(store_gc(c, 0, &r), 0);
	catalog_free(c);
}

static uint64_t lease_gen;

static uint64_t get_lease_gen(void *arg)
{
	(void)arg;
	return lease_gen;
}

/* A mount serving an older generation keeps what its rows reached: the
 * pack of a dataset deleted since stays until the reader reloads (or its
 * lease goes stale), and gc says which reader held it back. */
static void gc_keeps_what_live_readers_reach(void **state)
{
	struct store_gc_report r;
	struct store_lease *l;
	struct catalog *c;
	char dead[64], path[160];
	uint64_t gen;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(PACK_LEN, dead, sizeof(dead));
	add(c, dead, PACK_LEN, "old");
	assert_int_equal(catalog_generation(c, &gen), 0);
	lease_gen = gen;        /* a mount that loaded "old" */
	assert_int_equal(store_lease_start(dir, get_lease_gen, NULL, &l), 0);
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_delete(c, "old"), 0);
	assert_int_equal(catalog_commit(c), 0);

	assert_int_equal(store_gc(c, 1, &r), 0);        /* dry run says so */
	assert_int_equal(r.readers_behind, 1);
	assert_int_equal(r.packs_removed, 0);
	assert_true(r.oldest.gen == gen);
	assert_int_equal(r.oldest.pid, (long)getpid());
	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.readers_behind, 1);
	assert_int_equal(r.packs_removed, 0);
	pack_path(dead, path, sizeof(path));
	assert_true(exists(path));
	/* the reader reloads: the pack goes */
	assert_int_equal(catalog_generation(c, &lease_gen), 0);
	store_lease_renew(l);
	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.readers_behind, 0);
	assert_int_equal(r.packs_removed, 1);
	assert_false(exists(path));
	store_lease_stop(l);
	catalog_free(c);
}

/* A lease not renewed for STORE_LEASE_TTL is a dead reader's: it holds
 * nothing back, and gc removes its file. */
static void gc_ignores_stale_leases(void **state)
{
	struct store_gc_report r;
	struct store_reader old;
	struct catalog *c;
	char dead[64], path[160];
	uint64_t behind;
	FILE *f;

	(void)state;
	assert_int_equal(catalog_open(dir, CATALOG_CREATE, &c), 0);
	write_pack(PACK_LEN, dead, sizeof(dead));
	add(c, dead, PACK_LEN, "old");
	assert_int_equal(catalog_begin(c), 0);
	assert_int_equal(catalog_dataset_delete(c, "old"), 0);
	assert_int_equal(catalog_commit(c), 0);
	snprintf(path, sizeof(path), "%s/readers", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/readers/gone.1.1", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("gone 1 0\n", f);
	fclose(f);
	/* fresh, it counts */
	assert_int_equal(store_leases_behind(dir, 5, time(NULL),
					     STORE_LEASE_TTL, 0, &behind,
					     &old), 0);
	assert_true(behind == 1);
	assert_string_equal(old.host, "gone");
	age(path, STORE_LEASE_TTL + 5);
	assert_int_equal(store_gc(c, 0, &r), 0);
	assert_int_equal(r.readers_behind, 0);
	assert_int_equal(r.packs_removed, 1);
	assert_false(exists(path));
	catalog_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(gc_removes_unreferenced_packs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gc_removes_old_orphans_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gc_punches_dead_ranges, setup,
						teardown),
		cmocka_unit_test_setup_teardown(gc_dry_run_changes_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gc_refuses_names_outside_packs,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gc_keeps_what_live_readers_reach,
						setup, teardown),
		cmocka_unit_test_setup_teardown(gc_ignores_stale_leases, setup,
						teardown),
		cmocka_unit_test_setup_teardown(gc_reports_busy_catalog, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("gc", tests, NULL, NULL);
}
