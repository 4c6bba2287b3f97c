/* SPDX-License-Identifier: MIT */
/* A small JSON writer: objects, arrays, numbers and escaped strings streamed to a FILE. */
#ifndef CUBEFS_CLI_JSON_H
#define CUBEFS_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

/*
 * Writer state, embedded by the caller (json_init, then json_finish). It
 * tracks commas, keys and indentation; misuse (a value in an object without
 * a key, an end that does not match its begin, nesting deeper than
 * JSON_MAX_DEPTH) is a bug and asserts. One writer per thread.
 */
struct json {
	FILE *f;
	int indent;                     /* spaces per level; 0: one line */
	int depth;
	int flat;                       /* depth from which all is one line */
	int after_key;                  /* a key was written, value due */
	char kind[JSON_MAX_DEPTH];      /* '{' or '[' per open level */
	char any[JSON_MAX_DEPTH];       /* the level holds a member already */
};

/* Starts a document on f, indented by `indent` spaces per level (0:
 * compact). Writes nothing. */
void json_init(struct json *j, FILE *f, int indent);

/* Ends the document with a newline and flushes f. Returns 0, or -EIO if
 * writing to f failed at any point. Every begin must have had its end. */
int json_finish(struct json *j);

/* Objects and arrays. The _flat variants keep the whole container, and
 * anything inside it, on one line ("[8, 11, 77, 76]"). */
void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_begin_flat(struct json *j);
void json_array_end(struct json *j);
void json_object_begin_flat(struct json *j);

/* The key of the next member of the current object (any bytes, escaped
 * like a string). */
void json_key(struct json *j, const char *key);

/*
 * Values. Strings are written as UTF-8 with '"', '\\' and control characters
 * (below 0x20, and 0x7f) escaped, the latter as \u00XX (\n, \t, \r, \b, \f
 * in their short forms); a byte that does not start a valid UTF-8 sequence
 * becomes U+FFFD. json_str(NULL) writes null; json_strn takes len bytes,
 * NUL included. json_double writes the shortest decimal that reads back as
 * the same double, json_float the shortest that reads back as the same
 * float; NaN and infinities are written as null.
 */
void json_str(struct json *j, const char *s);
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_double(struct json *j, double v);
void json_float(struct json *j, float v);
void json_bool(struct json *j, int v);
void json_null(struct json *j);

/* A key and its value in one call. */
void json_key_str(struct json *j, const char *key, const char *s);
void json_key_int(struct json *j, const char *key, int64_t v);
void json_key_uint(struct json *j, const char *key, uint64_t v);
void json_key_double(struct json *j, const char *key, double v);
void json_key_bool(struct json *j, const char *key, int v);

#endif
