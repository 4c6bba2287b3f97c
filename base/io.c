/* SPDX-License-Identifier: MIT */
/* Whole reads and writes of file descriptors: short counts and EINTR retried. */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "base/io.h"

int io_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int io_pread_all(int fd, void *buf, size_t len, uint64_t offset)
{
	char *p = buf;
	size_t done = 0;

	if (offset > (uint64_t)LLONG_MAX - len)
		return -EIO;
	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done,
				  (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}
