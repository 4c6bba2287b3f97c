/* SPDX-License-Identifier: MIT */
/* The .npy file header: a strict parser for untrusted bytes and a writer. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ingest/npy.h"

static const char npy_magic[6] = { '\x93', 'N', 'U', 'M', 'P', 'Y' };

/*
 * Largest header (after the preamble) we read. Headers of the types cubefs
 * stores are under 1 KiB; only structured dtypes need more, and a cap keeps
 * callers that buffer data_offset bytes after -EAGAIN from buffering 4 GiB.
 */
#define NPY_MAX_HEADER_LEN (1u << 20)

/* Nesting limit of lists and tuples inside a structured 'descr'. */
#define NPY_MAX_DEPTH 32

/* numpy's ARRAY_ALIGN and GROWTH_AXIS_MAX_DIGITS (numpy/lib/format.py). */
#define NPY_ALIGN 64
#define NPY_GROWTH_DIGITS 21

/* Longest dict we write: 32 dims of 20 digits, ", " each, plus the rest. */
#define NPY_DICT_MAX 1024

enum {
	KEY_DESCR = 1,
	KEY_FORTRAN = 2,
	KEY_SHAPE = 4,
};

struct lexer {
	const unsigned char *p;
	const unsigned char *end;
	int version;
};

/* What the dict said, before the checks that need all of it. */
struct parsed {
	int keys;
	int descr_unsupported;
	int too_many_dims;
	int product_overflow;
	uint64_t product;       /* of the nonzero dims */
	int has_zero_dim;
};

static void skip_ws(struct lexer *lx)
{
	while (lx->p < lx->end && (*lx->p == ' ' || *lx->p == '\t' ||
				   *lx->p == '\n' || *lx->p == '\r' ||
				   *lx->p == '\f'))
		lx->p++;
}

/* Consumes c (after whitespace) if it is next; returns 1 if it was. */
static int accept(struct lexer *lx, unsigned char c)
{
	skip_ws(lx);
	if (lx->p < lx->end && *lx->p == c) {
		lx->p++;
		return 1;
	}
	return 0;
}

static int peek(struct lexer *lx)
{
	skip_ws(lx);
	return lx->p < lx->end ? *lx->p : -1;
}

/*
 * A quoted string; *s and *n get its raw bytes. A backslash escapes the
 * next byte (so the raw bytes of an escaped string match no key or code).
 */
static int lex_string(struct lexer *lx, const unsigned char **s, size_t *n)
{
	unsigned char q;
	const unsigned char *start;

	skip_ws(lx);
	if (lx->p >= lx->end || (*lx->p != '\'' && *lx->p != '"'))
		return -EINVAL;
	q = *lx->p++;
	start = lx->p;
	while (lx->p < lx->end && *lx->p != q) {
		if (*lx->p == '\n' || *lx->p == '\r')
			return -EINVAL;
		if (*lx->p == '\\' && lx->end - lx->p > 1)
			lx->p++;
		lx->p++;
	}
	if (lx->p >= lx->end)
		return -EINVAL;
	*s = start;
	*n = (size_t)(lx->p - start);
	lx->p++;
	return 0;
}

static int is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* A non-negative decimal integer, as Python writes it (v1/v2 allow 'L'). */
static int lex_uint(struct lexer *lx, uint64_t *v)
{
	uint64_t x = 0;
	const unsigned char *start;

	skip_ws(lx);
	start = lx->p;
	while (lx->p < lx->end && *lx->p >= '0' && *lx->p <= '9') {
		unsigned d = *lx->p - '0';

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
		lx->p++;
	}
	if (lx->p == start)
		return -EINVAL;
	/* Python reads "00" as 0 but refuses "012"; so do we. */
	if (*start == '0' && x != 0)
		return -EINVAL;
	/* Python 2 longs ("3L"), which numpy filters out of v1 and v2. */
	if (lx->version <= 2 && lx->p < lx->end && *lx->p == 'L')
		lx->p++;
	if (lx->p < lx->end && (is_name_char(*lx->p) || *lx->p == '.'))
		return -EINVAL;
	*v = x;
	return 0;
}

/* An identifier; returns 1 for True, 0 for False, -EINVAL otherwise. */
static int lex_bool(struct lexer *lx)
{
	const unsigned char *start;
	size_t n;

	skip_ws(lx);
	start = lx->p;
	while (lx->p < lx->end && is_name_char(*lx->p))
		lx->p++;
	n = (size_t)(lx->p - start);
	if (n == 4 && !memcmp(start, "True", 4))
		return 1;
	if (n == 5 && !memcmp(start, "False", 5))
		return 0;
	return -EINVAL;
}

/*
 * Skips one literal of a structured or subarray descr: strings, integers
 * (with an optional sign) and nested lists and tuples of them.
 */
static int skip_literal(struct lexer *lx, int depth)
{
	const unsigned char *s;
	size_t n;
	uint64_t v;
	unsigned char close;
	int c = peek(lx);

	if (c == '\'' || c == '"')
		return lex_string(lx, &s, &n);
	if (c == '-' || c == '+') {
		lx->p++;
		return lex_uint(lx, &v);
	}
	if (c >= '0' && c <= '9')
		return lex_uint(lx, &v);
	if (c != '(' && c != '[')
		return -EINVAL;
	if (depth >= NPY_MAX_DEPTH)
		return -EINVAL;
	close = c == '(' ? ')' : ']';
	lx->p++;
	for (;;) {
		int rc;

		if (accept(lx, close))
			return 0;
		rc = skip_literal(lx, depth + 1);
		if (rc)
			return rc;
		if (accept(lx, close))
			return 0;
		if (!accept(lx, ','))
			return -EINVAL;
	}
}

static const struct {
	char code[3];
	enum dtype t;
} npy_codes[] = {
	{ "i1", DTYPE_I8 }, { "u1", DTYPE_U8 },
	{ "i2", DTYPE_I16 }, { "u2", DTYPE_U16 },
	{ "i4", DTYPE_I32 }, { "u4", DTYPE_U32 },
	{ "i8", DTYPE_I64 }, { "u8", DTYPE_U64 },
	{ "f4", DTYPE_F32 }, { "f8", DTYPE_F64 },
};

/* Keeps the text of an unsupported descr in h->descr, printable and cut. */
static void keep_descr(struct npy_header *h, const unsigned char *s, size_t n)
{
	size_t cap = sizeof(h->descr), k;

	for (k = 0; k < n && k + 1 < cap; k++)
		h->descr[k] = s[k] >= 0x20 && s[k] < 0x7f ? (char)s[k] : '?';
	h->descr[k] = 0;
	if (k < n)
		memcpy(h->descr + cap - 4, "...", 4);
}

/*
 * The value of 'descr'. A string of a type cubefs stores fills h->dtype
 * and h->big_endian; any other string, list or tuple is well-formed but
 * unsupported. '|' is numpy's "not applicable" order, for one-byte types.
 */
static int parse_descr(struct lexer *lx, struct npy_header *h,
		       struct parsed *ps)
{
	const unsigned char *s;
	size_t n;
	unsigned char order = '=';
	int c = peek(lx);
	int rc;

	if (c == '[' || c == '(') {
		s = lx->p;
		ps->descr_unsupported = 1;
		rc = skip_literal(lx, 0);
		keep_descr(h, s, (size_t)(lx->p - s));
		return rc;
	}
	rc = lex_string(lx, &s, &n);
	if (rc)
		return rc;
	keep_descr(h, s, n);
	if (n > 0 && (s[0] == '<' || s[0] == '>' || s[0] == '|' ||
		      s[0] == '=')) {
		order = s[0];
		s++;
		n--;
	}
	if (n == 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(npy_codes) / sizeof(npy_codes[0]); i++) {
		if (n != 2 || memcmp(s, npy_codes[i].code, 2))
			continue;
		h->dtype = npy_codes[i].t;
		h->descr[0] = 0;
		if (dtype_size(h->dtype) == 1) {
			h->big_endian = 0;
		} else {
			if (order == '|')
				return -EINVAL;
			h->big_endian = order == '>';
		}
		return 0;
	}
	ps->descr_unsupported = 1;
	return 0;
}

/* The value of 'shape': a tuple of non-negative integers. */
static int parse_shape(struct lexer *lx, struct npy_header *h,
		       struct parsed *ps)
{
	int n = 0, comma = 0;

	if (!accept(lx, '('))
		return -EINVAL;
	ps->product = 1;
	while (!accept(lx, ')')) {
		uint64_t d;
		int rc = lex_uint(lx, &d);

		if (rc)
			return rc;
		if (n < NPY_MAX_DIMS)
			h->shape[n] = d;
		else
			ps->too_many_dims = 1;
		n++;
		if (d == 0)
			ps->has_zero_dim = 1;
		else if (ps->product > UINT64_MAX / d)
			ps->product_overflow = 1;
		else
			ps->product *= d;
		comma = accept(lx, ',');
		if (!comma) {
			if (!accept(lx, ')'))
				return -EINVAL;
			break;
		}
	}
	/* "(5)" is an integer in Python, not a tuple. */
	if (n == 1 && !comma)
		return -EINVAL;
	h->ndim = n < NPY_MAX_DIMS ? n : NPY_MAX_DIMS;
	return 0;
}

static int parse_dict(struct lexer *lx, struct npy_header *h,
		      struct parsed *ps)
{
	if (!accept(lx, '{'))
		return -EINVAL;
	while (!accept(lx, '}')) {
		const unsigned char *key;
		size_t n;
		int rc, which;

		rc = lex_string(lx, &key, &n);
		if (rc)
			return rc;
		if (n == 5 && !memcmp(key, "descr", 5))
			which = KEY_DESCR;
		else if (n == 13 && !memcmp(key, "fortran_order", 13))
			which = KEY_FORTRAN;
		else if (n == 5 && !memcmp(key, "shape", 5))
			which = KEY_SHAPE;
		else
			return -EINVAL;
		if (ps->keys & which)
			return -EINVAL;
		ps->keys |= which;
		if (!accept(lx, ':'))
			return -EINVAL;
		if (which == KEY_DESCR) {
			rc = parse_descr(lx, h, ps);
		} else if (which == KEY_SHAPE) {
			rc = parse_shape(lx, h, ps);
		} else {
			rc = lex_bool(lx);
			if (rc >= 0) {
				h->fortran_order = rc;
				rc = 0;
			}
		}
		if (rc)
			return rc;
		if (!accept(lx, ',')) {
			if (!accept(lx, '}'))
				return -EINVAL;
			break;
		}
	}
	skip_ws(lx);
	if (lx->p != lx->end)
		return -EINVAL;
	return 0;
}

int npy_parse(const void *buf, size_t len, struct npy_header *h)
{
	const unsigned char *b = buf;
	struct parsed ps = { 0 };
	struct lexer lx;
	size_t pre, hlen;
	int rc;

	memset(h, 0, sizeof(*h));
	if (len == 0) {
		rc = -EAGAIN;
		goto out;
	}
	if (memcmp(b, npy_magic, len < 6 ? len : 6)) {
		rc = -EINVAL;
		goto out;
	}
	if ((len > 6 && (b[6] < 1 || b[6] > 3)) || (len > 7 && b[7] != 0)) {
		rc = -EINVAL;
		goto out;
	}
	if (len < 8) {
		rc = -EAGAIN;
		goto out;
	}
	h->version = b[6];
	pre = h->version == 1 ? 10 : 12;
	if (len < pre) {
		rc = -EAGAIN;
		goto out;
	}
	hlen = (size_t)b[8] | (size_t)b[9] << 8;
	if (h->version > 1)
		hlen |= (size_t)b[10] << 16 | (size_t)b[11] << 24;
	if (hlen == 0 || hlen > NPY_MAX_HEADER_LEN) {
		rc = -EINVAL;
		goto out;
	}
	h->data_offset = pre + hlen;
	if (len < h->data_offset) {
		rc = -EAGAIN;
		goto out;
	}
	/* numpy ends the padding with '\n'; the dict is what comes before. */
	if (b[h->data_offset - 1] != '\n') {
		rc = -EINVAL;
		goto out;
	}
	lx.p = b + pre;
	lx.end = b + h->data_offset - 1;
	lx.version = h->version;
	rc = parse_dict(&lx, h, &ps);
	if (rc)
		goto out;
	if (ps.keys != (KEY_DESCR | KEY_FORTRAN | KEY_SHAPE) ||
	    ps.product_overflow) {
		rc = -EINVAL;
		goto out;
	}
	if (ps.descr_unsupported || ps.too_many_dims) {
		rc = -ENOTSUP;
		goto out;
	}
	if (ps.product > UINT64_MAX / dtype_size(h->dtype)) {
		rc = -EINVAL;
		goto out;
	}
	h->nelems = ps.has_zero_dim ? 0 : ps.product;
	rc = 0;
out:
	return rc;
}

/*
 * The dict numpy 1.24 writes, keys sorted, with the spare spaces it adds
 * so the first dimension can grow in place; returns its length, or a
 * negative errno.
 */
static int format_dict(char *out, enum dtype t, int ndim,
		       const uint64_t *shape)
{
	size_t sz = dtype_size(t);
	uint64_t product = 1;
	int n, growth;

	if (sz == 0 || ndim < 0 || ndim > NPY_MAX_DIMS ||
	    (ndim > 0 && !shape))
		return -EINVAL;
	for (int i = 0; i < ndim; i++) {
		if (shape[i] && product > UINT64_MAX / shape[i])
			return -EINVAL;
		product *= shape[i] ? shape[i] : 1;
	}
	if (product > UINT64_MAX / sz)
		return -EINVAL;
	n = snprintf(out, NPY_DICT_MAX,
		     "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
		     sz == 1 ? '|' : '<', dtype_npy_code(t));
	for (int i = 0; i < ndim; i++)
		n += snprintf(out + n, NPY_DICT_MAX - n, "%s%" PRIu64,
			      i ? ", " : "", shape[i]);
	n += snprintf(out + n, NPY_DICT_MAX - n, "%s), }",
		      ndim == 1 ? "," : "");
	if (ndim > 0) {
		growth = NPY_GROWTH_DIGITS -
			 snprintf(NULL, 0, "%" PRIu64, shape[0]);
		memset(out + n, ' ', growth);
		n += growth;
	}
	assert(n < NPY_DICT_MAX);
	return n;
}

/* Header length (from "{" through "\n") for a dict of dict_len bytes
 * whose data starts on a multiple of align. */
static size_t padded_len(size_t dict_len, size_t align)
{
	/* numpy pads by 1..64, never 0: an aligned header gets 64 spaces. */
	size_t pad = align - (10 + dict_len + 1) % align;

	return dict_len + pad + 1;
}

ssize_t npy_header_size(enum dtype t, int ndim, const uint64_t *shape)
{
	return npy_header_size_aligned(t, ndim, shape, NPY_ALIGN);
}

ssize_t npy_write_header(void *buf, size_t cap, enum dtype t, int ndim,
			 const uint64_t *shape)
{
	return npy_write_header_aligned(buf, cap, t, ndim, shape, NPY_ALIGN);
}

ssize_t npy_header_size_aligned(enum dtype t, int ndim, const uint64_t *shape,
				size_t align)
{
	char dict[NPY_DICT_MAX];
	int n = format_dict(dict, t, ndim, shape);
	size_t hlen;

	if (n < 0)
		return n;
	if (!align || align % NPY_ALIGN || align > 65536)
		return -EINVAL;
	hlen = padded_len((size_t)n, align);
	if (hlen > 65535)
		return -E2BIG;
	return (ssize_t)(10 + hlen);
}

ssize_t npy_write_header_aligned(void *buf, size_t cap, enum dtype t,
				 int ndim, const uint64_t *shape, size_t align)
{
	char dict[NPY_DICT_MAX];
	unsigned char *b = buf;
	int n = format_dict(dict, t, ndim, shape);
	size_t hlen;
	ssize_t rc;

	if (n < 0) {
		rc = n;
		goto out;
	}
	if (!align || align % NPY_ALIGN || align > 65536)
		return -EINVAL;
	hlen = padded_len((size_t)n, align);
	if (hlen > 65535) {
		rc = -E2BIG;
		goto out;
	}
	if (cap < 10 + hlen) {
		rc = -ENOSPC;
		goto out;
	}
	memcpy(b, npy_magic, 6);
	b[6] = 1;
	b[7] = 0;
	b[8] = (unsigned char)(hlen & 0xff);
	b[9] = (unsigned char)(hlen >> 8);
	memcpy(b + 10, dict, n);
	memset(b + 10 + n, ' ', hlen - 1 - n);
	b[10 + hlen - 1] = '\n';
	rc = (ssize_t)(10 + hlen);
out:
	return rc;
}
