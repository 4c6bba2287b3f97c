/* SPDX-License-Identifier: MIT */
/* cubefs mount and stats: the mount itself lives in the FUSE adapter; stats reads its counters. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>

#include "cli/cli.h"
#include "fs/ll.h"

int cmd_mount(int argc, char **argv)
{
	return ll_mount_main(argc, argv);
}

int cmd_stats(int argc, char **argv)
{
	char buf[1024];
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: cubefs stats MOUNTPOINT\n");
		return 2;
	}
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
