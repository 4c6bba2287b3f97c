/* SPDX-License-Identifier: MIT */
/* cubefs append, and what it shares with a many-file import: file globs, the report, the files of a dataset in info. */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "ingest/import.h"
#include "store/lock.h"

int cli_expand_files(char *const *args, int n, char ***out, int *nout)
{
	char **v = NULL;
	int k = 0, rc = 0;

	*out = NULL;
	*nout = 0;
	for (int i = 0; i < n && !rc; i++) {
		glob_t g = { 0 };
		int wild = strpbrk(args[i], "*?[") && access(args[i], F_OK);
		size_t add = 1;
		char **t;

		if (wild && glob(args[i], 0, NULL, &g)) {
			fprintf(stderr, "cubefs: no file matches '%s'\n",
				args[i]);
			rc = -ENOENT;
			break;
		}
		if (wild)
			add = g.gl_pathc;
		t = realloc(v, ((size_t)k + add + 1) * sizeof(*v));
		if (t)
			v = t;
		for (size_t j = 0; t && j < add; j++)
			if (!(v[k++] = strdup(wild ? g.gl_pathv[j] : args[i])))
				rc = -ENOMEM;
		if (!t)
			rc = -ENOMEM;
		if (wild)
			globfree(&g);
	}
	if (rc) {
		cli_files_free(v, k);
		return rc;
	}
	*out = v;
	*nout = k;
	return 0;
}

void cli_files_free(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static void files_report(const struct import_files_report *r,
			 const char *verb)
{
	printf("%s %d file%s to '%s' in %.1f s: %llu frames, %llu in all",
	       verb, r->files, r->files == 1 ? "" : "s", r->name, r->seconds,
	       (unsigned long long)r->frames, (unsigned long long)r->total);
	if (r->skipped)
		printf(" (%d file%s already there)", r->skipped,
		       r->skipped == 1 ? " was" : "s were");
	printf("\n");
}

void cli_print_parts(const struct cat_part *p, size_t n)
{
	if (!n)
		return;
	printf("  %zu files:\n", n);
	for (size_t i = 0; i < n; i++) {
		const char *a = p[i].attrs;

		printf("    frames %llu-%llu  %s\n",
		       (unsigned long long)p[i].first_frame,
		       (unsigned long long)(p[i].first_frame + p[i].nframes -
					    (p[i].nframes > 0)), p[i].path);
		while (a && *a) {
			const char *nl = strchr(a, '\n');
			int len = nl ? (int)(nl - a) : (int)strlen(a);

			printf("      %.*s\n", len, a);
			a += len + (nl != NULL);
		}
	}
}

static void append_usage(FILE *f)
{
	fprintf(f,
"usage: cubefs append STORE NAME FILE... [options]\n"
"  Adds the frames of each FILE after the last frame of dataset NAME,\n"
"  encoded as the dataset was. FILEs are joined along the record dimension\n"
"  in the order of its coordinate values; a quoted glob is expanded.\n"
"  Frames the dataset holds already are refused.\n"
"options:\n"
"  --concat DIM    join along DIM (default: the unlimited dimension)\n"
"  -q, --quiet     no progress, no report\n");
}

int cli_import_files(const char *store, char *const *args, int n,
		     const struct import_opts *o, int append_only, int quiet)
{
	struct import_files_report rep;
	struct store_lock *lock = NULL;
	struct catalog *c;
	char **files = NULL;
	int nfiles = 0, rc;

	if (cli_expand_files(args, n, &files, &nfiles))
		return 1;
	c = cli_open_store(store, append_only ? 0 : CATALOG_CREATE);
	rc = c ? store_lock_take(store, &lock) : -ENOENT;
	if (!rc)
		rc = import_files(c, files, nfiles, o, append_only, &rep);
	catalog_free(c);
	store_lock_release(lock);
	cli_files_free(files, nfiles);
	if (rc)
		return 1;
	if (!quiet)
		files_report(&rep, append_only ? "appended" : "imported");
	return 0;
}

int cmd_append(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "concat", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct import_opts o;
	int ch, quiet = 0;

	import_opts_init(&o);
	while ((ch = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C': o.concat = optarg; break;
		case 'q': quiet = 1; o.progress = 0; break;
		case 'h': append_usage(stdout); return 0;
		default: append_usage(stderr); return 2;
		}
	}
	if (argc - optind < 3) {
		append_usage(stderr);
		return 2;
	}
	o.name = argv[optind + 1];
	return cli_import_files(argv[optind], argv + optind + 2,
				argc - optind - 2, &o, 1, quiet);
}
