/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the --max-error correction block parser on untrusted bytes, then a pack/parse round trip. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/block.h"
#include "codec/correct.h"
#include "fuzz/input.h"

enum { MAX_VALS = 1 << 16 };

static void check_parsed(const struct codec_corr *c, enum dtype t,
			 size_t nvals, uint32_t expect)
{
	size_t isz = dtype_size(t);
	struct codec_corr c2;
	uint16_t *s = calloc(nvals, sizeof(*s));
	uint8_t *v = calloc(nvals, isz), *blk = NULL;
	size_t len;

	if (!s || !v)
		goto out;
	if ((uint64_t)c->nsamp + c->nexact != expect)
		abort();
	for (uint32_t i = 0; i < c->nsamp; i++)
		if (c->spos[i] >= nvals || (i && c->spos[i] <= c->spos[i - 1]))
			abort();
	for (uint32_t i = 0; i < c->nexact; i++)
		if (c->epos[i] >= nvals || (i && c->epos[i] <= c->epos[i - 1]))
			abort();
	/* what a read does with them: ASan watches every index */
	codec_corr_samples(c, s, 12, nvals);
	codec_corr_values(c, t, v, nvals);
	/* what parses packs again (format 2) and parses back the same */
	if (codec_corr_pack(c, t, nvals, &blk, &len))
		goto out;
	if (codec_corr_parse(blk, len, t, nvals, expect, &c2))
		abort();
	/* a step without sample corrections means nothing (format 1 has
	 * none, format 2 writes 1) */
	if (c2.nsamp != c->nsamp || c2.nexact != c->nexact ||
	    (c->nsamp && (c2.step != c->step ||
	     memcmp(c2.spos, c->spos, c->nsamp * sizeof(*c->spos)) ||
	     memcmp(c2.scode, c->scode, c->nsamp * sizeof(*c->scode)))) ||
	    (c->nexact && (memcmp(c2.epos, c->epos,
				  c->nexact * sizeof(*c->epos)) ||
			   memcmp(c2.evals, c->evals, c->nexact * isz))))
		abort();
	codec_corr_release(&c2);
out:
	free(blk);
	free(s);
	free(v);
}

/* Input: dtype (1 byte), values in the GOP (u32), corrections the row
 * records (u32), a mode byte, then the block (odd mode) or the bytes a
 * block holds (even mode: packed here, so that mutations reach the
 * parser behind the block's crc). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	enum dtype t = (enum dtype)(1 + fin_u8(&in) % 10);
	size_t nvals = 1 + fin_u32(&in) % MAX_VALS;
	uint32_t expect = fin_u32(&in) % (MAX_VALS + 1);
	int whole = fin_u8(&in) & 1;
	/* a copy of exactly the block: ASan sees any read past its end */
	uint8_t *blk = NULL;
	size_t len = in.n;
	struct codec_corr c;
	int rc;

	if (whole) {
		blk = malloc(len ? len : 1);
		if (blk)
			memcpy(blk, in.p, len);
	} else if (codec_block_pack(in.p, in.n, &blk, &len)) {
		blk = NULL;
	}
	if (!blk)
		return 0;
	rc = codec_corr_parse(blk, len, t, nvals, expect, &c);
	if (rc == 0) {
		check_parsed(&c, t, nvals, expect);
		codec_corr_release(&c);
	} else if (rc != -EIO && rc != -ENOMEM) {
		abort();
	}
	free(blk);
	return 0;
}
