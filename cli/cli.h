/* SPDX-License-Identifier: MIT */
/* The cubefs command's subcommands, one function each (internal to cli/). */
#ifndef CUBEFS_CLI_CLI_H
#define CUBEFS_CLI_CLI_H

#include <stdio.h>

#include "catalog/catalog.h"

int cmd_import(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_compact(int argc, char **argv);
int cmd_plot(int argc, char **argv);
int cmd_append(int argc, char **argv);

/*
 * The n file arguments args as paths (*out, *nout; free with
 * cli_files_free()): one that does not exist and holds *, ? or [ is a
 * glob, expanded in order. A glob that matches nothing prints an error:
 * -ENOENT. 0 or a negative errno.
 */
int cli_expand_files(char *const *args, int n, char ***out, int *nout);
void cli_files_free(char **v, int n);

struct import_opts;

/*
 * Imports (append_only 0) or appends the files or globs args[0, n) into
 * store as one dataset (import_files()) under the store's write lock,
 * and prints what was done unless quiet. Returns the exit status.
 */
int cli_import_files(const char *store, char *const *args, int n,
		     const struct import_opts *o, int append_only, int quiet);

/* The input files of a dataset, for cubefs info. */
void cli_print_parts(const struct cat_part *p, size_t n);

/* Opens a store for reading; prints the reason and returns NULL on failure. */
struct catalog *cli_open_store(const char *dir, int flags);

/* "12.3 MB" style sizes into buf. */
const char *cli_bytes(double n, char *buf, size_t cap);

/* "(8, 11, 77, 76)" into buf. */
const char *cli_shape(const struct cat_var *v, char *buf, size_t cap);

/*
 * Finds "ds" (one-variable dataset) or "ds/var": sets *ds and *vi. -ENOENT
 * if there is no such variable; *ds is then the dataset of that name, or
 * NULL if there is none.
 */
int cli_find_var(struct cat_dataset **all, int n, const char *name,
		 struct cat_dataset **ds, int *vi);

/* 1 if an argument after the command's name is "--help" or "-h". */
int cli_help_asked(int argc, char **argv);

/*
 * For a command of exactly npos arguments and no options ("--" ends the
 * options, for a name that starts with '-'): moves the arguments to
 * argv[1..npos] and returns -1 to go on; or prints usage and returns the
 * exit status: 0 to stdout for --help or -h, 2 to stderr for an unknown
 * option or another number of arguments.
 */
int cli_plain_args(int argc, char **argv, int npos, void (*usage)(FILE *f));

/*
 * Prints the plain files of the store at `store` (catalog c) that a mount
 * keeps in staging/, each with its size and whether it is pending import
 * and why: all of them under a heading (none: nothing printed), or only
 * the one called name (if not NULL). With check, says where each one's
 * bytes are and whether they are there. Returns how many lack their
 * bytes, -ENOENT when name is no plain file, or -EIO.
 */
int cli_plain_print(struct catalog *c, const char *store, const char *name,
		    int check);
struct reader;

/*
 * Writes dataset ds as the Zarr v2 directory out (which must not exist):
 * the documents and chunks a mount shows as <dataset>.zarr/, chunks read
 * through r (cli/export_zarr.c). 0 or a negative errno, said on stderr
 * (what was written stays).
 */
int cli_export_zarr(struct reader *r, const struct cat_dataset *ds,
		    const char *out);

struct json;
struct cat_part;

/* How much of a dataset cli_json_dataset() writes. */
enum { CLI_JSON_LS = 0, CLI_JSON_INFO = 1, CLI_JSON_GOPS = 2 };

/*
 * Writes ds as one JSON object (cli/ls_json.c): with CLI_JSON_LS what `ls`
 * shows of it (name, source, times as ISO 8601 UTC and ns, variables with
 * shape, dims, dtype, codec, sizes and quality, views); with CLI_JSON_INFO
 * also dims, attributes (as netCDF4-python reads them), masks, streams and
 * skipped variables; with CLI_JSON_GOPS also every GOP. What does not apply
 * is null: psnr of an exact variable, bits and crf of lz4 streams, crf of
 * lossless ones, NaN and infinite numbers, names of unnamed dims.
 * With CLI_JSON_INFO and up, "files": the n input files of parts (path,
 * first_frame, nframes, their own global attributes as strings), [] for
 * none.
 */
void cli_json_dataset(struct json *j, const struct cat_dataset *ds,
		      int detail, const struct cat_part *parts, size_t n);

#endif
