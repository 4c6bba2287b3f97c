/* SPDX-License-Identifier: MIT */
/* libFuzzer target: staging journals (range log and data file) read back by stage_scan and stage_open, as recovery does at mount. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/stage.h"
#include "fuzz/input.h"

/*
 * The input: a flags byte (bit 0: open as a new file, not an edit), two
 * bytes of log length, the log file, then the data file. Seeds are
 * journals stage.c wrote (CUBEFS_FUZZ_SEEDS=dir writes them).
 */

static char store[64], logp[96], datap[96];

static void put_file(const char *path, const uint8_t *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (n && write(fd, p, n) != (ssize_t)n))
		abort();
	close(fd);
}

static int on_journal(void *arg, const char *key, int kind, const char *name,
		      uint64_t size)
{
	if ((kind != STAGE_EDIT && kind != STAGE_NEW) || strlen(name) > 255 ||
	    strcmp(key, "k"))
		abort();
	++*(int *)arg;
	return 0;
}

struct ranges {
	uint64_t end;           /* of the last range seen */
	uint64_t size;
	int n;
};

static int on_range(void *arg, uint64_t off, uint64_t len)
{
	struct ranges *r = arg;

	if (getenv("CUBEFS_FUZZ_LOG"))
		fprintf(stderr, "range %llu +%llu (size %llu)\n",
			(unsigned long long)off, (unsigned long long)len,
			(unsigned long long)r->size);
	/* sorted, merged, non-empty, inside the file */
	if (!len || (r->n && off <= r->end) || off + len < off ||
	    off + len > r->size)
		abort();
	r->end = off + len;
	r->n++;
	return 0;
}

/* Reads a window of the staged file; with data, checks a new file's. */
static void read_window(struct stage *st, struct fin *in, const uint8_t *data,
			size_t ndata)
{
	uint64_t off = fin_u32(in) % (stage_size(st) + 64);
	size_t len = 1 + fin_u8(in) * 16u;
	uint8_t *buf = malloc(len);

	if (!buf)
		return;
	memset(buf, 0xa5, len);
	if (stage_overlay(st, buf, len, off) == 0 && data &&
	    stage_kind(st) == STAGE_NEW) {
		/* a new file is its data file, zeros past its end */
		for (size_t i = 0; i < len; i++)
			if (buf[i] != (off + i < ndata ? data[off + i] : 0))
				abort();
	}
	free(buf);
}

static void write_seeds(const char *dir)
{
	static const char *const names[] = { "edit", "new", "cut", "torn" };
	struct stage *st;
	char p[512];

	for (int s = 0; s < 4; s++) {
		struct stat sb;
		uint8_t *f;
		size_t nl, nd;
		FILE *o;

		if (stage_open(store, "k", s == 1 ? STAGE_NEW : STAGE_EDIT,
			       names[s], 1000, &st))
			abort();
		stage_write(st, "hello", 5, 10);
		stage_write(st, "world", 5, 12 + 50 * s);
		if (s == 2) {
			stage_truncate(st, 14);
			stage_write(st, "again", 5, 40);
		}
		stage_free(st, 0);
		if (s == 3)	/* a torn last record */
			truncate(logp, (off_t)(19 + 4 + 17 * 2 - 5));
		/* flags, log length, log, data */
		stat(logp, &sb);
		nl = (size_t)sb.st_size;
		stat(datap, &sb);
		nd = (size_t)sb.st_size;
		f = calloc(1, 3 + nl + nd);
		f[0] = s == 1;
		f[1] = (uint8_t)nl;
		f[2] = (uint8_t)(nl >> 8);
		o = fopen(logp, "rb");
		fread(f + 3, 1, nl, o);
		fclose(o);
		o = fopen(datap, "rb");
		fread(f + 3 + nl, 1, nd, o);
		fclose(o);
		snprintf(p, sizeof(p), "%s/%s", dir, names[s]);
		o = fopen(p, "wb");
		if (!o)
			abort();
		fwrite(f, 1, 3 + nl + nd, o);
		fclose(o);
		free(f);
		unlink(logp);
		unlink(datap);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(store, sizeof(store), "%s/cubefs-fuzz-XXXXXX",
		 tmp && strlen(tmp) < 30 ? tmp : "/tmp");
	if (!mkdtemp(store))
		abort();
	snprintf(logp, sizeof(logp), "%s/staging", store);
	mkdir(logp, 0700);
	snprintf(logp, sizeof(logp), "%s/staging/k.log", store);
	snprintf(datap, sizeof(datap), "%s/staging/k.data", store);
	if (getenv("CUBEFS_FUZZ_SEEDS"))
		write_seeds(getenv("CUBEFS_FUZZ_SEEDS"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size }, win;
	int flags = fin_u8(&in), nj = 0, rc;
	size_t nl = fin_u8(&in);
	struct ranges r = { 0 };
	struct stage *st;

	nl |= (size_t)fin_u8(&in) << 8;
	nl = nl < in.n ? nl : in.n;
	put_file(logp, in.p, nl);
	put_file(datap, in.p + nl, in.n - nl);
	/* the log's own bytes choose the windows read below */
	win = (struct fin){ in.p, nl };

	if (stage_scan(store, on_journal, &nj) || nj > 1)
		abort();
	rc = stage_open(store, "k", flags & 1 ? STAGE_NEW : STAGE_EDIT, "x",
			64, &st);
	if (rc) {
		if (rc != -EINVAL && rc != -EUCLEAN && rc != -ENOMEM)
			abort();
		unlink(logp);
		unlink(datap);
		return 0;
	}
	r.size = stage_size(st);
	stage_each_range(st, on_range, &r);
	for (int i = 0; i < 4; i++)
		read_window(st, &win, in.p + nl, in.n - nl);
	/* and the journal goes on: a write, a cut, a read, then discarded */
	if (stage_write(st, "xyz", 3, fin_u8(&win)) != 3 ||
	    stage_truncate(st, fin_u8(&win)))
		abort();
	read_window(st, &win, NULL, 0);
	stage_free(st, 1);
	return 0;
}
