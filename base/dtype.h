/* SPDX-License-Identifier: MIT */
/* Element types of cube variables: sizes, names, and conversion to double. */
#ifndef CUBEFS_BASE_DTYPE_H
#define CUBEFS_BASE_DTYPE_H

#include <stddef.h>
#include <stdint.h>

#include "base/format.h"

/* Size in bytes of one element; 0 for DTYPE_NONE or an invalid value. */
size_t dtype_size(enum dtype t);

/* Short name ("float32", "uint16", ...); "?" for an invalid value. */
const char *dtype_name(enum dtype t);

/* Parses a short name as dtype_name() prints it; DTYPE_NONE if unknown. */
enum dtype dtype_from_name(const char *name);

/* numpy's type code without byte order ("f4", "u2", "i1", ...). */
const char *dtype_npy_code(enum dtype t);

/* 1 for float32/float64. */
int dtype_is_float(enum dtype t);

/* 1 for the signed integer types. */
int dtype_is_signed(enum dtype t);

/* Smallest and largest finite values of the type, as doubles. */
double dtype_min(enum dtype t);
double dtype_max(enum dtype t);

/* Converts n native-order elements at src to doubles. */
void dtype_to_double(enum dtype t, const void *src, double *dst, size_t n);

/*
 * Converts n doubles to native-order elements of type t. Integer targets
 * are rounded to nearest and clamped to the type's range; NaN becomes 0.
 */
void dtype_from_double(enum dtype t, const double *src, void *dst, size_t n);

/*
 * Bytes of one element of NetCDF external type t (NCT_BYTE ... NCT_UINT64,
 * the classic and CDF-5 types); 0 for NCT_STRING and any other value, so
 * that an untrusted type code can be checked with it.
 */
size_t nct_size(uint64_t t);

/* Reverses the byte order of n elements of size `size` in place. */
void dtype_bswap(void *buf, size_t size, size_t n);

/* Copies n elements of size `size`, reversing each element's bytes. */
void dtype_bswap_copy(void *dst, const void *src, size_t size, size_t n);

#endif
