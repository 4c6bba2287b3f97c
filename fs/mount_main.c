/* SPDX-License-Identifier: MIT */
/* mount.cubefs: the program mount(8) runs for filesystems of type cubefs. */
#include "fs/ll.h"

int main(int argc, char **argv)
{
	return ll_mount_main(argc, argv);
}
