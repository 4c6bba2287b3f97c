/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: reading typed values off the fuzzer's bytes. */
#ifndef CUBEFS_FUZZ_INPUT_H
#define CUBEFS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A cursor over the input; reads past its end give zeros. */
struct fin {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fin_u8(struct fin *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static inline uint32_t fin_u32(struct fin *in)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)fin_u8(in) << (8 * i);
	return v;
}

static inline uint64_t fin_u64(struct fin *in)
{
	return fin_u32(in) | (uint64_t)fin_u32(in) << 32;
}

static inline double fin_double(struct fin *in)
{
	uint64_t b = fin_u64(in);
	double d;

	memcpy(&d, &b, sizeof(d));
	return d;
}

/* Copies up to n bytes into dst, zeros where the input ran out. */
static inline void fin_bytes(struct fin *in, void *dst, size_t n)
{
	size_t k = n < in->n ? n : in->n;

	memcpy(dst, in->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	in->p += k;
	in->n -= k;
}

#endif
