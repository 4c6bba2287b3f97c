/* SPDX-License-Identifier: MIT */
/* A small JSON writer: commas, indentation, string escaping and round-trip numbers. */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"

void json_init(struct json *j, FILE *f, int indent)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->indent = indent;
}

int json_finish(struct json *j)
{
	assert(j->depth == 0 && !j->after_key);
	fputc('\n', j->f);
	if (fflush(j->f) || ferror(j->f))
		return -EIO;
	return 0;
}

static void newline(struct json *j)
{
	if (!j->indent || j->flat)
		return;
	fputc('\n', j->f);
	for (int i = 0; i < j->depth * j->indent; i++)
		fputc(' ', j->f);
}

/* A comma after the level's previous member, then the member's line. */
static void separate(struct json *j)
{
	if (j->any[j->depth - 1]) {
		fputc(',', j->f);
		if (j->flat && j->indent)
			fputc(' ', j->f);
	}
	j->any[j->depth - 1] = 1;
	newline(j);
}

/* Whatever goes before a value: nothing after a key or at the top. */
static void before_value(struct json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (j->depth == 0)
		return;
	assert(j->kind[j->depth - 1] == '[');
	separate(j);
}

static void begin(struct json *j, char kind, int flat)
{
	before_value(j);
	assert(j->depth < JSON_MAX_DEPTH);
	fputc(kind, j->f);
	j->kind[j->depth] = kind;
	j->any[j->depth] = 0;
	j->depth++;
	if (flat && !j->flat)
		j->flat = j->depth;
}

static void end(struct json *j, char kind)
{
	assert(j->depth > 0 && j->kind[j->depth - 1] == kind && !j->after_key);
	j->depth--;
	if (j->any[j->depth])
		newline(j);
	fputc(kind == '{' ? '}' : ']', j->f);
	if (j->flat > j->depth)
		j->flat = 0;
}

void json_object_begin(struct json *j)
{
	begin(j, '{', 0);
}

void json_object_begin_flat(struct json *j)
{
	begin(j, '{', 1);
}

void json_object_end(struct json *j)
{
	end(j, '{');
}

void json_array_begin(struct json *j)
{
	begin(j, '[', 0);
}

void json_array_begin_flat(struct json *j)
{
	begin(j, '[', 1);
}

void json_array_end(struct json *j)
{
	end(j, '[');
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid:
 * overlong forms, surrogates and code points above U+10FFFF are. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int c = s[0], cp;
	size_t k;

	if (c < 0xc2 || c > 0xf4)
		return 0;
	k = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	if (n < k)
		return 0;
	cp = c & (0x7fu >> k);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return k;
}

static void put_string(FILE *f, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	fputc('"', f);
	while (i < len) {
		unsigned char c = s[i];
		size_t k;

		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			static const char short_form[] = {
				['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n',
				['\r'] = 'r', ['\t'] = 't',
			};

			if (c < sizeof(short_form) && short_form[c])
				fprintf(f, "\\%c", short_form[c]);
			else
				fprintf(f, "\\u%04x", c);
			i++;
		} else if (c < 0x80) {
			fputc(c, f);
			i++;
		} else if ((k = utf8_seq(s + i, len - i))) {
			fwrite(s + i, 1, k, f);
			i += k;
		} else {
			fputs("\\ufffd", f);
			i++;
		}
	}
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	assert(j->depth > 0 && j->kind[j->depth - 1] == '{' && !j->after_key);
	separate(j);
	put_string(j->f, key, strlen(key));
	fputs(j->indent ? ": " : ":", j->f);
	j->after_key = 1;
}

void json_strn(struct json *j, const char *s, size_t len)
{
	before_value(j);
	put_string(j->f, s, len);
}

void json_str(struct json *j, const char *s)
{
	if (!s)
		json_null(j);
	else
		json_strn(j, s, strlen(s));
}

void json_int(struct json *j, int64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
	before_value(j);
	fprintf(j->f, "%" PRIu64, v);
}

/* The fewest significant digits, from lo up to hi, that read back as v
 * (as a float when single). The C locale's decimal point is assumed. */
static void put_number(FILE *f, double v, int lo, int hi, int single)
{
	char buf[40];

	for (int p = lo; p <= hi; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (single ? strtof(buf, NULL) == (float)v :
		    strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, f);
}

void json_double(struct json *j, double v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	before_value(j);
	put_number(j->f, v, 15, 17, 0);
}

void json_float(struct json *j, float v)
{
	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	before_value(j);
	put_number(j->f, v, 6, 9, 1);
}

void json_bool(struct json *j, int v)
{
	before_value(j);
	fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
	before_value(j);
	fputs("null", j->f);
}

void json_key_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_key_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void json_key_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_key_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

void json_key_bool(struct json *j, const char *key, int v)
{
	json_key(j, key);
	json_bool(j, v);
}
