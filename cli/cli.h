/* SPDX-License-Identifier: MIT */
/* The cubefs command's subcommands, one function each (internal to cli/). */
#ifndef CUBEFS_CLI_CLI_H
#define CUBEFS_CLI_CLI_H

#include "catalog/catalog.h"

int cmd_import(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_gc(int argc, char **argv);

/* Opens a store for reading; prints the reason and returns NULL on failure. */
struct catalog *cli_open_store(const char *dir, int flags);

/* "12.3 MB" style sizes into buf. */
const char *cli_bytes(double n, char *buf, size_t cap);

/* "(8, 11, 77, 76)" into buf. */
const char *cli_shape(const struct cat_var *v, char *buf, size_t cap);

/* Finds "ds" (one-variable dataset) or "ds/var": sets *vi. -ENOENT. */
int cli_find_var(struct cat_dataset **all, int n, const char *name,
		 struct cat_dataset **ds, int *vi);

#endif
