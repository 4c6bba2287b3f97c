/* SPDX-License-Identifier: MIT */
/* The classic NetCDF header (CDF-1, -2, -5) read by hand, for its data size. */
#ifndef CUBEFS_INGEST_NC_CLASSIC_H
#define CUBEFS_INGEST_NC_CLASSIC_H

#include <stdint.h>

/*
 * Refuses a classic-format NetCDF file that is shorter than its header
 * says: libnetcdf reads the missing bytes of a truncated file as zeros.
 * Opens path read-only, walks the header (dimensions, attributes, each
 * variable's begin and size, the record count) for the end of the last
 * variable's data, and closes it again; no libnetcdf call is made and
 * the caller keeps nothing. Call it only for a file libnetcdf reports as
 * NC_FORMAT_CLASSIC, NC_FORMAT_64BIT_OFFSET or NC_FORMAT_CDF5.
 *
 * Returns 0 if the file holds all its data, -EINVAL if it is truncated or
 * its header is malformed, -ENOMEM, or the errno of a failed open, fstat
 * or read; every error is logged once with the path. Thread-safe (no
 * shared state).
 */
int nc_classic_check_size(const char *path);

/*
 * The header walk nc_classic_check_size() makes, on an open file of
 * fsize bytes: sets *end to where the last variable's data ends (0 if no
 * variable holds data). Returns 0, -EINVAL for a malformed header (logs
 * nothing), -ENOMEM, or a read's errno. Reads fd with pread only.
 */
int nc_classic_data_end(int fd, uint64_t fsize, uint64_t *end);

#endif
