/* SPDX-License-Identifier: MIT */
/* Whole reads and writes of file descriptors: short counts and EINTR retried. */
#ifndef CUBEFS_BASE_IO_H
#define CUBEFS_BASE_IO_H

#include <stddef.h>
#include <stdint.h>

/* Writes all len bytes of buf to fd at its file offset. Returns 0, or a
 * negative errno (what was written before the error stays written). */
int io_write_all(int fd, const void *buf, size_t len);

/* Reads exactly len bytes at offset into buf. Returns 0, -EIO if the file
 * ends first or offset + len overflows off_t, or a negative errno; buf's
 * contents are unspecified on failure. */
int io_pread_all(int fd, void *buf, size_t len, uint64_t offset);

#endif
