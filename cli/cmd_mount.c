/* SPDX-License-Identifier: MIT */
/* cubefs mount and stats: the mount itself lives in the FUSE adapter; stats reads its counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "cli/cli.h"
#include "fs/ll.h"

/*
 * The options mount.cubefs documents, checked here so that a usage error
 * exits 2 like the other commands; --help, and the checks of the -o
 * values, are the FUSE adapter's.
 */
int cmd_mount(int argc, char **argv)
{
	int npos = 0;

	if (cli_help_asked(argc, argv))
		return ll_mount_main(argc, argv);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-o") && i + 1 < argc) {
			i++;
		} else if (!strcmp(a, "-f") || !strcmp(a, "-d") ||
			   !strcmp(a, "-s") || (!strncmp(a, "-o", 2) && a[2])) {
			continue;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "cubefs: mount: unknown option '%s'\n",
				a);
			npos = -1;
			break;
		} else {
			npos++;
		}
	}
	if (npos != 2) {
		fprintf(stderr, "usage: cubefs mount STORE DIR [-o OPTIONS] "
			"[-f] [-d] [-s]\n('cubefs mount --help' describes "
			"them)\n");
		return 2;
	}
	return ll_mount_main(argc, argv);
}

static void stats_usage(FILE *f)
{
	fprintf(f, "usage: cubefs stats MOUNTPOINT\n\n"
		"Prints the counters of a mounted store: its decoded-GOP "
		"cache's hits,\nmisses, decodes and evictions, and the video "
		"decoders opened and reused,\nread from an extended attribute "
		"of the mount.\n\n"
		"  -h, --help  this help\n");
}

int cmd_stats(int argc, char **argv)
{
	char buf[1024];
	ssize_t n;
	int rc = cli_plain_args(argc, argv, 1, stats_usage);

	if (rc >= 0)
		return rc;
	n = getxattr(argv[1], CUBEFS_XATTR_STATS, buf, sizeof(buf) - 1);
	if (n < 0) {
		fprintf(stderr, "cubefs: '%s' is not a cubefs mount: %s\n",
			argv[1], strerror(errno));
		return 1;
	}
	buf[n] = 0;
	fputs(buf, stdout);
	return 0;
}
