/* SPDX-License-Identifier: MIT */
/* The cubefs command: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "base/log.h"
#include "cli/cli.h"
#include "fs/ll.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "import", cmd_import, "import STORE FILE [options]  encode a .npy or NetCDF file into STORE" },
	{ "append", cmd_append, "append STORE NAME FILE...    add the frames of FILEs after NAME's last" },
	{ "ls", cmd_ls, "ls [--json] STORE            list datasets: shape, dtype, codec, ratio, PSNR" },
	{ "info", cmd_info, "info STORE NAME [--gops] [--json]  everything about a dataset" },
	{ "export", cmd_export, "export STORE NAME OUT.npy    write the decoded array ('-' for stdout), or a dataset as OUT.zarr" },
	{ "mount", cmd_mount, "mount STORE DIR [-o cache_size=512M] [-f]  serve STORE's datasets as files" },
	{ "stats", cmd_stats, "stats MOUNTPOINT             the decoded-frame cache's counters" },
	{ "plot", cmd_plot, "plot STORE NAME [-v VAR] -o FILE.png  PSNR and max error per frame (or --csv)" },
	{ "verify", cmd_verify, "verify STORE NAME ORIGINAL   compare with the original .npy or NetCDF: PSNR, max error, bpv" },
	{ "gc", cmd_gc, "gc [--dry-run] STORE         remove unused packs, punch holes in dead ranges" },
	{ "compact", cmd_compact, "compact STORE [NAME]         re-encode patched GOPs once, drop their patches" },
	{ "check", cmd_check, "check [--repair] STORE       verify rows and pack bytes (checksums), find orphans" },
};

int cli_help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return 1;
	return 0;
}

int cli_plain_args(int argc, char **argv, int npos, void (*usage)(FILE *f))
{
	int n = 0, opts = 1;

	if (cli_help_asked(argc, argv)) {
		usage(stdout);
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--")) {
			opts = 0;
		} else if (opts && argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "cubefs: %s: unknown option '%s'\n",
				argv[0], argv[i]);
			usage(stderr);
			return 2;
		} else {
			argv[1 + n++] = argv[i];
		}
	}
	if (n != npos) {
		usage(stderr);
		return 2;
	}
	return -1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: cubefs COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].help);
	fprintf(f, "\n'cubefs COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("cubefs %s\n", PACKAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	/* mount.fuse3 runs "cubefs SOURCE DIR -o OPTS" for type fuse.cubefs */
	if (argc >= 3 && argv[1][0] != '-' && strchr(argv[1], '/'))
		return ll_mount_main(argc, argv);
	fprintf(stderr, "cubefs: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
